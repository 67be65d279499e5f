import { badRequest, contextUrl, GraphHttpError, select } from '../../core/odata.js';
import type { ServiceContext } from '../../core/service.js';
import type { EmuRequest } from '../../core/types.js';
import type { SiteRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import {
  identitySet,
  libraryDriveItem,
  type LibraryFieldChange,
  type LibraryListItem,
  type RemovedLibraryItem,
} from '../drives/api.js';
import { lookupId } from './json.js';
import type { ListRecord } from './model.js';
import { BUILT_IN_NAMES } from './templates.js';

/**
 * Graph shapes of a document library's items as list items. The items are the drive's (see
 * `drives/api.ts`); this file only says how SharePoint shows them as a list: content type
 * Document or Folder, FileLeafRef and the library's built-in fields, `driveItem` on request.
 */

/** What `$expand` asks of a library item: `fields` (optionally with `$select`) and/or `driveItem`. */
export interface LibraryExpand {
  fields?: { select?: string[] };
  driveItem?: { select?: string[] };
}

/** Splits `a,b(c,d),e` at top-level commas. */
function splitTop(raw: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of raw) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter(Boolean);
}

export function parseLibraryExpand(req: EmuRequest): LibraryExpand {
  const raw = req.query.get('$expand') ?? req.query.get('expand');
  const out: LibraryExpand = {};
  for (const part of splitTop(raw ?? '')) {
    const m = /^(fields|driveItem)\s*(?:\(\s*\$?select\s*=\s*([^)]*)\))?$/i.exec(part);
    if (!m)
      throw badRequest(
        `Parsing OData Select and Expand failed: Could not find a property named '${part.split('(')[0]}' on type 'microsoft.graph.listItem'.`,
        'invalidRequest',
      );
    const sel =
      m[2] !== undefined
        ? {
            select: m[2]
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          }
        : {};
    out[(m[1] as string).toLowerCase() === 'fields' ? 'fields' : 'driveItem'] = sel;
  }
  return out;
}

export const libraryItemETag = (li: LibraryListItem) => `"${li.uniqueId},${li.etagVersion}"`;

const who = (p: LibraryListItem['createdBy']) => (p.app ? `app:${p.id}` : p.id);

/** The fieldValueSet of a library item, as SharePoint fills it for Document and Folder items. */
export function libraryFieldsJson(
  store: TenantStore,
  li: LibraryListItem,
  only?: string[],
): Record<string, unknown> {
  const f: Record<string, unknown> = { '@odata.etag': libraryItemETag(li), FileLeafRef: li.name };
  if (li.title) f['Title'] = li.title;
  const dot = li.name.lastIndexOf('.');
  Object.assign(f, {
    id: li.id,
    ContentType: li.contentType,
    Created: li.createdDateTime,
    AuthorLookupId: lookupId(store, who(li.createdBy)),
    Modified: li.lastModifiedDateTime,
    EditorLookupId: lookupId(store, who(li.modifiedBy)),
    _CheckinComment: '',
    LinkFilenameNoMenu: li.name,
    LinkFilename: li.name,
    ...(li.contentType === 'Document'
      ? {
          DocIcon: dot > 0 ? li.name.slice(dot + 1).toLowerCase() : '',
          FileSizeDisplay: String(li.size ?? 0),
        }
      : {}),
    ItemChildCount: String(li.childFiles),
    FolderChildCount: String(li.childFolders),
    _ComplianceFlags: '',
    _ComplianceTag: '',
    _ComplianceTagWrittenTime: '',
    _ComplianceTagUserId: '',
    _CommentCount: '',
    _LikeCount: '',
    _DisplayName: '',
    Edit: '0',
    _UIVersionString: `${li.uiVersion}.0`,
  });
  if (!only) return f;
  const wanted = new Set(only.map((s) => s.toLowerCase()));
  return Object.fromEntries(
    Object.entries(f).filter(
      ([k]) =>
        k === '@odata.etag' ||
        wanted.has(k.toLowerCase()) ||
        wanted.has(k.replace(/LookupId$/, '').toLowerCase()),
    ),
  );
}

