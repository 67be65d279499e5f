import { compileFilter } from '../../core/filter.js';
import { pageArray, pageCollection } from '../../core/listing.js';
import {
  badRequest,
  collectionPage,
  contextUrl,
  decodeCursor,
  GraphHttpError,
  noContent,
  ok,
  select,
  topOf,
} from '../../core/odata.js';
import type { EmuRequest, EmuResponse, RouteDef } from '../../core/types.js';
import { itemNotFound, orderRows, objectBody } from '../shared/exchange.js';
import { attachmentJson } from './attachment-body.js';
import { attachmentBytes } from './attachment-content.js';
import type { CalendarData } from './data.js';
import { asInstance, type Located } from './occurrences.js';
import { windowOf } from './delta.js';
import { byStart, type Instance } from './expand.js';
import type { Owner } from './owners.js';
import { eventJson, preferenceApplied, storedInstance, viewOf, type View } from './project.js';
import type { CalendarRecord, EventRecord } from './records.js';

/**
 * Event routes under one collection prefix (`/users/{user}`, `/users/{user}/calendar`,
 * `/users/{user}/calendars/{calendar}`, `/groups/{group}`...). The prefix decides the owner and
 * the calendar that lists and creations use; single events are found in any of the owner's
 * calendars when the prefix names none.
 */

export interface Prefix {
  path: string;
  owner: (req: EmuRequest) => Owner;
  /** The calendar the prefix names; undefined for the owner's default. */
  calendarId: (req: EmuRequest) => string | undefined;
  /** Whether `{id}` lookups are limited to that calendar. */
  scoped: boolean;
  context: (req: EmuRequest, owner: Owner) => string;
  read: string[];
  write: string[];
  scope: RouteDef['scope'];
  attachments: boolean;
}

const PAGE = { defaultTop: 10, maxTop: 1000 };

function withHeaders(res: EmuResponse, headers: Record<string, string>): EmuResponse {
  return { ...res, headers: { ...res.headers, ...headers } };
}

function filtered<T>(req: EmuRequest, rows: T[], toRow: (t: T) => Record<string, unknown>): T[] {
  const f = req.query.get('$filter');
  if (!f) return rows;
  const test = compileFilter(f);
  return rows.filter((r) => test(toRow(r)));
}

/** Pages expanded instances by (start, id), so paging stays exactly-once while others change. */
export function pageInstances(
  req: EmuRequest,
  context: string,
  instances: Instance[],
  view: View,
  siblings: () => readonly EventRecord[],
): EmuResponse {
  const project = (i: Instance) =>
    eventJson(i, view, view.selected.has('exceptionOccurrences') ? siblings() : undefined);
  const rows = filtered(req, instances, project);
  const orderby = req.query.get('$orderby');
  if (orderby)
    return withHeaders(
      pageArray(req, context, orderRows(rows, orderby, project), project, PAGE),
      preferenceApplied(view),
    );
  const top = topOf(req, PAGE.defaultTop, PAGE.maxTop);
  const token = req.query.get('$skiptoken');
  // The start is kept as a string: an event may start before 1970 (a negative instant).
  const cursor = token ? decodeCursor(token, { t: 'string', i: 'string' } as const) : undefined;
  const after = cursor ? { t: Number(cursor.t), i: cursor.i } : undefined;
  if (after && !Number.isSafeInteger(after.t)) throw badRequest('Invalid $skiptoken value.');
  const sorted = rows.sort(byStart);
  const from = after
    ? sorted.findIndex((x) => x.startMs > after.t || (x.startMs === after.t && x.id > after.i))
    : 0;
  const page = from < 0 ? [] : sorted.slice(from, from + top);
  const lastRow = page[page.length - 1];
  const more = from >= 0 && from + top < sorted.length && lastRow;
  return withHeaders(
    collectionPage(
      req,
      context,
      page.map((i) => select(req, project(i))),
      more ? { t: String(lastRow.startMs), i: lastRow.id } : undefined,
    ),
    preferenceApplied(view),
  );
}

