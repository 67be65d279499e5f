import { randomUUID } from 'node:crypto';
import { GraphHttpError } from '../../core/odata.js';
import type { ServiceContext } from '../../core/service.js';
import type { EmuRequest, EmuResponse, RouteDef } from '../../core/types.js';
import type { SiteRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { libraryListItem } from '../drives/api.js';
import { attachmentBody } from './attachment-content.js';
import {
  addAttachment,
  attachmentUrl,
  attachmentsDisabled,
  attachmentsEnabled,
  deleteAttachment,
  fileNotFound,
  findAttachment,
  replaceAttachment,
} from './attachments.js';
import { isLibrary, libraryDriveId } from './library.js';
import { itemsOf, siteLists, type AttachmentRecord, type ListItemRecord, type ListRecord } from './model.js';
import {
  authErrorResponse,
  changedBy,
  requireAccess,
  sharePointCaller,
  SharePointAuthError,
} from './sp-auth.js';
import {
  SharePointError,
  collectionResponse,
  emptyResponse,
  entityResponse,
  errorResponse,
  formatOf,
  selectProperties,
  type SpEntity,
} from './sp-format.js';
import { parseOperation, splitApiPath, type ListRef, type Operation } from './sp-url.js';

/**
 * The slice of SharePoint's REST API (`{site}/_api/…`) that list item attachments need, since
 * Graph has none: list an item's AttachmentFiles, read one, download its bytes (also by
 * server-relative URL), add, replace and delete. Served on the emulator's one origin at each
 * site's server-relative path (`/sites/x/_api/…`, `/personal/u/_api/…`, the root site's `/_api/…`).
 */

const ENTITY_SET = 'SP.ApiData.Attachments';
const ATTACHMENT_PROPERTIES = ['FileName', 'FileNameAsPath', 'ServerRelativePath', 'ServerRelativeUrl'];
/** SharePoint REST has no published resource-unit cost; Microsoft calls it costlier than Graph. */
const SCOPE = () => ({ kind: 'sharepoint' as const, cost: 2 });

const sitePathOf = (site: SiteRecord) => new URL(site.webUrl).pathname.replace(/\/+$/, '');

function siteAt(store: TenantStore, path: string): SiteRecord | undefined {
  const wanted = path.replace(/\/+$/, '').toLowerCase();
  return store.sites.values().find((s) => sitePathOf(s).toLowerCase() === wanted);
}

const notEmulated = (what: string) =>
  new SharePointError(
    501,
    '-1, System.NotImplementedException',
    `The emulator serves the SharePoint REST API for list item attachments only; '${what}' is not emulated.`,
  );

const wrongMethod = (method: string, resource: string) =>
  new SharePointError(
    400,
    '-1, Microsoft.SharePoint.Client.ClientServiceException',
    `The HTTP method '${method}' cannot be used to access the resource '${resource}'. The operation type of the resource is specified as 'Default'. Please use correct HTTP method to invoke the resource.`,
  );

const itemNotFound = () =>
  new SharePointError(
    404,
    '-2147024809, System.ArgumentException',
    'Item does not exist. It may have been deleted by another user.',
  );

/** `POST` with `X-HTTP-Method` (how SharePoint clients send DELETE, PUT and MERGE) counts as that method. */
function methodOf(req: EmuRequest): string {
  const tunnelled = req.headers['x-http-method']?.trim().toUpperCase();
  return req.method === 'POST' && tunnelled ? tunnelled : req.method;
}

function resolveList(store: TenantStore, site: SiteRecord, ref: ListRef): ListRecord {
  const all = siteLists(store, site);
  if (ref.by === 'id') {
    const l = all.find((x) => x.id === ref.id);
    if (l) return l;
    throw new SharePointError(
      404,
      '-2130575322, Microsoft.SharePoint.SPException',
      'List does not exist.\n\nThe page you selected contains a list that does not exist. It may have been deleted by another user.',
    );
  }
  if (ref.by === 'title') {
    const l = all.find((x) => x.displayName.toLowerCase() === ref.title.toLowerCase());
    if (l) return l;
    throw new SharePointError(
      404,
      '-1, System.ArgumentException',
      `List '${ref.title}' does not exist at site with URL '${site.webUrl}'.`,
    );
  }
  const url = ref.url.replace(/\/+$/, '').toLowerCase();
  const l = all.find((x) => `${sitePathOf(site)}/${decodeURI(x.path)}`.toLowerCase() === url);
  if (!l) throw fileNotFound();
  return l;
}

/** The item, or null for an item of a document library (which never has attachments). */
function resolveItem(store: TenantStore, list: ListRecord, id: number): ListItemRecord | null {
  if (isLibrary(list)) {
    try {
      libraryListItem(store, libraryDriveId(list) as string, String(id));
      return null;
    } catch (e) {
      if (e instanceof GraphHttpError) throw itemNotFound();
      throw e;
    }
  }
  const item = itemsOf(store, list).get(String(id));
  if (!item) throw itemNotFound();
  return item;
}

/** OData string literal: quotes doubled. */
const quoted = (s: string) => s.replace(/'/g, "''");

function attachmentEntity(
  req: EmuRequest,
  site: SiteRecord,
  list: ListRecord,
  item: ListItemRecord,
  a: AttachmentRecord,
): SpEntity {
  const itemPath = `Web/Lists(guid'${list.id}')/Items(${item.id})/AttachmentFiles`;
  const url = attachmentUrl(site, list, item.id, a.fileName);
  return {
    type: 'SP.Attachment',
    id: `${req.origin}${sitePathOf(site)}/_api/${itemPath}('${quoted(a.fileName)}')`,
    editLink: `${itemPath}('${encodeURIComponent(quoted(a.fileName))}')`,
    properties: {
      FileName: a.fileName,
      FileNameAsPath: { complexType: 'SP.ResourcePath', fields: { DecodedUrl: a.fileName } },
      ServerRelativePath: { complexType: 'SP.ResourcePath', fields: { DecodedUrl: url } },
      ServerRelativeUrl: url,
    },
  };
}

function download(
  store: TenantStore,
  list: ListRecord,
  item: ListItemRecord,
  a: AttachmentRecord,
): EmuResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/octet-stream', sprequestguid: randomUUID() },
    stream: attachmentBody(store, list, item, a),
  };
}

