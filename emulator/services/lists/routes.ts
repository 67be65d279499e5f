import { compileFilter } from '../../core/filter.js';
import { deltaPage, OFFSET_CURSOR } from '../../core/listing.js';
import {
  GraphHttpError,
  badRequest,
  collectionPage,
  contextUrl,
  decodeCursor,
  jsonBody,
  noContent,
  ok,
  select,
  topOf,
} from '../../core/odata.js';
import type { ServiceContext } from '../../core/service.js';
import type { Caller, EmuRequest, RouteDef, ThrottleScope } from '../../core/types.js';
import type { SiteRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { requireSite } from '../directory-records.js';
import { pageByKey } from '../teams/paging.js';
import {
  allColumns,
  columnJson,
  contentTypeJson,
  fieldsJson,
  itemETag,
  itemJson,
  listJson,
  parseExpand,
} from './json.js';
import { isLibrary } from './library.js';
import { libraryItemHandlers, libraryRoutes } from './library-routes.js';
import {
  itemsOf,
  requireItem,
  requireList,
  siteLists,
  type ListItemRecord,
  type ListRecord,
} from './model.js';
import {
  itemFilter,
  keepingExpandedFields,
  listsDeltaExpired,
  refuseOrderBy,
  selected,
  type FilterView,
} from './query.js';
import { addItem, createList, deleteItem, parseFields, updateItem } from './writes.js';

const READ = ['Sites.Read.All', 'Sites.ReadWrite.All', 'Sites.Manage.All', 'Sites.FullControl.All'];
const WRITE = ['Sites.ReadWrite.All', 'Sites.Manage.All', 'Sites.FullControl.All'];
const MANAGE = ['Sites.Manage.All', 'Sites.FullControl.All'];
/** SharePoint resource units: 1 single item or delta with a token, 2 collections, delta without token and writes. */
const spo = (cost: number) => (): ThrottleScope => ({ kind: 'sharepoint', cost });
const deltaCost = (req: EmuRequest): ThrottleScope => ({
  kind: 'sharepoint',
  cost: req.query.get('token') ? 1 : 2,
});
const who = (req: EmuRequest): string | null => {
  const c = req.caller as Caller;
  return c.kind === 'user' ? (c.userId ?? null) : `app:${c.appId}`;
};

function expandsColumns(req: EmuRequest): boolean {
  const raw = req.query.get('$expand') ?? req.query.get('expand');
  if (!raw) return false;
  if (raw.trim() !== 'columns')
    throw badRequest(
      `Expanding '${raw}' on a list is not supported by the emulator; only 'columns' is.`,
      'invalidRequest',
    );
  return true;
}

/** A list as Graph returns it: `$select` applies, expanded columns always stay. */
function projectList(
  req: EmuRequest,
  site: SiteRecord,
  l: ListRecord,
  withSystem: boolean,
  withColumns: boolean,
): object {
  const base = select(req, listJson(site, l, withSystem));
  return withColumns ? { ...base, columns: allColumns(l).map(columnJson) } : base;
}

/** What `$filter` sees of a custom list's item. */
const filterView = (store: TenantStore, l: ListRecord, i: ListItemRecord): FilterView => ({
  id: i.id,
  createdDateTime: i.createdDateTime,
  lastModifiedDateTime: i.lastModifiedDateTime,
  contentType: { id: i.contentTypeId, name: i.contentTypeName },
  fields: fieldsJson(store, l, i),
});

export function listRoutes(ctx: ServiceContext): RouteDef[] {
  const { store, random } = ctx;
  const siteOf = (req: EmuRequest) => requireSite(store, req.params['site'] as string);
  const listOf = (req: EmuRequest) => {
    const site = siteOf(req);
    return { site, list: requireList(store, site, req.params['list'] as string) };
  };
  // A document library's items are its drive's: those requests go to the library handlers.
  const lib = libraryItemHandlers(ctx);
  const itemParam = (req: EmuRequest) => req.params['item'] as string;
  const base = '/sites/{site}/lists/{list}';
  const r = (
    method: string,
    path: string,
    permissions: string[],
    cost: number | RouteDef['scope'],
    handler: RouteDef['handler'],
    extra: Partial<RouteDef> = {},
  ): RouteDef => ({
    method,
    path,
    permissions,
    scope: typeof cost === 'number' ? spo(cost) : cost,
    handler,
    ...extra,
  });

  return [
    r('GET', '/sites/{site}/lists', READ, 2, (req) => {
      const site = siteOf(req);
      // Lists with the system facet stay hidden unless $select asks for `system`.
      const withSystem = selected(req).includes('system');
      const withColumns = expandsColumns(req);
      let lists = siteLists(store, site).filter((l) => withSystem || !l.system);
      const f = req.query.get('$filter') ?? req.query.get('filter');
      if (f) {
        const test = compileFilter(f);
        lists = lists.filter((l) => test(listJson(site, l, true)));
      }
      const top = topOf(req, 200, 5000);
      const skip = req.query.get('$skiptoken');
      const offset = skip ? decodeCursor(skip, OFFSET_CURSOR).o : 0;
      const page = lists
        .slice(offset, offset + top)
        .map((l) => projectList(req, site, l, withSystem, withColumns));
      return collectionPage(
        req,
        `sites('${site.id}')/lists`,
        page,
        offset + top < lists.length ? { o: offset + top } : undefined,
      );
    }),
    r('GET', base, READ, 1, (req) => {
      const { site, list } = listOf(req);
      return ok({
        '@odata.context': contextUrl(req, `sites('${site.id}')/lists/$entity`),
        ...projectList(req, site, list, selected(req).includes('system'), expandsColumns(req)),
      });
    }),
    r('GET', `${base}/columns`, READ, 2, (req) => {
      const { site, list } = listOf(req);
      return collectionPage(
        req,
        `sites('${site.id}')/lists('${list.id}')/columns`,
        allColumns(list).map((c) => select(req, columnJson(c))),
        undefined,
      );
    }),
    r('GET', `${base}/columns/{column}`, READ, 1, (req) => {
      const { site, list } = listOf(req);
      const key = (req.params['column'] as string).toLowerCase();
      const c = allColumns(list).find((x) => x.id === key || x.name.toLowerCase() === key);
      if (!c) throw new GraphHttpError(404, 'itemNotFound', 'Column not found');
      return ok({
        '@odata.context': contextUrl(req, `sites('${site.id}')/lists('${list.id}')/columns/$entity`),
        ...select(req, columnJson(c)),
      });
    }),
    r('GET', `${base}/contentTypes`, READ, 2, (req) => {
      const { site, list } = listOf(req);
      return collectionPage(
        req,
        `sites('${site.id}')/lists('${list.id}')/contentTypes`,
        list.contentTypes.map((ct) => select(req, contentTypeJson(ct))),
        undefined,
      );
    }),
    r('GET', `${base}/items`, READ, 2, (req) => {
      const { site, list } = listOf(req);
      if (isLibrary(list)) return lib.items(req, site, list);
      refuseOrderBy(req);
      const fields = parseExpand(req);
      const test = itemFilter(req, list);
      const items = itemsOf(store, list)
        .values()
        .filter((i) => !test || test(filterView(store, list, i)));
      return pageByKey(
        req,
        `sites('${site.id}')/lists('${list.id}')/items`,
        items,
        (i) => select(req, itemJson(store, req, site, list, i, fields), ['fields', 'fields@odata.context']),
        {
          key: (i) => Number(i.id),
          descending: false,
          top: topOf(req, 200, 5000),
        },
      );
    }),
    r(
      'GET',
      `${base}/items/delta`,
      READ,
      deltaCost,
      (req) => {
        const { site, list } = listOf(req);
        if (isLibrary(list)) return lib.delta(req, site, list);
        const fields = parseExpand(req);
        const ct = list.contentTypes[0];
        const expanded = keepingExpandedFields((i: ListItemRecord) =>
          select(req, itemJson(store, req, site, list, i, fields), ['fields', 'fields@odata.context']),
        );
        const out = deltaPage<ListItemRecord>(req, {
          collection: itemsOf(store, list),
          context: 'Collection(listItem)',
          project: expanded.project,
          removed: (e) => ({
            id: e.id,
            parentReference: { siteId: site.id },
            contentType: { id: ct?.id, name: ct?.name },
            deleted: { state: 'deleted' },
          }),
          style: 'token',
          defaultTop: 200,
          maxTop: 5000,
          removalsInInitialRound: false,
        });
        return out.expired ? listsDeltaExpired(req) : expanded.restore(out.response);
      },
      { deltaExpired: listsDeltaExpired },
    ),
    r('GET', `${base}/items/{item}`, READ, 1, (req) => {
      const { site, list } = listOf(req);
      if (isLibrary(list)) return lib.item(req, site, list, itemParam(req));
      const item = requireItem(store, list, req.params['item'] as string);
      return ok({
        '@odata.context': contextUrl(req, `sites('${site.id}')/lists('${list.id}')/items/$entity`),
        ...select(req, itemJson(store, req, site, list, item, parseExpand(req)), [
          'fields',
          'fields@odata.context',
        ]),
      });
    }),
    r('GET', `${base}/items/{item}/fields`, READ, 1, (req) => {
      const { site, list } = listOf(req);
      if (isLibrary(list)) return lib.fields(req, site, list, itemParam(req));
      const item = requireItem(store, list, req.params['item'] as string);
      const only = selected(req);
      return ok({
        '@odata.context': contextUrl(
          req,
          `sites('${site.id}')/lists('${list.id}')/items('${item.id}')/fields/$entity`,
        ),
        ...fieldsJson(store, list, item, only.length ? only : undefined),
      });
    }),
    r('POST', '/sites/{site}/lists', MANAGE, 2, (req) => {
      const site = siteOf(req);
      const list = createList(store, site, jsonBody(req), random);
      return ok(
        {
          '@odata.context': contextUrl(req, `sites('${site.id}')/lists/$entity`),
          ...listJson(site, list, false),
        },
        201,
      );
    }),
    r('POST', `${base}/items`, WRITE, 2, (req) => {
      const { site, list } = listOf(req);
      if (isLibrary(list)) return lib.create();
      const body = jsonBody(req);
      const values = parseFields(store, list, body['fields'] ?? {});
      const item = addItem(store, site, list, values, who(req), random);
      return ok(
        {
          '@odata.context': contextUrl(req, `sites('${site.id}')/lists('${list.id}')/items/$entity`),
          ...itemJson(store, req, site, list, item, {}),
        },
        201,
      );
    }),
    r('PATCH', `${base}/items/{item}/fields`, WRITE, 2, (req) => {
      const { site, list } = listOf(req);
      if (isLibrary(list)) return lib.patchFields(req, site, list, itemParam(req));
      const item = requireItem(store, list, req.params['item'] as string);
      const match = req.headers['if-match'];
      if (match && match !== '*' && match !== itemETag(item))
        throw new GraphHttpError(
          412,
          'resourceModified',
          'The resource has been modified since it was last read (eTag mismatch).',
        );
      const updated = updateItem(store, site, list, item, parseFields(store, list, jsonBody(req)), who(req));
      return ok({
        '@odata.context': contextUrl(
          req,
          `sites('${site.id}')/lists('${list.id}')/items('${item.id}')/fields/$entity`,
        ),
        ...fieldsJson(store, list, updated),
      });
    }),
    r('DELETE', `${base}/items/{item}`, WRITE, 2, (req) => {
      const { list } = listOf(req);
      if (isLibrary(list)) return lib.remove(req, list, itemParam(req));
      const item = requireItem(store, list, req.params['item'] as string);
      const match = req.headers['if-match'];
      if (match && match !== '*' && match !== itemETag(item))
        throw new GraphHttpError(
          412,
          'resourceModified',
          'The resource has been modified since it was last read (eTag mismatch).',
        );
      deleteItem(store, list, item);
      return noContent();
    }),
    ...libraryRoutes(ctx),
  ];
}
