import { badRequest } from '../../core/odata.js';
import type { ActivityOp, ServiceContext } from '../../core/service.js';
import type { UserRecord } from '../../tenant/records.js';
import { ContactsData } from './data.js';
import { invalidUser, mailboxNotEnabled, textArg } from '../shared/exchange.js';
import { generateContact } from './generate.js';
import { READ_ONLY_FIELDS } from './records.js';

/** A fresh, fully populated contact body (as a person would type it into Outlook). */
function randomContactBody(data: ContactsData, user: UserRecord, n: number): Record<string, unknown> {
  const generated = generateContact(data.store, user.id, 'activity', n) as unknown as Record<string, unknown>;
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(generated))
    if (!(READ_ONLY_FIELDS as readonly string[]).includes(k)) body[k] = v;
  return body;
}

/** Contacts changes between backups, for `/_emulator/activity`. */
export function contactsActivity(ctx: ServiceContext): Record<string, ActivityOp> {
  const { store, random } = ctx;
  const data = new ContactsData(store, random);

  const mailboxOf = (arg: unknown): UserRecord => {
    const u = store.findUser(textArg(arg));
    if (!u) throw invalidUser(textArg(arg));
    if (!u.mailbox) throw mailboxNotEnabled();
    return u;
  };
  const mailboxes = () =>
    store.users.values().filter((u) => u.mailbox && u.mailbox !== 'room' && u.mailbox !== 'equipment');
  const setOf = (args: Record<string, unknown>) => (args['set'] ?? {}) as Record<string, unknown>;

  const add = (u: UserRecord, folderId: string | undefined, set: Record<string, unknown>) => {
    const body = { ...randomContactBody(data, u, random.int(0, 1_000_000)), ...set };
    const c = data.create(u, folderId ?? data.defaultFolder(u).id, body);
    return { op: 'addContact', user: u.id, id: c.id, folderId: c.parentFolderId };
  };
  const update = (u: UserRecord, id: string, set: Record<string, unknown>) => {
    const patch = Object.keys(set).length
      ? set
      : {
          personalNotes: `Updated ${new Date().toISOString()}\nCalled back, all good.`,
          jobTitle: 'Director of Operations',
        };
    const c = data.update(u, id, patch);
    return {
      op: 'updateContact',
      user: u.id,
      id: c.id,
      folderId: c.parentFolderId,
      changed: Object.keys(patch),
    };
  };
  const remove = (u: UserRecord, id: string) => {
    const c = data.delete(u, id);
    return { op: 'deleteContact', user: u.id, id: c.id, folderId: c.parentFolderId };
  };

  return {
    'contacts.addContact': (args) =>
      add(mailboxOf(args['user']), args['folderId'] as string | undefined, setOf(args)),
    'contacts.updateContact': (args) => update(mailboxOf(args['user']), textArg(args['id']), setOf(args)),
    'contacts.deleteContact': (args) => remove(mailboxOf(args['user']), textArg(args['id'])),
    'contacts.addFolder': (args) => {
      const u = mailboxOf(args['user']);
      const f = data.createFolder(u, textArg(args['parentId'], data.defaultFolder(u).id), {
        displayName: textArg(args['displayName'], `Folder ${random.int(100, 999)}`),
      });
      return { op: 'addFolder', user: u.id, id: f.id, parentFolderId: f.parentFolderId };
    },
    'contacts.deleteFolder': (args) => {
      const u = mailboxOf(args['user']);
      data.deleteFolder(u, textArg(args['id']));
      return { op: 'deleteFolder', user: u.id, id: String(args['id']) };
    },
    /** `count` random adds, updates and deletes across mailboxes (or in `user`'s); returns each change. */
    'contacts.randomActivity': (args) => {
      const count = Number(args['count'] ?? 5);
      if (!Number.isInteger(count) || count < 0 || count > 10_000)
        throw badRequest('count must be an integer between 0 and 10000');
      const pool = args['user'] !== undefined ? [mailboxOf(args['user'])] : mailboxes();
      if (pool.length === 0) return [];
      const changes: unknown[] = [];
      for (let i = 0; i < count; i++) {
        const u = random.pick(pool);
        const existing = data.allContacts(u);
        const roll = random.next();
        if (existing.length === 0 || roll < 0.4) {
          const folders = data.folders(u);
          changes.push(add(u, random.pick(folders).id, {}));
        } else if (roll < 0.8) {
          changes.push(update(u, random.pick(existing).id, {}));
        } else {
          changes.push(remove(u, random.pick(existing).id));
        }
      }
      return changes;
    },
  };
}
