import { GraphHttpError } from '../../core/odata.js';
import type { SiteRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { librariesOf } from './library.js';

/**
 * Persisted shapes of SharePoint lists. Each site's lists form one collection and each list's
 * items another, both generated on first use, so a crawl of one list costs only that list.
 */

export type ColumnType =
  'text' | 'note' | 'number' | 'dateTime' | 'choice' | 'boolean' | 'person' | 'hyperlink';

export interface ColumnDef {
  /** Internal name (what `fields` uses). */
  name: string;
  displayName: string;
  type: ColumnType;
  id: string;
  choices?: string[];
  dateOnly?: boolean;
  required?: boolean;
  indexed?: boolean;
  /** SharePoint's built-in columns (Created, Author, …) are read-only and grouped apart. */
  builtIn?: boolean;
}

export interface ContentTypeDef {
  id: string;
  parentId: string;
  name: string;
  group: string;
  description: string;
  hidden: boolean;
}

export interface ListRecord {
  id: string;
  siteId: string;
  /** URL name (`Lists/<name>`, `_catalogs/<name>`). */
  name: string;
  displayName: string;
  description: string;
  /** Graph's `list.template` string (SPListTemplateType member name, camelCased). */
  template: string;
  /** SharePoint's numeric BaseTemplate. Graph does not expose it; kept for inventory and docs. */
  baseTemplate: number;
  hidden: boolean;
  /** Graph's `system` facet: such lists are left out of `/lists` unless `$select` names `system`. */
  system: boolean;
  /** Site-relative URL path of the list. */
  path: string;
  contentTypesEnabled: boolean;
  createdDateTime: string;
  lastModifiedDateTime: string;
  /** Bumped on every change to the list or its items (eTag). */
  version: number;
  /** SharePoint never reuses item ids: the next one to hand out. */
  nextItemId: number;
  columns: ColumnDef[];
  contentTypes: ContentTypeDef[];
  /** Which generator fills the items (null for lists created through Graph). */
  spec: string | null;
  /** How many items the generator makes (ids 1..n; the User Information List uses its own ids). */
  seededItems: number;
}

/**
 * A list item attachment. Generated ones have no stored bytes: their content is rebuilt from the
 * seed, the list, the item and the name (attachment-content.ts); uploaded ones (SharePoint REST,
 * activity) keep theirs in the tenant's BlobFiles.
 */
export interface AttachmentRecord {
  fileName: string;
  /** SHA-256 of uploaded content in BlobFiles. */
  blob?: string;
  /** Byte length of uploaded content. */
  size?: number;
}

export interface ListItemRecord {
  id: string;
  /** SharePoint's UniqueId (eTag guid). */
  uid: string;
  version: number;
  contentTypeId: string;
  contentTypeName: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  /** A user id, `app:<appId>` for app-only writes, or null (system). */
  authorId: string | null;
  editorId: string | null;
  /** Column values by internal name; person columns hold a user id (projected as `<name>LookupId`). */
  values: Record<string, unknown>;
  /** Attachments: Graph shows only `fields.Attachments`; SharePoint REST serves them (sp-rest.ts). */
  attachments: AttachmentRecord[];
  /** User Information List entries: the user the entry stands for. */
  userId?: string;
}

export const listsKey = (siteId: string) => `lists:${siteId}`;
export const itemsKey = (siteId: string, listId: string) => `listitems:${siteId}|${listId}`;

export const listNotFound = () => new GraphHttpError(404, 'itemNotFound', 'The specified list was not found');
export const itemNotFound = () => new GraphHttpError(404, 'itemNotFound', 'Item not found');

export function listsOf(store: TenantStore, site: SiteRecord) {
  return store.collection<ListRecord>(listsKey(site.id));
}

export function itemsOf(store: TenantStore, list: ListRecord) {
  return store.collection<ListItemRecord>(itemsKey(list.siteId, list.id));
}

/** Every list of a site as `/lists` shows it: the drive-backed libraries and this service's lists. */
export function siteLists(store: TenantStore, site: SiteRecord): ListRecord[] {
  return [...librariesOf(store, site), ...listsOf(store, site).values()];
}

/** `/lists/{list}` accepts the list id or its title (display name), as Graph does. */
export function requireList(store: TenantStore, site: SiteRecord, key: string): ListRecord {
  const all = siteLists(store, site);
  const lower = key.toLowerCase();
  const found =
    all.find((l) => l.id === lower) ??
    all.find((l) => l.displayName.toLowerCase() === lower) ??
    all.find((l) => l.name.toLowerCase() === lower);
  if (!found) throw listNotFound();
  return found;
}

export function requireItem(store: TenantStore, list: ListRecord, id: string): ListItemRecord {
  const item = itemsOf(store, list).get(id);
  if (!item) throw itemNotFound();
  return item;
}

export function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : fallback;
}
