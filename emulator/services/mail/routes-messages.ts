import { DELTA_CURSOR, deltaPage } from '../../core/listing.js';
import {
  badRequest,
  contextUrl,
  GraphHttpError,
  jsonBody,
  noContent,
  ok,
  select,
  tryDecodeCursor,
} from '../../core/odata.js';
import type { EmuRequest, EmuResponse, RouteDef } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import {
  addMessage,
  copyMessage,
  deleteMessage,
  locate,
  mailboxOf,
  moveMessage,
  now,
  READ,
  READ_BASIC,
  resolveFolder,
  route,
  userSegment,
  WRITE,
} from './common.js';
import { messageJson, projectOptions } from './json.js';
import { messageColl, type Mailbox } from './mailbox.js';
import { looksLikeMime } from './mime-parse.js';
import { updateMessage } from './mutate.js';
import {
  EXPANDED,
  compileMessageFilter,
  filterRow,
  pageAsync,
  queriedMessages,
  type Located,
} from './query.js';
import type { MessageRecord } from './records.js';
import { syncStateNotFound } from './routes-folders.js';
import { storedFromJson } from './stored-json.js';
import { rebuildMime, storedFromMime } from './stored.js';
import { messageView, recipient } from './view.js';

/** Message routes: list, delta, get, `$value`, create (JSON / MIME), update, delete, move, copy. */

const PAGE = { defaultTop: 10, maxTop: 1000 };

const invalidBase64 = () =>
  new GraphHttpError(400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');

/** The MIME of a `Content-Type: text/plain` create: base64, strictly. */
export function decodeMimeBody(req: EmuRequest): Buffer {
  const text = req.body.toString('latin1').replace(/\s+/g, '');
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    // $batch already base64-decodes non-JSON bodies of its requests; accept the raw MIME there.
    if (req.inBatch && looksLikeMime(req.body)) return req.body;
    throw invalidBase64();
  }
  return Buffer.from(text, 'base64');
}

/** Graph echoes an honoured `outlook.body-content-type` preference in `Preference-Applied`. */
function withPreference(req: EmuRequest, res: EmuResponse): EmuResponse {
  const bodyType = projectOptions(req).bodyType;
  if (bodyType)
    res.headers = { ...res.headers, 'preference-applied': `outlook.body-content-type="${bodyType}"` };
  return res;
}

async function entity(
  req: EmuRequest,
  store: TenantStore,
  mb: Mailbox,
  loc: Located,
  status = 200,
): Promise<EmuResponse> {
  const body = await messageJson(req, mb, messageView(store, mb, loc.fk, loc.rec), projectOptions(req));
  return withPreference(
    req,
    ok(
      {
        '@odata.context': contextUrl(req, `${userSegment(req)}/messages/$entity`),
        ...select(req, body, EXPANDED),
      },
      status,
    ),
  );
}

/** Token state of a messages delta request, to tell created from updated items. */
function deltaAfter(req: EmuRequest): number {
  const raw = req.query.get('$deltatoken') ?? req.query.get('$skiptoken');
  if (!raw) return 0;
  const t = tryDecodeCursor(raw, DELTA_CURSOR);
  return !t || t.i ? 0 : t.a;
}

async function messagesDelta(req: EmuRequest, store: TenantStore): Promise<EmuResponse> {
  const mb = mailboxOf(store, req);
  const f = resolveFolder(store, mb, req.params['folder'] ?? '');
  if (f.search) throw badRequest('Delta queries are not supported on search folders.', 'ErrorInvalidRequest');
  const changeType = (req.query.get('changeType') ?? '').toLowerCase();
  if (changeType && !['created', 'updated', 'deleted'].includes(changeType))
    throw badRequest(`Invalid changeType '${changeType}'.`, 'ErrorInvalidUrlQuery');
  const filter = req.query.get('$filter');
  if (filter && !/^\s*receivedDateTime\s+(ge|gt)\s+\S+\s*$/i.test(filter))
    throw badRequest(
      'Only receivedDateTime ge|gt is supported in $filter for delta.',
      'ErrorInvalidUrlQuery',
    );
  const test = filter ? compileMessageFilter(filter) : null;
  const after = deltaAfter(req);
  const picked: Located[] = [];
  const out = deltaPage<MessageRecord>(req, {
    collection: messageColl(store, mb, f.key),
    context: 'Collection(message)',
    project: (rec) => {
      picked.push({ fk: f.key, rec });
      return { '@i': picked.length - 1 };
    },
    removed: (e) => ({
      '@odata.type': '#microsoft.graph.message',
      id: e.id,
      '@removed': { reason: e.removedReason ?? 'deleted' },
    }),
    filter: (rec) => {
      if (changeType === 'deleted') return false;
      if (changeType === 'created' && rec.c0 <= after && after > 0) return false;
      if (changeType === 'updated' && (rec.c0 > after || after === 0)) return false;
      return !test || test(filterRow(store, mb, { fk: f.key, rec }));
    },
    style: 'odata',
    defaultTop: 10,
    maxTop: 1000,
  });
  if (out.expired) return syncStateNotFound(req);
  const body = out.response.json as { value: Record<string, unknown>[] };
  const opts = { ...projectOptions(req), odataType: true };
  const value: Record<string, unknown>[] = [];
  for (const item of body.value) {
    if ('@removed' in item) {
      if (!changeType || changeType === 'deleted') value.push(item);
      continue;
    }
    const loc = picked[item['@i'] as number] as Located;
    value.push(
      select(req, await messageJson(req, mb, messageView(store, mb, loc.fk, loc.rec), opts), EXPANDED),
    );
  }
  body.value = value;
  return out.response;
}

