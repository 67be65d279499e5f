import {
  badRequest,
  contextUrl,
  GraphHttpError,
  jsonBody,
  noContent,
  ok,
  select,
  topOf,
} from '../../core/odata.js';
import type { ServiceContext } from '../../core/service.js';
import type { EmuRequest, EmuResponse, RouteDef } from '../../core/types.js';
import type { SiteRecord } from '../../tenant/records.js';
import { requireSite } from '../directory-records.js';
import {
  deleteLibraryListItem,
  DRIVE_READ_PERMISSIONS,
  DRIVE_WRITE_PERMISSIONS,
  driveItemRoutes,
  drivePrefixRoutes,
  libraryDrive,
  libraryHashesReady,
  libraryListItem,
  libraryListItemDelta,
  libraryListItems,
  libraryOfDrive,
  listItemOfDriveItem,
  updateLibraryListItem,
  type LibraryListItem,
} from '../drives/api.js';
import { pageByKey } from '../teams/paging.js';
import { listJson } from './json.js';
import { libraryDriveId } from './library.js';
import {
  contentTypeOf,
  libraryFieldsJson,
  libraryItemJson,
  parseLibraryExpand,
  parseLibraryFields,
  removedLibraryItemJson,
  type LibraryExpand,
} from './library-items.js';
import { requireList, type ListRecord } from './model.js';
import { itemFilter, keepingExpandedFields, listsDeltaExpired, refuseOrderBy, selected } from './query.js';

/**
 * A document library's items through the list API (`/sites/{s}/lists/{library}/items…`), the
 * list item of a driveItem (`/drives/{d}/items/{id}/listItem`), and the drive ⇄ list links.
 * The items themselves are the drive's (drives/api.ts).
 */

const driveOf = (l: ListRecord) => libraryDriveId(l) as string;
const itemsContext = (site: SiteRecord, l: ListRecord) => `sites('${site.id}')/lists('${l.id}')/items`;

export function libraryItemHandlers(ctx: ServiceContext) {
  const { store } = ctx;
  const json = (
    req: EmuRequest,
    site: SiteRecord,
    l: ListRecord,
    li: LibraryListItem,
    expand: LibraryExpand,
    fieldsContext?: string,
  ) => libraryItemJson(ctx, req, site, l, driveOf(l), li, expand, fieldsContext);
  const expandOf = async (req: EmuRequest, l: ListRecord) => {
    const expand = parseLibraryExpand(req);
    if (expand.driveItem) await libraryHashesReady(store, driveOf(l));
    return expand;
  };

  return {
    async items(req: EmuRequest, site: SiteRecord, l: ListRecord): Promise<EmuResponse> {
      refuseOrderBy(req);
      const expand = await expandOf(req, l);
      const test = itemFilter(req, l);
      const items = libraryListItems(store, driveOf(l)).filter(
        (li) =>
          !test ||
          test({
            id: li.id,
            createdDateTime: li.createdDateTime,
            lastModifiedDateTime: li.lastModifiedDateTime,
            contentType: contentTypeOf(l, li.contentType),
            fields: libraryFieldsJson(store, li),
          }),
      );
      return pageByKey(req, itemsContext(site, l), items, (li) => json(req, site, l, li, expand), {
        key: (li) => Number(li.id),
        descending: false,
        top: topOf(req, 200, 5000),
      });
    },

    async item(req: EmuRequest, site: SiteRecord, l: ListRecord, id: string): Promise<EmuResponse> {
      const expand = await expandOf(req, l);
      return ok({
        '@odata.context': contextUrl(req, `${itemsContext(site, l)}/$entity`),
        ...json(req, site, l, libraryListItem(store, driveOf(l), id), expand),
      });
    },

    fields(req: EmuRequest, site: SiteRecord, l: ListRecord, id: string): EmuResponse {
      const only = selected(req);
      return ok({
        '@odata.context': contextUrl(req, `${itemsContext(site, l)}('${id}')/fields/$entity`),
        ...libraryFieldsJson(store, libraryListItem(store, driveOf(l), id), only.length ? only : undefined),
      });
    },

    async delta(req: EmuRequest, site: SiteRecord, l: ListRecord): Promise<EmuResponse> {
      const expand = await expandOf(req, l);
      const expanded = keepingExpandedFields((li: LibraryListItem) => json(req, site, l, li, expand));
      const out = libraryListItemDelta(store, req, driveOf(l), {
        project: expanded.project,
        removed: (gone) => removedLibraryItemJson(site, l, gone),
        defaultTop: 200,
        maxTop: 5000,
      });
      return out.expired ? listsDeltaExpired(req) : expanded.restore(out.response);
    },

    patchFields(req: EmuRequest, site: SiteRecord, l: ListRecord, id: string): EmuResponse {
      const change = parseLibraryFields(jsonBody(req));
      const li = updateLibraryListItem(ctx, req, driveOf(l), id, change, req.headers['if-match']);
      return ok({
        '@odata.context': contextUrl(req, `${itemsContext(site, l)}('${li.id}')/fields/$entity`),
        ...libraryFieldsJson(store, li),
      });
    },

    remove(req: EmuRequest, l: ListRecord, id: string): EmuResponse {
      deleteLibraryListItem(store, driveOf(l), id, req.headers['if-match']);
      return noContent();
    },

    /** SharePoint refuses list-API creation in a library: files and folders come through the drive. */
    create(): never {
      throw badRequest(
        'Files and folders should only be added to a DocumentLibrary via the OneDrive API',
        'invalidRequest',
      );
    },
  };
}

