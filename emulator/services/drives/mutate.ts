import { GraphHttpError } from '../../core/odata.js';
import type { ServiceContext } from '../../core/service.js';
import type { EmuRequest } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import { quotaRemaining } from './json.js';
import {
  invalidRequest,
  isoNow,
  itemIdFrom,
  itemsOf,
  type DriveInfo,
  type FileState,
  type IdentityRef,
  type ItemKind,
  type ItemRecord,
} from './model.js';
import {
  checkPathLength,
  descendants,
  getItem,
  isAncestor,
  pathNames,
  putItem,
  quotaExceeded,
  removeItem,
  resolveConflict,
  validateName,
  type ConflictBehavior,
} from './tree.js';

/** Changes to drive content shared by Graph routes, upload sessions and activity ops. */

/** Graph keeps up to 500 major versions per file by default. */
const MAX_VERSIONS = 500;

/** Who a request acts as: the signed-in user, or the calling application. */
export function actorOf(store: TenantStore, req: EmuRequest | undefined): IdentityRef {
  const caller = req?.caller;
  if (caller?.userId) {
    const u = store.users.get(caller.userId);
    if (u) return { id: u.id, displayName: u.displayName, ...(u.mail ? { email: u.mail } : {}) };
  }
  if (caller)
    return {
      id: caller.appId,
      displayName: store.apps.get(caller.appId)?.displayName ?? 'Application',
      app: true,
    };
  return { id: '00000000-0000-0000-0000-000000000000', displayName: 'System Account' };
}

export function newId(ctx: ServiceContext): string {
  return itemIdFrom(ctx.random.bytes(20));
}

/** Runtime list item ids start above anything the generator hands out. */
const nextListItemId = (store: TenantStore, driveId: string) =>
  1_000_000 + itemsOf(store, driveId).lastSeq + 1;

export function createItem(
  ctx: ServiceContext,
  drive: DriveInfo,
  parent: ItemRecord,
  name: string,
  kind: ItemKind,
  by: IdentityRef,
  extra: Partial<ItemRecord> = {},
): ItemRecord {
  const now = isoNow();
  const item: ItemRecord = {
    id: newId(ctx),
    parentId: parent.id,
    name,
    kind,
    created: now,
    modified: now,
    createdBy: by,
    modifiedBy: by,
    rev: 1,
    crev: 1,
    listItemId: nextListItemId(ctx.store, drive.id),
    ...extra,
  };
  putItem(ctx.store, drive.id, item);
  return item;
}

/** Checks a new name under `parent` against SharePoint's rules and the 400-character path limit. */
export function checkNewName(
  store: TenantStore,
  drive: DriveInfo,
  parent: ItemRecord,
  name: unknown,
  isFolder: boolean,
  subtreeExtra = 0,
): string {
  const valid = validateName(name, parent.parentId === null, isFolder);
  const names = [...pathNames(store, drive.id, parent), valid];
  if (subtreeExtra > 0) names.push('x'.repeat(subtreeExtra - 1));
  checkPathLength(names);
  return valid;
}

export function requireSpace(store: TenantStore, drive: DriveInfo, addedBytes: number): void {
  if (addedBytes > 0 && addedBytes > quotaRemaining(store, drive)) throw quotaExceeded();
}

/** A new version of an existing file: the current one moves into the history. */
export function replaceContent(
  store: TenantStore,
  drive: DriveInfo,
  item: ItemRecord,
  file: FileState,
  by: IdentityRef,
): ItemRecord {
  if (!item.file) throw invalidRequest('The target is not a file.');
  requireSpace(store, drive, file.size - item.file.size);
  const current = item.version ?? 1;
  const older = [
    { n: current, modified: item.modified, by: item.modifiedBy, file: item.file },
    ...(item.versions ?? []),
  ].slice(0, MAX_VERSIONS - 1);
  const updated: ItemRecord = {
    ...item,
    file,
    version: current + 1,
    versions: older,
    modified: isoNow(),
    modifiedBy: by,
    rev: item.rev + 1,
    crev: item.crev + 1,
  };
  delete updated.fsModified;
  putItem(store, drive.id, updated);
  return updated;
}

/**
 * Writes a file named `name` under `parent` with a conflict behaviour; returns the item and
 * whether it is new (201) or a new version of an existing file (200).
 */
export function writeFile(
  ctx: ServiceContext,
  drive: DriveInfo,
  parent: ItemRecord,
  rawName: unknown,
  file: FileState,
  behavior: ConflictBehavior,
  by: IdentityRef,
  extra: Partial<ItemRecord> = {},
): { item: ItemRecord; created: boolean } {
  const { store } = ctx;
  if (parent.kind === 'file') throw invalidRequest('The parent is not a folder.');
  const checked = checkNewName(store, drive, parent, rawName, false);
  const { name, existing } = resolveConflict(store, drive.id, parent.id, checked, behavior);
  if (existing?.file) return { item: replaceContent(store, drive, existing, file, by), created: false };
  requireSpace(store, drive, file.size);
  if (existing) removeItem(store, drive.id, existing);
  return {
    item: createItem(ctx, drive, parent, name, 'file', by, { file, version: 1, ...extra }),
    created: true,
  };
}

