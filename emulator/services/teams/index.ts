import type { ServiceModule } from '../../core/service.js';
import { teamsActivity, teamsInventory } from './activity.js';
import { installTeamsMaterializers } from './generate.js';
import { messageRoutes } from './routes-messages.js';
import { teamRoutes } from './routes-teams.js';
import { writeRoutes } from './routes-write.js';

/**
 * Microsoft Teams: teams (team-enabled groups), channels of every membership type, posts with
 * replies, inline images, tabs, members, message delta, and the import (migration) API.
 */
export const teamsService: ServiceModule = {
  name: 'teams',
  install: (store) => {
    installTeamsMaterializers(store);
  },
  routes: (ctx) => [...teamRoutes(ctx), ...messageRoutes(ctx), ...writeRoutes(ctx)],
  inventory: teamsInventory,
  activity: teamsActivity,
};
