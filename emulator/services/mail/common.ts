import { randomBytes } from 'node:crypto';
import type { EmuRequest, RouteDef } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import { folderId, folderKeyOf, isFolderIdShape, messageId, messageKeysOf } from './ids.js';
import { folderByKey, folderColl, liveFolders, messageColl, messagesKey, type Mailbox } from './mailbox.js';
import { exchangeScope, itemNotFound, requireMailbox } from '../shared/exchange.js';
import type { Located } from './query.js';
import type { FolderRecord, MessageRecord } from './records.js';
import { isoSeconds } from '../shared/time.js';

/** Shared pieces of the mail routes: permissions, throttle scope, lookups, journaled writes. */

export const READ_BASIC = ['Mail.ReadBasic.All', 'Mail.Read', 'Mail.ReadWrite'];
export const READ = ['Mail.Read', 'Mail.ReadWrite'];
export const WRITE = ['Mail.ReadWrite'];

export { itemNotFound };
export const now = () => isoSeconds(Date.now());
export const newKey = () => randomBytes(12).toString('hex');

export function route(
  store: TenantStore,
  method: string,
  path: string,
  permissions: string[],
  handler: RouteDef['handler'],
  extra: Partial<RouteDef> = {},
): RouteDef {
  return { method, path, permissions, scope: exchangeScope(store), handler, ...extra };
}

/** The primary mailbox of `/users/{user}`; a delegated caller reaches only its own (403 otherwise). */
export function mailboxOf(store: TenantStore, req: EmuRequest): Mailbox {
  const user = requireMailbox(store, req, req.params['user'] ?? '');
  return { key: user.id, user, archive: false };
}

export const userSegment = (req: EmuRequest) => `users('${encodeURIComponent(req.params['user'] ?? '')}')`;

/** Graph's documented well-known folder names; those this mailbox lacks are simply not found. */
const DOCUMENTED_NAMES = new Set([
  'archive',
  'clutter',
  'conflicts',
  'conversationhistory',
  'deleteditems',
  'drafts',
  'inbox',
  'junkemail',
  'localfailures',
  'msgfolderroot',
  'outbox',
  'recoverableitemsdeletions',
  'scheduled',
  'searchfolders',
  'sentitems',
  'serverfailures',
  'syncissues',
]);

/** A folder by id or well-known name (case-insensitive), as Graph accepts both in paths. */
export function resolveFolder(store: TenantStore, mb: Mailbox, idOrName: string): FolderRecord {
  const lower = idOrName.toLowerCase();
  if (!isFolderIdShape(idOrName)) {
    const f = liveFolders(store, mb).find((x) => x.wellKnownName === lower);
    if (f) return f;
    if (DOCUMENTED_NAMES.has(lower) || (mb.archive && lower === 'archivemsgfolderroot')) throw itemNotFound();
  }
  const key = folderKeyOf(mb.key, idOrName);
  const f = folderByKey(store, mb, key);
  if (!f) throw itemNotFound();
  return f;
}

/** A message by id; with `folderParam`, it must be in that folder. */
export function locate(
  store: TenantStore,
  mb: Mailbox,
  id: string,
  folderParam?: string,
): Located & { id: string } {
  const { folderKey, itemKey } = messageKeysOf(mb.key, id);
  if (!folderByKey(store, mb, folderKey)) throw itemNotFound();
  if (folderParam !== undefined && resolveFolder(store, mb, folderParam).key !== folderKey)
    throw itemNotFound();
  const rec = messageColl(store, mb, folderKey).get(id);
  if (!rec || rec.k !== itemKey) throw itemNotFound();
  return { fk: folderKey, rec, id };
}

export function putMessage(store: TenantStore, mb: Mailbox, fk: string, rec: MessageRecord): string {
  const id = messageId(mb.key, fk, rec.k);
  store.put(messagesKey(mb, fk), id, rec);
  return id;
}

/** Records a changed message in place (new version, so a new changeKey). */
export function saveChanged(store: TenantStore, mb: Mailbox, loc: Located, rec: MessageRecord): Located {
  const next = { ...rec, v: loc.rec.v + 1, m: now() };
  putMessage(store, mb, loc.fk, next);
  return { fk: loc.fk, rec: next };
}

/** A new message in a folder: `c0` marks it as created for `changeType=created` delta. */
export function addMessage(
  store: TenantStore,
  mb: Mailbox,
  fk: string,
  rec: Omit<MessageRecord, 'k' | 'c0'>,
): Located & { id: string } {
  const full: MessageRecord = { ...rec, k: newKey(), c0: messageColl(store, mb, fk).lastSeq + 1 };
  const id = putMessage(store, mb, fk, full);
  return { fk, rec: full, id };
}

/** Move: the item leaves its folder (a removal for that folder's delta) and gets a new id. */
export function moveMessage(
  store: TenantStore,
  mb: Mailbox,
  loc: Located,
  destKey: string,
): Located & { id: string } {
  const { k: _k, c0: _c, ...rest } = loc.rec;
  const moved = addMessage(store, mb, destKey, { ...rest, v: loc.rec.v + 1, m: now() });
  store.remove(messagesKey(mb, loc.fk), messageId(mb.key, loc.fk, loc.rec.k), 'deleted');
  return moved;
}

export function copyMessage(
  store: TenantStore,
  mb: Mailbox,
  loc: Located,
  destKey: string,
): Located & { id: string } {
  const { k: _k, c0: _c, ...rest } = loc.rec;
  const t = now();
  return addMessage(store, mb, destKey, { ...rest, v: 0, m: t, cr: t });
}

export function deleteMessage(store: TenantStore, mb: Mailbox, loc: Located): void {
  store.remove(messagesKey(mb, loc.fk), messageId(mb.key, loc.fk, loc.rec.k), 'deleted');
}

export function folderIdOf(mb: Mailbox, key: string): string {
  return folderId(mb.key, key);
}

export const foldersOf = (store: TenantStore, mb: Mailbox) => folderColl(store, mb);
