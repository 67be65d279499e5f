import { createHash, randomBytes, type Hash } from 'node:crypto';
import { appendFile, rm, writeFile as writeFs } from 'node:fs/promises';
import { contextUrl, GraphHttpError, jsonBody, noContent, ok } from '../../core/odata.js';
import type { ServiceContext } from '../../core/service.js';
import type { EmuRequest, EmuResponse, RouteDef } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import { itemRoutes, type Target } from './address.js';
import { mimeFor } from './content.js';
import { downloadsFor, itemJson, quotaRemaining } from './json.js';
import {
  DriveError,
  invalidRequest,
  itemNotFound,
  requireDrive,
  wrap,
  WRITE_PERMS,
  type FileState,
  type IdentityRef,
  type ItemRecord,
} from './model.js';
import { actorOf, checkNewName, replaceContent, writeFile } from './mutate.js';
import { QuickXorHash } from './quickxor.js';
import { conflictBehavior, quotaExceeded, type ConflictBehavior } from './tree.js';
import { checkIfMatch, fileSystemInfo } from './routes-write.js';
import { refuseAuthorizationHeader } from '../shared/preauth.js';
import { isoMillis } from '../shared/time.js';

/**
 * Resumable uploads (createUploadSession): a pre-authenticated uploadUrl takes the file in
 * sequential byte ranges (each < 60 MiB and, except the last, a multiple of 320 KiB), written to a
 * temporary file and hashed as they arrive, then committed as a blob.
 */

const FRAGMENT_UNIT = 327_680;
const MAX_FRAGMENT = 60 * 1024 * 1024;
/** Sessions expire after 15 minutes without a fragment; their URL is valid for 24 hours at most. */
const IDLE_MS = 15 * 60_000;
const URL_LIFETIME_MS = 24 * 3600_000;

interface UploadSession {
  id: string;
  token: string;
  driveId: string;
  target: { parentId: string; name: string } | { itemId: string };
  behavior: ConflictBehavior;
  deferCommit: boolean;
  by: IdentityRef;
  extra: Partial<ItemRecord>;
  declaredSize?: number;
  total?: number;
  received: number;
  temp: string;
  sha: Hash;
  qx: QuickXorHash;
  /** Set once every byte is in: the blob the temp file became. */
  blob?: string;
  expires: number;
  urlExpires: number;
  /** Serializes fragments of one session. */
  lock: Promise<unknown>;
}

const sessions = new WeakMap<TenantStore, Map<string, UploadSession>>();
const sessionsOf = (store: TenantStore) => {
  let m = sessions.get(store);
  if (!m) sessions.set(store, (m = new Map<string, UploadSession>()));
  return m;
};

function drop(store: TenantStore, s: UploadSession): void {
  sessionsOf(store).delete(s.id);
  void rm(s.temp, { force: true });
}

/** Forces every open upload session to expire (activity op for tests of session expiry). */
export function expireUploadSessions(store: TenantStore): number {
  const m = sessionsOf(store);
  const n = m.size;
  for (const s of [...m.values()]) s.expires = 0;
  return n;
}

const sessionNotFound = () =>
  new DriveError(
    404,
    'itemNotFound',
    'The upload session was not found or has expired.',
    'uploadSessionNotFound',
  );

function sessionFor(store: TenantStore, req: EmuRequest): UploadSession {
  refuseAuthorizationHeader(
    req,
    (message) => new DriveError(401, 'unauthenticated', message, 'invalidAuthenticationToken'),
  );
  const s = sessionsOf(store).get(req.params['session'] as string);
  if (!s || s.token !== req.query.get('tempauth')) throw sessionNotFound();
  const now = Date.now();
  if (now > s.urlExpires)
    throw new DriveError(401, 'unauthenticated', 'The access token has expired.', 'expiredToken');
  if (now > s.expires) {
    drop(store, s);
    throw sessionNotFound();
  }
  return s;
}

function status(s: UploadSession): Record<string, unknown> {
  const done = s.total !== undefined && s.received >= s.total;
  return { expirationDateTime: isoMillis(s.expires), nextExpectedRanges: done ? [] : [`${s.received}-`] };
}

