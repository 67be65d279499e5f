import type { Entry } from '../../core/collection.js';
import type { ServiceContext } from '../../core/service.js';
import type { EmuRequest } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import { contentBody, knownHash } from './content.js';
import {
  itemsOf,
  LIBRARY_QUOTA,
  ONEDRIVE_QUOTA,
  SETTINGS_KEY,
  type DriveInfo,
  type DriveSettings,
  type FileState,
  type IdentityRef,
  type ItemRecord,
  type PermissionRecord,
  type VersionRecord,
} from './model.js';
import { childIds, folderSize, pathNames, rootOf, usedBytes } from './tree.js';

/** Graph JSON shapes of drives, driveItems, versions and permissions. */

export const identity = (u: IdentityRef) =>
  u.app
    ? { application: { id: u.id, displayName: u.displayName }, user: { displayName: 'SharePoint App' } }
    : { user: { ...(u.email ? { email: u.email } : {}), id: u.id, displayName: u.displayName } };
const etagGuid = (id: string) => {
  const h = Buffer.from(id.slice(2)).toString('hex').toUpperCase().padEnd(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};
export const eTagOf = (item: ItemRecord) => `"{${etagGuid(item.id)}},${item.rev}"`;
/** SharePoint's UniqueId of the item's list item (`sharepointIds.listItemUniqueId`). */
export const listItemUniqueId = (item: ItemRecord) => etagGuid(item.id).toLowerCase();
export const cTagOf = (item: ItemRecord) => `"c:{${etagGuid(item.id)}},${item.crev}"`;

export function quotaTotal(store: TenantStore, drive: DriveInfo): number {
  const settings = store.collection<DriveSettings>(SETTINGS_KEY).get(drive.id);
  return settings?.quotaTotal ?? (drive.driveType === 'business' ? ONEDRIVE_QUOTA : LIBRARY_QUOTA);
}

export function quotaRemaining(store: TenantStore, drive: DriveInfo): number {
  return Math.max(0, quotaTotal(store, drive) - usedBytes(store, drive.id));
}

export function driveJson(store: TenantStore, drive: DriveInfo): Record<string, unknown> {
  const total = quotaTotal(store, drive);
  const used = usedBytes(store, drive.id);
  const ratio = used / total;
  const site = drive.site;
  let owner: unknown = { user: { displayName: 'System Account' } };
  if (site.ownerUserId) {
    const u = store.users.get(site.ownerUserId);
    owner = identity({
      id: site.ownerUserId,
      displayName: u?.displayName ?? site.displayName,
      ...(u?.mail ? { email: u.mail } : {}),
    });
  } else if (site.groupId) {
    const g = store.groups.get(site.groupId);
    owner = {
      group: {
        id: site.groupId,
        displayName: g?.displayName ?? site.displayName,
        ...(g?.mail ? { email: g.mail } : {}),
      },
    };
  }
  const root = rootOf(store, drive.id);
  return {
    id: drive.id,
    driveType: drive.driveType,
    name: drive.name,
    description: '',
    createdDateTime: site.createdDateTime,
    lastModifiedDateTime: root.modified,
    webUrl: drive.webUrl,
    createdBy: { user: { displayName: 'System Account' } },
    owner,
    quota: {
      deleted: 0,
      remaining: Math.max(0, total - used),
      state: ratio >= 1 ? 'exceeded' : ratio >= 0.98 ? 'critical' : ratio >= 0.9 ? 'nearing' : 'normal',
      total,
      used,
    },
  };
}

export interface ItemJsonOptions {
  /** Delta omits parentReference.path and cTag (OneDrive for Business). */
  delta?: boolean;
  /** Mints `@microsoft.graph.downloadUrl` for files. */
  downloadUrl?: (item: ItemRecord, file: FileState) => string;
  permissions?: boolean;
}

interface DownloadPayload {
  /** the file version: content reference, size, type — small plain JSON */
  f: FileState;
  n: string;
  e: string;
}

/** Lets download URLs (which carry their file version) be served; called once per emulator. */
export function installDownloads(ctx: ServiceContext): void {
  ctx.downloads.resolver('drive', (payload) => {
    const p = payload as DownloadPayload;
    return { body: contentBody(ctx.store, p.f), contentType: p.f.mime, fileName: p.n, etag: p.e };
  });
}

export function downloadUrlFor(
  ctx: ServiceContext,
  req: EmuRequest,
  item: ItemRecord,
  file: FileState,
): string {
  const payload: DownloadPayload = { f: file, n: item.name, e: eTagOf(item) };
  return ctx.downloads.url(req.origin, 'drive', item.id, payload);
}

/** A download URL minter for one request. */
export const downloadsFor = (ctx: ServiceContext, req: EmuRequest) => (item: ItemRecord, file: FileState) =>
  downloadUrlFor(ctx, req, item, file);

export function itemJson(
  store: TenantStore,
  drive: DriveInfo,
  item: ItemRecord,
  opts: ItemJsonOptions = {},
): Record<string, unknown> {
  const names = pathNames(store, drive.id, item);
  const parentRef: Record<string, unknown> = { driveType: drive.driveType, driveId: drive.id };
  if (item.parentId !== null) {
    parentRef['id'] = item.parentId;
    if (!opts.delta)
      parentRef['path'] = `/drives/${drive.id}/root:${names
        .slice(0, -1)
        .map((n) => `/${encodeURIComponent(n)}`)
        .join('')}`;
  }
  parentRef['siteId'] = drive.site.id;
  const out: Record<string, unknown> = {};
  if (opts.downloadUrl && item.file) out['@microsoft.graph.downloadUrl'] = opts.downloadUrl(item, item.file);
  Object.assign(out, {
    createdBy: identity(item.createdBy),
    createdDateTime: item.created,
    eTag: eTagOf(item),
    id: item.id,
    lastModifiedBy: identity(item.modifiedBy),
    lastModifiedDateTime: item.modified,
    name: item.parentId === null ? 'root' : item.name,
    parentReference: parentRef,
    webUrl:
      item.parentId === null ? drive.webUrl : `${drive.webUrl}/${names.map(encodeURIComponent).join('/')}`,
  });
  if (!opts.delta) out['cTag'] = cTagOf(item);
  if (item.description !== undefined) out['description'] = item.description;
  if (item.file) {
    const hash = knownHash(store, item.file);
    out['file'] = { mimeType: item.file.mime, hashes: hash ? { quickXorHash: hash } : {} };
  } else if (item.kind === 'notebook') out['package'] = { type: 'oneNote' };
  else out['folder'] = { childCount: childIds(store, drive.id, item.id).length };
  out['fileSystemInfo'] = {
    createdDateTime: item.fsCreated ?? item.created,
    lastModifiedDateTime: item.fsModified ?? item.modified,
  };
  if (item.parentId === null) out['root'] = {};
  const shared = sharedFacet(item);
  if (shared) out['shared'] = shared;
  out['sharepointIds'] = {
    listId: drive.listId,
    ...(item.parentId !== null
      ? { listItemId: String(item.listItemId), listItemUniqueId: listItemUniqueId(item) }
      : {}),
    siteId: drive.site.id.split(',')[1],
    siteUrl: drive.site.webUrl,
    webId: drive.site.id.split(',')[2],
  };
  out['size'] = item.file ? item.file.size : folderSize(store, drive.id, item.id);
  if (opts.permissions) out['permissions'] = permissionsJson(store, drive, item);
  return out;
}

function sharedFacet(item: ItemRecord): Record<string, unknown> | undefined {
  const perms = item.permissions ?? [];
  if (perms.length === 0) return undefined;
  const scopes = perms.map((p) => p.link?.scope ?? 'users');
  const scope = scopes.includes('anonymous')
    ? 'anonymous'
    : scopes.includes('organization')
      ? 'organization'
      : 'users';
  const first = perms.reduce((a, b) => (a.created <= b.created ? a : b));
  return { owner: identity(first.sharedBy), scope, sharedDateTime: first.created };
}

/** A deleted item in delta: the `deleted` facet; ODB omits name and cTag. */
export function deletedJson(drive: DriveInfo, entry: Entry<ItemRecord>): Record<string, unknown> {
  return {
    id: entry.id,
    deleted: { state: 'deleted' },
    parentReference: { driveType: drive.driveType, driveId: drive.id },
  };
}

export function permissionJson(
  p: PermissionRecord,
  inheritedFrom?: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { id: p.id, roles: p.roles };
  if (p.user) {
    out['grantedTo'] = identity(p.user);
    out['grantedToV2'] = identity(p.user);
  }
  if (p.invitation) out['invitation'] = p.invitation;
  if (p.link) {
    out['link'] = { scope: p.link.scope, type: p.link.type, webUrl: p.link.webUrl, preventsDownload: false };
    out['grantedToIdentitiesV2'] = (p.grantees ?? []).map(identity);
    out['hasPassword'] = p.hasPassword ?? false;
  }
  if (p.shareId) out['shareId'] = p.shareId;
  if (p.expirationDateTime) out['expirationDateTime'] = p.expirationDateTime;
  if (inheritedFrom) out['inheritedFrom'] = inheritedFrom;
  return out;
}

/** The item's own sharing permissions, then those inherited from its ancestors. */
export function permissionsJson(
  store: TenantStore,
  drive: DriveInfo,
  item: ItemRecord,
): Record<string, unknown>[] {
  const out = (item.permissions ?? []).map((p) => permissionJson(p));
  const coll = itemsOf(store, drive.id);
  let cur = item.parentId === null ? undefined : coll.get(item.parentId);
  while (cur) {
    const names = pathNames(store, drive.id, cur);
    const from = {
      driveId: drive.id,
      id: cur.id,
      path: `/drives/${drive.id}/root:${names.map((n) => `/${encodeURIComponent(n)}`).join('')}`,
    };
    for (const p of cur.permissions ?? []) out.push(permissionJson(p, from));
    cur = cur.parentId === null ? undefined : coll.get(cur.parentId);
  }
  return out;
}

export function versionJson(v: {
  n: number;
  modified: string;
  by: IdentityRef;
  size: number;
}): Record<string, unknown> {
  return { id: `${v.n}.0`, lastModifiedBy: identity(v.by), lastModifiedDateTime: v.modified, size: v.size };
}

/** Every version of a file, current first, as `/versions` lists them. */
export function allVersions(
  item: ItemRecord,
): { n: number; modified: string; by: IdentityRef; file: FileState }[] {
  if (!item.file) return [];
  const current = { n: item.version ?? 1, modified: item.modified, by: item.modifiedBy, file: item.file };
  return [
    current,
    ...(item.versions ?? []).map((v: VersionRecord) => ({
      n: v.n,
      modified: v.modified,
      by: v.by,
      file: v.file,
    })),
  ];
}