/** The site and library list of a drive. */
function libraryListOf(ctx: ServiceContext, driveId: string): { site: SiteRecord; list: ListRecord } {
  const lib = libraryOfDrive(ctx.store, driveId);
  const site = requireSite(ctx.store, lib.siteId);
  return { site, list: requireList(ctx.store, site, lib.listId) };
}

export function libraryRoutes(ctx: ServiceContext): RouteDef[] {
  const { store } = ctx;
  const spo = (cost: number) => () => ({ kind: 'sharepoint' as const, cost });

  const listItemOf = (driveId: string, driveItemId: string) => {
    const { site, list } = libraryListOf(ctx, driveId);
    const li = listItemOfDriveItem(store, driveId, driveItemId);
    const base = `drives('${driveId}')/items('${driveItemId}')/listItem`;
    return { site, list, li, base };
  };

  return [
    ...driveItemRoutes(store, {
      method: 'GET',
      suffix: '/listItem',
      permissions: DRIVE_READ_PERMISSIONS,
      cost: 1,
      handler: async (req, at) => {
        const { site, list, li, base } = listItemOf(at.driveId, at.driveItemId());
        const expand = parseLibraryExpand(req);
        if (expand.driveItem) await libraryHashesReady(store, at.driveId);
        return ok({
          '@odata.context': contextUrl(req, `${base}/$entity`),
          ...libraryItemJson(ctx, req, site, list, at.driveId, li, expand, `${base}/fields/$entity`),
        });
      },
    }),
    ...driveItemRoutes(store, {
      method: 'GET',
      suffix: '/listItem/fields',
      permissions: DRIVE_READ_PERMISSIONS,
      cost: 1,
      handler: (req, at) => {
        const { li, base } = listItemOf(at.driveId, at.driveItemId());
        const only = selected(req);
        return ok({
          '@odata.context': contextUrl(req, `${base}/fields/$entity`),
          ...libraryFieldsJson(store, li, only.length ? only : undefined),
        });
      },
    }),
    ...driveItemRoutes(store, {
      method: 'PATCH',
      suffix: '/listItem/fields',
      permissions: DRIVE_WRITE_PERMISSIONS,
      cost: 2,
      handler: (req, at) => {
        const { li, base } = listItemOf(at.driveId, at.driveItemId());
        const change = parseLibraryFields(jsonBody(req));
        const updated = updateLibraryListItem(ctx, req, at.driveId, li.id, change, req.headers['if-match']);
        return ok({
          '@odata.context': contextUrl(req, `${base}/fields/$entity`),
          ...libraryFieldsJson(store, updated),
        });
      },
    }),
    ...drivePrefixRoutes(store, {
      method: 'GET',
      suffix: '/list',
      permissions: DRIVE_READ_PERMISSIONS,
      cost: 1,
      handler: (req, driveId) => {
        const { site, list } = libraryListOf(ctx, driveId);
        return ok({
          '@odata.context': contextUrl(req, `drives('${driveId}')/list/$entity`),
          ...select(req, listJson(site, list, false)),
        });
      },
    }),
    {
      method: 'GET',
      path: '/sites/{site}/lists/{list}/drive',
      permissions: DRIVE_READ_PERMISSIONS,
      scope: spo(1),
      handler: (req) => {
        const site = requireSite(store, req.params['site'] as string);
        const list = requireList(store, site, req.params['list'] as string);
        const driveId = libraryDriveId(list);
        if (!driveId) throw new GraphHttpError(404, 'itemNotFound', 'The list is not a document library.');
        return ok({
          '@odata.context': contextUrl(req, `sites('${site.id}')/lists('${list.id}')/drive/$entity`),
          ...select(req, libraryDrive(store, driveId)),
        });
      },
    },
  ];
}
