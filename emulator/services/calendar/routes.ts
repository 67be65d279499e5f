import { pageArray } from '../../core/listing.js';
import { badRequest, contextUrl, GraphHttpError, ok, select } from '../../core/odata.js';
import { routeMaker, type ServiceContext } from '../../core/service.js';
import type { EmuRequest, RouteDef } from '../../core/types.js';
import {
  accessDenied,
  exchangeScope,
  findUnifiedGroup,
  invalidUser,
  requireGroupAccess,
  requireMailbox,
  withMeAliases,
  objectBody,
} from '../shared/exchange.js';
import { CalendarData } from './data.js';
import { calendarViewDelta, eventsDelta, syncStateNotFound } from './delta.js';
import { eventRoutes, type Prefix } from './event-routes.js';
import { groupOwner, userOwner, type Owner } from './owners.js';
import type { CalendarRecord } from './records.js';

const READ = ['Calendars.Read', 'Calendars.ReadWrite'];
const WRITE = ['Calendars.ReadWrite'];
const GROUP_READ = ['Group.Read.All', 'Group.ReadWrite.All'];
const GROUP_WRITE = ['Group.ReadWrite.All'];
const PAGE = { defaultTop: 10, maxTop: 1000 };

export function calendarJson(c: CalendarRecord): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    color: c.color,
    hexColor: c.hexColor,
    isDefaultCalendar: c.isDefaultCalendar,
    changeKey: c.changeKey,
    canShare: c.canShare,
    canViewPrivateItems: c.canViewPrivateItems,
    canEdit: c.canEdit,
    allowedOnlineMeetingProviders: c.allowedOnlineMeetingProviders,
    defaultOnlineMeetingProvider: c.defaultOnlineMeetingProvider,
    isTallyingResponses: c.isTallyingResponses,
    isRemovable: c.isRemovable,
    owner: c.owner,
  };
}

