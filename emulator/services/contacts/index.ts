import type { ServiceModule } from '../../core/service.js';
import { contactsActivity } from './activity.js';
import { ContactsData } from './data.js';
import { installContacts } from './generate.js';
import { contactRoutes } from './routes.js';

/** Outlook contacts: per-mailbox contact folders and contacts, with folder and contact delta. */
export const contactsService: ServiceModule = {
  name: 'contacts',
  install: (store) => {
    installContacts(store);
  },
  routes: contactRoutes,
  activity: contactsActivity,
  inventory: (ctx) => {
    const data = new ContactsData(ctx.store, ctx.random);
    let contactFolders = 0;
    let contacts = 0;
    for (const u of ctx.store.users.values()) {
      if (!u.mailbox) continue;
      contactFolders += data.folders(u).length;
      contacts += data.allContacts(u).length;
    }
    return { contactFolders, contacts };
  },
};
