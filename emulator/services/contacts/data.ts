import { GraphHttpError, badRequest } from '../../core/odata.js';
import type { Random } from '../../generator/random.js';
import type { UserRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { changeKeyFor, itemNotFound, outlookId } from '../shared/exchange.js';
import { blankContact } from './generate.js';
import { applyContactBody, defaultDisplayName } from './model.js';
import { contactsKey, foldersKey, type ContactFolderRecord, type ContactRecord } from './records.js';
import { outlookTimestamp } from '../shared/time.js';

/**
 * The contacts of the tenant's mailboxes, read and written through the store. Every change goes
 * through `store.put`/`store.remove` so it is journaled and shows up in delta.
 */
export class ContactsData {
  constructor(
    readonly store: TenantStore,
    private readonly random: Random,
  ) {}

  folders(user: UserRecord): ContactFolderRecord[] {
    return this.store.collection<ContactFolderRecord>(foldersKey(user.id)).values();
  }

  defaultFolder(user: UserRecord): ContactFolderRecord {
    const f = this.folders(user).find((x) => x.isDefault);
    if (!f) throw itemNotFound();
    return f;
  }

  /** A folder by id; `contacts` names the default folder as a well-known name. */
  folder(user: UserRecord, id: string): ContactFolderRecord {
    if (id.toLowerCase() === 'contacts') return this.defaultFolder(user);
    const f = this.store.collection<ContactFolderRecord>(foldersKey(user.id)).get(id);
    if (!f) throw itemNotFound();
    return f;
  }

  childFolders(user: UserRecord, parentId: string): ContactFolderRecord[] {
    return this.folders(user).filter((f) => f.parentFolderId === parentId && !f.isDefault);
  }

  /** A contact in any folder of the mailbox (as `/users/{id}/contacts/{id}` resolves it). */
  find(user: UserRecord, id: string, folderId?: string): ContactRecord {
    const folders = folderId ? [this.folder(user, folderId)] : this.folders(user);
    for (const f of folders) {
      const c = this.store.collection<ContactRecord>(contactsKey(user.id, f.id)).get(id);
      if (c) return c;
    }
    throw itemNotFound();
  }

  create(user: UserRecord, folderId: string, body: Record<string, unknown>): ContactRecord {
    const folder = this.folder(user, folderId);
    const now = Date.now();
    const id = outlookId('contact', user.id, this.random.guid());
    const c = blankContact(id, folder.id, now, now);
    applyContactBody(c, body);
    defaultDisplayName(c);
    this.store.put(contactsKey(user.id, folder.id), id, c);
    return c;
  }

  update(user: UserRecord, id: string, body: Record<string, unknown>, folderId?: string): ContactRecord {
    const current = this.find(user, id, folderId);
    const c: ContactRecord = structuredClone(current);
    applyContactBody(c, body);
    const now = Date.now();
    c.lastModifiedDateTime = outlookTimestamp(now);
    c.changeKey = changeKeyFor(id, now, this.random.next());
    this.store.put(contactsKey(user.id, c.parentFolderId), id, c);
    return c;
  }

  delete(user: UserRecord, id: string, folderId?: string): ContactRecord {
    const c = this.find(user, id, folderId);
    this.store.remove(contactsKey(user.id, c.parentFolderId), id);
    return c;
  }

  createFolder(user: UserRecord, parentId: string, body: Record<string, unknown>): ContactFolderRecord {
    const parent = this.folder(user, parentId);
    for (const k of Object.keys(body)) {
      if (!['displayName', 'parentFolderId'].includes(k) && !k.startsWith('@odata.')) {
        throw new GraphHttpError(
          400,
          'RequestBodyRead',
          `The property '${k}' does not exist on type 'microsoft.graph.contactFolder'.`,
        );
      }
    }
    const name = body['displayName'];
    if (typeof name !== 'string' || !name.trim())
      throw badRequest('The displayName property is required.', 'ErrorInvalidRequest');
    this.assertUniqueName(user, parent.id, name);
    const f: ContactFolderRecord = {
      id: outlookId('contact-folder', user.id, this.random.guid()),
      displayName: name,
      parentFolderId: parent.id,
      isDefault: false,
    };
    this.store.put(foldersKey(user.id), f.id, f);
    return f;
  }

  renameFolder(user: UserRecord, id: string, body: Record<string, unknown>): ContactFolderRecord {
    const f = this.folder(user, id);
    for (const k of Object.keys(body)) {
      if (k !== 'displayName' && !k.startsWith('@odata.')) {
        throw new GraphHttpError(
          400,
          'RequestBodyRead',
          `The property '${k}' cannot be updated on type 'microsoft.graph.contactFolder'.`,
        );
      }
    }
    const name = body['displayName'];
    if (name === undefined) return f;
    if (typeof name !== 'string' || !name.trim())
      throw badRequest('The displayName property is invalid.', 'ErrorInvalidRequest');
    if (f.isDefault)
      throw new GraphHttpError(
        400,
        'ErrorCannotRenameDistinguishedFolder',
        'Distinguished folders cannot be renamed.',
      );
    this.assertUniqueName(user, f.parentFolderId, name, f.id);
    const updated = { ...f, displayName: name };
    this.store.put(foldersKey(user.id), f.id, updated);
    return updated;
  }

  /** Deletes a folder with its contacts and subfolders. */
  deleteFolder(user: UserRecord, id: string): void {
    const f = this.folder(user, id);
    if (f.isDefault)
      throw new GraphHttpError(
        400,
        'ErrorDeleteDistinguishedFolder',
        'Distinguished folders cannot be deleted.',
      );
    for (const child of this.childFolders(user, f.id)) this.deleteFolder(user, child.id);
    const key = contactsKey(user.id, f.id);
    for (const c of this.store.collection<ContactRecord>(key).values()) this.store.remove(key, c.id);
    this.store.remove(foldersKey(user.id), f.id);
  }

  private assertUniqueName(user: UserRecord, parentId: string, name: string, except?: string): void {
    const clash = this.folders(user).some(
      (x) =>
        x.parentFolderId === parentId &&
        x.id !== except &&
        x.displayName.toLowerCase() === name.toLowerCase(),
    );
    if (clash)
      throw new GraphHttpError(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
  }

  /** Every contact of a mailbox, folder by folder. */
  allContacts(user: UserRecord): ContactRecord[] {
    return this.folders(user).flatMap((f) =>
      this.store.collection<ContactRecord>(contactsKey(user.id, f.id)).values(),
    );
  }
}
