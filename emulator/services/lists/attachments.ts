import type { SiteRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { isoSeconds } from '../shared/time.js';
import { isLibrary } from './library.js';
import { itemsKey, type AttachmentRecord, type ListItemRecord, type ListRecord } from './model.js';
import { SharePointError } from './sp-format.js';
import { ensureUser, touchList } from './writes.js';

/**
 * List item attachments as SharePoint keeps them: files in the list's `Attachments/{item id}`
 * folder, unique by name (case-insensitively) per item. Adding or removing one changes the item
 * (a new version, modified now, by the caller), so Graph's `fields.Attachments` and the list's
 * item delta show it. Shared by SharePoint REST and the activity API.
 */

/** Characters SharePoint refuses in file names (control characters are checked apart). */
const INVALID_NAME = /["*:<>?/\\|]/;
const hasControl = (s: string) => [...s].some((ch) => ch.charCodeAt(0) < 0x20);

export const fileNotFound = () =>
  new SharePointError(404, '-2147024894, System.IO.FileNotFoundException', 'File Not Found.');

/** Lists whose items cannot carry attachments: document libraries and the hidden system lists. */
export const attachmentsEnabled = (list: ListRecord) => !isLibrary(list) && !list.system;

/** The path of an attachment below its site (`Lists/Tasks/Attachments/3/a.txt`). */
export function attachmentSitePath(list: ListRecord, itemId: string, fileName: string): string {
  return `${decodeURI(list.path)}/Attachments/${itemId}/${fileName}`;
}

/** The server-relative URL of an attachment (`/sites/x/Lists/Tasks/Attachments/3/a.txt`). */
export function attachmentUrl(site: SiteRecord, list: ListRecord, itemId: string, fileName: string): string {
  return `${new URL(site.webUrl).pathname.replace(/\/$/, '')}/${attachmentSitePath(list, itemId, fileName)}`;
}

export function findAttachment(item: ListItemRecord, fileName: string): AttachmentRecord | undefined {
  const lower = fileName.toLowerCase();
  return item.attachments.find((a) => a.fileName.toLowerCase() === lower);
}

export const attachmentsDisabled = () =>
  new SharePointError(
    400,
    '-2147024809, System.ArgumentException',
    'Attachments are not enabled for this list.',
  );

function checkWritable(list: ListRecord): void {
  if (!attachmentsEnabled(list)) throw attachmentsDisabled();
}

function checkName(fileName: string): void {
  const bad =
    !fileName.trim() ||
    fileName !== fileName.trim() ||
    fileName.endsWith('.') ||
    fileName.length > 255 ||
    INVALID_NAME.test(fileName) ||
    hasControl(fileName);
  if (bad)
    throw new SharePointError(
      400,
      '-2130575245, Microsoft.SharePoint.SPException',
      'The file or folder name contains characters that are not permitted.  Please use a different name.',
    );
}

/** Writes the item with its new attachments as a change of the item (journaled). */
function saveItem(
  store: TenantStore,
  site: SiteRecord,
  list: ListRecord,
  item: ListItemRecord,
  attachments: AttachmentRecord[],
  who: string | null,
): ListItemRecord {
  const updated: ListItemRecord = {
    ...item,
    attachments,
    version: item.version + 1,
    lastModifiedDateTime: isoSeconds(Date.now()),
    editorId: who,
  };
  ensureUser(store, site, who);
  store.put(itemsKey(list.siteId, list.id), item.id, updated);
  touchList(store, list);
  return updated;
}

export function addAttachment(
  store: TenantStore,
  site: SiteRecord,
  list: ListRecord,
  item: ListItemRecord,
  fileName: string,
  data: Buffer,
  who: string | null,
): AttachmentRecord {
  checkWritable(list);
  checkName(fileName);
  if (findAttachment(item, fileName))
    throw new SharePointError(
      400,
      '-2130575257, Microsoft.SharePoint.SPException',
      'The specified name is already in use.\n\nThe document or folder name was not changed.  To change the name to a different value, close this dialog and edit the properties of the document or folder.',
    );
  const a: AttachmentRecord = { fileName, blob: store.blobs.put(data), size: data.length };
  saveItem(store, site, list, item, [...item.attachments, a], who);
  return a;
}

/** Replaces an attachment's content (`PUT …/$value`). */
export function replaceAttachment(
  store: TenantStore,
  site: SiteRecord,
  list: ListRecord,
  item: ListItemRecord,
  fileName: string,
  data: Buffer,
  who: string | null,
): void {
  checkWritable(list);
  const old = findAttachment(item, fileName);
  if (!old) throw fileNotFound();
  const a: AttachmentRecord = { ...old, blob: store.blobs.put(data), size: data.length };
  saveItem(
    store,
    site,
    list,
    item,
    item.attachments.map((x) => (x === old ? a : x)),
    who,
  );
}

export function deleteAttachment(
  store: TenantStore,
  site: SiteRecord,
  list: ListRecord,
  item: ListItemRecord,
  fileName: string,
  who: string | null,
): AttachmentRecord {
  checkWritable(list);
  const old = findAttachment(item, fileName);
  if (!old) throw fileNotFound();
  saveItem(
    store,
    site,
    list,
    item,
    item.attachments.filter((x) => x !== old),
    who,
  );
  return old;
}
