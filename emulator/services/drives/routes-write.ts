import { randomUUID } from 'node:crypto';
import { contextUrl, GraphHttpError, jsonBody, noContent, ok } from '../../core/odata.js';
import type { ServiceContext } from '../../core/service.js';
import type { EmuRequest, EmuResponse, RouteDef } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import { decodeSegments, itemRoutes, type Target } from './address.js';
import { mimeFor, resolveFile } from './content.js';
import { allVersions, downloadsFor, eTagOf, cTagOf, itemJson } from './json.js';
import {
  headerTags,
  invalidRequest,
  itemNotFound,
  requireDrive,
  WRITE_PERMS,
  type DriveInfo,
  type FileState,
  type ItemRecord,
} from './model.js';
import { actorOf, copyTree, createFolder, moveOrRename, replaceContent, writeFile } from './mutate.js';
import { quickXorHash } from './quickxor.js';
import { conflictBehavior, getItem, putItem, removeItem, resolvePath, rootOf } from './tree.js';
import { isoExact } from '../shared/time.js';

/** Write routes: create folder, simple upload, update/move, delete, copy, restore a version. */

/** Simple upload accepts files up to 250 MB (larger ones need an upload session). */
const SIMPLE_UPLOAD_MAX = 250 * 1024 * 1024;

/** `If-Match` on writes: 412 when the item's eTag/cTag moved on. */
export function checkIfMatch(req: EmuRequest, item: ItemRecord): void {
  const header = req.headers['if-match'];
  if (!header) return;
  const tags = headerTags(header);
  if (tags.includes('*') || tags.includes(eTagOf(item)) || tags.includes(cTagOf(item))) return;
  throw new GraphHttpError(412, 'resourceModified', "ETag does not match current item's value");
}

const itemResponse = (
  ctx: ServiceContext,
  req: EmuRequest,
  drive: DriveInfo,
  item: ItemRecord,
  status: number,
): EmuResponse =>
  ok(
    {
      '@odata.context': contextUrl(req, `drives('${drive.id}')/items/$entity`),
      ...itemJson(ctx.store, drive, item, { downloadUrl: downloadsFor(ctx, req) }),
    },
    status,
  );

export function uploadedFile(store: TenantStore, name: string, bytes: Buffer): FileState {
  return {
    mime: mimeFor(name),
    content: { g: 'blob', h: store.blobs.put(bytes) },
    size: bytes.length,
    hash: quickXorHash(bytes),
  };
}

/** Client-set `fileSystemInfo` (restores keep original timestamps), validated. */
export function fileSystemInfo(body: Record<string, unknown>): Partial<ItemRecord> {
  const fsi = body['fileSystemInfo'] as Record<string, unknown> | undefined;
  if (fsi === undefined) return {};
  if (!fsi || typeof fsi !== 'object')
    throw invalidRequest('Invalid fileSystemInfo.', 'invalidParameterFormat');
  const out: Partial<ItemRecord> = {};
  for (const [k, field] of [
    ['createdDateTime', 'fsCreated'],
    ['lastModifiedDateTime', 'fsModified'],
  ] as const) {
    const v = fsi[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v)))
      throw invalidRequest(`Invalid ${k}.`, 'invalidParameterFormat');
    out[field] = isoExact(Date.parse(v));
  }
  return out;
}

/** `parentReference` of PATCH and copy: `{id}`, `{driveId, id}` or `{path: "/drive/root:/a"}`. */
export function parentFrom(
  store: TenantStore,
  drive: DriveInfo,
  ref: unknown,
): { drive: DriveInfo; parent: ItemRecord } | undefined {
  if (ref === undefined || ref === null) return undefined;
  if (typeof ref !== 'object') throw invalidRequest('Invalid parentReference.', 'invalidParameterFormat');
  const r = ref as Record<string, unknown>;
  const target = typeof r['driveId'] === 'string' ? requireDrive(store, r['driveId']) : drive;
  if (typeof r['id'] === 'string') return { drive: target, parent: getItem(store, target.id, r['id']) };
  if (typeof r['path'] === 'string') {
    const m = /^\/drives?(?:\/[^/]+)?\/root:?(.*)$/.exec(r['path']);
    if (!m) throw invalidRequest('Invalid parentReference path.', 'invalidPath');
    const segs = decodeSegments(m[1] ?? '');
    return { drive: target, parent: resolvePath(store, target.id, rootOf(store, target.id), segs) };
  }
  return undefined;
}

