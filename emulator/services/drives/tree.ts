import { GraphHttpError } from '../../core/odata.js';
import type { TenantStore } from '../../tenant/store.js';
import {
  DriveError,
  driveKey,
  invalidRequest,
  itemNotFound,
  itemsOf,
  removedKey,
  type ItemRecord,
  type RemovedListItem,
} from './model.js';

/**
 * The folder structure of one drive: children and name lookups (SharePoint names are
 * case-insensitive), paths, folder sizes. Rebuilt from the collection when it changed behind our
 * back (journal replay); kept up to date incrementally by `putItem`/`removeItem`.
 */
interface TreeIndex {
  seq: number;
  children: Map<string, Map<string, string>>; // parentId -> lower-case name -> id
  rootId: string;
  /** The seq of each item's current version: children page in seq order from it. */
  seqOf: Map<string, number>;
  /** Folder sizes, valid for `seq` only. */
  sizes?: Map<string, number>;
  used?: number;
}

const indexes = new WeakMap<TenantStore, Map<string, TreeIndex>>();

function build(store: TenantStore, driveId: string): TreeIndex {
  const coll = itemsOf(store, driveId);
  const children = new Map<string, Map<string, string>>();
  const seqOf = new Map<string, number>();
  let rootId = '';
  for (const { seq, value: item } of coll.live()) {
    seqOf.set(item.id, seq);
    if (item.parentId === null) rootId = item.id;
    else childMap(children, item.parentId).set(item.name.toLowerCase(), item.id);
  }
  return { seq: coll.lastSeq, children, rootId, seqOf };
}

function childMap(m: Map<string, Map<string, string>>, parentId: string): Map<string, string> {
  let c = m.get(parentId);
  if (!c) m.set(parentId, (c = new Map<string, string>()));
  return c;
}

export function treeOf(store: TenantStore, driveId: string): TreeIndex {
  let perStore = indexes.get(store);
  if (!perStore) indexes.set(store, (perStore = new Map<string, TreeIndex>()));
  const coll = itemsOf(store, driveId);
  let t = perStore.get(driveId);
  if (!t || t.seq !== coll.lastSeq) {
    t = build(store, driveId);
    perStore.set(driveId, t);
  }
  return t;
}

export function rootOf(store: TenantStore, driveId: string): ItemRecord {
  const t = treeOf(store, driveId);
  return itemsOf(store, driveId).get(t.rootId) as ItemRecord;
}

export function getItem(store: TenantStore, driveId: string, id: string): ItemRecord {
  const item = itemsOf(store, driveId).get(id);
  if (!item) throw itemNotFound();
  return item;
}

export function childIds(store: TenantStore, driveId: string, parentId: string): string[] {
  return [...(treeOf(store, driveId).children.get(parentId)?.values() ?? [])];
}

/**
 * Children of a folder changed after `afterSeq`, in seq order: a seq cursor pages them so that
 * children added while a client pages still arrive and none comes twice unless it changed.
 */
