import type { ServiceModule } from '../../core/service.js';
import { listsActivity, listsInventory } from './activity.js';
import { installListMaterializers } from './generate.js';
import { listRoutes } from './routes.js';
import { sharePointRestRoutes } from './sp-rest.js';

/**
 * SharePoint lists: custom lists with typed columns, a calendar and a task list per site, the
 * hidden system lists (User Information List, galleries, appdata, …), items with fields, and
 * item delta; and the SharePoint REST slice for list item attachments, which Graph lacks.
 */
export const listsService: ServiceModule = {
  name: 'lists',
  install: (store) => {
    installListMaterializers(store);
  },
  routes: listRoutes,
  plainRoutes: sharePointRestRoutes,
  inventory: listsInventory,
  activity: listsActivity,
};