/** A library's Document or Folder content type (list-specific ids). */
export const contentTypeOf = (l: ListRecord, name: 'Document' | 'Folder') => {
  const ct = l.contentTypes.find((c) => c.name === name);
  return { id: ct?.id ?? (name === 'Folder' ? '0x0120' : '0x0101'), name };
};

const wantsSelected = (req: EmuRequest, name: string) =>
  (req.query.get('$select') ?? req.query.get('select') ?? '')
    .split(',')
    .some((s) => s.trim().toLowerCase() === name.toLowerCase());

/** A library item as a listItem; `$select` applies, expanded relationships always stay. */
export function libraryItemJson(
  ctx: ServiceContext,
  req: EmuRequest,
  site: SiteRecord,
  l: ListRecord,
  driveId: string,
  li: LibraryListItem,
  expand: LibraryExpand,
  fieldsContext = `sites('${site.id}')/lists('${l.id}')/items('${li.id}')/fields/$entity`,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    '@odata.etag': libraryItemETag(li),
    createdDateTime: li.createdDateTime,
    eTag: libraryItemETag(li),
    id: li.id,
    lastModifiedDateTime: li.lastModifiedDateTime,
    webUrl: li.webUrl,
    createdBy: identitySet(li.createdBy),
    lastModifiedBy: identitySet(li.modifiedBy),
    parentReference: { id: l.id, siteId: site.id },
    contentType: contentTypeOf(l, li.contentType),
  };
  // Like SharePoint, sharepointIds only when asked for.
  if (wantsSelected(req, 'sharepointIds')) {
    const [, siteId, webId] = site.id.split(',');
    out['sharepointIds'] = {
      listId: l.id,
      listItemId: li.id,
      listItemUniqueId: li.uniqueId,
      siteId,
      siteUrl: site.webUrl,
      webId,
    };
  }
  const base: Record<string, unknown> = select(req, out);
  if (expand.fields) {
    base['fields@odata.context'] = contextUrl(req, fieldsContext);
    base['fields'] = libraryFieldsJson(ctx.store, li, expand.fields.select);
  }
  if (expand.driveItem) {
    const di = libraryDriveItem(ctx, req, driveId, li.id);
    const sel = expand.driveItem.select;
    base['driveItem'] = sel
      ? Object.fromEntries(Object.entries(di).filter(([k]) => k === 'id' || sel.includes(k)))
      : di;
  }
  return base;
}

/** A deleted library item in the list-item delta: id, content type and the `deleted` facet. */
export function removedLibraryItemJson(
  site: SiteRecord,
  l: ListRecord,
  gone: RemovedLibraryItem,
): Record<string, unknown> {
  return {
    id: gone.id,
    parentReference: { siteId: site.id },
    contentType: contentTypeOf(l, gone.contentType),
    deleted: { state: 'deleted' },
  };
}

const LIBRARY_READ_ONLY = new Set([
  'ContentTypeId',
  'LinkFilename',
  'LinkFilenameNoMenu',
  'DocIcon',
  'FileSizeDisplay',
  'FileRef',
  'FileDirRef',
  'UniqueId',
  '_CheckinComment',
  'ParentVersionStringLookupId',
  'ParentLeafNameLookupId',
]);

/**
 * A fields PATCH on a library item: Title and FileLeafRef (rename) are written; SharePoint's
 * built-in fields answer 403 "read-only", as SharePoint does; anything else 400 unrecognized.
 */
export function parseLibraryFields(input: unknown): LibraryFieldChange {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    throw badRequest("'fields' must be an object.", 'invalidRequest');
  const change: LibraryFieldChange = {};
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    if (k.startsWith('@odata')) continue;
    if (k === 'Title') {
      if (v !== null && typeof v !== 'string')
        throw badRequest("Invalid value for field 'Title': a string is expected.", 'invalidRequest');
      change.title = v;
    } else if (k === 'FileLeafRef') {
      if (typeof v !== 'string' || !v)
        throw badRequest("Invalid value for field 'FileLeafRef': a name is expected.", 'invalidRequest');
      change.name = v;
    } else if (BUILT_IN_NAMES.has(k) || LIBRARY_READ_ONLY.has(k))
      throw new GraphHttpError(403, 'accessDenied', `Field '${k}' is read-only`);
    else throw badRequest(`Field '${k}' is not recognized`, 'invalidRequest');
  }
  return change;
}