/** An attachment by its server-relative URL (`GetFileByServerRelativeUrl`/`…Path`). */
function fileAt(store: TenantStore, site: SiteRecord, url: string) {
  const base = sitePathOf(site).toLowerCase();
  if (!url.startsWith('/') || !`${url.toLowerCase()}/`.startsWith(`${base}/`))
    throw new SharePointError(
      400,
      '-2147024809, System.ArgumentException',
      'Server relative urls must start with SPWeb.ServerRelativeUrl',
    );
  const rel = url.slice(base.length + 1);
  const m = /^(.+)\/Attachments\/(\d+)\/([^/]+)$/i.exec(rel);
  const lists = siteLists(store, site);
  const list = m && lists.find((l) => decodeURI(l.path).toLowerCase() === (m[1] as string).toLowerCase());
  if (m && list && attachmentsEnabled(list)) {
    const item = itemsOf(store, list).get(m[2] as string);
    const a = item && findAttachment(item, m[3] as string);
    if (item && a) return { list, item, a };
  }
  // Library files are Graph's (drives); this emulator does not serve them through REST.
  if (
    lists.some(
      (l) => isLibrary(l) && `${rel.toLowerCase()}/`.startsWith(`${decodeURI(l.path).toLowerCase()}/`),
    )
  )
    throw notEmulated(`GetFileByServerRelativeUrl('${url}') of a document library file`);
  throw fileNotFound();
}

