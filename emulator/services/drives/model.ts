import { createHash, randomUUID } from 'node:crypto';
import type { Collection } from '../../core/collection.js';
import { GraphHttpError } from '../../core/odata.js';
import { graphErrorBody } from '../../core/odata.js';
import type { EmuRequest, EmuResponse, Handler } from '../../core/types.js';
import { stableGuid } from '../../generator/random.js';
import type { SiteRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { isoSeconds } from '../shared/time.js';

/**
 * Persisted shapes of the drives service. Every driveItem of a drive lives in one collection
 * (`drive:{driveId}`), parents referenced by id, so a drive's delta is that collection's change log.
 * Records are plain JSON (they are journaled). File bytes are never stored here: a ContentRef says
 * how to produce them.
 */

export interface IdentityRef {
  id: string;
  displayName: string;
  email?: string;
  /** An application acting app-only (Graph shows it under `application`). */
  app?: boolean;
}

/**
 * Where a file version's bytes come from: generated from (seed, drive, item, version) — `doc`
 * for typed documents, `rand` for keystream bytes of any size — or uploaded (`blob`, by sha256).
 * A copy keeps the ref, so it serves identical bytes.
 */
export type DocType =
  'docx' | 'xlsx' | 'pptx' | 'pdf' | 'txt' | 'csv' | 'html' | 'md' | 'json' | 'png' | 'one' | 'empty';
export type ContentRef =
  | { g: 'doc'; t: DocType; d: string; i: string; v: number }
  | { g: 'rand'; d: string; i: string; v: number; n: number }
  | { g: 'blob'; h: string };

export interface FileState {
  mime: string;
  content: ContentRef;
  size: number;
  /** quickXorHash; absent only for big generated content, whose hash is computed on first need. */
  hash?: string;
}

export interface VersionRecord {
  /** Major version number; the id Graph shows is `${n}.0`. */
  n: number;
  modified: string;
  by: IdentityRef;
  file: FileState;
}

export interface PermissionRecord {
  id: string;
  roles: string[];
  created: string;
  /** Invited user (tenant member or external address). */
  user?: IdentityRef;
  invitation?: { email: string; signInRequired: boolean };
  link?: { type: 'view' | 'edit'; scope: 'anonymous' | 'organization' | 'users'; webUrl: string };
  shareId?: string;
  expirationDateTime?: string;
  hasPassword?: boolean;
  /** People a `users`-scope link was created for. */
  grantees?: IdentityRef[];
  sharedBy: IdentityRef;
}

export type ItemKind = 'root' | 'folder' | 'file' | 'notebook';

export interface ItemRecord {
  id: string;
  parentId: string | null;
  name: string;
  kind: ItemKind;
  created: string;
  modified: string;
  createdBy: IdentityRef;
  modifiedBy: IdentityRef;
  /** Client-set fileSystemInfo (restores preserve timestamps); defaults to created/modified. */
  fsCreated?: string;
  fsModified?: string;
  description?: string;
  /** The library's Title column (set through the item's list item fields); not part of driveItem JSON. */
  title?: string;
  file?: FileState;
  /** Current major version (files). */
  version?: number;
  /** Older versions, newest first. */
  versions?: VersionRecord[];
  permissions?: PermissionRecord[];
  /** Changes with every write (eTag) and with every content write (cTag). */
  rev: number;
  crev: number;
  /** SharePoint list item id within the library. */
  listItemId: number;
}

/** Drive settings changed through activity (quota), kept apart so they do not show in delta. */
export interface DriveSettings {
  quotaTotal: number;
}

export const driveKey = (driveId: string) => `drive:${driveId}`;
/**
 * List item ids of a drive's deleted items (`{listItemId, folder}` by driveItem id): a tombstone
 * keeps only the driveItem id, and the library's list-item delta must report the integer id.
 */
export const removedKey = (driveId: string) => `driveremoved:${driveId}`;
export interface RemovedListItem {
  listItemId: number;
  folder: boolean;
}
export const SETTINGS_KEY = 'drivesettings:all';

export const ONEDRIVE_QUOTA = 1024 ** 4;
export const LIBRARY_QUOTA = 25 * 1024 ** 4;

/** Application permissions accepted for reads and for writes (delegated scopes too). */
export const READ_PERMS = [
  'Files.Read.All',
  'Files.ReadWrite.All',
  'Sites.Read.All',
  'Sites.ReadWrite.All',
  'Sites.Manage.All',
  'Sites.FullControl.All',
  'Files.Read',
  'Files.ReadWrite',
];
export const WRITE_PERMS = [
  'Files.ReadWrite.All',
  'Sites.ReadWrite.All',
  'Sites.Manage.All',
  'Sites.FullControl.All',
  'Files.ReadWrite',
];

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A driveItem id shaped like SharePoint's (`01` + 32 base32 characters). */
export function itemIdFrom(bytes: Buffer): string {
  let out = '01';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < 34) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= 0xff;
  }
  return out;
}

