import { GraphHttpError } from '../../core/odata.js';
import { occurrenceId, occurrencesBetween, seriesZone, type Instance } from './expand.js';
import type { CalendarRecord, EventRecord } from './records.js';
import { utcToWall } from './timezones.js';

/** Occurrences as items: where an event or occurrence was found, its instance form, and where an occurrence may move. */

/** A stored item, or an occurrence computed from its series. */
export type Located =
  | { kind: 'stored'; calendar: CalendarRecord; event: EventRecord }
  | {
      kind: 'occurrence';
      calendar: CalendarRecord;
      master: EventRecord;
      originalStartMs: number;
      startMs: number;
      endMs: number;
    };

const DAY = 86_400_000;
const PERIOD_DAYS: Record<string, number> = {
  daily: 1,
  weekly: 7,
  absoluteMonthly: 31,
  relativeMonthly: 31,
  absoluteYearly: 366,
  relativeYearly: 366,
};
const crossing = () =>
  new GraphHttpError(
    400,
    'ErrorOccurrenceCrossingBoundary',
    'An occurrence cannot be moved to or before the day of the previous occurrence, or to or after the day of the following occurrence.',
  );

/** What is shown for a located item in instance form. */
export function asInstance(l: Located): Instance {
  if (l.kind === 'occurrence')
    return {
      id: occurrenceId(l.master.id, l.originalStartMs),
      type: 'occurrence',
      record: l.master,
      startMs: l.startMs,
      endMs: l.endMs,
      originalStartMs: l.originalStartMs,
    };
  const e = l.event;
  return {
    id: e.id,
    type: e.type === 'exception' ? 'exception' : 'singleInstance',
    record: e,
    startMs: e.startMs,
    endMs: e.endMs,
    originalStartMs: e.originalStart ? Date.parse(e.originalStart) : null,
  };
}

/** Outlook keeps a moved occurrence strictly between the days of its neighbours. */
export function checkOccurrenceMove(master: EventRecord, originalStartMs: number, newStartMs: number): void {
  const span =
    ((PERIOD_DAYS[master.recurrence?.pattern.type ?? 'daily'] ?? 1) *
      (master.recurrence?.pattern.interval ?? 1) +
      2) *
    DAY;
  const occ = occurrencesBetween(master, originalStartMs - span, originalStartMs + span);
  const i = occ.findIndex((o) => o.originalStartMs === originalStartMs);
  const zone = seriesZone(master);
  const day = (ms: number) => Math.floor(utcToWall(ms, zone) / DAY);
  const prev = occ[i - 1];
  const next = occ[i + 1];
  if ((prev && day(newStartMs) <= day(prev.startMs)) || (next && day(newStartMs) >= day(next.startMs)))
    throw crossing();
}