export function eventRoutes(data: CalendarData, p: Prefix): RouteDef[] {
  const r = (
    method: string,
    path: string,
    permissions: string[],
    handler: RouteDef['handler'],
    versions?: RouteDef['versions'],
  ): RouteDef => ({
    method,
    path: `${p.path}${path}`,
    permissions,
    scope: p.scope,
    handler,
    ...(versions ? { versions } : {}),
  });
  const calendarOf = (req: EmuRequest, owner: Owner): CalendarRecord =>
    data.calendar(owner, p.calendarId(req));
  const locate = (req: EmuRequest, owner: Owner): Located =>
    data.locate(owner, req.params['id'] as string, p.scoped ? calendarOf(req, owner).id : undefined);
  const entity = (
    req: EmuRequest,
    owner: Owner,
    json: Record<string, unknown>,
    view: View,
    status = 200,
  ): EmuResponse =>
    ok(
      { '@odata.context': contextUrl(req, `${p.context(req, owner)}/events/$entity`), ...select(req, json) },
      status,
      preferenceApplied(view),
    );
  const eventOf = (req: EmuRequest, owner: Owner, l: Located, view: View) =>
    eventJson(
      asInstance(l),
      view,
      view.selected.has('exceptionOccurrences') ? data.events(owner, l.calendar.id).values() : undefined,
    );

  const routes: RouteDef[] = [
    r('GET', '/events', p.read, (req) => {
      const owner = p.owner(req);
      const coll = data.events(owner, calendarOf(req, owner).id);
      const view = viewOf(req);
      const project = (e: EventRecord) =>
        eventJson(
          storedInstance(e),
          view,
          view.selected.has('exceptionOccurrences') ? coll.values() : undefined,
        );
      const listed = (e: EventRecord) => e.type === 'singleInstance' || e.type === 'seriesMaster';
      const context = `${p.context(req, owner)}/events`;
      if (req.query.get('$orderby')) {
        const rows = filtered(req, coll.values().filter(listed), project);
        return withHeaders(
          pageArray(
            req,
            context,
            orderRows(rows, req.query.get('$orderby') as string, project),
            project,
            PAGE,
          ),
          preferenceApplied(view),
        );
      }
      const f = req.query.get('$filter');
      const test = f ? compileFilter(f) : undefined;
      const res = pageCollection(req, context, coll, project, {
        ...PAGE,
        filter: (e) => listed(e) && (!test || test(project(e))),
      });
      return withHeaders(res, preferenceApplied(view));
    }),
    r('POST', '/events', p.write, (req) => {
      const owner = p.owner(req);
      const e = data.createEvent(owner, calendarOf(req, owner).id, objectBody(req));
      const view = viewOf(req);
      return entity(req, owner, eventJson(storedInstance(e), view), view, 201);
    }),
    r('GET', '/calendarView', p.read, (req) => {
      const owner = p.owner(req);
      const { fromMs, toMs } = windowOf(req);
      const cal = calendarOf(req, owner);
      return pageInstances(
        req,
        `${p.context(req, owner)}/calendarView`,
        data.instances(owner, cal.id, fromMs, toMs),
        viewOf(req),
        () => data.events(owner, cal.id).values(),
      );
    }),
    r('GET', '/events/{id}', p.read, (req) => {
      const owner = p.owner(req);
      const view = viewOf(req);
      return entity(req, owner, eventOf(req, owner, locate(req, owner), view), view);
    }),
    r('PATCH', '/events/{id}', p.write, (req) => {
      const owner = p.owner(req);
      const body = objectBody(req);
      const l = data.updateEvent(
        owner,
        req.params['id'] as string,
        body,
        p.scoped ? calendarOf(req, owner).id : undefined,
      );
      const view = viewOf(req);
      return entity(req, owner, eventOf(req, owner, l, view), view);
    }),
    r('DELETE', '/events/{id}', p.write, (req) => {
      const owner = p.owner(req);
      data.deleteEvent(owner, req.params['id'] as string, p.scoped ? calendarOf(req, owner).id : undefined);
      return noContent();
    }),
    r('POST', '/events/{id}/cancel', p.write, (req) => {
      const owner = p.owner(req);
      const body = req.body.length ? objectBody(req) : {};
      if (body['Comment'] !== undefined && typeof body['Comment'] !== 'string')
        throw new GraphHttpError(
          400,
          'RequestBodyRead',
          "Cannot convert the literal value of property 'Comment' to the expected type 'Edm.String'.",
        );
      data.cancelMeeting(owner, req.params['id'] as string, p.scoped ? calendarOf(req, owner).id : undefined);
      return { status: 202 };
    }),
    r('GET', '/events/{id}/instances', p.read, (req) => {
      const owner = p.owner(req);
      const { fromMs, toMs } = windowOf(req);
      const l = locate(req, owner);
      const instances =
        l.kind === 'stored' && l.event.type === 'seriesMaster'
          ? data.seriesInstances(owner, l.calendar.id, l.event, fromMs, toMs)
          : [];
      return pageInstances(
        req,
        `${p.context(req, owner)}/events('${req.params['id']}')/instances`,
        instances,
        viewOf(req),
        () => data.events(owner, l.calendar.id).values(),
      );
    }),
  ];
  // `$expand=attachments` on event reads; other expansions are not modelled and are refused.
  const expandable = new Set(
    ['/events', '/calendarView', '/events/{id}', '/events/{id}/instances'].map((x) => `${p.path}${x}`),
  );
  for (const route of routes) {
    if (route.method !== 'GET' || !expandable.has(route.path)) continue;
    const inner = route.handler;
    route.handler = async (req) => {
      const raw = req.query.get('$expand');
      const wanted = raw ? raw.split(',').map((s) => s.trim()) : [];
      for (const w of wanted)
        if (w.toLowerCase() !== 'attachments' || !p.attachments)
          throw badRequest(`Expanding '${w}' on events is not supported.`);
      const res = await inner(req);
      if (!wanted.length || res.status !== 200 || !res.json) return res;
      const owner = p.owner(req);
      const json = res.json as Record<string, unknown>;
      const items = (Array.isArray(json['value']) ? json['value'] : [json]) as Record<string, unknown>[];
      for (const item of items) {
        const list = data.attachmentsOf(data.locate(owner, item['id'] as string));
        item['attachments'] = await Promise.all(
          list.map((a) =>
            attachmentJson(data.store, a, {
              beta: req.apiVersion === 'beta',
              withContent: true,
              expandItem: false,
            }),
          ),
        );
      }
      return res;
    };
  }
  if (!p.attachments) return routes;

  const attachmentsContext = (req: EmuRequest, owner: Owner) =>
    `${p.context(req, owner)}/events('${req.params['id']}')/attachments`;
  const findAttachment = (req: EmuRequest, owner: Owner) => {
    const a = data.attachmentsOf(locate(req, owner)).find((x) => x.id === req.params['att']);
    if (!a) throw itemNotFound();
    return a;
  };
  const expandsItem = (req: EmuRequest) => /itemattachment\/item/i.test(req.query.get('$expand') ?? '');
  routes.push(
    r('GET', '/events/{id}/attachments', p.read, async (req) => {
      const owner = p.owner(req);
      const list = data.attachmentsOf(locate(req, owner));
      const beta = req.apiVersion === 'beta';
      const rows = await Promise.all(
        list.map((a) =>
          attachmentJson(data.store, a, { beta, withContent: true, expandItem: expandsItem(req) }),
        ),
      );
      return pageArray(
        req,
        attachmentsContext(req, owner),
        filtered(req, rows, (x) => x),
        (x) => x,
        PAGE,
      );
    }),
    r('POST', '/events/{id}/attachments', p.write, async (req) => {
      const owner = p.owner(req);
      const a = data.addAttachment(
        owner,
        req.params['id'] as string,
        objectBody(req),
        p.scoped ? calendarOf(req, owner).id : undefined,
      );
      const json = await attachmentJson(data.store, a, {
        beta: req.apiVersion === 'beta',
        withContent: true,
        expandItem: true,
      });
      return ok(
        { '@odata.context': contextUrl(req, `${attachmentsContext(req, owner)}/$entity`), ...json },
        201,
      );
    }),
    r('GET', '/events/{id}/attachments/{att}', p.read, async (req) => {
      const owner = p.owner(req);
      const json = await attachmentJson(data.store, findAttachment(req, owner), {
        beta: req.apiVersion === 'beta',
        withContent: true,
        expandItem: expandsItem(req),
      });
      return ok({
        '@odata.context': contextUrl(req, `${attachmentsContext(req, owner)}/$entity`),
        ...select(req, json),
      });
    }),
    r('DELETE', '/events/{id}/attachments/{att}', p.write, (req) => {
      const owner = p.owner(req);
      data.deleteAttachment(
        owner,
        req.params['id'] as string,
        req.params['att'] as string,
        p.scoped ? calendarOf(req, owner).id : undefined,
      );
      return noContent();
    }),
    r('GET', '/events/{id}/attachments/{att}/$value', p.read, async (req) => {
      const owner = p.owner(req);
      const a = findAttachment(req, owner);
      if (a.kind === 'reference')
        throw new GraphHttpError(
          405,
          'ErrorInvalidRequest',
          'The content of a reference attachment cannot be downloaded; follow its sourceUrl.',
        );
      const { contentType, bytes } = await attachmentBytes(data.store, a);
      return { status: 200, headers: { 'content-type': contentType }, body: bytes };
    }),
  );
  return routes;
}
