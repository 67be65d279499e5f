import { createHash, randomBytes, type Hash } from 'node:crypto';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { badRequest, contextUrl, GraphHttpError, jsonBody, noContent, ok, select } from '../../core/odata.js';
import type { EmuRequest, EmuResponse, RouteDef } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import {
  itemNotFound,
  locate,
  mailboxOf,
  now,
  READ,
  route,
  saveChanged,
  userSegment,
  WRITE,
} from './common.js';
import { attachmentId, attachmentKeysOf, strOr } from './ids.js';
import { attachmentJson, selectedFields } from './json.js';
import { primaryMailbox, type Mailbox } from './mailbox.js';
import { ensureStored } from './mutate.js';
import type { Located } from './query.js';
import type { MessageRecord, StoredAttachment, StoredMessage } from './records.js';
import { attachmentFromJson } from './stored-json.js';
import { rebuildMime, type PendingBytes } from './stored.js';
import { refuseAuthorizationHeader } from '../shared/preauth.js';
import { messageView, recipient } from './view.js';
import { isoSeconds } from '../shared/time.js';

/** Attachments: list, get, `$value`, add (< 3 MB), delete, and upload sessions (3–150 MB). */

const SMALL_LIMIT = 3 * 1024 * 1024;
const SESSION_LIMIT = 150 * 1024 * 1024;
const CHUNK_LIMIT = 4 * 1024 * 1024;
const SESSION_MS = 6 * 3600_000;

interface UploadSession {
  uid: string;
  messageId: string;
  name: string;
  size: number;
  contentType: string;
  isInline: boolean;
  contentId: string | null;
  file: string;
  received: number;
  hash: Hash;
  expires: number;
}

async function saveAttachments(
  store: TenantStore,
  mb: Mailbox,
  loc: Located,
  s: StoredMessage,
  pending: PendingBytes,
): Promise<Located> {
  await rebuildMime(store, s, pending);
  const rec: MessageRecord = {
    k: loc.rec.k,
    s,
    v: loc.rec.v,
    c0: loc.rec.c0,
    ...(loc.rec.cr ? { cr: loc.rec.cr } : {}),
  };
  return saveChanged(store, mb, loc, rec);
}

const allSessions = new WeakMap<TenantStore, Map<string, UploadSession>>();
function sessionsOf(store: TenantStore): Map<string, UploadSession> {
  let m = allSessions.get(store);
  if (!m) allSessions.set(store, (m = new Map<string, UploadSession>()));
  return m;
}

