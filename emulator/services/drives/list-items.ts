import type { Entry } from '../../core/collection.js';
import { deltaPage, type DeltaOutcome } from '../../core/listing.js';
import { GraphHttpError } from '../../core/odata.js';
import type { ServiceContext } from '../../core/service.js';
import type { EmuRequest } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import { ensureHash } from './content.js';
import { downloadsFor, eTagOf, cTagOf, itemJson, listItemUniqueId } from './json.js';
import {
  headerTags,
  invalidRequest,
  isoNow,
  itemsOf,
  removedKey,
  requireDrive,
  type DriveInfo,
  type IdentityRef,
  type ItemRecord,
  type RemovedListItem,
} from './model.js';
import { actorOf, moveOrRename } from './mutate.js';
import { childIds, pathNames, putItem, removeItem } from './tree.js';
import { isoSeconds } from '../shared/time.js';

/**
 * A drive seen as its document library's list: every driveItem but the root is a list item whose
 * id is the driveItem's `sharepointIds.listItemId` (kept in the record: 1..n for generated items
 * in generation order, 900000+ for lazily created channel folders, 1000000+ for items created at
 * runtime). Both views read the same change-tracked collection, so the library's list-item delta
 * carries exactly the drive delta's changes.
 */

export interface LibraryListItem {
  /** The list item id (`sharepointIds.listItemId` of the driveItem), as Graph shows it. */
  id: string;
  driveId: string;
  driveItemId: string;
  /** SharePoint's UniqueId (`sharepointIds.listItemUniqueId`). */
  uniqueId: string;
  contentType: 'Document' | 'Folder';
  /** FileLeafRef. */
  name: string;
  /** The Title column; null when never set. */
  title: string | null;
  webUrl: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  createdBy: IdentityRef;
  modifiedBy: IdentityRef;
  /** Bumped by every change to the item (its eTag); the driveItem's eTag moves with it. */
  etagVersion: number;
  /** Major version of a file (`_UIVersionString` n.0); 1 for folders. */
  uiVersion: number;
  /** File size in bytes; null for folders. */
  size: number | null;
  /** Direct children of a folder that are files / folders. */
  childFiles: number;
  childFolders: number;
}

interface ListItemIndex {
  seq: number;
  byListItem: Map<number, string>;
  byItem: Map<string, number>;
}

const indexes = new WeakMap<TenantStore, Map<string, ListItemIndex>>();

/** listItemId ⇄ driveItem id of one drive, brought up to date from the collection's change log. */
function indexOf(store: TenantStore, driveId: string): ListItemIndex {
  let perStore = indexes.get(store);
  if (!perStore) indexes.set(store, (perStore = new Map<string, ListItemIndex>()));
  const coll = itemsOf(store, driveId);
  let idx = perStore.get(driveId);
  if (!idx) perStore.set(driveId, (idx = { seq: 0, byListItem: new Map(), byItem: new Map() }));
  if (idx.seq !== coll.lastSeq) {
    for (const e of coll.entriesAfter(idx.seq)) {
      const prev = idx.byItem.get(e.id);
      if (prev !== undefined && idx.byListItem.get(prev) === e.id) idx.byListItem.delete(prev);
      if (e.value && e.value.parentId !== null) {
        idx.byItem.set(e.id, e.value.listItemId);
        idx.byListItem.set(e.value.listItemId, e.id);
      }
      // A deleted item's mapping stays in byItem: the list-item delta may still need it.
    }
    idx.seq = coll.lastSeq;
  }
  return idx;
}

/** Whether a list item id is taken in the drive (for ids chosen outside the usual sequences). */
export function listItemIdTaken(store: TenantStore, driveId: string, listItemId: number): boolean {
  return indexOf(store, driveId).byListItem.has(listItemId);
}

/** List item dates are whole seconds, whatever precision the driveItem record holds. */
const seconds = (iso: string) => isoSeconds(Date.parse(iso));

export function asListItem(store: TenantStore, drive: DriveInfo, item: ItemRecord): LibraryListItem {
  const coll = itemsOf(store, drive.id);
  let childFiles = 0;
  let childFolders = 0;
  if (!item.file) {
    for (const id of childIds(store, drive.id, item.id)) {
      if (coll.get(id)?.file) childFiles++;
      else childFolders++;
    }
  }
  return {
    id: String(item.listItemId),
    driveId: drive.id,
    driveItemId: item.id,
    uniqueId: listItemUniqueId(item),
    contentType: item.file ? 'Document' : 'Folder',
    name: item.name,
    title: item.title ?? null,
    webUrl: `${drive.webUrl}/${pathNames(store, drive.id, item).map(encodeURIComponent).join('/')}`,
    createdDateTime: seconds(item.created),
    lastModifiedDateTime: seconds(item.modified),
    createdBy: item.createdBy,
    modifiedBy: item.modifiedBy,
    etagVersion: item.rev,
    uiVersion: item.file ? (item.version ?? 1) : 1,
    size: item.file ? item.file.size : null,
    childFiles,
    childFolders,
  };
}

/** Every list item of the library, in list item id order. */
export function listItemsOf(store: TenantStore, driveId: string): LibraryListItem[] {
  const drive = requireDrive(store, driveId);
  return itemsOf(store, driveId)
    .values()
    .filter((i) => i.parentId !== null)
    .sort((a, b) => a.listItemId - b.listItemId)
    .map((i) => asListItem(store, drive, i));
}

