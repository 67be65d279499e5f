import { badRequest, contextUrl } from '../../core/odata.js';
import type { EmuRequest } from '../../core/types.js';
import type { SiteRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { seededOrLiveUser } from '../../tenant/seeded.js';
import { lookupIdOf } from './generate.js';
import type { ColumnDef, ContentTypeDef, ListItemRecord, ListRecord } from './model.js';
import { BUILT_IN_COLUMNS } from './templates.js';

/** Graph shapes of lists, columns, content types and list items. */

/** UIL ids SharePoint uses for the app principal and the system account. */
const APP_LOOKUP_ID = '1073741822';
const SYSTEM_LOOKUP_ID = '1073741823';

export const listETag = (l: ListRecord) => `"${l.id},${l.version}"`;
export const itemETag = (i: ListItemRecord) => `"${i.uid},${i.version}"`;

export function listJson(site: SiteRecord, l: ListRecord, withSystem: boolean): Record<string, unknown> {
  return {
    '@odata.etag': listETag(l),
    createdDateTime: l.createdDateTime,
    description: l.description,
    eTag: listETag(l),
    id: l.id,
    lastModifiedDateTime: l.lastModifiedDateTime,
    name: l.name,
    webUrl: `${site.webUrl}/${l.path}`,
    displayName: l.displayName,
    createdBy: { user: { displayName: 'System Account' } },
    parentReference: { siteId: site.id },
    list: { contentTypesEnabled: l.contentTypesEnabled, hidden: l.hidden, template: l.template },
    ...(withSystem && l.system ? { system: {} } : {}),
  };
}

export function allColumns(l: ListRecord): ColumnDef[] {
  return [...l.columns, ...BUILT_IN_COLUMNS];
}

function typeFacet(c: ColumnDef): Record<string, unknown> {
  switch (c.type) {
    case 'text':
      return {
        text: {
          allowMultipleLines: false,
          appendChangesToExistingText: false,
          linesForEditing: 0,
          maxLength: 255,
        },
      };
    case 'note':
      return {
        text: {
          allowMultipleLines: true,
          appendChangesToExistingText: false,
          linesForEditing: 6,
          maxLength: 63999,
          textType: 'richText',
        },
      };
    case 'number':
      return {
        number: {
          decimalPlaces: 'automatic',
          displayAs: 'number',
          maximum: 1.7976931348623157e308,
          minimum: -1.7976931348623157e308,
        },
      };
    case 'dateTime':
      return { dateTime: { displayAs: 'default', format: c.dateOnly ? 'dateOnly' : 'dateTime' } };
    case 'choice':
      return { choice: { allowTextEntry: false, choices: c.choices ?? [], displayAs: 'dropDownMenu' } };
    case 'boolean':
      return { boolean: {} };
    case 'person':
      return {
        personOrGroup: {
          allowMultipleSelection: false,
          chooseFromType: 'peopleOnly',
          displayAs: 'nameWithPresence',
        },
      };
    case 'hyperlink':
      return { hyperlinkOrPicture: { isPicture: false } };
  }
}

export function columnJson(c: ColumnDef): Record<string, unknown> {
  return {
    columnGroup: c.builtIn ? '_Hidden' : 'Custom Columns',
    description: '',
    displayName: c.displayName,
    enforceUniqueValues: false,
    hidden: false,
    id: c.id,
    indexed: c.indexed ?? false,
    name: c.name,
    readOnly: c.builtIn ?? false,
    required: c.required ?? false,
    ...typeFacet(c),
  };
}

export function contentTypeJson(ct: ContentTypeDef): Record<string, unknown> {
  return {
    id: ct.id,
    description: ct.description,
    group: ct.group,
    hidden: ct.hidden,
    name: ct.name,
    parentId: ct.parentId,
    readOnly: false,
    sealed: false,
  };
}

export function lookupId(store: TenantStore, who: string | null): string {
  if (!who) return SYSTEM_LOOKUP_ID;
  if (who.startsWith('app:')) return APP_LOOKUP_ID;
  const u = seededOrLiveUser(store, who);
  return u ? lookupIdOf(u.seedIndex) : SYSTEM_LOOKUP_ID;
}

function identity(store: TenantStore, who: string | null): Record<string, unknown> {
  if (!who) return { user: { displayName: 'System Account' } };
  if (who.startsWith('app:'))
    return { application: { id: who.slice(4), displayName: null }, user: { displayName: 'SharePoint App' } };
  const u = store.users.get(who);
  return { user: { email: u?.mail ?? null, id: who, displayName: u?.displayName ?? null } };
}

/** The item's fieldValueSet; `only` limits it to selected columns (the eTag always stays). */
export function fieldsJson(
  store: TenantStore,
  l: ListRecord,
  i: ListItemRecord,
  only?: string[],
): Record<string, unknown> {
  const f: Record<string, unknown> = { '@odata.etag': itemETag(i) };
  for (const c of l.columns) {
    const v = i.values[c.name];
    if (v === undefined || v === null || v === '') continue;
    if (c.type === 'person') f[`${c.name}LookupId`] = lookupId(store, typeof v === 'string' ? v : null);
    else f[c.name] = v;
  }
  const title = typeof i.values['Title'] === 'string' ? i.values['Title'] : '';
  Object.assign(f, {
    id: i.id,
    ContentType: i.contentTypeName,
    Modified: i.lastModifiedDateTime,
    Created: i.createdDateTime,
    AuthorLookupId: lookupId(store, i.authorId),
    EditorLookupId: lookupId(store, i.editorId),
    _UIVersionString: `${i.version}.0`,
    Attachments: i.attachments.length > 0,
    Edit: '',
    LinkTitleNoMenu: title,
    LinkTitle: title,
    ItemChildCount: '0',
    FolderChildCount: '0',
    _ComplianceFlags: '',
    _ComplianceTag: '',
    _ComplianceTagWrittenTime: '',
    _ComplianceTagUserId: '',
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

export interface FieldsExpand {
  select?: string[];
}

/** `$expand=fields`, `fields($select=A,B)` or `fields(select=A,B)`; anything else is refused. */
export function parseExpand(req: EmuRequest): FieldsExpand | null {
  const raw = req.query.get('$expand') ?? req.query.get('expand');
  if (!raw) return null;
  const m = /^\s*fields\s*(?:\(\s*\$?select\s*=\s*([^)]*)\))?\s*$/i.exec(raw);
  if (!m)
    throw badRequest(
      `Parsing OData Select and Expand failed: Could not find a property named '${raw.split('(')[0]}' on type 'microsoft.graph.listItem'.`,
      'invalidRequest',
    );
  return m[1] !== undefined
    ? {
        select: m[1]
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      }
    : {};
}

export function itemJson(
  store: TenantStore,
  req: EmuRequest,
  site: SiteRecord,
  l: ListRecord,
  i: ListItemRecord,
  fields: FieldsExpand | null,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    '@odata.etag': itemETag(i),
    createdDateTime: i.createdDateTime,
    eTag: itemETag(i),
    id: i.id,
    lastModifiedDateTime: i.lastModifiedDateTime,
    webUrl: `${site.webUrl}/${l.path}/${i.id}_.000`,
    createdBy: identity(store, i.authorId),
    lastModifiedBy: identity(store, i.editorId),
    parentReference: { id: l.id, siteId: site.id },
    contentType: { id: i.contentTypeId, name: i.contentTypeName },
  };
  if (fields) {
    out['fields@odata.context'] = contextUrl(
      req,
      `sites('${site.id}')/lists('${l.id}')/items('${i.id}')/fields/$entity`,
    );
    out['fields'] = fieldsJson(store, l, i, fields.select);
  }
  return out;
}
