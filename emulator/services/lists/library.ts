import { stableGuid } from '../../generator/random.js';
import type { SiteRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { listBackedByDrive } from '../drives/api.js';
import type { ListRecord } from './model.js';
import { TITLE_COLUMN, contentTypesFor } from './templates.js';

/**
 * Document libraries are lists too, but their content belongs to the drives service: they are
 * presented here from `listBackedByDrive` (never stored by this service), and their items are
 * the drive's items, read and changed through `drives/api.ts` (see library-routes.ts).
 */

export const LIBRARY_SPEC_PREFIX = 'library:';

const FILE_LEAF_REF = {
  name: 'FileLeafRef',
  displayName: 'Name',
  type: 'text' as const,
  id: '8553196d-ec8d-4564-9861-3dbe931050c8',
  required: true,
};

export function librariesOf(store: TenantStore, site: SiteRecord): ListRecord[] {
  let libraries: ReturnType<typeof listBackedByDrive>;
  try {
    libraries = listBackedByDrive(store, site.id);
  } catch {
    return [];
  }
  return libraries.map((l) => ({
    id: l.listId,
    siteId: site.id,
    name: l.name,
    displayName: l.displayName,
    description: '',
    template: l.template,
    baseTemplate: 101,
    hidden: false,
    system: false,
    path: l.webUrl.startsWith(`${site.webUrl}/`) ? l.webUrl.slice(site.webUrl.length + 1) : encodeURI(l.name),
    contentTypesEnabled: false,
    createdDateTime: l.createdDateTime,
    lastModifiedDateTime: l.lastModifiedDateTime,
    version: 1,
    nextItemId: 1,
    seededItems: 0,
    columns: [{ ...TITLE_COLUMN, required: false }, FILE_LEAF_REF],
    contentTypes: contentTypesFor(stableGuid('library-ct', l.listId), { base: '0x0101', name: 'Document' }),
    spec: `${LIBRARY_SPEC_PREFIX}${l.driveId}`,
  }));
}

export const isLibrary = (l: ListRecord) => l.spec?.startsWith(LIBRARY_SPEC_PREFIX) ?? false;
export const libraryDriveId = (l: ListRecord) =>
  isLibrary(l) ? (l.spec as string).slice(LIBRARY_SPEC_PREFIX.length) : null;
