import type { ServiceModule } from '../../core/service.js';
import { drivesActivity, drivesInventory } from './activity.js';
import { materializeDrive } from './generate.js';
import { installDownloads } from './json.js';
import { readRoutes } from './routes-read.js';
import { permissionRoutes } from './routes-perms.js';
import { monitorRoute, writeRoutes } from './routes-write.js';
import { uploadRoutes, uploadUrlRoutes } from './upload.js';

/**
 * OneDrive and SharePoint document libraries: every site's drives (users' OneDrives, team,
 * communication and root site libraries), their items, delta, downloads, uploads, versions and
 * sharing. One change-tracked collection per drive (`drive:{driveId}`), generated from the seed on
 * first use; drive settings (quota) in `drivesettings:all`; the list item ids of deleted items in
 * `driveremoved:{driveId}` (for the library's list-item delta).
 */
export const drivesService: ServiceModule = {
  name: 'drives',
  install: (store) => {
    store.registerMaterializer('drive', materializeDrive);
    // Settings start empty: only activity writes them.
    store.registerMaterializer('drivesettings', () => undefined);
    store.registerMaterializer('driveremoved', () => undefined);
  },
  routes: (ctx) => {
    installDownloads(ctx);
    return [...readRoutes(ctx), ...writeRoutes(ctx), ...uploadRoutes(ctx), ...permissionRoutes(ctx)];
  },
  plainRoutes: (ctx) => [...uploadUrlRoutes(ctx), monitorRoute(ctx)],
  inventory: drivesInventory,
  activity: drivesActivity,
};