export function attachmentRoutes(store: TenantStore): RouteDef[] {
  const sessions = sessionsOf(store);
  const prefixes = ['/users/{user}/messages/{id}', '/users/{user}/mailFolders/{folder}/messages/{id}'];
  const find = (req: EmuRequest) => {
    const mb = mailboxOf(store, req);
    const loc = locate(store, mb, req.params['id'] ?? '', req.params['folder']);
    return { mb, loc, view: messageView(store, mb, loc.fk, loc.rec) };
  };
  const findAttachment = (req: EmuRequest) => {
    const f = find(req);
    const { itemKey, attKey } = attachmentKeysOf(f.mb.key, req.params['att'] ?? '');
    const att = itemKey === f.loc.rec.k ? f.view.attachments.find((a) => a.key === attKey) : undefined;
    if (!att) throw itemNotFound();
    return { ...f, att };
  };
  const ctx = (req: EmuRequest) =>
    `${userSegment(req)}/messages('${encodeURIComponent(req.params['id'] ?? '')}')/attachments`;
  const routes: RouteDef[] = [];
  for (const p of prefixes) {
    routes.push(
      route(store, 'GET', `${p}/attachments`, READ, async (req) => {
        const { view } = find(req);
        const sel = selectedFields(req);
        const withContent = !sel || sel.has('contentBytes');
        const value = await Promise.all(
          view.attachments.map(async (a) =>
            select(req, await attachmentJson(a, { withContent, expandItem: false })),
          ),
        );
        return ok({ '@odata.context': contextUrl(req, ctx(req)), value });
      }),
      route(store, 'GET', `${p}/attachments/{att}`, READ, async (req) => {
        const { att } = findAttachment(req);
        const expandItem = /itemattachment\/item/i.test(req.query.get('$expand') ?? '');
        return ok({
          '@odata.context': contextUrl(req, `${ctx(req)}/$entity`),
          ...select(req, await attachmentJson(att, { withContent: true, expandItem })),
        });
      }),
      route(store, 'GET', `${p}/attachments/{att}/$value`, READ, async (req) => {
        const { att } = findAttachment(req);
        if (att.kind === 'reference')
          throw new GraphHttpError(
            405,
            'ErrorInvalidRequest',
            'The $value of a reference attachment cannot be read; follow its link instead.',
          );
        return {
          status: 200,
          headers: { 'content-type': att.kind === 'item' ? 'message/rfc822' : att.contentType },
          body: await att.bytes(),
        };
      }),
      route(store, 'POST', `${p}/attachments`, WRITE, async (req) => {
        const { mb, loc } = find(req);
        const raw = jsonBody(req);
        if (
          typeof raw['contentBytes'] === 'string' &&
          Buffer.byteLength(raw['contentBytes']) * 0.75 > SMALL_LIMIT
        ) {
          throw new GraphHttpError(
            413,
            'ErrorRequestEntityTooLarge',
            'The attachment exceeds 3 MB; use createUploadSession for large files.',
          );
        }
        const s = await ensureStored(store, mb, loc);
        const pending: PendingBytes = {};
        const owner = recipient({
          name: mb.user.displayName,
          address: mb.user.mail ?? mb.user.userPrincipalName,
        });
        const att = attachmentFromJson(store, raw, String(s.nextAttachment++), now(), pending, owner);
        s.attachments.push(att);
        const saved = await saveAttachments(store, mb, loc, s, pending);
        const view = messageView(store, mb, saved.fk, saved.rec).attachments.find((a) => a.key === att.key);
        if (!view) throw itemNotFound();
        return ok(
          {
            '@odata.context': contextUrl(req, `${ctx(req)}/$entity`),
            ...(await attachmentJson(view, { withContent: true, expandItem: false })),
          },
          201,
        );
      }),
      route(store, 'DELETE', `${p}/attachments/{att}`, WRITE, async (req) => {
        const { mb, loc, att } = findAttachment(req);
        const s = await ensureStored(store, mb, loc);
        s.attachments = s.attachments.filter((a) => a.key !== att.key);
        await saveAttachments(store, mb, loc, s, {});
        return noContent();
      }),
      route(store, 'POST', `${p}/attachments/createUploadSession`, WRITE, (req) => {
        const { mb, loc } = find(req);
        const item = (jsonBody(req)['AttachmentItem'] ?? {}) as Record<string, unknown>;
        if (strOr(item['attachmentType'], 'file').toLowerCase() !== 'file')
          throw badRequest('Only file attachments can be uploaded in a session.', 'ErrorInvalidRequest');
        const size = Number(item['size']);
        if (!Number.isInteger(size) || size <= 0 || size > SESSION_LIMIT)
          throw badRequest(
            `The attachment size must be between 1 byte and ${SESSION_LIMIT} bytes.`,
            'ErrorAttachmentSizeShouldNotBeLessThanZero',
          );
        if (typeof item['name'] !== 'string' || !item['name'])
          throw badRequest("The attachment's 'name' is required.", 'ErrorInvalidRequest');
        const token = randomBytes(24).toString('base64url');
        const expires = Date.now() + SESSION_MS;
        sessions.set(token, {
          uid: mb.user.id,
          messageId: loc.id,
          name: item['name'],
          size,
          contentType:
            typeof item['contentType'] === 'string' ? item['contentType'] : 'application/octet-stream',
          isInline: item['isInline'] === true,
          contentId: typeof item['contentId'] === 'string' ? item['contentId'] : null,
          file: store.blobs.tempPath(`mail-upload-${token}`),
          received: 0,
          hash: createHash('sha256'),
          expires,
        });
        const uploadUrl = `${req.origin}/api/v2.0/Users('${mb.user.id}')/Messages('${loc.id}')/AttachmentSessions('${token}')?authtoken=${token}`;
        return ok(
          {
            '@odata.context': contextUrl(req, 'microsoft.graph.uploadSession'),
            uploadUrl,
            expirationDateTime: isoSeconds(expires),
            nextExpectedRanges: ['0-'],
          },
          201,
        );
      }),
    );
  }
  return routes;
}