/** Creates a folder (POST children); `replace` keeps an existing folder as SharePoint does. */
export function createFolder(
  ctx: ServiceContext,
  drive: DriveInfo,
  parent: ItemRecord,
  rawName: unknown,
  behavior: ConflictBehavior,
  by: IdentityRef,
  extra: Partial<ItemRecord> = {},
): ItemRecord {
  const { store } = ctx;
  if (parent.kind === 'file') throw invalidRequest('The parent is not a folder.');
  const checked = checkNewName(store, drive, parent, rawName, true);
  const { name, existing } = resolveConflict(store, drive.id, parent.id, checked, behavior);
  if (existing && existing.kind !== 'file') {
    const touched = { ...existing, modified: isoNow(), modifiedBy: by, rev: existing.rev + 1, ...extra };
    putItem(store, drive.id, touched);
    return touched;
  }
  if (existing) removeItem(store, drive.id, existing);
  return createItem(ctx, drive, parent, name, 'folder', by, extra);
}

/** Longest path below an item, relative to it (for the 400-character check of a move or rename). */
function subtreeDepthChars(store: TenantStore, drive: DriveInfo, item: ItemRecord): number {
  const base = pathNames(store, drive.id, item).join('/').length;
  let max = 0;
  for (const d of descendants(store, drive.id, item.id))
    max = Math.max(max, pathNames(store, drive.id, d).join('/').length - base);
  return max;
}

/** Rename and/or move within a drive (PATCH). */
export function moveOrRename(
  ctx: ServiceContext,
  drive: DriveInfo,
  item: ItemRecord,
  newParent: ItemRecord | undefined,
  newName: unknown,
  behavior: ConflictBehavior,
  by: IdentityRef,
): ItemRecord {
  const { store } = ctx;
  if (item.parentId === null)
    throw new GraphHttpError(403, 'accessDenied', 'The root folder cannot be renamed or moved.');
  const parent = newParent ?? getItem(store, drive.id, item.parentId);
  if (parent.kind === 'file') throw invalidRequest('The destination is not a folder.');
  if (isAncestor(store, drive.id, item.id, parent))
    throw invalidRequest('An item cannot be moved into itself or one of its descendants.');
  const name = newName === undefined ? item.name : newName;
  const checked = checkNewName(
    store,
    drive,
    parent,
    name,
    item.kind !== 'file',
    subtreeDepthChars(store, drive, item),
  );
  const resolved = resolveConflict(store, drive.id, parent.id, checked, behavior, item.id);
  if (resolved.existing) removeItem(store, drive.id, resolved.existing);
  const updated: ItemRecord = {
    ...item,
    parentId: parent.id,
    name: resolved.name,
    modified: isoNow(),
    modifiedBy: by,
    rev: item.rev + 1,
  };
  putItem(store, drive.id, updated);
  return updated;
}

/** Copies an item and everything below it to `parent` (possibly another drive); returns the new top item. */
export function copyTree(
  ctx: ServiceContext,
  from: DriveInfo,
  item: ItemRecord,
  to: DriveInfo,
  parent: ItemRecord,
  rawName: unknown,
  behavior: ConflictBehavior,
  by: IdentityRef,
): ItemRecord {
  const { store } = ctx;
  if (item.parentId === null) throw invalidRequest('The root folder cannot be copied.');
  if (from.id === to.id && isAncestor(store, from.id, item.id, parent))
    throw invalidRequest('An item cannot be copied into itself.');
  const below = descendants(store, from.id, item.id);
  const bytes = [item, ...below].reduce((s, i) => s + (i.file?.size ?? 0), 0);
  const checked = checkNewName(
    store,
    to,
    parent,
    rawName ?? item.name,
    item.kind !== 'file',
    subtreeDepthChars(store, from, item),
  );
  const resolved = resolveConflict(store, to.id, parent.id, checked, behavior);
  requireSpace(store, to, bytes - (resolved.existing?.file?.size ?? 0));
  if (resolved.existing) removeItem(store, to.id, resolved.existing);
  const idMap = new Map<string, string>();
  const clone = (src: ItemRecord, dstParent: string, name: string): ItemRecord => {
    const now = isoNow();
    const copy: ItemRecord = {
      ...src,
      id: newId(ctx),
      parentId: dstParent,
      name,
      created: now,
      modified: now,
      createdBy: by,
      modifiedBy: by,
      rev: 1,
      crev: 1,
      listItemId: nextListItemId(store, to.id),
    };
    // A copy starts its own history and carries no sharing.
    delete copy.versions;
    delete copy.permissions;
    if (copy.file) copy.version = 1;
    putItem(store, to.id, copy);
    idMap.set(src.id, copy.id);
    return copy;
  };
  const top = clone(item, parent.id, resolved.name);
  for (const d of below) clone(d, idMap.get(d.parentId as string) as string, d.name);
  return top;
}
