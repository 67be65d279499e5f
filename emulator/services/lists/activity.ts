import { GraphHttpError, badRequest, notFound } from '../../core/odata.js';
import type { ActivityOp, ServiceContext } from '../../core/service.js';
import { TextGenerator } from '../../generator/text.js';
import type { SiteRecord } from '../../tenant/records.js';
import { requireSite } from '../directory-records.js';
import { siteRoster } from './generate.js';
import { deleteLibraryListItem, libraryListItemCount, updateLibraryListItem } from '../drives/api.js';
import { parseLibraryFields } from './library-items.js';
import { isLibrary, librariesOf, libraryDriveId } from './library.js';
import { itemsOf, listsOf, requireItem, requireList, str, type ListRecord } from './model.js';
import { addItem, deleteItem, parseFields, updateItem } from './writes.js';
import { sampleAttachmentBytes } from './attachment-content.js';
import { addAttachment, deleteAttachment } from './attachments.js';
import { SharePointError } from './sp-format.js';

/** Largest attachment the activity API makes (SharePoint Online allows 250 MB). */
const MAX_ACTIVITY_BYTES = 250 * 1024 * 1024;

/** Attachment rules fail in SharePoint's shape; the admin API answers in Graph's. */
function viaGraphErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SharePointError) throw new GraphHttpError(e.status, 'invalidRequest', e.message);
    throw e;
  }
}