function parseRange(header: string | undefined): { start: number; end: number; total: number } {
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec((header ?? '').trim());
  if (!m)
    throw new DriveError(
      400,
      'invalidRange',
      'The Content-Range header is missing or malformed.',
      'invalidRange',
    );
  const [start, end, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (end < start || end >= total)
    throw new DriveError(400, 'invalidRange', 'The Content-Range header is not satisfiable.', 'invalidRange');
  return { start, end, total };
}

async function commit(ctx: ServiceContext, req: EmuRequest, s: UploadSession): Promise<EmuResponse> {
  const { store } = ctx;
  const drive = requireDrive(store, s.driveId);
  if (!s.blob) {
    s.blob = store.blobs.adopt(s.temp, s.sha.digest('hex'));
  }
  const name = 'name' in s.target ? s.target.name : undefined;
  const file: FileState = {
    mime: mimeFor(name ?? ''),
    content: { g: 'blob', h: s.blob },
    size: s.total ?? 0,
    hash: s.qx.digestBase64(),
  };
  let item: ItemRecord;
  let created = false;
  try {
    if ('itemId' in s.target) {
      const existing = store.collection<ItemRecord>(`drive:${drive.id}`).get(s.target.itemId);
      if (!existing) throw itemNotFound();
      item = replaceContent(store, drive, existing, { ...file, mime: mimeFor(existing.name) }, s.by);
    } else {
      const parent = store.collection<ItemRecord>(`drive:${drive.id}`).get(s.target.parentId);
      if (!parent) throw itemNotFound();
      ({ item, created } = writeFile(ctx, drive, parent, s.target.name, file, s.behavior, s.by, s.extra));
    }
  } catch (e) {
    if (e instanceof GraphHttpError && e.code === 'nameAlreadyExists') {
      // The session stays until it expires, so the upload can be committed again later.
      throw new GraphHttpError(
        409,
        'nameAlreadyExists',
        'Another file exists with the same name as the uploaded session. You can redirect the upload session to use a new filename by calling PUT with the new metadata and @microsoft.graph.sourceUrl attribute.',
      );
    }
    throw e;
  }
  sessionsOf(store).delete(s.id);
  return ok(
    {
      '@odata.context': contextUrl(req, `drives('${drive.id}')/items/$entity`),
      ...itemJson(ctx.store, drive, item, { downloadUrl: downloadsFor(ctx, req) }),
    },
    created ? 201 : 200,
  );
}

async function putFragment(ctx: ServiceContext, req: EmuRequest, s: UploadSession): Promise<EmuResponse> {
  const { start, end, total } = parseRange(req.headers['content-range']);
  const length = end - start + 1;
  const declaredLength = req.headers['content-length'];
  if (req.body.length !== length || (declaredLength !== undefined && Number(declaredLength) !== length)) {
    throw new DriveError(
      400,
      'invalidRequest',
      'The Content-Length does not match the Content-Range.',
      'fragmentLengthMismatch',
    );
  }
  if (length >= MAX_FRAGMENT)
    throw new DriveError(
      413,
      'invalidRequest',
      'Each fragment must be smaller than 60 MiB.',
      'maxFragmentLengthExceeded',
    );
  const expected = s.total ?? s.declaredSize;
  if (expected !== undefined && total !== expected)
    throw new DriveError(
      400,
      'invalidRequest',
      'The file size in Content-Range does not match the size of the upload session.',
      'invalidRange',
    );
  if (start < s.received)
    throw new DriveError(
      416,
      'invalidRange',
      'The uploaded fragment overlaps with data that has already been received.',
      'fragmentOverlap',
    );
  if (start > s.received)
    throw new DriveError(
      416,
      'invalidRange',
      'Fragments must be uploaded in order; the fragment does not start at the next expected byte.',
      'fragmentOutOfOrder',
    );
  if (end + 1 < total && length % FRAGMENT_UNIT !== 0) {
    throw new DriveError(
      400,
      'invalidRange',
      'The fragment size must be a multiple of 320 KiB (327,680 bytes).',
      'fragmentLengthMismatch',
    );
  }
  if (s.total === undefined) {
    if (total > quotaRemaining(ctx.store, requireDrive(ctx.store, s.driveId))) throw quotaExceeded();
    s.total = total;
  }
  await appendFile(s.temp, req.body);
  s.sha.update(req.body);
  s.qx.update(req.body);
  s.received = end + 1;
  s.expires = Date.now() + IDLE_MS;
  if (s.received < total || s.deferCommit) return ok(status(s), 202);
  return commit(ctx, req, s);
}

/** Serializes requests on one session so fragments never interleave. */
function locked(s: UploadSession, fn: () => Promise<EmuResponse>): Promise<EmuResponse> {
  const run = s.lock.then(fn, fn);
  s.lock = run.catch(() => undefined);
  return run;
}

export function uploadRoutes(ctx: ServiceContext): RouteDef[] {
  const { store } = ctx;
  const create = async (req: EmuRequest, t: Target): Promise<EmuResponse> => {
    const body = req.body.length ? jsonBody(req) : {};
    const item = (body['item'] ?? {}) as Record<string, unknown>;
    const behavior = conflictBehavior(item['@microsoft.graph.conflictBehavior'], 'fail');
    const declared = item['fileSize'];
    if (
      declared !== undefined &&
      (typeof declared !== 'number' || !Number.isInteger(declared) || declared < 0)
    )
      throw invalidRequest('fileSize must be a non-negative integer.', 'invalidParameterFormat');
    if (typeof declared === 'number' && declared > quotaRemaining(store, t.drive)) throw quotaExceeded();
    const where = t.parentAndName();
    let target: UploadSession['target'];
    if ('existing' in where) {
      if (!where.existing.file)
        throw invalidRequest(
          'An upload session for an existing item needs a file; address new files as parent:/name:.',
        );
      checkIfMatch(req, where.existing);
      target = { itemId: where.existing.id };
    } else {
      if (typeof item['name'] === 'string' && item['name'] !== where.name)
        throw invalidRequest(
          'The name in the request body must match the name in the path.',
          'invalidParameterFormat',
        );
      target = {
        parentId: where.parent.id,
        name: checkNewName(store, t.drive, where.parent, where.name, false),
      };
    }
    const extra: Partial<ItemRecord> = {
      ...fileSystemInfo(item),
      ...(typeof item['description'] === 'string' ? { description: item['description'] } : {}),
    };
    const id = randomBytes(18).toString('base64url');
    const now = Date.now();
    const s: UploadSession = {
      id,
      token: randomBytes(24).toString('base64url'),
      driveId: t.drive.id,
      target,
      behavior,
      deferCommit: body['deferCommit'] === true,
      by: actorOf(store, req),
      extra,
      ...(typeof declared === 'number' ? { declaredSize: declared } : {}),
      received: 0,
      temp: store.blobs.tempPath(`upload-${id}`),
      sha: createHash('sha256'),
      qx: new QuickXorHash(),
      expires: now + IDLE_MS,
      urlExpires: now + URL_LIFETIME_MS,
      lock: Promise.resolve(),
    };
    await writeFs(s.temp, Buffer.alloc(0));
    sessionsOf(store).set(id, s);
    const uploadUrl = `${req.origin}/_api/v2.0/drives/${encodeURIComponent(t.drive.id)}/uploadSession/${id}?tempauth=${s.token}`;
    return ok({
      '@odata.context': contextUrl(req, 'microsoft.graph.uploadSession'),
      uploadUrl,
      expirationDateTime: isoMillis(s.expires),
      nextExpectedRanges: ['0-'],
    });
  };
  return itemRoutes(store, {
    method: 'POST',
    suffix: '/createUploadSession',
    permissions: WRITE_PERMS,
    cost: 2,
    handler: create,
  });
}

/** The uploadUrl itself: no bearer token (pre-authenticated by `tempauth`). */
export function uploadUrlRoutes(ctx: ServiceContext): RouteDef[] {
  const { store } = ctx;
  const path = '/_api/v2.0/drives/{drive}/uploadSession/{session}';
  const r = (
    method: string,
    handler: (req: EmuRequest, s: UploadSession) => Promise<EmuResponse> | EmuResponse,
  ): RouteDef => ({
    method,
    path,
    permissions: null,
    scope: () => ({ kind: 'sharepoint', cost: 0 }),
    handler: wrap((req) => {
      const s = sessionFor(store, req);
      return locked(s, async () => handler(req, s));
    }),
  });
  return [
    r('PUT', (req, s) => putFragment(ctx, req, s)),
    r('GET', (_req, s) => ok(status(s))),
    r('DELETE', (_req, s) => {
      drop(store, s);
      return noContent();
    }),
    // Explicit commit (deferCommit, or after a failed commit): POST with an empty body.
    r('POST', (req, s) => {
      if (s.total === undefined || s.received < s.total)
        throw new DriveError(
          400,
          'invalidRequest',
          'The upload session is missing data.',
          'uploadSessionIncomplete',
        );
      return commit(ctx, req, s);
    }),
  ];
}