const PATCHABLE = new Set([
  'name',
  'parentReference',
  'description',
  'fileSystemInfo',
  'id',
  'file',
  'folder',
  '@microsoft.graph.conflictBehavior',
]);

interface CopyJob {
  status: 'completed';
  resourceId: string;
  expires: number;
}
const copyJobs = new WeakMap<TenantStore, Map<string, CopyJob>>();

export function writeRoutes(ctx: ServiceContext): RouteDef[] {
  const { store } = ctx;

  const putContent = (req: EmuRequest, t: Target): EmuResponse => {
    if (req.body.length > SIMPLE_UPLOAD_MAX)
      throw new GraphHttpError(
        413,
        'maxFileSizeExceeded',
        'The file exceeds the maximum size for a simple upload. Use an upload session.',
      );
    const by = actorOf(store, req);
    const where = t.parentAndName();
    if ('existing' in where) {
      const item = where.existing;
      if (!item.file) throw invalidRequest('Content can only be uploaded to a file.');
      checkIfMatch(req, item);
      return itemResponse(
        ctx,
        req,
        t.drive,
        replaceContent(store, t.drive, item, uploadedFile(store, item.name, req.body), by),
        200,
      );
    }
    const behavior = conflictBehavior(req.query.get('@microsoft.graph.conflictBehavior'), 'replace');
    const { item, created } = writeFile(
      ctx,
      t.drive,
      where.parent,
      where.name,
      uploadedFile(store, where.name, req.body),
      behavior,
      by,
    );
    return itemResponse(ctx, req, t.drive, item, created ? 201 : 200);
  };

  const createChild = (req: EmuRequest, t: Target): EmuResponse => {
    const body = jsonBody(req);
    const parent = t.item();
    if (body['@microsoft.graph.sourceUrl'] !== undefined)
      throw new GraphHttpError(
        400,
        'notSupported',
        'Uploading from a URL is only supported for OneDrive personal.',
      );
    if (!body['folder'] || typeof body['folder'] !== 'object')
      throw invalidRequest('Only folders can be created this way; upload files with PUT .../content.');
    const behavior = conflictBehavior(body['@microsoft.graph.conflictBehavior'], 'fail');
    const extra = {
      ...fileSystemInfo(body),
      ...(typeof body['description'] === 'string' ? { description: body['description'] } : {}),
    };
    return itemResponse(
      ctx,
      req,
      t.drive,
      createFolder(ctx, t.drive, parent, body['name'], behavior, actorOf(store, req), extra),
      201,
    );
  };

  const patch = (req: EmuRequest, t: Target): EmuResponse => {
    const body = jsonBody(req);
    const item = t.item();
    checkIfMatch(req, item);
    for (const k of Object.keys(body)) {
      if (!PATCHABLE.has(k) && !k.startsWith('@odata'))
        throw invalidRequest(`Property '${k}' cannot be updated.`, 'propertyNotUpdateable');
    }
    if (body['id'] !== undefined && body['id'] !== item.id)
      throw invalidRequest('The id in the body does not match the item.', 'invalidParameterFormat');
    const dest = parentFrom(store, t.drive, body['parentReference']);
    if (dest && dest.drive.id !== t.drive.id)
      throw invalidRequest('Items cannot be moved between drives using this request.');
    const behavior = conflictBehavior(
      req.query.get('@microsoft.graph.conflictBehavior') ?? body['@microsoft.graph.conflictBehavior'],
      'fail',
    );
    let updated = item;
    const moving = dest && dest.parent.id !== item.parentId;
    if (moving || (body['name'] !== undefined && body['name'] !== item.name)) {
      updated = moveOrRename(ctx, t.drive, item, dest?.parent, body['name'], behavior, actorOf(store, req));
    }
    const extra = fileSystemInfo(body);
    if (typeof body['description'] === 'string') extra.description = body['description'];
    if (Object.keys(extra).length) {
      updated = { ...updated, ...extra, rev: updated.rev + (updated === item ? 1 : 0) };
      putItem(store, t.drive.id, updated);
    }
    return itemResponse(ctx, req, t.drive, updated, 200);
  };

  const remove = (req: EmuRequest, t: Target): EmuResponse => {
    const item = t.item();
    if (item.parentId === null)
      throw new GraphHttpError(403, 'accessDenied', 'The root folder cannot be deleted.');
    checkIfMatch(req, item);
    removeItem(store, t.drive.id, item);
    return noContent();
  };

  const copy = (req: EmuRequest, t: Target): EmuResponse => {
    const body = req.body.length ? jsonBody(req) : {};
    const item = t.item();
    const dest = parentFrom(store, t.drive, body['parentReference']) ?? {
      drive: t.drive,
      parent: getItem(store, t.drive.id, item.parentId ?? item.id),
    };
    const behavior = conflictBehavior(req.query.get('@microsoft.graph.conflictBehavior'), 'fail');
    const top = copyTree(
      ctx,
      t.drive,
      item,
      dest.drive,
      dest.parent,
      body['name'],
      behavior,
      actorOf(store, req),
    );
    let jobs = copyJobs.get(store);
    if (!jobs) copyJobs.set(store, (jobs = new Map<string, CopyJob>()));
    const jobId = randomUUID();
    jobs.set(jobId, { status: 'completed', resourceId: top.id, expires: Date.now() + 24 * 3600_000 });
    return { status: 202, headers: { location: `${req.origin}/_api/v2.0/monitor/${jobId}` } };
  };

  const restoreVersion = (req: EmuRequest, t: Target): EmuResponse => {
    const item = t.item();
    const v = allVersions(item).find((x) => `${x.n}.0` === req.params['version']);
    if (!v) throw itemNotFound();
    replaceContent(store, t.drive, item, resolveFile(store, v.file), actorOf(store, req));
    return noContent();
  };

  return [
    ...itemRoutes(store, {
      method: 'PUT',
      suffix: '/content',
      permissions: WRITE_PERMS,
      cost: 2,
      handler: putContent,
    }),
    ...itemRoutes(store, {
      method: 'POST',
      suffix: '/children',
      permissions: WRITE_PERMS,
      cost: 2,
      handler: createChild,
    }),
    ...itemRoutes(store, { method: 'PATCH', suffix: '', permissions: WRITE_PERMS, cost: 2, handler: patch }),
    ...itemRoutes(store, {
      method: 'DELETE',
      suffix: '',
      permissions: WRITE_PERMS,
      cost: 2,
      handler: remove,
    }),
    ...itemRoutes(store, {
      method: 'POST',
      suffix: '/copy',
      permissions: WRITE_PERMS,
      cost: 2,
      handler: copy,
    }),
    ...itemRoutes(store, {
      method: 'POST',
      suffix: '/versions/{version}/restoreVersion',
      permissions: WRITE_PERMS,
      cost: 2,
      handler: restoreVersion,
    }),
  ];
}

/** The copy monitor URL: pre-authenticated, reports the finished copy as Graph's docs show. */
export function monitorRoute(ctx: ServiceContext): RouteDef {
  return {
    method: 'GET',
    path: '/_api/v2.0/monitor/{job}',
    permissions: null,
    scope: () => ({ kind: 'sharepoint', cost: 0 }),
    handler: (req) => {
      const job = copyJobs.get(ctx.store)?.get(req.params['job'] as string);
      if (!job || job.expires < Date.now()) throw itemNotFound();
      return ok(
        { operation: 'ItemCopy', percentageComplete: 100.0, resourceId: job.resourceId, status: job.status },
        202,
      );
    },
  };
}
