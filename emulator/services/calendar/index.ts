import type { ServiceModule } from '../../core/service.js';
import { calendarActivity } from './activity.js';
import { CalendarData } from './data.js';
import { installCalendar } from './generate.js';
import { groupOwner, userOwner, type Owner } from './owners.js';
import { calendarRoutes } from './routes.js';

/**
 * Outlook calendars: user, shared and room mailboxes and Microsoft 365 group calendars, with
 * recurring series expanded for calendarView/instances, calendarView delta and event attachments.
 */
export const calendarService: ServiceModule = {
  name: 'calendar',
  install: (store) => {
    installCalendar(store);
  },
  routes: calendarRoutes,
  activity: calendarActivity,
  inventory: (ctx) => {
    const data = new CalendarData(ctx.store, ctx.random);
    const counts = {
      calendars: 0,
      events: 0,
      seriesMasters: 0,
      exceptions: 0,
      eventAttachments: 0,
      groupEvents: 0,
    };
    const count = (o: Owner) => {
      for (const c of data.calendars(o)) {
        counts.calendars++;
        for (const e of data.events(o, c.id).values()) {
          if (o.kind === 'group') {
            counts.groupEvents++;
            continue;
          }
          counts.events++;
          if (e.type === 'seriesMaster') counts.seriesMasters++;
          if (e.type === 'exception') counts.exceptions++;
          counts.eventAttachments += e.attachments.length;
        }
      }
    };
    for (const u of ctx.store.users.values()) if (u.mailbox) count(userOwner(u));
    for (const g of ctx.store.groups.values()) if (g.groupTypes.includes('Unified')) count(groupOwner(g));
    return counts;
  },
};
