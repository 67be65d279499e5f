import { deltaPage, pageArray, SEQ_CURSOR } from '../../core/listing.js';
import {
  collectionPage,
  contextUrl,
  decodeCursor,
  GraphHttpError,
  ok,
  select,
  topOf,
} from '../../core/odata.js';
import type { ServiceContext } from '../../core/service.js';
import type { EmuRequest, EmuResponse, RouteDef } from '../../core/types.js';
import { requireGroup, requireSite } from '../directory-records.js';
import { expands, itemRoutes, spo, userDrive, type Target } from './address.js';
import { ensureHash, resolveFile } from './content.js';
import {
  allVersions,
  deletedJson,
  downloadsFor,
  downloadUrlFor,
  driveJson,
  eTagOf,
  cTagOf,
  itemJson,
  versionJson,
  type ItemJsonOptions,
} from './json.js';
import {
  headerTags,
  invalidRequest,
  itemNotFound,
  itemsOf,
  READ_PERMS,
  requireDrive,
  wrap,
  type DriveInfo,
  type ItemRecord,
} from './model.js';
import { childIds, childrenAfter } from './tree.js';
import { sharepointStartOver } from '../shared/resync.js';

/** Read routes: drives, items, children, delta, downloads and versions. */

const CHILDREN_PAGE = { defaultTop: 200, maxTop: 999 };
const DELTA_PAGE = { defaultTop: 200, maxTop: 999 };

/** Computes hashes that are not known yet (the big generated file) before items are projected. */
async function hashesReady(ctx: ServiceContext, items: Iterable<ItemRecord>): Promise<void> {
  for (const item of items) if (item.file && !item.file.hash) await ensureHash(ctx.store, item.file);
}

/**
 * Runs a paging function with placeholder projections, makes the hashes of that page's items
 * known (only theirs: a drive's other items are not walked), then projects them.
 */
async function pageWithHashes(
  ctx: ServiceContext,
  req: EmuRequest,
  page: (mark: (item: ItemRecord) => object) => EmuResponse,
  project: (item: ItemRecord) => object,
): Promise<EmuResponse> {
  const picked: ItemRecord[] = [];
  const res = page((item) => ({ '@i': picked.push(item) - 1 }));
  await hashesReady(ctx, picked);
  const body = res.json as { value?: Record<string, unknown>[] } | undefined;
  if (body && Array.isArray(body.value))
    body.value = body.value.map((v) =>
      typeof v['@i'] === 'number'
        ? (select(req, project(picked[v['@i']] as ItemRecord)) as Record<string, unknown>)
        : v,
    );
  return res;
}

const wantsDownloadUrl = (req: EmuRequest) => {
  const sel = req.query.get('$select') ?? req.query.get('select');
  return !sel || sel.split(',').some((s) => s.trim() === '@microsoft.graph.downloadUrl');
};

/** Projection options a request asks for ($select of the download URL, $expand=permissions). */
const jsonOpts = (ctx: ServiceContext, req: EmuRequest, delta = false): ItemJsonOptions => ({
  delta,
  permissions: expands(req).has('permissions'),
  ...(wantsDownloadUrl(req) ? { downloadUrl: downloadsFor(ctx, req) } : {}),
});

export function projectItem(
  ctx: ServiceContext,
  req: EmuRequest,
  drive: DriveInfo,
  item: ItemRecord,
): object {
  return select(req, itemJson(ctx.store, drive, item, jsonOpts(ctx, req)));
}

const itemContext = (drive: DriveInfo) => `drives('${drive.id}')/items/$entity`;

async function getItemResponse(ctx: ServiceContext, req: EmuRequest, t: Target): Promise<EmuResponse> {
  const ex = expands(req, ['permissions', 'children']);
  const item = t.item();
  const kids = ex.has('children')
    ? childIds(ctx.store, t.drive.id, item.id)
        .slice(0, CHILDREN_PAGE.defaultTop)
        .map((id) => itemsOf(ctx.store, t.drive.id).get(id) as ItemRecord)
    : [];
  await hashesReady(ctx, [item, ...kids]);
  const body: Record<string, unknown> = {
    '@odata.context': contextUrl(req, itemContext(t.drive)),
    ...projectItem(ctx, req, t.drive, item),
  };
  if (ex.has('children'))
    body['children'] = kids.map((k) =>
      itemJson(ctx.store, t.drive, k, { downloadUrl: downloadsFor(ctx, req) }),
    );
  return ok(body);
}