/** The driveItem record behind a list item id ("7"); undefined when there is none. */
export function recordOfListItem(store: TenantStore, driveId: string, id: string): ItemRecord | undefined {
  if (!/^\d{1,15}$/.test(id)) return undefined;
  const n = Number(id);
  const driveItemId = indexOf(store, driveId).byListItem.get(n);
  const item = driveItemId ? itemsOf(store, driveId).get(driveItemId) : undefined;
  return item && item.listItemId === n && item.parentId !== null ? item : undefined;
}

export function requireRecordOfListItem(store: TenantStore, driveId: string, id: string): ItemRecord {
  const item = recordOfListItem(store, driveId, id);
  if (!item) throw new GraphHttpError(404, 'itemNotFound', 'Item not found');
  return item;
}

/** How a deleted item shows in the list-item delta (its id and whether it was a folder). */
export interface RemovedLibraryItem {
  id: string;
  contentType: 'Document' | 'Folder';
}

function removedOf(store: TenantStore, driveId: string, entry: Entry<ItemRecord>): RemovedLibraryItem {
  const rec = store.collection<RemovedListItem>(removedKey(driveId)).get(entry.id);
  const n = rec?.listItemId ?? indexOf(store, driveId).byItem.get(entry.id);
  // Journals written before deletions were recorded: the driveItem id is all there is.
  return { id: n !== undefined ? String(n) : entry.id, contentType: rec?.folder ? 'Folder' : 'Document' };
}

export interface ListItemDeltaOptions {
  project: (item: LibraryListItem) => object;
  removed: (item: RemovedLibraryItem) => object;
  defaultTop: number;
  maxTop: number;
}

/**
 * One page of the library's list-item delta: the drive's own change log (same tokens, same
 * rounds), the root left out as it is no list item, deletions as list item ids.
 */
export function listItemDelta(
  store: TenantStore,
  req: EmuRequest,
  driveId: string,
  opts: ListItemDeltaOptions,
): DeltaOutcome {
  const drive = requireDrive(store, driveId);
  return deltaPage<ItemRecord>(req, {
    collection: itemsOf(store, driveId),
    context: 'Collection(listItem)',
    project: (item) => opts.project(asListItem(store, drive, item)),
    removed: (entry) => opts.removed(removedOf(store, driveId, entry)),
    filter: (item) => item.parentId !== null,
    style: 'token',
    defaultTop: opts.defaultTop,
    maxTop: opts.maxTop,
    removalsInInitialRound: false,
  });
}

/** Whether an `If-Match` value names the item's current state (list item or driveItem eTag). */
export function matchesItem(header: string | undefined, item: ItemRecord): boolean {
  if (!header) return true;
  const listTag = `"${listItemUniqueId(item)},${item.rev}"`;
  const tags = headerTags(header);
  return tags.some((t) => t === '*' || t === listTag || t === eTagOf(item) || t === cTagOf(item));
}

/** What a list item fields PATCH may change on a library item. */
export interface LibraryFieldChange {
  /** Title column; null or '' clears it. */
  title?: string | null;
  /** FileLeafRef: renames the file or folder (SharePoint's naming rules apply). */
  name?: string;
}

/** Applies a fields PATCH as the calling user or app; returns the updated record. */
export function changeFields(
  ctx: ServiceContext,
  req: EmuRequest | undefined,
  driveId: string,
  item: ItemRecord,
  change: LibraryFieldChange,
): ItemRecord {
  const drive = requireDrive(ctx.store, driveId);
  const by = actorOf(ctx.store, req);
  if (change.title !== undefined && change.title !== null && typeof change.title !== 'string')
    throw invalidRequest("Invalid value for field 'Title': a string is expected.");
  if (change.name !== undefined && typeof change.name !== 'string')
    throw invalidRequest("Invalid value for field 'FileLeafRef': a string is expected.");
  let updated = item;
  if (change.name !== undefined && change.name !== item.name)
    updated = moveOrRename(ctx, drive, item, undefined, change.name, 'fail', by);
  if (change.title !== undefined && (change.title || undefined) !== item.title) {
    const next: ItemRecord = {
      ...updated,
      modified: isoNow(),
      modifiedBy: by,
      rev: updated.rev + (updated === item ? 1 : 0),
    };
    if (change.title) next.title = change.title;
    else delete next.title;
    putItem(ctx.store, drive.id, next);
    updated = next;
  }
  return updated;
}

/** Deletes the item behind a list item (and, for a folder, everything below it). */
export function deleteListItem(store: TenantStore, driveId: string, item: ItemRecord): void {
  removeItem(store, driveId, item);
}

/** Computes file hashes not known yet (the big generated file), so driveItem JSON can show them. */
export async function hashesReady(store: TenantStore, driveId: string): Promise<void> {
  for (const item of itemsOf(store, driveId).values())
    if (item.file && !item.file.hash) await ensureHash(store, item.file);
}

/** The driveItem JSON of a list item (`$expand=driveItem`), download URL included. */
export function driveItemOf(
  ctx: ServiceContext,
  req: EmuRequest,
  driveId: string,
  item: ItemRecord,
): Record<string, unknown> {
  return itemJson(ctx.store, requireDrive(ctx.store, driveId), item, { downloadUrl: downloadsFor(ctx, req) });
}