export function calendarRoutes(ctx: ServiceContext): RouteDef[] {
  const { store } = ctx;
  const data = new CalendarData(store, ctx.random);

  /**
   * `/users/{id}` names a user mailbox, or a Microsoft 365 group's mailbox by the group's id or
   * address. The latter is not documented but works app-only in Exchange Online.
   */
  const mailboxOwner = (req: EmuRequest): Owner => {
    const raw = req.params['user'] as string;
    if (store.findUser(raw)) return userOwner(requireMailbox(store, req, raw));
    const g = findUnifiedGroup(store, raw);
    if (g) return groupOwner(requireGroupAccess(req, g));
    throw invalidUser(raw);
  };
  /** `/groups/{id}` calendars: delegated access only, as documented ("Application: Not supported"). */
  const groupOwnerOf = (req: EmuRequest): Owner => {
    if (req.caller?.kind !== 'user') throw accessDenied();
    const id = req.params['group'] as string;
    const g = store.groups.get(id);
    if (!g)
      throw new GraphHttpError(
        404,
        'Request_ResourceNotFound',
        `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
      );
    if (!g.groupTypes.includes('Unified'))
      throw new GraphHttpError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    return groupOwner(requireGroupAccess(req, g));
  };
  const userScope = exchangeScope(store);
  const groupScope = exchangeScope(store, 'group');
  const userContext = (_req: EmuRequest, o: Owner) => `users('${o.id}')`;
  const groupContext = (_req: EmuRequest, o: Owner) => `groups('${o.id}')`;
  const user = { owner: mailboxOwner, read: READ, write: WRITE, scope: userScope, attachments: true };
  const group = {
    owner: groupOwnerOf,
    read: GROUP_READ,
    write: GROUP_WRITE,
    scope: groupScope,
    attachments: false,
  };
  const prefixes: Prefix[] = [
    { ...user, path: '/users/{user}', calendarId: () => undefined, scoped: false, context: userContext },
    {
      ...user,
      path: '/users/{user}/calendar',
      calendarId: () => undefined,
      scoped: true,
      context: (r, o) => `${userContext(r, o)}/calendar`,
    },
    {
      ...user,
      path: '/users/{user}/calendars/{calendar}',
      calendarId: (r) => r.params['calendar'],
      scoped: true,
      context: (r, o) => `${userContext(r, o)}/calendars('${r.params['calendar']}')`,
    },
    { ...group, path: '/groups/{group}', calendarId: () => undefined, scoped: false, context: groupContext },
    {
      ...group,
      path: '/groups/{group}/calendar',
      calendarId: () => undefined,
      scoped: true,
      context: (r, o) => `${groupContext(r, o)}/calendar`,
    },
  ];

  const r = routeMaker((path) => ({ scope: path.startsWith('/groups/') ? groupScope : userScope }));
  const calendarEntity = (req: EmuRequest, context: string, c: CalendarRecord, status = 200) =>
    ok({ '@odata.context': contextUrl(req, `${context}/$entity`), ...select(req, calendarJson(c)) }, status);
  const delta = { deltaExpired: syncStateNotFound };

  const routes: RouteDef[] = [
    r('GET', '/users/{user}/calendars', READ, (req) => {
      const o = mailboxOwner(req);
      const list = data
        .calendars(o)
        .sort((a, b) => Number(b.isDefaultCalendar) - Number(a.isDefaultCalendar));
      return pageArray(req, `users('${o.id}')/calendars`, list, calendarJson, PAGE);
    }),
    r('POST', '/users/{user}/calendars', WRITE, (req) => {
      const o = mailboxOwner(req);
      const body = objectBody(req);
      for (const k of Object.keys(body))
        if (!['name', 'color', 'hexColor'].includes(k) && !k.startsWith('@odata.'))
          throw new GraphHttpError(
            400,
            'RequestBodyRead',
            `The property '${k}' cannot be set on type 'microsoft.graph.calendar'.`,
          );
      if (typeof body['name'] !== 'string' || !body['name'].trim())
        throw badRequest('The calendar name is required.', 'ErrorInvalidRequest');
      const c = data.createCalendar(
        o,
        body['name'],
        typeof body['color'] === 'string' ? body['color'] : 'auto',
      );
      return calendarEntity(req, `users('${o.id}')/calendars`, c, 201);
    }),
    r('GET', '/users/{user}/calendar', READ, (req) => {
      const o = mailboxOwner(req);
      return calendarEntity(req, `users('${o.id}')/calendar`, data.defaultCalendar(o));
    }),
    r('GET', '/users/{user}/calendars/{calendar}', READ, (req) => {
      const o = mailboxOwner(req);
      return calendarEntity(req, `users('${o.id}')/calendars`, data.calendar(o, req.params['calendar']));
    }),
    r('GET', '/groups/{group}/calendar', GROUP_READ, (req) => {
      const o = groupOwnerOf(req);
      return calendarEntity(req, `groups('${o.id}')/calendar`, data.defaultCalendar(o));
    }),

    // calendarView delta: v1.0 on the default calendar; beta also per calendar and for groups.
    r(
      'GET',
      '/users/{user}/calendarView/delta',
      READ,
      (req) => {
        const o = mailboxOwner(req);
        return calendarViewDelta(req, data, o, data.defaultCalendar(o));
      },
      delta,
    ),
    r(
      'GET',
      '/users/{user}/calendar/calendarView/delta',
      READ,
      (req) => {
        const o = mailboxOwner(req);
        return calendarViewDelta(req, data, o, data.defaultCalendar(o));
      },
      { ...delta, versions: ['beta'] },
    ),
    r(
      'GET',
      '/users/{user}/calendars/{calendar}/calendarView/delta',
      READ,
      (req) => {
        const o = mailboxOwner(req);
        return calendarViewDelta(req, data, o, data.calendar(o, req.params['calendar']));
      },
      { ...delta, versions: ['beta'] },
    ),
    r(
      'GET',
      '/groups/{group}/calendarView/delta',
      GROUP_READ,
      (req) => {
        const o = groupOwnerOf(req);
        return calendarViewDelta(req, data, o, data.defaultCalendar(o));
      },
      { ...delta, versions: ['beta'] },
    ),

    // events delta (beta only): the whole mailbox, the default calendar, or one calendar.
    r(
      'GET',
      '/users/{user}/events/delta',
      READ,
      (req) => {
        const o = mailboxOwner(req);
        return eventsDelta(req, data, o, data.calendars(o));
      },
      { ...delta, versions: ['beta'] },
    ),
    r(
      'GET',
      '/users/{user}/calendar/events/delta',
      READ,
      (req) => {
        const o = mailboxOwner(req);
        return eventsDelta(req, data, o, [data.defaultCalendar(o)]);
      },
      { ...delta, versions: ['beta'] },
    ),
    r(
      'GET',
      '/users/{user}/calendars/{calendar}/events/delta',
      READ,
      (req) => {
        const o = mailboxOwner(req);
        return eventsDelta(req, data, o, [data.calendar(o, req.params['calendar'])]);
      },
      { ...delta, versions: ['beta'] },
    ),
    // v1.0 has no events delta; without this the segment would be taken for an event id.
    ...[
      '/users/{user}/events/delta',
      '/users/{user}/calendar/events/delta',
      '/users/{user}/calendars/{calendar}/events/delta',
    ].map((path) =>
      r(
        'GET',
        path,
        READ,
        () => {
          throw badRequest("Resource not found for the segment 'delta'.");
        },
        { versions: ['v1.0'] },
      ),
    ),
    ...prefixes.flatMap((p) => eventRoutes(data, p)),
  ];
  return withMeAliases(routes, store);
}

export { CalendarData };
