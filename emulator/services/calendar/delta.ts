import type { Entry } from '../../core/collection.js';
import {
  badRequest,
  contextUrl,
  encodeToken,
  ok,
  topOf,
  tryDecodeCursor,
  type Cursor,
} from '../../core/odata.js';
import type { EmuRequest, EmuResponse } from '../../core/types.js';
import type { CalendarData } from './data.js';
import {
  cancelledSet,
  exceptionsByMaster,
  occurrencesBetween,
  overlaps,
  ownInstanceIds,
  parseOccurrenceId,
  seriesInstances,
  type Instance,
} from './expand.js';
import type { Owner } from './owners.js';
import { deltaEventStub, eventJson, storedInstance, viewOf, type View } from './project.js';
import type { CalendarRecord, EventRecord, SeriesSnapshot } from './records.js';
import { parseInstant } from './timezones.js';
import { startOver } from '../shared/resync.js';
import { isoMillis } from '../shared/time.js';

/**
 * calendarView delta (v1.0) and events delta (beta). A calendarView round walks the calendar's
 * change log (one collection per calendar) and turns each changed stored item into the instances
 * it contributes to the window; removals of occurrences come from series snapshots. Tokens carry
 * the window, so follow-up requests need only `$skiptoken` / `$deltatoken`.
 */

const PAGE = { defaultTop: 10, maxTop: 1000 };
const DAY = 86_400_000;

/** A query parameter by name, ignoring case (Graph accepts `startdatetime`). */
export function queryParam(req: EmuRequest, name: string): string | null {
  const lower = name.toLowerCase();
  for (const [k, v] of req.query) if (k.toLowerCase() === lower) return v;
  return null;
}

/** `startDateTime`/`endDateTime` of calendarView and instances; both are required. */
export function windowOf(req: EmuRequest): { fromMs: number; toMs: number } {
  const s = queryParam(req, 'startDateTime');
  const e = queryParam(req, 'endDateTime');
  if (!s || !e)
    throw badRequest(
      'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
      'ErrorInvalidParameter',
    );
  const fromMs = parseInstant(s);
  const toMs = parseInstant(e);
  if (fromMs === undefined)
    throw badRequest(`The value '${s}' of parameter 'StartDateTime' is invalid.`, 'ErrorInvalidParameter');
  if (toMs === undefined)
    throw badRequest(`The value '${e}' of parameter 'EndDateTime' is invalid.`, 'ErrorInvalidParameter');
  return { fromMs, toMs };
}

/**
 * A calendarView delta cursor: the collection, the seqs delivered (`a`) and of the round's end
 * (`u`), the window (`s`, `e`), the first round (`i`), and where to resume inside an entry whose
 * instances did not fit a page (`ki` its id, `ks` its seq, `kn` instances already sent).
 */
const VIEW_CURSOR = {
  c: 'string',
  a: 'count',
  u: 'count?',
  s: 'count',
  e: 'count',
  i: 'flag?',
  ki: 'string?',
  ks: 'count?',
  kn: 'count?',
} as const;
type ViewCursor = Cursor<typeof VIEW_CURSOR>;

const link = (req: EmuRequest, param: string, value: unknown) =>
  `${req.origin}/${req.apiVersion}${req.rawPath.replace(/^\/(v1\.0|beta)/, '')}?${param}=${encodeToken(value)}`;
const removed = (id: string) => ({
  '@odata.type': '#microsoft.graph.event',
  id,
  '@removed': { reason: 'deleted' },
});

/**
 * Exchange's answer when it no longer has the sync state: 410 SyncStateNotFound and the initial
 * query to start over with, its window taken back from the token (follow-up links carry only
 * the token).
 */
export function syncStateNotFound(req: EmuRequest): EmuResponse {
  const raw = queryParam(req, '$deltatoken') ?? queryParam(req, '$skiptoken');
  const cur = raw ? tryDecodeCursor(raw, VIEW_CURSOR) : undefined;
  const window: Record<string, string> =
    cur && queryParam(req, 'startDateTime') === null
      ? { startDateTime: isoMillis(cur.s), endDateTime: isoMillis(cur.e) }
      : {};
  return startOver(req, 'outlook', window);
}