/** List activity between backups: items added, changed and deleted, attachments added and removed. */
export function listsActivity(ctx: ServiceContext): Record<string, ActivityOp> {
  const { store, random } = ctx;
  const text = new TextGenerator(random);

  const siteOf = (arg: unknown): SiteRecord => {
    const key = str(arg);
    if (!key) {
      const s = store.sites.values().find((x) => x.kind === 'team');
      if (!s) throw notFound('No team site.');
      return s;
    }
    return store.sites.values().find((x) => x.name === key) ?? requireSite(store, key);
  };
  const listOf = (site: SiteRecord, arg: unknown): ListRecord => {
    const key = str(arg);
    if (key) return requireList(store, site, key);
    const l = listsOf(store, site)
      .values()
      .find((x) => !x.system);
    if (!l) throw notFound(`Site '${site.displayName}' has no list.`);
    return l;
  };
  const author = (site: SiteRecord, arg: unknown): string | null => {
    if (arg !== undefined) {
      const u = store.findUser(str(arg));
      if (!u) throw notFound(`No user '${str(arg)}'.`);
      return u.id;
    }
    const roster = siteRoster(store, site);
    return roster.length ? random.pick(roster) : null;
  };
  const describe = (change: string, site: SiteRecord, list: ListRecord, id: string) => ({
    change,
    siteId: site.id,
    listId: list.id,
    itemId: id,
  });

  const ops: Record<string, ActivityOp> = {
    'lists.addItem': (args) => {
      const site = siteOf(args['site']);
      const list = listOf(site, args['list']);
      if (isLibrary(list))
        throw badRequest(
          'Files and folders should only be added to a DocumentLibrary via the OneDrive API (use drive.addFile)',
        );
      const fields = parseFields(store, list, args['fields'] ?? { Title: text.title(3) });
      const item = addItem(store, site, list, fields, author(site, args['from']), random);
      return describe('add', site, list, item.id);
    },
    'lists.updateItem': (args) => {
      const site = siteOf(args['site']);
      const list = listOf(site, args['list']);
      if (isLibrary(list)) {
        // A library item's Title (or FileLeafRef) is the drive item's: written through the drive.
        const change = parseLibraryFields(args['fields'] ?? { Title: text.title(3) });
        const li = updateLibraryListItem(
          ctx,
          undefined,
          libraryDriveId(list) as string,
          str(args['id']),
          change,
        );
        return describe('update', site, list, li.id);
      }
      const item = requireItem(store, list, str(args['id']));
      const fields = parseFields(store, list, args['fields'] ?? { Title: text.title(3) });
      updateItem(store, site, list, item, fields, author(site, args['from']));
      return describe('update', site, list, item.id);
    },
    'lists.deleteItem': (args) => {
      const site = siteOf(args['site']);
      const list = listOf(site, args['list']);
      if (isLibrary(list)) {
        deleteLibraryListItem(store, libraryDriveId(list) as string, str(args['id']));
        return describe('delete', site, list, str(args['id']));
      }
      const item = requireItem(store, list, str(args['id']));
      deleteItem(store, list, item);
      return describe('delete', site, list, item.id);
    },
    'lists.addAttachment': (args) => {
      const site = siteOf(args['site']);
      const list = listOf(site, args['list']);
      const items = itemsOf(store, list).values();
      const item = args['id'] === undefined ? random.pick(items) : requireItem(store, list, str(args['id']));
      if (!item) throw notFound(`List '${list.displayName}' has no item.`);
      const fileName = str(args['fileName']) || text.fileName(random.pick(['pdf', 'docx', 'png', 'txt']));
      const size = args['size'] === undefined ? undefined : Number(args['size']);
      if (size !== undefined && !(Number.isInteger(size) && size >= 0 && size <= MAX_ACTIVITY_BYTES))
        throw badRequest(`"size" must be a whole number of bytes up to ${MAX_ACTIVITY_BYTES}.`);
      // A given size gets that many random bytes; otherwise a real file of the name's type.
      const data = size === undefined ? sampleAttachmentBytes(random.guid(), fileName) : random.bytes(size);
      const a = viaGraphErrors(() =>
        addAttachment(store, site, list, item, fileName, data, author(site, args['from'])),
      );
      return { ...describe('addAttachment', site, list, item.id), fileName: a.fileName, size: data.length };
    },
    'lists.deleteAttachment': (args) => {
      const site = siteOf(args['site']);
      const list = listOf(site, args['list']);
      const item = requireItem(store, list, str(args['id']));
      const fileName = str(args['fileName']) || item.attachments[0]?.fileName;
      if (!fileName) throw notFound(`Item ${item.id} of '${list.displayName}' has no attachment.`);
      const a = viaGraphErrors(() =>
        deleteAttachment(store, site, list, item, fileName, author(site, args['from'])),
      );
      return { ...describe('deleteAttachment', site, list, item.id), fileName: a.fileName };
    },
    'lists.randomActivity': (args) => {
      const count = Math.max(0, Math.min(1000, Number(args['count'] ?? 10)));
      const sites = store.sites.values().filter((s) => s.kind !== 'personal');
      const changes: unknown[] = [];
      for (let i = 0; i < count; i++) {
        const site = random.pick(sites);
        const lists = listsOf(store, site)
          .values()
          .filter((l) => !l.system);
        if (lists.length === 0) continue;
        const list = random.pick(lists);
        const items = itemsOf(store, list).values();
        const roll = random.next();
        const base = { site: site.id, list: list.id };
        if (roll < 0.5 || items.length === 0) changes.push(ops['lists.addItem']?.(base));
        else if (roll < 0.85) changes.push(ops['lists.updateItem']?.({ ...base, id: random.pick(items).id }));
        else changes.push(ops['lists.deleteItem']?.({ ...base, id: random.pick(items).id }));
      }
      return { changes };
    },
  };
  return ops;
}

/** Exact counts of every site's lists and items (materializes them all). */
export function listsInventory(ctx: ServiceContext): Record<string, number> {
  const { store } = ctx;
  const out = {
    lists: 0,
    documentLibraries: 0,
    systemLists: 0,
    listItems: 0,
    systemListItems: 0,
    listItemAttachments: 0,
    /** Items of document libraries as `/lists/{library}/items` shows them (the drives' items). */
    libraryItems: 0,
  };
  for (const site of store.sites.values()) {
    // Libraries show in /lists; their items are the drives' items (libraryItems, not listItems).
    const libraries = librariesOf(store, site);
    out.lists += libraries.length;
    out.documentLibraries += libraries.length;
    for (const l of libraries) out.libraryItems += libraryListItemCount(store, libraryDriveId(l) as string);
    for (const list of listsOf(store, site).values()) {
      const items = itemsOf(store, list).values();
      if (list.system) {
        out.systemLists++;
        out.systemListItems += items.length;
      } else {
        out.lists++;
        out.listItems += items.length;
        for (const i of items) out.listItemAttachments += i.attachments.length;
      }
    }
  }
  return out;
}
