import type { Collection } from '../../core/collection.js';
import { GraphHttpError } from '../../core/odata.js';
import { Random } from '../../generator/random.js';
import type { UserRecord } from '../../tenant/records.js';
import { seededOrLiveUser } from '../../tenant/seeded.js';
import { invalidUser, mailboxNotEnabled } from '../shared/exchange.js';
import type { TenantStore } from '../../tenant/store.js';
import { folderId, messageId } from './ids.js';
import { archiveEntries, ARCHIVE_YEARS, customFolderKeys, mailboxEntries, type PlanEntry } from './plan.js';
import type { FolderRecord, MessageRecord } from './records.js';

/**
 * Mailboxes as collections: `mail:folders:{mailbox}` holds a mailbox's folder tree (the unit of
 * mailFolders delta) and `mail:msgs:{mailbox}:{folderKey}` one folder's messages (the unit of
 * messages delta). `{mailbox}` is the owner's user id, or `arch.{user id}` for the in-place
 * archive. Both are generated from the seed on first use.
 */

export interface Mailbox {
  /** Collection key part: user id or `arch.{user id}`. */
  key: string;
  user: UserRecord;
  archive: boolean;
}

export const foldersKey = (mb: Mailbox | string) => `mail:folders:${typeof mb === 'string' ? mb : mb.key}`;
export const messagesKey = (mb: Mailbox | string, folderKey: string) =>
  `mail:msgs:${typeof mb === 'string' ? mb : mb.key}:${folderKey}`;

export const WELL_KNOWN: [key: string, name: string][] = [
  ['inbox', 'Inbox'],
  ['drafts', 'Drafts'],
  ['sentitems', 'Sent Items'],
  ['deleteditems', 'Deleted Items'],
  ['junkemail', 'Junk Email'],
  ['archive', 'Archive'],
  ['outbox', 'Outbox'],
  ['conversationhistory', 'Conversation History'],
  ['searchfolders', 'Search Folders'],
];
const CUSTOM_NAMES = [
  'Projects 🚀',
  'Kunden – Über',
  'Finance 2025',
  'Réunions',
  '客户资料',
  'Receipts 🧾',
  'Отчёты',
  'Travel ✈️',
  'Legal & Compliance',
  'שונות',
  'Team Ω',
  'Vendors',
  'Année fiscale',
  'Ideas 💡',
  '見積もり',
  'Board',
];

/**
 * A user's primary mailbox without an access check (activity, upload sessions): 404
 * ErrorInvalidUser when unknown, MailboxNotEnabledForRESTAPI without a mailbox. Requests resolve
 * theirs through `mailboxOf` (common.ts), which also checks a delegated caller.
 */
export function primaryMailbox(store: TenantStore, userParam: string): Mailbox {
  const user = store.findUser(userParam);
  if (!user) throw invalidUser(userParam);
  if (!user.mailbox) throw mailboxNotEnabled();
  return { key: user.id, user, archive: false };
}

function folder(
  mb: string,
  key: string,
  parentKey: string | null,
  displayName: string,
  created: string,
  extra: Partial<FolderRecord> = {},
): FolderRecord {
  return {
    id: folderId(mb, key),
    key,
    parentKey,
    displayName,
    wellKnownName: null,
    isHidden: false,
    type: 'IPF.Note',
    created,
    v: 0,
    ...extra,
  };
}

function primaryFolders(store: TenantStore, mb: string, user: UserRecord): FolderRecord[] {
  const created = user.createdDateTime;
  const out: FolderRecord[] = [
    folder(mb, 'root', null, 'Top of Information Store', created, { wellKnownName: 'msgfolderroot' }),
  ];
  for (const [key, name] of WELL_KNOWN)
    out.push(folder(mb, key, 'root', name, created, { wellKnownName: key }));
  out.push(
    folder(mb, 'hidden0', 'root', 'Conversation Action Settings', created, {
      isHidden: true,
      type: 'IPF.Configuration',
    }),
  );
  out.push(
    folder(mb, 'sf0', 'searchfolders', 'Unread Mail', created, {
      search: { filterQuery: 'isRead eq false', sourceKeys: ['inbox'], includeNestedFolders: true },
    }),
  );
  const r = new Random(store.seed, 'custom-folders', user.seedIndex);
  const names = r.sample(CUSTOM_NAMES, CUSTOM_NAMES.length);
  customFolderKeys(store).forEach((key, i) => {
    const parent = i % 4 === 0 ? 'root' : i % 4 === 1 ? 'inbox' : `c${i - 1}`;
    const name = names[i % names.length] ?? 'Folder';
    out.push(
      folder(
        mb,
        key,
        parent,
        i >= names.length ? `${name} ${Math.floor(i / names.length) + 1}` : name,
        created,
      ),
    );
  });
  return out;
}