export function calendarViewDelta(
  req: EmuRequest,
  data: CalendarData,
  owner: Owner,
  calendar: CalendarRecord,
): EmuResponse {
  const coll = data.events(owner, calendar.id);
  const raw = queryParam(req, '$deltatoken') ?? queryParam(req, '$skiptoken');
  let cur: ViewCursor;
  if (raw) {
    const d = tryDecodeCursor(raw, VIEW_CURSOR);
    if (!d || d.c !== coll.key) return syncStateNotFound(req);
    // An initial round reports no removals, so forgotten tombstones do not matter to it.
    if (d.a < coll.deltaHorizon && !d.i) return syncStateNotFound(req);
    cur = queryParam(req, '$deltatoken')
      ? { c: d.c, a: d.a, u: coll.lastSeq, s: d.s, e: d.e }
      : { ...d, u: d.u ?? coll.lastSeq };
  } else {
    const { fromMs, toMs } = windowOf(req);
    cur = { c: coll.key, a: 0, u: coll.lastSeq, s: fromMs, e: toMs, i: 1 };
  }
  const view = viewOf(req);
  const top = topOf(req, PAGE.defaultTop, PAGE.maxTop);
  const upper = cur.u as number;
  const items = coll.values();
  const exceptions = exceptionsByMaster(items);
  const snapshots: Map<string, SeriesSnapshot[]> = cur.i
    ? new Map<string, SeriesSnapshot[]>()
    : data.snapshotsAfter(owner, calendar.id, cur.a);
  const project = (inst: Instance) => ({
    '@odata.type': '#microsoft.graph.event',
    ...eventJson(inst, view, items),
  });

  const rowsFor = (entry: Entry<EventRecord>): object[] => {
    const snaps = snapshots.get(entry.id) ?? [];
    const oldIds = new Set<string>(snaps.flatMap((s) => ownInstanceIds(s.previous, cur.s, cur.e)));
    const item = entry.value;
    if (item === null) {
      if (cur.i) return [];
      return oldIds.size ? [...oldIds].map(removed) : [removed(entry.id)];
    }
    if (item.type !== 'seriesMaster') {
      if (overlaps(item.startMs, item.endMs, cur.s, cur.e)) return [project(storedInstance(item))];
      return cur.i ? [] : [removed(item.id)];
    }
    const current = seriesInstances(item, [], cur.s, cur.e).filter(
      (i) => !(exceptions.get(item.id) ?? []).some((x) => x.id === i.id),
    );
    if (cur.i) return current.map(project);
    const keep = new Set([...current.map((i) => i.id), ...(exceptions.get(item.id) ?? []).map((x) => x.id)]);
    const gone = [...oldIds].filter((id) => !keep.has(id)).map(removed);
    const rows =
      snaps.length && snaps.every((s) => s.change === 'cancel') ? gone : [...current.map(project), ...gone];
    return rows.length ? rows : [removed(item.id)];
  };

  const value: object[] = [];
  let last = cur.a;
  let resume: { ki: string; ks: number; kn: number } | undefined;
  let pending = cur.ki !== undefined ? { id: cur.ki, seq: cur.ks, n: cur.kn ?? 0 } : undefined;
  for (const entry of coll.entriesAfter(cur.a)) {
    if (entry.seq > upper) break;
    let offset = 0;
    if (pending) {
      if (pending.id === entry.id && pending.seq === entry.seq) offset = pending.n;
      pending = undefined;
    }
    const rows = rowsFor(entry);
    const take = rows.slice(offset, offset + (top - value.length));
    value.push(...take);
    if (offset + take.length < rows.length) {
      resume = { ki: entry.id, ks: entry.seq, kn: offset + take.length };
      break;
    }
    last = entry.seq;
  }
  const body: Record<string, unknown> = { '@odata.context': contextUrl(req, 'Collection(event)'), value };
  if (resume)
    body['@odata.nextLink'] = link(req, '$skiptoken', {
      c: cur.c,
      a: last,
      u: upper,
      s: cur.s,
      e: cur.e,
      ...resume,
      ...(cur.i ? { i: 1 } : {}),
    });
  else body['@odata.deltaLink'] = link(req, '$deltatoken', { c: cur.c, a: upper, s: cur.s, e: cur.e });
  return ok(body);
}