const ORDERABLE: Record<string, (i: ItemRecord) => string | number> = {
  name: (i) => i.name.toLowerCase(),
  lastModifiedDateTime: (i) => i.modified,
  createdDateTime: (i) => i.created,
  size: (i) => i.file?.size ?? 0,
};

async function childrenResponse(ctx: ServiceContext, req: EmuRequest, t: Target): Promise<EmuResponse> {
  expands(req, ['permissions']);
  if (req.query.has('$filter'))
    throw invalidRequest('$filter is not supported when listing children.', 'invalidQueryOption');
  const folder = t.item();
  if (folder.kind === 'file')
    return ok({
      '@odata.context': contextUrl(req, `drives('${t.drive.id}')/items('${folder.id}')/children`),
      value: [],
    });
  const coll = itemsOf(ctx.store, t.drive.id);
  const context = `drives('${t.drive.id}')/items('${folder.id}')/children`;
  const project = (i: ItemRecord) => itemJson(ctx.store, t.drive, i, jsonOpts(ctx, req));
  const orderBy = req.query.get('$orderby');
  if (orderBy) {
    const [field = '', dir = 'asc'] = orderBy.trim().split(/\s+/);
    const key = ORDERABLE[field];
    if (!key || !['asc', 'desc'].includes(dir))
      throw invalidRequest(`Unsupported $orderby '${orderBy}'.`, 'invalidQueryOption');
    const sign = dir === 'desc' ? -1 : 1;
    const kids = childIds(ctx.store, t.drive.id, folder.id).map((id) => coll.get(id) as ItemRecord);
    kids.sort((a, b) => (key(a) < key(b) ? -sign : key(a) > key(b) ? sign : a.id < b.id ? -1 : 1));
    return pageWithHashes(ctx, req, (mark) => pageArray(req, context, kids, mark, CHILDREN_PAGE), project);
  }
  // Seq order with a seq cursor (pageCollection's), read from the tree index: children added
  // while a client pages still arrive, none twice unless it changed, and a page costs the
  // folder's children only, not a walk of the drive's change log.
  const top = topOf(req, CHILDREN_PAGE.defaultTop, CHILDREN_PAGE.maxTop);
  const skipToken = req.query.get('$skiptoken');
  const after = skipToken ? decodeCursor(skipToken, SEQ_CURSOR).s : 0;
  const kids = childrenAfter(ctx.store, t.drive.id, folder.id, after);
  const page = kids.slice(0, top);
  const items = page.map((k) => coll.get(k.id) as ItemRecord);
  await hashesReady(ctx, items);
  const next = kids.length > top ? { s: (page[page.length - 1] as { seq: number }).seq } : undefined;
  return collectionPage(
    req,
    context,
    items.map((i) => select(req, project(i))),
    next,
  );
}

/** 410 Gone as OneDrive answers an expired delta token: Location restarts the enumeration. */
export const deltaGone = sharepointStartOver;

async function deltaResponse(ctx: ServiceContext, req: EmuRequest, t: Target): Promise<EmuResponse> {
  expands(req, ['permissions']);
  const coll = itemsOf(ctx.store, t.drive.id);
  return pageWithHashes(
    ctx,
    req,
    (mark) => {
      const out = deltaPage<ItemRecord>(req, {
        collection: coll,
        context: `Collection(driveItem)`,
        project: mark,
        removed: (entry) => deletedJson(t.drive, entry),
        style: 'token',
        ...DELTA_PAGE,
        removalsInInitialRound: false,
      });
      return out.expired ? deltaGone(req) : out.response;
    },
    (item) => itemJson(ctx.store, t.drive, item, jsonOpts(ctx, req, true)),
  );
}

function matchesTag(header: string | undefined, item: ItemRecord): boolean {
  if (!header) return false;
  const tags = headerTags(header);
  return tags.includes('*') || tags.includes(eTagOf(item)) || tags.includes(cTagOf(item));
}

function contentRedirect(ctx: ServiceContext, req: EmuRequest, t: Target, version?: string): EmuResponse {
  if (req.query.has('format'))
    throw new GraphHttpError(406, 'notSupported', 'Format conversion is not supported.');
  const item = t.item();
  if (!item.file) throw itemNotFound();
  if (!version && matchesTag(req.headers['if-none-match'], item)) return { status: 304 };
  const found = version ? allVersions(item).find((v) => `${v.n}.0` === version)?.file : item.file;
  if (!found) throw itemNotFound();
  const file = resolveFile(ctx.store, found);
  return { status: 302, headers: { location: downloadUrlFor(ctx, req, item, file) } };
}

