import { createHash } from 'node:crypto';
import { GraphHttpError } from '../../core/odata.js';
import type { TenantStore } from '../../tenant/store.js';
import { drivePeople } from './generate.js';
import { itemJson } from './json.js';
import { requireDrive, stableItemId, type ItemRecord } from './model.js';
import { childByName, putItem, rootOf, validateName } from './tree.js';

/**
 * What other services may call. Teams and Lists present parts of SharePoint that live in the
 * drives service: a channel's files folder, and document libraries as lists.
 */

function defaultDrive(store: TenantStore, siteId: string) {
  const site = store.sites.get(siteId);
  const driveId = site?.driveIds[0];
  if (!site || !driveId) throw new GraphHttpError(404, 'itemNotFound', 'The site has no document library.');
  return requireDrive(store, driveId);
}

/**
 * The driveItem JSON of the folder named after a Teams channel in the site's default library
 * (`/channels/{id}/filesFolder`). Teams creates these folders lazily; so does this: a missing
 * folder is created with an id, dates and author derived from the site, so it is the same on
 * every run, and journaled so later content under it survives a restart.
 */
export function channelFilesFolder(
  store: TenantStore,
  siteId: string,
  channelName: string,
): Record<string, unknown> {
  const drive = defaultDrive(store, siteId);
  const root = rootOf(store, drive.id);
  let folder = childByName(store, drive.id, root.id, channelName);
  if (folder && folder.kind !== 'folder')
    throw new GraphHttpError(
      409,
      'nameAlreadyExists',
      `A file named '${channelName}' blocks the channel folder.`,
    );
  if (!folder) {
    const by = drivePeople(store, drive)[0] as ItemRecord['createdBy'];
    const created = drive.site.createdDateTime;
    folder = {
      id: stableItemId(store.seed, drive.id, 'channel', channelName.toLowerCase()),
      parentId: root.id,
      name: validateName(channelName, true, true),
      kind: 'folder',
      created,
      modified: created,
      createdBy: by,
      modifiedBy: by,
      rev: 1,
      crev: 1,
      // Deterministic and clear of generated (< 900k) and runtime (> 1M) list item ids.
      listItemId:
        900_000 +
        (createHash('sha256').update(`${drive.id}|${channelName.toLowerCase()}`).digest().readUInt32BE(0) %
          99_999),
    };
    putItem(store, drive.id, folder);
  }
  return itemJson(store, drive, folder);
}

/** A document library as the Lists service presents it (`list.template: "documentLibrary"`). */
export interface DriveBackedList {
  /** The list id (also `sharepointIds.listId` of the library's items). */
  listId: string;
  driveId: string;
  /** List `name` (the library's URL segment, e.g. "Shared Documents"). */
  name: string;
  /** List `displayName` (e.g. "Documents"). */
  displayName: string;
  webUrl: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  template: 'documentLibrary';
}

/** Every document library of a site (empty for an unknown site). */
export function listBackedByDrive(store: TenantStore, siteId: string): DriveBackedList[] {
  const site = store.sites.get(siteId);
  if (!site) return [];
  return site.driveIds.map((id) => {
    const d = requireDrive(store, id);
    return {
      listId: d.listId,
      driveId: d.id,
      name: d.urlName,
      displayName: d.name,
      webUrl: d.webUrl,
      createdDateTime: site.createdDateTime,
      lastModifiedDateTime: site.createdDateTime,
      template: 'documentLibrary',
    };
  });
}