export const stableItemId = (...parts: (string | number)[]) =>
  itemIdFrom(createHash('sha256').update(parts.join('\u0000')).digest());

export interface DriveInfo {
  id: string;
  site: SiteRecord;
  /** Library index within the site (0 = default library). */
  library: number;
  driveType: 'business' | 'documentLibrary';
  /** Display name ("OneDrive", "Documents", ...). */
  name: string;
  /** URL segment of the library ("Documents", "Shared Documents", ...). */
  urlName: string;
  webUrl: string;
  listId: string;
}

const libraryNames = (site: SiteRecord, library: number): [string, string] => {
  if (site.kind === 'personal') return ['OneDrive', 'Documents'];
  if (library === 0) return ['Documents', 'Shared Documents'];
  return [`Archive ${library}`, `Archive${library}`];
};

interface DriveMap {
  seq: number;
  byDrive: Map<string, DriveInfo>;
}
const driveMaps = new WeakMap<TenantStore, DriveMap>();

/** Every drive of the tenant by id (rebuilt when the site list changes). */
export function allDrives(store: TenantStore): Map<string, DriveInfo> {
  const sites = store.sites;
  let m = driveMaps.get(store);
  if (!m || m.seq !== sites.lastSeq) {
    const byDrive = new Map<string, DriveInfo>();
    for (const site of sites.values()) {
      site.driveIds.forEach((id, library) => {
        const [name, urlName] = libraryNames(site, library);
        byDrive.set(id, {
          id,
          site,
          library,
          driveType: site.kind === 'personal' ? 'business' : 'documentLibrary',
          name,
          urlName,
          webUrl: `${site.webUrl}/${encodeURI(urlName)}`,
          listId: stableGuid(store.seed, 'list', id),
        });
      });
    }
    m = { seq: sites.lastSeq, byDrive };
    driveMaps.set(store, m);
  }
  return m.byDrive;
}

export function findDrive(store: TenantStore, driveId: string): DriveInfo | undefined {
  return allDrives(store).get(driveId);
}

export function requireDrive(store: TenantStore, driveId: string): DriveInfo {
  const d = findDrive(store, driveId);
  if (!d) throw new GraphHttpError(404, 'itemNotFound', 'The requested drive was not found.');
  return d;
}

export function itemsOf(store: TenantStore, driveId: string): Collection<ItemRecord> {
  return store.collection<ItemRecord>(driveKey(driveId));
}

/** A OneDrive/SharePoint error whose body carries a nested, more specific innerError code. */
export class DriveError extends GraphHttpError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly innerCode?: string,
    headers: Record<string, string> = {},
  ) {
    super(status, code, message, headers);
  }

  response(clientRequestId?: string): EmuResponse {
    const requestId = randomUUID();
    const body = graphErrorBody(this.code, this.message, requestId, clientRequestId);
    if (this.innerCode) (body.error.innerError as Record<string, unknown>)['code'] = this.innerCode;
    return { status: this.status, headers: { ...this.headers, 'request-id': requestId }, json: body };
  }
}

export const itemNotFound = () => new GraphHttpError(404, 'itemNotFound', 'The resource could not be found.');
export const invalidRequest = (message: string, inner?: string) =>
  new DriveError(400, 'invalidRequest', message, inner);

/**
 * The entity tags of an If-Match / If-None-Match header. SharePoint's tags hold commas
 * (`"{GUID},3"`), so the list is read tag by tag, not split at commas.
 */
export function headerTags(header: string): string[] {
  return [...header.matchAll(/\*|(?:W\/)?"[^"]*"/g)].map((m) => m[0].replace(/^W\//, ''));
}

/** Now, as driveItem timestamps are served (seconds precision). */
export const isoNow = () => isoSeconds();

/** Runs a handler, answering DriveErrors with their nested innerError code. */
export function wrap(handler: Handler): Handler {
  return async (req: EmuRequest) => {
    try {
      return await handler(req);
    } catch (e) {
      if (e instanceof DriveError) return e.response(req.headers['client-request-id']);
      throw e;
    }
  };
}