async function list(req: EmuRequest, store: TenantStore, folderParam?: string): Promise<EmuResponse> {
  const mb = mailboxOf(store, req);
  const f = folderParam === undefined ? undefined : resolveFolder(store, mb, folderParam);
  const context = f ? `${userSegment(req)}/mailFolders('${f.id}')/messages` : `${userSegment(req)}/messages`;
  const opts = projectOptions(req);
  return withPreference(
    req,
    await pageAsync(
      req,
      context,
      queriedMessages(req, store, mb, f),
      (l) => messageJson(req, mb, messageView(store, mb, l.fk, l.rec), opts),
      PAGE,
    ),
  );
}

async function create(req: EmuRequest, store: TenantStore, folderParam?: string): Promise<EmuResponse> {
  const mb = mailboxOf(store, req);
  const dest = resolveFolder(store, mb, folderParam ?? 'drafts');
  if (dest.search) throw badRequest('Items cannot be created in a search folder.', 'ErrorInvalidRequest');
  const t = now();
  const owner = recipient({ name: mb.user.displayName, address: mb.user.mail ?? mb.user.userPrincipalName });
  let loc: Located;
  if (/^text\/plain/i.test(req.headers['content-type'] ?? '')) {
    loc = addMessage(store, mb, dest.key, { s: storedFromMime(store, decodeMimeBody(req), t), v: 0 });
  } else {
    const { message, pending } = storedFromJson(store, jsonBody(req), t, owner);
    await rebuildMime(store, message, pending);
    loc = addMessage(store, mb, dest.key, { s: message, v: 0 });
  }
  return entity(req, store, mb, loc, 201);
}

export function messageRoutes(store: TenantStore): RouteDef[] {
  const u = '/users/{user}';
  const item = [`${u}/messages/{id}`, `${u}/mailFolders/{folder}/messages/{id}`];
  const find = (req: EmuRequest) => {
    const mb = mailboxOf(store, req);
    return { mb, loc: locate(store, mb, req.params['id'] ?? '', req.params['folder']) };
  };
  const routes: RouteDef[] = [
    route(store, 'GET', `${u}/messages`, READ_BASIC, (req) => list(req, store)),
    route(store, 'GET', `${u}/mailFolders/{folder}/messages`, READ_BASIC, (req) =>
      list(req, store, req.params['folder'] ?? ''),
    ),
    route(
      store,
      'GET',
      `${u}/mailFolders/{folder}/messages/delta`,
      READ_BASIC,
      (req) => messagesDelta(req, store),
      { deltaExpired: syncStateNotFound },
    ),
    route(store, 'POST', `${u}/messages`, WRITE, (req) => create(req, store)),
    route(store, 'POST', `${u}/mailFolders/{folder}/messages`, WRITE, (req) =>
      create(req, store, req.params['folder'] ?? ''),
    ),
  ];
  for (const path of item) {
    routes.push(
      route(store, 'GET', path, READ_BASIC, (req) => {
        const { mb, loc } = find(req);
        return entity(req, store, mb, loc);
      }),
      route(store, 'GET', `${path}/$value`, READ, async (req) => {
        const { mb, loc } = find(req);
        const mime = await messageView(store, mb, loc.fk, loc.rec).mime();
        return { status: 200, headers: { 'content-type': 'text/plain' }, body: mime };
      }),
      route(store, 'PATCH', path, WRITE, async (req) => {
        const { mb, loc } = find(req);
        return entity(req, store, mb, await updateMessage(store, mb, loc, jsonBody(req), { graph: true }));
      }),
      route(store, 'DELETE', path, WRITE, (req) => {
        const { mb, loc } = find(req);
        deleteMessage(store, mb, loc);
        return noContent();
      }),
    );
    for (const action of ['move', 'copy'] as const) {
      routes.push(
        route(store, 'POST', `${path}/${action}`, WRITE, (req) => {
          const { mb, loc } = find(req);
          const destParam = jsonBody(req)['destinationId'];
          if (typeof destParam !== 'string' || !destParam)
            throw badRequest("The 'destinationId' parameter is required.", 'ErrorInvalidArgument');
          const dest = resolveFolder(store, mb, destParam);
          if (dest.search)
            throw badRequest('Items cannot be moved or copied into a search folder.', 'ErrorInvalidRequest');
          const out =
            action === 'move'
              ? dest.key === loc.fk
                ? loc
                : moveMessage(store, mb, loc, dest.key)
              : copyMessage(store, mb, loc, dest.key);
          return entity(req, store, mb, out, 201);
        }),
      );
    }
  }
  return routes;
}