function archiveFolders(mb: string, user: UserRecord): FolderRecord[] {
  const created = user.createdDateTime;
  return [
    folder(mb, 'root', null, 'Top of Information Store', created, { wellKnownName: 'archivemsgfolderroot' }),
    folder(mb, 'inbox', 'root', 'Inbox', created, { wellKnownName: 'inbox' }),
    folder(mb, 'sentitems', 'root', 'Sent Items', created, { wellKnownName: 'sentitems' }),
    folder(mb, 'deleteditems', 'root', 'Deleted Items', created, { wellKnownName: 'deleteditems' }),
    ...ARCHIVE_YEARS.map((y) => folder(mb, `y${y}`, 'root', String(y), created)),
  ];
}

/**
 * The user a mailbox key belongs to, as seeded (or added at runtime): a mailbox generates the same
 * content whether its owner was renamed or deleted before or after it was first touched.
 */
function ownerOfKey(store: TenantStore, mbKey: string): { user: UserRecord; archive: boolean } | undefined {
  const archive = mbKey.startsWith('arch.');
  const user = seededOrLiveUser(store, archive ? mbKey.slice(5) : mbKey);
  return user ? { user, archive } : undefined;
}

/** Generated plan entries of a mailbox, in generator-index order. */
export function entriesOf(store: TenantStore, mbKey: string): PlanEntry[] {
  const o = ownerOfKey(store, mbKey);
  if (!o) return [];
  return o.archive
    ? archiveEntries(store, o.user.id, o.user.seedIndex)
    : mailboxEntries(store, o.user.id, o.user.seedIndex, o.user.mailbox ?? 'user');
}

export function installMailboxMaterializers(
  store: TenantStore,
  mc: (key: string, c: Collection<unknown>) => boolean,
): void {
  store.registerMaterializer('mail', (s, key, c) => {
    const folders = /^mail:folders:([^:]+)$/.exec(key);
    if (folders) {
      const mbKey = folders[1] as string;
      const o = ownerOfKey(s, mbKey);
      if (!o || !o.user.mailbox) return;
      for (const f of o.archive ? archiveFolders(mbKey, o.user) : primaryFolders(s, mbKey, o.user))
        c.put(f.id, f);
      return;
    }
    const msgs = /^mail:msgs:([^:]+):(.+)$/.exec(key);
    if (msgs) {
      const [, mbKey, fk] = msgs as unknown as [string, string, string];
      entriesOf(s, mbKey).forEach((e, g) => {
        if (e.folder !== fk) return;
        const rec: MessageRecord = { k: `g${g}`, g, v: 0, c0: 0 };
        c.put(messageId(mbKey, fk, rec.k), rec);
      });
      return;
    }
    mc(key, c);
  });
}

export const folderColl = (store: TenantStore, mb: Mailbox | string) =>
  store.collection<FolderRecord>(foldersKey(mb));
export const messageColl = (store: TenantStore, mb: Mailbox | string, fk: string) =>
  store.collection<MessageRecord>(messagesKey(mb, fk));

export function folderByKey(store: TenantStore, mb: Mailbox, key: string): FolderRecord | undefined {
  return folderColl(store, mb).get(folderId(mb.key, key));
}

/** Live folders of a mailbox (a folder whose ancestor was deleted is gone too). */
export function liveFolders(store: TenantStore, mb: Mailbox): FolderRecord[] {
  return folderColl(store, mb).values();
}

/** Folders that hold messages (not search folders). */
export const messageFolders = (store: TenantStore, mb: Mailbox) =>
  liveFolders(store, mb).filter((f) => !f.search);

export function childrenOf(
  store: TenantStore,
  mb: Mailbox,
  key: string,
  includeHidden = true,
): FolderRecord[] {
  return liveFolders(store, mb).filter((f) => f.parentKey === key && (includeHidden || !f.isHidden));
}

/** Keys of a folder and everything below it. */
export function subtreeKeys(store: TenantStore, mb: Mailbox, key: string): string[] {
  const all = liveFolders(store, mb);
  const out = [key];
  for (let i = 0; i < out.length; i++) for (const f of all) if (f.parentKey === out[i]) out.push(f.key);
  return out;
}

const mailboxNotFound = () =>
  new GraphHttpError(404, 'ErrorItemNotFound', 'The specified mailbox was not found.');

/** `MBX:…@…` ids (primary or archive) → the mailbox. */
export function mailboxById(store: TenantStore, id: string): Mailbox {
  for (const user of store.users.values()) {
    if (!user.mailbox) continue;
    if (user.primaryMailboxId === id) return { key: user.id, user, archive: false };
    if (user.archiveMailboxId === id) return { key: `arch.${user.id}`, user, archive: true };
  }
  throw mailboxNotFound();
}

export const mailboxIdOf = (mb: Mailbox) =>
  (mb.archive ? mb.user.archiveMailboxId : mb.user.primaryMailboxId) ?? '';
