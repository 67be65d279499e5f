import type { ServiceContext, ServiceModule } from '../../core/service.js';
import type { RouteDef } from '../../core/types.js';
import { mailActivity } from './activity.js';
import { materializeGroupMail } from './group-gen.js';
import { mailInventory } from './inventory.js';
import { installMailboxMaterializers } from './mailbox.js';
import { importRoutes } from './archive-import.js';
import { archiveRoutes } from './routes-archive.js';
import { attachmentRoutes, attachmentUploadRoutes } from './routes-attachments.js';
import { folderRoutes } from './routes-folders.js';
import { groupRoutes } from './routes-groups.js';
import { messageRoutes } from './routes-messages.js';
import { withMeAliases } from '../shared/exchange.js';

/**
 * Exchange mail: mailboxes and folders, messages with MIME and attachments, delta, the beta
 * mailbox import/export API (primary and in-place archive mailboxes), and Microsoft 365 group
 * conversations. Everything is generated lazily from the seed; see mailbox.ts for collections.
 */
export const mailService: ServiceModule = {
  name: 'mail',
  install: (store) => {
    installMailboxMaterializers(store, (key, c) => materializeGroupMail(store, key, c));
  },
  routes: (ctx: ServiceContext): RouteDef[] => [
    ...withMeAliases(
      [...folderRoutes(ctx.store), ...messageRoutes(ctx.store), ...attachmentRoutes(ctx.store)],
      ctx.store,
    ),
    ...archiveRoutes(ctx.store),
    ...groupRoutes(ctx.store),
  ],
  plainRoutes: (ctx) => [...attachmentUploadRoutes(ctx.store), ...importRoutes(ctx.store)],
  inventory: mailInventory,
  activity: mailActivity,
};