export function childrenAfter(
  store: TenantStore,
  driveId: string,
  parentId: string,
  afterSeq: number,
): { id: string; seq: number }[] {
  const t = treeOf(store, driveId);
  const out: { id: string; seq: number }[] = [];
  for (const id of t.children.get(parentId)?.values() ?? []) {
    const seq = t.seqOf.get(id) ?? 0;
    if (seq > afterSeq) out.push({ id, seq });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

export function childByName(
  store: TenantStore,
  driveId: string,
  parentId: string,
  name: string,
): ItemRecord | undefined {
  const id = treeOf(store, driveId).children.get(parentId)?.get(name.toLowerCase());
  return id ? itemsOf(store, driveId).get(id) : undefined;
}

/** Walks `segments` (already percent-decoded) below `from`. */
export function resolvePath(
  store: TenantStore,
  driveId: string,
  from: ItemRecord,
  segments: string[],
): ItemRecord {
  let cur = from;
  for (const seg of segments) {
    if (seg === '' || seg === '.') continue;
    const next = childByName(store, driveId, cur.id, seg);
    if (!next) throw itemNotFound();
    cur = next;
  }
  return cur;
}

/** Names from the root down to the item (excluding the root); empty for the root. */
export function pathNames(store: TenantStore, driveId: string, item: ItemRecord): string[] {
  const coll = itemsOf(store, driveId);
  const names: string[] = [];
  let cur: ItemRecord | undefined = item;
  let guard = 0;
  while (cur && cur.parentId !== null && guard++ < 10_000) {
    names.push(cur.name);
    cur = coll.get(cur.parentId);
  }
  return names.reverse();
}

/** Decoded drive-relative path length ("a/b/c.txt"), the figure SharePoint's 400-character limit applies to. */
export const pathLength = (names: string[]) => names.join('/').length;

export function isAncestor(
  store: TenantStore,
  driveId: string,
  ancestorId: string,
  item: ItemRecord,
): boolean {
  const coll = itemsOf(store, driveId);
  let cur: ItemRecord | undefined = item;
  while (cur) {
    if (cur.id === ancestorId) return true;
    cur = cur.parentId === null ? undefined : coll.get(cur.parentId);
  }
  return false;
}

/** Every item below `id` (not including it), parents before children. */
export function descendants(store: TenantStore, driveId: string, id: string): ItemRecord[] {
  const coll = itemsOf(store, driveId);
  const out: ItemRecord[] = [];
  const queue = [id];
  for (let i = 0; i < queue.length; i++) {
    for (const c of childIds(store, driveId, queue[i] as string)) {
      const item = coll.get(c);
      if (item) {
        out.push(item);
        queue.push(c);
      }
    }
  }
  return out;
}

function computeSizes(store: TenantStore, driveId: string, t: TreeIndex): void {
  const coll = itemsOf(store, driveId);
  const sizes = new Map<string, number>();
  let used = 0;
  const visit = (id: string): number => {
    let total = 0;
    for (const c of t.children.get(id)?.values() ?? []) {
      const item = coll.get(c);
      if (!item) continue;
      if (item.file) {
        total += item.file.size;
        used += item.file.size;
      } else total += visit(c);
    }
    sizes.set(id, total);
    return total;
  };
  visit(t.rootId);
  t.sizes = sizes;
  t.used = used;
}

/** Size of a folder: the bytes of every file below it, as SharePoint reports it. */
export function folderSize(store: TenantStore, driveId: string, id: string): number {
  const t = treeOf(store, driveId);
  if (!t.sizes) computeSizes(store, driveId, t);
  return t.sizes?.get(id) ?? 0;
}

/** Bytes used by the drive: the current version of every file. */
export function usedBytes(store: TenantStore, driveId: string): number {
  const t = treeOf(store, driveId);
  if (t.used === undefined) computeSizes(store, driveId, t);
  return t.used ?? 0;
}

/** Journaled write of an item, keeping the index current. */
export function putItem(store: TenantStore, driveId: string, item: ItemRecord): void {
  const t = treeOf(store, driveId);
  const coll = itemsOf(store, driveId);
  const prev = coll.get(item.id);
  store.put(driveKey(driveId), item.id, item);
  if (prev?.parentId) t.children.get(prev.parentId)?.delete(prev.name.toLowerCase());
  if (item.parentId) childMap(t.children, item.parentId).set(item.name.toLowerCase(), item.id);
  t.seqOf.set(item.id, coll.lastSeq);
  t.seq = coll.lastSeq;
  delete t.sizes;
  delete t.used;
}

/** Journaled removal of an item and everything below it; returns the removed ids. */
export function removeItem(store: TenantStore, driveId: string, item: ItemRecord): string[] {
  const below = descendants(store, driveId, item.id);
  const t = treeOf(store, driveId);
  const coll = itemsOf(store, driveId);
  const removed: string[] = [];
  // Children first, so a delta reader meets contents before their folder goes.
  for (const d of [...below].reverse().concat(item)) {
    store.put<RemovedListItem>(removedKey(driveId), d.id, { listItemId: d.listItemId, folder: !d.file });
    store.remove(driveKey(driveId), d.id, 'deleted');
    if (d.parentId) t.children.get(d.parentId)?.delete(d.name.toLowerCase());
    t.children.delete(d.id);
    t.seqOf.delete(d.id);
    removed.push(d.id);
  }
  t.seq = coll.lastSeq;
  delete t.sizes;
  delete t.used;
  return removed;
}

const FORBIDDEN_CHARS = /["*:<>?/\\|]/;
const RESERVED = /^(\.lock|CON|PRN|AUX|NUL|COM\d|LPT\d|desktop\.ini)$/i;
export const MAX_PATH = 400;

/** SharePoint's naming rules for a new or renamed item (400 invalidRequest as Graph answers). */
export function validateName(name: unknown, atLibraryRoot: boolean, isFolder: boolean): string {
  if (typeof name !== 'string' || name.length === 0)
    throw invalidRequest('The name is missing or empty.', 'invalidParameterFormat');
  if (FORBIDDEN_CHARS.test(name) || [...name].some((c) => c.charCodeAt(0) < 0x20))
    throw invalidRequest('The provided name cannot contain any illegal characters.', 'invalidPath');
  if (/^\s|[\s.]$/.test(name))
    throw invalidRequest(`Path (/${name}) contains invalid trailing character.`, 'invalidPath');
  if (
    RESERVED.test(name) ||
    /_vti_/i.test(name) ||
    name.startsWith('~$') ||
    (isFolder && name.startsWith('~'))
  ) {
    throw invalidRequest('The provided name is reserved.', 'invalidPath');
  }
  if (atLibraryRoot && isFolder && name.toLowerCase() === 'forms')
    throw invalidRequest('Name is reserved for list forms folder.', 'invalidPath');
  return name;
}

export function checkPathLength(names: string[]): void {
  if (pathLength(names) > MAX_PATH)
    throw invalidRequest(
      'The path is too long. The full path must be 400 characters or fewer.',
      'pathIsTooLong',
    );
}

export type ConflictBehavior = 'fail' | 'replace' | 'rename';

export function conflictBehavior(raw: unknown, fallback: ConflictBehavior): ConflictBehavior {
  if (raw === undefined || raw === null || raw === '') return fallback;
  if (raw === 'fail' || raw === 'replace' || raw === 'rename') return raw;
  throw invalidRequest(
    `Invalid value '${JSON.stringify(raw)}' for @microsoft.graph.conflictBehavior.`,
    'invalidParameterFormat',
  );
}

export const nameExists = () =>
  new GraphHttpError(409, 'nameAlreadyExists', 'The specified item name already exists.');

/** Graph's rename scheme: "name 1.ext", "name 2.ext", ... */
export function freeName(store: TenantStore, driveId: string, parentId: string, name: string): string {
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let n = 1; ; n++) {
    const candidate = `${stem} ${n}${ext}`;
    if (!childByName(store, driveId, parentId, candidate)) return candidate;
  }
}

/**
 * Applies a conflict behaviour for `name` under `parentId`: returns the name to use and the item
 * that must be replaced (if any). `self` is ignored (an item renamed to its own name).
 */
export function resolveConflict(
  store: TenantStore,
  driveId: string,
  parentId: string,
  name: string,
  behavior: ConflictBehavior,
  self?: string,
): { name: string; existing?: ItemRecord } {
  const existing = childByName(store, driveId, parentId, name);
  if (!existing || existing.id === self) return { name };
  if (behavior === 'fail') throw nameExists();
  if (behavior === 'rename') return { name: freeName(store, driveId, parentId, name) };
  return { name, existing };
}

export const quotaExceeded = () =>
  new DriveError(507, 'quotaLimitReached', 'Insufficient Space Available', 'quotaLimitReached');
