import type { EventRecord } from './records.js';
import { seriesDates } from './recurrence.js';
import { ianaZone, isoUtc, utcToWall, wallToUtc } from './timezones.js';

/**
 * Series expansion: occurrences of a master in a time window, and the instances (single events,
 * occurrences, exceptions) a calendar shows in a window. calendarView, instances and
 * calendarView delta all go through here, so they agree with each other.
 */

const DAY = 86_400_000;
/** Upper bound on dates examined per series and request (a 100-year daily window). */
const MAX_STEPS = 40_000;

export interface Occurrence {
  originalStartMs: number;
  startMs: number;
  endMs: number;
}

export interface Instance {
  id: string;
  type: 'singleInstance' | 'occurrence' | 'exception';
  /** The stored item: the single event or exception itself, or the master of an occurrence. */
  record: EventRecord;
  startMs: number;
  endMs: number;
  originalStartMs: number | null;
}

function b64(data: Buffer): string {
  return data.toString('base64').replace(/\//g, '-').replace(/\+/g, '_');
}

const MAGIC = 'OCC1';

/** The id of the occurrence of `masterId` originally starting at `originalStartMs`; exceptions keep it. */
export function occurrenceId(masterId: string, originalStartMs: number): string {
  return `AAMkA${b64(Buffer.from(`${MAGIC}${masterId}|${isoUtc(originalStartMs)}`, 'latin1'))}`;
}

export function parseOccurrenceId(id: string): { masterId: string; originalStartMs: number } | undefined {
  if (!id.startsWith('AAMkA')) return undefined;
  const text = Buffer.from(id.slice(5).replace(/-/g, '/').replace(/_/g, '+'), 'base64').toString('latin1');
  if (!text.startsWith(MAGIC)) return undefined;
  const bar = text.lastIndexOf('|');
  const ms = Date.parse(text.slice(bar + 1));
  if (bar < 0 || Number.isNaN(ms)) return undefined;
  return { masterId: text.slice(MAGIC.length, bar), originalStartMs: ms };
}

export const overlaps = (startMs: number, endMs: number, fromMs: number, toMs: number) =>
  startMs === endMs ? startMs >= fromMs && startMs < toMs : startMs < toMs && endMs > fromMs;

/** The zone a series repeats in: the range's recurrence time zone, else the start's. */
export function seriesZone(master: EventRecord): string {
  return (
    ianaZone(master.recurrence?.range.recurrenceTimeZone ?? '') ?? ianaZone(master.start.timeZone) ?? 'UTC'
  );
}

/**
 * Occurrences of a series overlapping [fromMs, toMs), ignoring exceptions and cancellations.
 * Each occurrence starts at the master's wall-clock time of day in the series zone, so it stays
 * at 09:00 local across DST changes; all-day occurrences span whole local days.
 */
export function occurrencesBetween(master: EventRecord, fromMs: number, toMs: number): Occurrence[] {
  const out: Occurrence[] = [];
  for (const o of occurrenceStream(master, fromMs - master.endMs + master.startMs - 2 * DAY)) {
    if (o.startMs >= toMs + 2 * DAY) break;
    if (overlaps(o.startMs, o.endMs, fromMs, toMs)) out.push(o);
  }
  return out;
}

/** The first `n` occurrences of a series (cancelled ones included). */
export function firstOccurrences(master: EventRecord, n: number): Occurrence[] {
  const out: Occurrence[] = [];
  for (const o of occurrenceStream(master, -Infinity)) {
    if (out.length >= n) break;
    out.push(o);
  }
  return out;
}

/** Occurrences in order, from around `fromMs` (earlier ones may be skipped when the range allows). */
function* occurrenceStream(master: EventRecord, fromMs: number): Generator<Occurrence> {
  const rec = master.recurrence;
  if (!rec) return;
  const zone = seriesZone(master);
  const startWall = utcToWall(master.startMs, zone);
  const timeOfDay = ((startWall % DAY) + DAY) % DAY;
  const ownZone = ianaZone(master.start.timeZone) ?? zone;
  const wallDays = Math.round((utcToWall(master.endMs, ownZone) - utcToWall(master.startMs, ownZone)) / DAY);
  const duration = master.endMs - master.startMs;
  let steps = 0;
  for (const day of seriesDates(rec, Number.isFinite(fromMs) ? Math.floor(fromMs / DAY) : -Infinity)) {
    if (++steps > MAX_STEPS) return;
    const wall = day * DAY + timeOfDay;
    const startMs = wallToUtc(wall, zone);
    const endMs = master.isAllDay ? wallToUtc(wall + wallDays * DAY, zone) : startMs + duration;
    yield { originalStartMs: startMs, startMs, endMs };
  }
}

/** Whether the series has an occurrence originally starting at `originalStartMs` (cancelled or not). */
export function isSeriesStart(master: EventRecord, originalStartMs: number): boolean {
  return occurrencesBetween(master, originalStartMs, originalStartMs + 1).some(
    (o) => o.originalStartMs === originalStartMs,
  );
}

export const cancelledSet = (master: EventRecord) =>
  new Set(master.cancelledOccurrences.map((s) => Date.parse(s)));

/** Occurrences and exceptions of one series that overlap the window (cancelled ones excluded). */
export function seriesInstances(
  master: EventRecord,
  exceptions: readonly EventRecord[],
  fromMs: number,
  toMs: number,
): Instance[] {
  const cancelled = cancelledSet(master);
  const replaced = new Set(exceptions.map((e) => Date.parse(e.originalStart ?? '')));
  const out: Instance[] = [];
  for (const o of occurrencesBetween(master, fromMs, toMs)) {
    if (cancelled.has(o.originalStartMs) || replaced.has(o.originalStartMs)) continue;
    out.push({
      id: occurrenceId(master.id, o.originalStartMs),
      type: 'occurrence',
      record: master,
      startMs: o.startMs,
      endMs: o.endMs,
      originalStartMs: o.originalStartMs,
    });
  }
  for (const e of exceptions) {
    const original = Date.parse(e.originalStart ?? '');
    if (cancelled.has(original) || !overlaps(e.startMs, e.endMs, fromMs, toMs)) continue;
    out.push({
      id: e.id,
      type: 'exception',
      record: e,
      startMs: e.startMs,
      endMs: e.endMs,
      originalStartMs: original,
    });
  }
  return out;
}

export const byStart = (a: Instance, b: Instance) =>
  a.startMs - b.startMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Exceptions of each series in a set of stored items. */
export function exceptionsByMaster(items: readonly EventRecord[]): Map<string, EventRecord[]> {
  const map = new Map<string, EventRecord[]>();
  for (const e of items) {
    if (e.type !== 'exception' || !e.seriesMasterId) continue;
    const list = map.get(e.seriesMasterId) ?? [];
    list.push(e);
    map.set(e.seriesMasterId, list);
  }
  return map;
}

/** What a calendar shows in [fromMs, toMs): single events, occurrences and exceptions, by start. */
export function calendarInstances(items: readonly EventRecord[], fromMs: number, toMs: number): Instance[] {
  const exceptions = exceptionsByMaster(items);
  const out: Instance[] = [];
  for (const e of items) {
    if (e.type === 'singleInstance' && overlaps(e.startMs, e.endMs, fromMs, toMs)) {
      out.push({
        id: e.id,
        type: 'singleInstance',
        record: e,
        startMs: e.startMs,
        endMs: e.endMs,
        originalStartMs: null,
      });
    } else if (e.type === 'seriesMaster') {
      out.push(...seriesInstances(e, exceptions.get(e.id) ?? [], fromMs, toMs));
    }
  }
  return out.sort(byStart);
}

/**
 * The instances a stored item contributed to a window, for delta: a single event is its own
 * instance; a master contributes its occurrences (without exceptions, which are items of their own).
 */
export function ownInstanceIds(item: EventRecord, fromMs: number, toMs: number): string[] {
  if (item.type === 'seriesMaster') {
    const cancelled = cancelledSet(item);
    return occurrencesBetween(item, fromMs, toMs)
      .filter((o) => !cancelled.has(o.originalStartMs))
      .map((o) => occurrenceId(item.id, o.originalStartMs));
  }
  return overlaps(item.startMs, item.endMs, fromMs, toMs) ? [item.id] : [];
}