/** Pre-authenticated upload URLs: plain routes, no bearer token. */
export function attachmentUploadRoutes(store: TenantStore): RouteDef[] {
  const sessions = sessionsOf(store);
  return [
    {
      method: 'PUT',
      path: "/api/v2.0/Users('{uid}')/Messages('{mid}')/AttachmentSessions('{sid}')",
      permissions: null,
      scope: (req) => ({
        kind: 'exchange',
        mailbox: sessions.get(req.params['sid'] ?? '')?.uid ?? 'anonymous',
      }),
      handler: async (req) => uploadChunk(req, store, sessions),
    },
    {
      method: 'DELETE',
      path: "/api/v2.0/Users('{uid}')/Messages('{mid}')/AttachmentSessions('{sid}')",
      permissions: null,
      handler: (req) => {
        refuseAuthorizationHeader(req);
        const s = sessions.get(req.params['sid'] ?? '');
        if (!s || req.query.get('authtoken') !== req.params['sid']) throw itemNotFound();
        sessions.delete(req.params['sid'] ?? '');
        rmSync(s.file, { force: true });
        return noContent();
      },
    },
  ];
}

async function uploadChunk(
  req: EmuRequest,
  store: TenantStore,
  sessions: Map<string, UploadSession>,
): Promise<EmuResponse> {
  refuseAuthorizationHeader(req);
  const sid = req.params['sid'] ?? '';
  const s = sessions.get(sid);
  if (!s || req.query.get('authtoken') !== sid) throw itemNotFound();
  if (s.expires < Date.now()) {
    sessions.delete(sid);
    throw new GraphHttpError(404, 'ErrorItemNotFound', 'The upload session has expired.');
  }
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec((req.headers['content-range'] ?? '').trim());
  if (!m)
    throw badRequest(
      'A Content-Range header of the form bytes start-end/total is required.',
      'ErrorInvalidRequest',
    );
  const [start, end, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (total !== s.size || end < start || end - start + 1 !== req.body.length)
    throw badRequest(
      'The Content-Range does not match the session or the body length.',
      'ErrorInvalidRequest',
    );
  if (req.body.length > CHUNK_LIMIT)
    throw new GraphHttpError(413, 'ErrorRequestEntityTooLarge', 'Upload chunks must be 4 MB or smaller.');
  if (start !== s.received) {
    throw new GraphHttpError(416, 'ErrorInvalidRange', `Expected the range to start at ${s.received}.`);
  }
  const fd = openSync(s.file, start === 0 ? 'w' : 'r+');
  try {
    writeSync(fd, req.body, 0, req.body.length, start);
  } finally {
    closeSync(fd);
  }
  s.hash.update(req.body);
  s.received = end + 1;
  if (s.received < s.size)
    return ok({ ExpirationDateTime: isoSeconds(s.expires), nextExpectedRanges: [`${s.received}`] });
  sessions.delete(sid);
  const blob = store.blobs.adopt(s.file, s.hash.digest('hex'));
  const user = store.users.get(s.uid);
  if (!user) throw itemNotFound();
  const mb = primaryMailbox(store, user.id);
  const loc = locate(store, mb, s.messageId);
  const stored = await ensureStored(store, mb, loc);
  const att: StoredAttachment = {
    key: String(stored.nextAttachment++),
    kind: 'file',
    name: s.name,
    contentType: s.contentType,
    size: s.size,
    isInline: s.isInline,
    contentId: s.contentId,
    blob,
    modified: now(),
  };
  stored.attachments.push(att);
  const saved = await saveAttachments(store, mb, loc, stored, {});
  const id = attachmentId(mb.key, saved.rec.k, att.key);
  const location = `${req.origin}/api/v2.0/Users('${user.id}')/Messages('${s.messageId}')/Attachments('${id}')`;
  return { status: 201, headers: { location } };
}