function versionsOf(ctx: ServiceContext, t: Target): ReturnType<typeof allVersions> {
  const item = t.item();
  if (!item.file) throw invalidRequest('Versions are only available for files.');
  return allVersions(item).map((v) => ({ ...v, file: resolveFile(ctx.store, v.file) }));
}

export function readRoutes(ctx: ServiceContext): RouteDef[] {
  const { store } = ctx;
  const drive = (
    method: string,
    path: string,
    cost: number,
    handler: (req: EmuRequest) => EmuResponse,
  ): RouteDef => ({ method, path, permissions: READ_PERMS, scope: spo(cost), handler: wrap(handler) });
  const drivesPage = (req: EmuRequest, drives: DriveInfo[]) =>
    pageArray(req, 'drives', drives, (d) => driveJson(store, d), { defaultTop: 200, maxTop: 999 });
  const siteDrives = (siteId: string) =>
    (store.sites.get(siteId)?.driveIds ?? []).map((id) => requireDrive(store, id));
  const one = (req: EmuRequest, d: DriveInfo) =>
    ok({ '@odata.context': contextUrl(req, 'drives/$entity'), ...select(req, driveJson(store, d)) });

  return [
    drive('GET', '/drives/{drive}', 1, (req) => one(req, requireDrive(store, req.params['drive'] as string))),
    drive('GET', '/users/{user}/drive', 1, (req) => one(req, userDrive(store, req.params['user'] as string))),
    drive('GET', '/users/{user}/drives', 2, (req) =>
      drivesPage(req, [userDrive(store, req.params['user'] as string)]),
    ),
    drive('GET', '/sites/{site}/drive', 1, (req) => {
      const d = siteDrives(requireSite(store, req.params['site'] as string).id)[0];
      if (!d) throw itemNotFound();
      return one(req, d);
    }),
    drive('GET', '/sites/{site}/drives', 2, (req) =>
      drivesPage(req, siteDrives(requireSite(store, req.params['site'] as string).id)),
    ),
    drive('GET', '/groups/{group}/drive', 1, (req) => {
      const g = requireGroup(store, req.params['group'] as string);
      const d = g.siteId ? siteDrives(g.siteId)[0] : undefined;
      if (!d) throw itemNotFound();
      return one(req, d);
    }),
    drive('GET', '/groups/{group}/drives', 2, (req) => {
      const g = requireGroup(store, req.params['group'] as string);
      return drivesPage(req, g.siteId ? siteDrives(g.siteId) : []);
    }),
    ...itemRoutes(store, {
      method: 'GET',
      suffix: '',
      permissions: READ_PERMS,
      cost: 1,
      handler: (req, t) => getItemResponse(ctx, req, t),
    }),
    ...itemRoutes(store, {
      method: 'GET',
      suffix: '/children',
      permissions: READ_PERMS,
      cost: 2,
      handler: (req, t) => childrenResponse(ctx, req, t),
    }),
    ...itemRoutes(store, {
      method: 'GET',
      suffix: '/delta',
      forms: ['root'],
      permissions: READ_PERMS,
      cost: (req) => (req.query.get('token') ? 1 : 2),
      handler: (req, t) => deltaResponse(ctx, req, t),
      deltaExpired: deltaGone,
    }),
    ...itemRoutes(store, {
      method: 'GET',
      suffix: '/content',
      permissions: READ_PERMS,
      cost: 1,
      handler: (req, t) => contentRedirect(ctx, req, t),
    }),
    ...itemRoutes(store, {
      method: 'GET',
      suffix: '/versions',
      permissions: READ_PERMS,
      cost: 2,
      handler: (req, t) =>
        pageArray(
          req,
          `drives('${t.drive.id}')/items('${t.item().id}')/versions`,
          versionsOf(ctx, t),
          (v) => versionJson({ ...v, size: v.file.size }),
          { defaultTop: 200, maxTop: 999 },
        ),
    }),
    ...itemRoutes(store, {
      method: 'GET',
      suffix: '/versions/{version}',
      permissions: READ_PERMS,
      cost: 1,
      handler: (req, t) => {
        const v = versionsOf(ctx, t).find((x) => `${x.n}.0` === req.params['version']);
        if (!v) throw itemNotFound();
        return ok({
          '@odata.context': contextUrl(req, 'driveItemVersion/$entity'),
          ...select(req, versionJson({ ...v, size: v.file.size })),
        });
      },
    }),
    ...itemRoutes(store, {
      method: 'GET',
      suffix: '/versions/{version}/content',
      permissions: READ_PERMS,
      cost: 1,
      handler: (req, t) => contentRedirect(ctx, req, t, req.params['version']),
    }),
  ];
}