interface EventsCursor {
  /** Per calendar collection: [key, after, upper]. */
  cs: [string, number, number][];
  /** Only events starting at or after this instant (beta `startDateTime`). */
  s?: number;
  i?: 1;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * An events delta cursor, checked field by field: it holds a list of per-calendar positions,
 * which the core's flat cursor decoder (tryDecodeCursor) does not describe.
 */
function decodeEventsCursor(raw: string): EventsCursor | undefined {
  let v: unknown;
  try {
    v = /^[A-Za-z0-9_-]*$/.test(raw) ? JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) : undefined;
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const { cs, s, i, ...extra } = v as Record<string, unknown>;
  if (Object.keys(extra).length || !Array.isArray(cs)) return undefined;
  if (s !== undefined && !isCount(s)) return undefined;
  if (i !== undefined && i !== 1) return undefined;
  for (const pos of cs as unknown[])
    if (
      !Array.isArray(pos) ||
      pos.length !== 3 ||
      typeof pos[0] !== 'string' ||
      !isCount(pos[1]) ||
      !isCount(pos[2])
    )
      return undefined;
  return v as EventsCursor;
}

/** Whether a stored single event or series has anything starting at or after `fromMs`. */
function startsFrom(e: EventRecord, fromMs: number | undefined): boolean {
  if (fromMs === undefined) return true;
  if (e.type !== 'seriesMaster' || !e.recurrence) return e.startMs >= fromMs;
  const range = e.recurrence.range;
  if (range.type === 'noEnd') return true;
  if (range.type === 'endDate') return Date.parse(range.endDate) + DAY > fromMs;
  const cancelled = cancelledSet(e);
  return occurrencesBetween(e, fromMs, fromMs + 1000 * 366 * DAY).some(
    (o) => !cancelled.has(o.originalStartMs) && o.startMs >= fromMs,
  );
}

/** Beta `events/delta`: single events and series masters of the given calendars, id/type/start/end only. */
export function eventsDelta(
  req: EmuRequest,
  data: CalendarData,
  owner: Owner,
  calendars: CalendarRecord[],
): EmuResponse {
  const colls = calendars.map((c) => data.events(owner, c.id));
  const raw = queryParam(req, '$deltatoken') ?? queryParam(req, '$skiptoken');
  let cur: EventsCursor;
  if (raw) {
    const d = decodeEventsCursor(raw);
    if (!d) return syncStateNotFound(req);
    const known = new Map(d.cs.map(([k, a, u]) => [k, [a, u] as const]));
    for (const coll of colls) {
      const at = known.get(coll.key);
      if (at && at[0] < coll.deltaHorizon && !d.i) return syncStateNotFound(req);
    }
    const fresh = !!queryParam(req, '$deltatoken');
    cur = {
      ...d,
      cs: colls.map((c) => [
        c.key,
        known.get(c.key)?.[0] ?? 0,
        fresh ? c.lastSeq : (known.get(c.key)?.[1] ?? c.lastSeq),
      ]),
    };
    if (fresh) delete cur.i;
  } else {
    const s = queryParam(req, 'startDateTime');
    const from = s === null ? undefined : parseInstant(s);
    if (s !== null && from === undefined)
      throw badRequest(`The value '${s}' of parameter 'StartDateTime' is invalid.`, 'ErrorInvalidParameter');
    cur = { cs: colls.map((c) => [c.key, 0, c.lastSeq]), i: 1, ...(from !== undefined ? { s: from } : {}) };
  }
  const view: View = viewOf(req);
  const top = topOf(req, PAGE.defaultTop, PAGE.maxTop);
  const value: object[] = [];
  let more = false;
  for (const pos of cur.cs) {
    const coll = colls.find((c) => c.key === pos[0]);
    if (!coll) continue;
    for (const entry of coll.entriesAfter(pos[1])) {
      if (entry.seq > pos[2]) break;
      if (value.length === top) {
        more = true;
        break;
      }
      pos[1] = entry.seq;
      const e = entry.value;
      if (e === null) {
        // Exceptions live inside their series here; only singles and masters are reported.
        if (!cur.i && !parseOccurrenceId(entry.id)) value.push(removed(entry.id));
      } else if ((e.type === 'singleInstance' || e.type === 'seriesMaster') && startsFrom(e, cur.s)) {
        value.push(deltaEventStub(e, view));
      }
    }
    if (more) break;
  }
  const body: Record<string, unknown> = { '@odata.context': contextUrl(req, 'Collection(event)'), value };
  if (more) body['@odata.nextLink'] = link(req, '$skiptoken', cur);
  else
    body['@odata.deltaLink'] = link(req, '$deltatoken', {
      cs: cur.cs.map(([k, , u]) => [k, u, u]),
      ...(cur.s !== undefined ? { s: cur.s } : {}),
    });
  return ok(body);
}
