import { createHash } from 'node:crypto';
import type { DeltaOutcome } from '../../core/listing.js';
import { GraphHttpError } from '../../core/odata.js';
import type { ServiceContext } from '../../core/service.js';
import type { EmuRequest, Handler, RouteDef } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import { itemRoutes, PREFIXES, spo } from './address.js';
import { drivePeople } from './generate.js';
import { driveJson, identity, itemJson } from './json.js';
import {
  asListItem,
  changeFields,
  deleteListItem,
  driveItemOf,
  hashesReady,
  listItemDelta,
  listItemIdTaken,
  listItemsOf,
  matchesItem,
  requireRecordOfListItem,
  type LibraryFieldChange,
  type LibraryListItem,
  type ListItemDeltaOptions,
} from './list-items.js';
import {
  itemNotFound,
  itemsOf,
  READ_PERMS,
  requireDrive,
  stableItemId,
  wrap,
  WRITE_PERMS,
  type ItemRecord,
} from './model.js';
import { childByName, putItem, rootOf, validateName } from './tree.js';

/**
 * What other services may call. Teams and Lists present parts of SharePoint that live in the
 * drives service: a channel's files folder, and document libraries as lists.
 */

function defaultDrive(store: TenantStore, siteId: string) {
  const site = store.sites.get(siteId);
  const driveId = site?.driveIds[0];
  if (!site || !driveId) throw new GraphHttpError(404, 'itemNotFound', 'The site has no document library.');
  return requireDrive(store, driveId);
}

/**
 * The driveItem JSON of the folder named after a Teams channel in the site's default library
 * (`/channels/{id}/filesFolder`). Teams creates these folders lazily; so does this: a missing
 * folder is created with an id, dates and author derived from the site, so it is the same on
 * every run, and journaled so later content under it survives a restart.
 */
export function channelFilesFolder(
  store: TenantStore,
  siteId: string,
  channelName: string,
): Record<string, unknown> {
  const drive = defaultDrive(store, siteId);
  const root = rootOf(store, drive.id);
  let folder = childByName(store, drive.id, root.id, channelName);
  if (folder && folder.kind !== 'folder')
    throw new GraphHttpError(
      409,
      'nameAlreadyExists',
      `A file named '${channelName}' blocks the channel folder.`,
    );
  if (!folder) {
    const by = drivePeople(store, drive)[0] as ItemRecord['createdBy'];
    const created = drive.site.createdDateTime;
    folder = {
      id: stableItemId(store.seed, drive.id, 'channel', channelName.toLowerCase()),
      parentId: root.id,
      name: validateName(channelName, true, true),
      kind: 'folder',
      created,
      modified: created,
      createdBy: by,
      modifiedBy: by,
      rev: 1,
      crev: 1,
      listItemId: channelListItemId(store, drive.id, channelName),
    };
    putItem(store, drive.id, folder);
  }
  return itemJson(store, drive, folder);
}

/**
 * A channel folder's list item id: derived from the name, clear of generated (< 900k) and runtime
 * (> 1M) ids, and moved on past any id another channel folder of the library already holds.
 */
function channelListItemId(store: TenantStore, driveId: string, channelName: string): number {
  const hash = createHash('sha256').update(`${driveId}|${channelName.toLowerCase()}`).digest();
  let id = 900_000 + (hash.readUInt32BE(0) % 99_999);
  while (listItemIdTaken(store, driveId, id)) id = id >= 999_999 ? 900_000 : id + 1;
  return id;
}

/** A document library as the Lists service presents it (`list.template: "documentLibrary"`). */
export interface DriveBackedList {
  /** The list id (also `sharepointIds.listId` of the library's items). */
  listId: string;
  driveId: string;
  /** List `name` (the library's URL segment, e.g. "Shared Documents"). */
  name: string;
  /** List `displayName` (e.g. "Documents"). */
  displayName: string;
  webUrl: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  template: 'documentLibrary';
}

/** Every document library of a site (empty for an unknown site). */
export function listBackedByDrive(store: TenantStore, siteId: string): DriveBackedList[] {
  const site = store.sites.get(siteId);
  if (!site) return [];
  return site.driveIds.map((id) => {
    const d = requireDrive(store, id);
    return {
      listId: d.listId,
      driveId: d.id,
      name: d.urlName,
      displayName: d.name,
      webUrl: d.webUrl,
      createdDateTime: site.createdDateTime,
      lastModifiedDateTime: site.createdDateTime,
      template: 'documentLibrary',
    };
  });
}

/*
 * A document library's items as list items (`/sites/{s}/lists/{library}/items`, the driveItem's
 * `listItem`). A list item's id is the driveItem's `sharepointIds.listItemId`; the library's
 * list-item delta is the drive's own change log, so both report the same changes.
 */

export type {
  LibraryFieldChange,
  LibraryListItem,
  ListItemDeltaOptions,
  RemovedLibraryItem,
} from './list-items.js';

/** Permissions the drive routes accept for reads and writes (for routes other services add under `/drives`). */
export const DRIVE_READ_PERMISSIONS: readonly string[] = READ_PERMS;
export const DRIVE_WRITE_PERMISSIONS: readonly string[] = WRITE_PERMS;

/** Every list item of the library behind `driveId` (files, folders, notebooks), by list item id. */
export function libraryListItems(store: TenantStore, driveId: string): LibraryListItem[] {
  return listItemsOf(store, driveId);
}

/** Number of list items of the library (every driveItem but the root); cheap. */
export function libraryListItemCount(store: TenantStore, driveId: string): number {
  return Math.max(0, itemsOf(store, driveId).size - 1);
}

