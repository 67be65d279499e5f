import { compileFilter } from '../../core/filter.js';
import { deltaPage, pageArray } from '../../core/listing.js';
import { badRequest, contextUrl, GraphHttpError, jsonBody, noContent, ok, select } from '../../core/odata.js';
import type { EmuRequest, EmuResponse, RouteDef } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import { mailboxOf, newKey, now, READ_BASIC, resolveFolder, route, userSegment, WRITE } from './common.js';
import { folderId, strOr } from './ids.js';
import { folderJson } from './json.js';
import { childrenOf, folderColl, foldersKey, liveFolders, subtreeKeys, type Mailbox } from './mailbox.js';
import { compileMessageFilter, folderCounts } from './query.js';
import type { FolderRecord } from './records.js';
import { outlookStartOver } from '../shared/resync.js';

/** mailFolder routes: list, get, children, delta, create, rename, move, delete. */

const PAGE = { defaultTop: 10, maxTop: 1000 };

export const folderExists = () =>
  new GraphHttpError(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');

/** Outlook's 410 for a mailFolders or messages delta token it no longer has. */
export const syncStateNotFound = outlookStartOver;

const project = (req: EmuRequest, store: TenantStore, mb: Mailbox) => (f: FolderRecord) =>
  folderJson(req, store, mb, f, folderCounts(store, mb, f));

function listFolders(
  req: EmuRequest,
  store: TenantStore,
  mb: Mailbox,
  parentKey: string,
  context: string,
): EmuResponse {
  const hidden = (req.query.get('includeHiddenFolders') ?? '').toLowerCase() === 'true';
  let folders = childrenOf(store, mb, parentKey, hidden).sort((a, b) =>
    a.displayName.localeCompare(b.displayName, 'en', { sensitivity: 'base' }),
  );
  const filter = req.query.get('$filter');
  const proj = project(req, store, mb);
  if (filter) {
    const test = compileFilter(filter);
    folders = folders.filter((f) => test(proj(f)));
  }
  return pageArray(req, context, folders, proj, PAGE);
}

function checkName(
  store: TenantStore,
  mb: Mailbox,
  parentKey: string,
  name: unknown,
  selfKey?: string,
): string {
  if (typeof name !== 'string' || !name.trim())
    throw badRequest("The folder's 'displayName' is required.", 'ErrorInvalidArgument');
  const clash = childrenOf(store, mb, parentKey).some(
    (f) => f.key !== selfKey && f.displayName.toLowerCase() === name.toLowerCase(),
  );
  if (clash) throw folderExists();
  return name;
}

/** A new folder record under `parent` (journaled); 409 ErrorFolderExists on a sibling's name. */
export function createFolderRecord(
  store: TenantStore,
  mb: Mailbox,
  parent: FolderRecord,
  name: unknown,
  extra: Partial<FolderRecord> = {},
): FolderRecord {
  const displayName = checkName(store, mb, parent.key, name);
  const key = `n${newKey()}`;
  const rec: FolderRecord = {
    id: folderId(mb.key, key),
    key,
    parentKey: parent.key,
    displayName,
    wellKnownName: null,
    isHidden: false,
    type: 'IPF.Note',
    created: now(),
    v: 0,
    ...extra,
  };
  store.put(foldersKey(mb), rec.id, rec);
  return rec;
}

function createFolder(req: EmuRequest, store: TenantStore, mb: Mailbox, parent: FolderRecord): EmuResponse {
  const b = jsonBody(req);
  const extra: Partial<FolderRecord> = { isHidden: b['isHidden'] === true };
  if (/mailSearchFolder$/i.test(strOr(b['@odata.type'], ''))) {
    const sources = Array.isArray(b['sourceFolderIds'])
      ? (b['sourceFolderIds'] as unknown[]).map((s) => resolveFolder(store, mb, String(s)).key)
      : [];
    if (typeof b['filterQuery'] !== 'string' || sources.length === 0)
      throw badRequest('A search folder needs sourceFolderIds and filterQuery.', 'ErrorInvalidArgument');
    compileMessageFilter(b['filterQuery']);
    extra.search = {
      filterQuery: b['filterQuery'],
      sourceKeys: sources,
      includeNestedFolders: b['includeNestedFolders'] === true,
    };
  }
  const rec = createFolderRecord(store, mb, parent, b['displayName'], extra);
  return ok(
    {
      '@odata.context': contextUrl(req, `${userSegment(req)}/mailFolders/$entity`),
      ...project(req, store, mb)(rec),
    },
    201,
  );
}

/** Removes a folder and everything below it (Graph answers 204; the items leave with it). */
export function removeFolderTree(store: TenantStore, mb: Mailbox, f: FolderRecord): number {
  const keys = subtreeKeys(store, mb, f.key);
  for (const k of keys.reverse()) store.remove(foldersKey(mb), folderId(mb.key, k), 'deleted');
  return keys.length;
}

export function renameFolder(store: TenantStore, mb: Mailbox, f: FolderRecord, name: unknown): FolderRecord {
  const displayName = checkName(store, mb, f.parentKey ?? '', name, f.key);
  const next = { ...f, displayName, v: f.v + 1 };
  store.put(foldersKey(mb), f.id, next);
  return next;
}

export function moveFolder(
  store: TenantStore,
  mb: Mailbox,
  f: FolderRecord,
  dest: FolderRecord,
): FolderRecord {
  if (f.wellKnownName)
    throw badRequest('Distinguished folders cannot be moved.', 'ErrorMoveDistinguishedFolder');
  if (subtreeKeys(store, mb, f.key).includes(dest.key))
    throw badRequest('A folder cannot be moved into itself or a subfolder.', 'ErrorMoveCopyFailed');
  checkName(store, mb, dest.key, f.displayName, f.key);
  const next = { ...f, parentKey: dest.key, v: f.v + 1 };
  store.put(foldersKey(mb), f.id, next);
  return next;
}

export function folderRoutes(store: TenantStore): RouteDef[] {
  const base = '/users/{user}/mailFolders';
  const entity = (req: EmuRequest, mb: Mailbox, f: FolderRecord) =>
    ok({
      '@odata.context': contextUrl(req, `${userSegment(req)}/mailFolders/$entity`),
      ...select(req, project(req, store, mb)(f)),
    });
  const delta = (req: EmuRequest): EmuResponse => {
    const mb = mailboxOf(store, req);
    const out = deltaPage<FolderRecord>(req, {
      collection: folderColl(store, mb),
      context: 'Collection(mailFolder)',
      project: (f) => project(req, store, mb)(f),
      filter: (f) => f.parentKey !== null,
      style: 'odata',
      defaultTop: 10,
      maxTop: 1000,
    });
    return out.expired ? syncStateNotFound(req) : out.response;
  };
  return [
    route(store, 'GET', base, READ_BASIC, (req) =>
      listFolders(req, store, mailboxOf(store, req), 'root', `${userSegment(req)}/mailFolders`),
    ),
    route(store, 'GET', `${base}/delta`, READ_BASIC, delta, { deltaExpired: syncStateNotFound }),
    route(store, 'GET', `${base}/{folder}`, READ_BASIC, (req) => {
      const mb = mailboxOf(store, req);
      return entity(req, mb, resolveFolder(store, mb, req.params['folder'] ?? ''));
    }),
    route(store, 'GET', `${base}/{folder}/childFolders`, READ_BASIC, (req) => {
      const mb = mailboxOf(store, req);
      const f = resolveFolder(store, mb, req.params['folder'] ?? '');
      return listFolders(req, store, mb, f.key, `${userSegment(req)}/mailFolders('${f.id}')/childFolders`);
    }),
    route(store, 'POST', base, WRITE, (req) => {
      const mb = mailboxOf(store, req);
      return createFolder(req, store, mb, resolveFolder(store, mb, 'msgfolderroot'));
    }),
    route(store, 'POST', `${base}/{folder}/childFolders`, WRITE, (req) => {
      const mb = mailboxOf(store, req);
      return createFolder(req, store, mb, resolveFolder(store, mb, req.params['folder'] ?? ''));
    }),
    route(store, 'PATCH', `${base}/{folder}`, WRITE, (req) => {
      const mb = mailboxOf(store, req);
      const f = resolveFolder(store, mb, req.params['folder'] ?? '');
      const b = jsonBody(req);
      for (const k of Object.keys(b)) {
        if (k !== 'displayName' && !k.startsWith('@odata'))
          throw badRequest(
            `The property '${k}' cannot be updated on a mailFolder.`,
            'ErrorInvalidPropertySet',
          );
      }
      return entity(
        req,
        mb,
        b['displayName'] === undefined ? f : renameFolder(store, mb, f, b['displayName']),
      );
    }),
    route(store, 'DELETE', `${base}/{folder}`, WRITE, (req) => {
      const mb = mailboxOf(store, req);
      const f = resolveFolder(store, mb, req.params['folder'] ?? '');
      if (f.wellKnownName)
        throw badRequest('Distinguished folders cannot be deleted.', 'ErrorDeleteDistinguishedFolder');
      removeFolderTree(store, mb, f);
      return noContent();
    }),
    route(store, 'POST', `${base}/{folder}/move`, WRITE, (req) => {
      const mb = mailboxOf(store, req);
      const f = resolveFolder(store, mb, req.params['folder'] ?? '');
      const dest = strOr(jsonBody(req)['destinationId'], '');
      if (!dest) throw badRequest("The 'destinationId' parameter is required.", 'ErrorInvalidArgument');
      const moved = moveFolder(store, mb, f, resolveFolder(store, mb, dest));
      return { ...entity(req, mb, moved), status: 201 };
    }),
  ];
}

export const liveFolderCount = (store: TenantStore, mb: Mailbox) =>
  liveFolders(store, mb).filter((f) => f.parentKey !== null).length;