function run(
  store: TenantStore,
  req: EmuRequest,
  site: SiteRecord,
  op: Operation,
  method: string,
): EmuResponse {
  const format = formatOf(req);
  const apiBase = `${req.origin}${sitePathOf(site)}/_api/`;
  const who = () => changedBy(req.caller as NonNullable<EmuRequest['caller']>);
  if (op.kind === 'file') {
    if (!op.value) throw notEmulated('SP.File properties');
    const { list, item, a } = fileAt(store, site, op.url);
    if (method === 'GET') return download(store, list, item, a);
    if (method !== 'PUT') throw wrongMethod(method, '$value');
    replaceAttachment(store, site, list, item, a.fileName, req.body, who());
    return { status: 204 };
  }
  const list = resolveList(store, site, op.list);
  const item = resolveItem(store, list, op.item);
  const entities = (items: AttachmentRecord[]) =>
    selectProperties(
      req,
      items.map((a) => attachmentEntity(req, site, list, item as ListItemRecord, a)),
      'SP.Attachment',
      ATTACHMENT_PROPERTIES,
    );
  if (op.kind === 'attachments') {
    if (method !== 'GET') throw wrongMethod(method, 'AttachmentFiles');
    return collectionResponse(
      format,
      apiBase,
      ENTITY_SET,
      `${req.origin}${req.rawPath}`,
      entities(item?.attachments ?? []),
    );
  }
  if (op.kind === 'add') {
    if (method !== 'POST') throw wrongMethod(method, 'Add');
    if (!item) throw attachmentsDisabled();
    const a = addAttachment(store, site, list, item, op.name, req.body, who());
    return entityResponse(format, apiBase, ENTITY_SET, entities([a])[0] as SpEntity);
  }
  const a = item ? findAttachment(item, op.name) : undefined;
  if (!item || !a) throw fileNotFound();
  if (op.value) {
    if (method === 'GET') return download(store, list, item, a);
    if (method !== 'PUT') throw wrongMethod(method, '$value');
    replaceAttachment(store, site, list, item, a.fileName, req.body, who());
    return { status: 204 };
  }
  if (method === 'GET') return entityResponse(format, apiBase, ENTITY_SET, entities([a])[0] as SpEntity);
  if (method !== 'DELETE') throw wrongMethod(method, 'AttachmentFiles');
  deleteAttachment(store, site, list, item, a.fileName, who());
  return emptyResponse();
}

function serve(store: TenantStore, req: EmuRequest): EmuResponse {
  const split = splitApiPath(req.rawPath);
  const site = split && siteAt(store, split.sitePath);
  if (!split || !site)
    return {
      status: 404,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: '<!DOCTYPE html><html><head><title>404 FILE NOT FOUND</title></head><body><h1>404 FILE NOT FOUND</h1></body></html>',
    };
  try {
    const caller = sharePointCaller(store, req);
    const op = parseOperation(split.rest);
    if (!op) throw notEmulated(split.rest);
    const option = [...req.query.keys()].find((k) => k.startsWith('$') && k.toLowerCase() !== '$select');
    if (option) throw notEmulated(`the ${option} query option`);
    const method = methodOf(req);
    requireAccess(store, caller, site, method !== 'GET');
    return run(store, req, site, op, method);
  } catch (e) {
    if (e instanceof SharePointAuthError) return authErrorResponse(store, e);
    if (e instanceof SharePointError) return errorResponse(formatOf(req), e);
    throw e;
  }
}

/** Plain routes (outside the Graph versions) for every site's `_api`, whatever the method. */
export function sharePointRestRoutes(ctx: ServiceContext): RouteDef[] {
  const handler = (req: EmuRequest) => serve(ctx.store, req);
  return ['GET', 'POST', 'PUT', 'PATCH', 'MERGE', 'DELETE'].flatMap((method) =>
    ['/_api/{rest*}', '/{site*}/_api/{rest*}'].map((path): RouteDef => ({
      method,
      path,
      permissions: [],
      scope: SCOPE,
      handler,
    })),
  );
}