/** One list item by its id (`"7"`); 404 itemNotFound when the library has none with that id. */
export function libraryListItem(store: TenantStore, driveId: string, listItemId: string): LibraryListItem {
  const drive = requireDrive(store, driveId);
  return asListItem(store, drive, requireRecordOfListItem(store, driveId, listItemId));
}

/** The list item of a driveItem (`/items/{id}/listItem`); the root folder has none (404). */
export function listItemOfDriveItem(
  store: TenantStore,
  driveId: string,
  driveItemId: string,
): LibraryListItem {
  const drive = requireDrive(store, driveId);
  const item = itemsOf(store, driveId).get(driveItemId);
  if (!item || item.parentId === null) throw itemNotFound();
  return asListItem(store, drive, item);
}

/**
 * One page of the library's list-item delta (`token` style, `token=latest`); `expired` when the
 * token is older than the drive's tombstones (the caller answers 410 as for driveItem delta).
 */
export function libraryListItemDelta(
  store: TenantStore,
  req: EmuRequest,
  driveId: string,
  opts: ListItemDeltaOptions,
): DeltaOutcome {
  return listItemDelta(store, req, driveId, opts);
}

const preconditionFailed = () =>
  new GraphHttpError(412, 'resourceModified', "ETag does not match current item's value");

/**
 * A fields PATCH on a library item: Title, and FileLeafRef (a rename); `ifMatch` is the request's
 * If-Match (the list item's or the driveItem's eTag). Journaled like any drive change.
 */
export function updateLibraryListItem(
  ctx: ServiceContext,
  req: EmuRequest | undefined,
  driveId: string,
  listItemId: string,
  change: LibraryFieldChange,
  ifMatch?: string,
): LibraryListItem {
  const item = requireRecordOfListItem(ctx.store, driveId, listItemId);
  if (!matchesItem(ifMatch, item)) throw preconditionFailed();
  const updated = changeFields(ctx, req, driveId, item, change);
  return asListItem(ctx.store, requireDrive(ctx.store, driveId), updated);
}

/** Deletes a library item (a folder with everything below it), as `DELETE /items/{id}` does. */
export function deleteLibraryListItem(
  store: TenantStore,
  driveId: string,
  listItemId: string,
  ifMatch?: string,
): void {
  const item = requireRecordOfListItem(store, driveId, listItemId);
  if (!matchesItem(ifMatch, item)) throw preconditionFailed();
  deleteListItem(store, driveId, item);
}

/**
 * The driveItem behind a list item (`$expand=driveItem`), with its download URL. Await
 * `libraryHashesReady` first, or a file whose hash was never computed shows no quickXorHash.
 */
export function libraryDriveItem(
  ctx: ServiceContext,
  req: EmuRequest,
  driveId: string,
  listItemId: string,
): Record<string, unknown> {
  return driveItemOf(ctx, req, driveId, requireRecordOfListItem(ctx.store, driveId, listItemId));
}

/** Computes the file hashes of the library not known yet (only big generated files lack one). */
export function libraryHashesReady(store: TenantStore, driveId: string): Promise<void> {
  return hashesReady(store, driveId);
}

/** The drive JSON of a library (`/lists/{library}/drive`). */
export function libraryDrive(store: TenantStore, driveId: string): Record<string, unknown> {
  return driveJson(store, requireDrive(store, driveId));
}

/** The site and library list of a drive (`/drives/{id}/list`); 404 itemNotFound for an unknown drive. */
export function libraryOfDrive(store: TenantStore, driveId: string): DriveBackedList & { siteId: string } {
  const drive = requireDrive(store, driveId);
  const list = listBackedByDrive(store, drive.site.id).find((l) => l.driveId === drive.id);
  if (!list) throw itemNotFound();
  return { ...list, siteId: drive.site.id };
}

/** An identity (author, editor) as Graph's identitySet, as driveItems show it. */
export function identitySet(person: LibraryListItem['createdBy']): Record<string, unknown> {
  return identity(person);
}

/** A driveItem addressed by a request under any drive prefix and item form. */
export interface AddressedDriveItem {
  driveId: string;
  /** Resolves the item (404 itemNotFound when the id or path names none). */
  driveItemId(): string;
}

/**
 * Routes for an operation on a driveItem (e.g. `/listItem`), under every prefix and form the drive
 * routes accept: `/drives/{d}`, `/users/{u}/drive`, `/sites/{s}/drive`, `/groups/{g}/drive`,
 * `/me/drive` × `/root`, `/items/{id}`, `/root:/path:`, `/items/{id}:/path:`.
 */
export function driveItemRoutes(
  store: TenantStore,
  spec: {
    method: string;
    suffix: string;
    permissions: readonly string[];
    cost: number;
    handler: (req: EmuRequest, at: AddressedDriveItem) => ReturnType<Handler>;
  },
): RouteDef[] {
  return itemRoutes(store, {
    method: spec.method,
    suffix: spec.suffix,
    permissions: spec.permissions,
    cost: spec.cost,
    handler: (req, t) => spec.handler(req, { driveId: t.drive.id, driveItemId: () => t.item().id }),
  });
}

/** Routes for an operation on a drive itself (e.g. `/list`) under every drive prefix. */
export function drivePrefixRoutes(
  store: TenantStore,
  spec: {
    method: string;
    suffix: string;
    permissions: readonly string[];
    cost: number;
    handler: (req: EmuRequest, driveId: string) => ReturnType<Handler>;
  },
): RouteDef[] {
  return PREFIXES.map((prefix) => ({
    method: spec.method,
    path: `${prefix.path}${spec.suffix}`,
    permissions: spec.permissions,
    scope: spo(spec.cost),
    handler: wrap((req) => spec.handler(req, prefix.drive(store, req).id)),
  }));
}
