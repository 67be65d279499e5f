/**
 * Outlook recurrence (Graph's patternedRecurrence) as calendar dates. Dates are "day numbers":
 * days since 1970-01-01 of a civil date, with no time zone attached; the caller places each date's
 * occurrence in the series time zone. Rules follow Exchange: a monthly or yearly day that a month
 * does not have (31, or 29 February) falls on the month's last day; weekly series start counting
 * weeks from the week (by `firstDayOfWeek`) that holds the start date; a numbered range counts
 * every generated date, including ones later cancelled.
 */

export type PatternType =
  'daily' | 'weekly' | 'absoluteMonthly' | 'relativeMonthly' | 'absoluteYearly' | 'relativeYearly';
export type WeekIndex = 'first' | 'second' | 'third' | 'fourth' | 'last';
export type DayOfWeek = 'sunday' | 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday';

export interface RecurrencePattern {
  type: PatternType;
  interval: number;
  month: number;
  dayOfMonth: number;
  daysOfWeek: DayOfWeek[];
  firstDayOfWeek: DayOfWeek;
  index: WeekIndex;
}

export interface RecurrenceRange {
  type: 'endDate' | 'noEnd' | 'numbered';
  startDate: string;
  endDate: string;
  recurrenceTimeZone: string;
  numberOfOccurrences: number;
}

export interface PatternedRecurrence {
  pattern: RecurrencePattern;
  range: RecurrenceRange;
}

export const DAYS: readonly DayOfWeek[] = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
];
export const INDEXES: readonly WeekIndex[] = ['first', 'second', 'third', 'fourth', 'last'];
export const PATTERN_TYPES: readonly PatternType[] = [
  'daily',
  'weekly',
  'absoluteMonthly',
  'relativeMonthly',
  'absoluteYearly',
  'relativeYearly',
];
const DAY_MS = 86_400_000;

export const dayNumber = (y: number, m: number, d: number) => Math.floor(Date.UTC(y, m - 1, d) / DAY_MS);

export function civil(day: number): { y: number; m: number; d: number; dow: number } {
  const dt = new Date(day * DAY_MS);
  return { y: dt.getUTCFullYear(), m: dt.getUTCMonth() + 1, d: dt.getUTCDate(), dow: dt.getUTCDay() };
}

/** `YYYY-MM-DD` to a day number; undefined when malformed or not a real date. */
export function parseDate(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = dayNumber(y, mo, d);
  const c = civil(day);
  return c.m === mo && c.d === d ? day : undefined;
}

export function formatDate(day: number): string {
  const c = civil(day);
  return `${String(c.y).padStart(4, '0')}-${String(c.m).padStart(2, '0')}-${String(c.d).padStart(2, '0')}`;
}

const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** The date of `dayOfMonth` in month `monthIndex` (y*12 + m-1), clamped to the month's last day. */
function absoluteInMonth(monthIndex: number, dayOfMonth: number): number {
  const y = Math.floor(monthIndex / 12);
  const m = (monthIndex % 12) + 1;
  return dayNumber(y, m, Math.min(dayOfMonth, daysInMonth(y, m)));
}

/** The `index`-th day of the month whose weekday is one of `days` (e.g. the last weekday). */
function relativeInMonth(monthIndex: number, days: readonly number[], index: WeekIndex): number | undefined {
  const y = Math.floor(monthIndex / 12);
  const m = (monthIndex % 12) + 1;
  const first = dayNumber(y, m, 1);
  const matches: number[] = [];
  for (let d = 0; d < daysInMonth(y, m); d++)
    if (days.includes(civil(first + d).dow)) matches.push(first + d);
  if (index === 'last') return matches[matches.length - 1];
  return matches[INDEXES.indexOf(index)];
}

/** Why a recurrence is unusable, or null when it is valid. */
export function recurrenceProblem(rec: PatternedRecurrence): string | null {
  const p = rec.pattern;
  const r = rec.range;
  if (!PATTERN_TYPES.includes(p.type)) return `Unknown recurrence pattern type '${String(p.type)}'.`;
  if (!Number.isInteger(p.interval) || p.interval < 1 || p.interval > 999)
    return 'The recurrence interval must be between 1 and 999.';
  if (p.daysOfWeek.some((d) => !DAYS.includes(d)))
    return 'A day of the week in the recurrence pattern is invalid.';
  if (!DAYS.includes(p.firstDayOfWeek))
    return 'The first day of the week in the recurrence pattern is invalid.';
  if (!INDEXES.includes(p.index)) return 'The week index in the recurrence pattern is invalid.';
  if (
    (p.type === 'weekly' || p.type === 'relativeMonthly' || p.type === 'relativeYearly') &&
    p.daysOfWeek.length === 0
  )
    return `A ${p.type} pattern needs daysOfWeek.`;
  if (
    (p.type === 'absoluteMonthly' || p.type === 'absoluteYearly') &&
    (p.dayOfMonth < 1 || p.dayOfMonth > 31)
  )
    return `A ${p.type} pattern needs dayOfMonth between 1 and 31.`;
  if ((p.type === 'absoluteYearly' || p.type === 'relativeYearly') && (p.month < 1 || p.month > 12))
    return `A ${p.type} pattern needs month between 1 and 12.`;
  if (!['endDate', 'noEnd', 'numbered'].includes(r.type))
    return `Unknown recurrence range type '${String(r.type)}'.`;
  const start = parseDate(r.startDate);
  if (start === undefined) return 'The recurrence range startDate is invalid.';
  if (r.type === 'endDate') {
    const end = parseDate(r.endDate);
    if (end === undefined || end < start) return 'The recurrence range endDate is invalid.';
  }
  if (
    r.type === 'numbered' &&
    (!Number.isInteger(r.numberOfOccurrences) || r.numberOfOccurrences < 1 || r.numberOfOccurrences > 999)
  ) {
    return 'The recurrence range numberOfOccurrences must be between 1 and 999.';
  }
  return null;
}

/**
 * The series' dates in ascending order. With `fromDay`, a series without a count may skip whole
 * periods that end before that day (the dates yielded are then only those near or after it).
 * The generator ends with the range; a `noEnd` series never ends, so callers must stop it.
 */
export function* seriesDates(rec: PatternedRecurrence, fromDay = -Infinity): Generator<number> {
  const p = rec.pattern;
  const start = parseDate(rec.range.startDate) as number;
  const endDay = rec.range.type === 'endDate' ? (parseDate(rec.range.endDate) as number) : Infinity;
  const limit = rec.range.type === 'numbered' ? rec.range.numberOfOccurrences : Infinity;
  const canSkip = rec.range.type !== 'numbered' && Number.isFinite(fromDay);
  const days = p.daysOfWeek.map((d) => DAYS.indexOf(d));
  const s = civil(start);
  const startMonth = s.y * 12 + s.m - 1;
  let count = 0;
  // Each period (day, week, month, year) yields its candidate dates; returns false when past the range.
  const emit = function* (dates: (number | undefined)[]): Generator<number, boolean> {
    for (const d of dates) {
      if (d === undefined || d < start) continue;
      if (d > endDay || count >= limit) return false;
      count++;
      yield d;
    }
    return true;
  };
  const from = (periodLength: number, anchor: number) =>
    canSkip ? Math.max(0, Math.floor((fromDay - anchor) / periodLength) - 1) : 0;

  switch (p.type) {
    case 'daily':
      for (let k = from(p.interval, start); ; k++) if (!(yield* emit([start + k * p.interval]))) return;
    case 'weekly': {
      const fdow = DAYS.indexOf(p.firstDayOfWeek);
      const weekStart = start - ((s.dow - fdow + 7) % 7);
      const offsets = [...new Set(days.map((d) => (d - fdow + 7) % 7))].sort((a, b) => a - b);
      for (let w = from(7 * p.interval, weekStart); ; w++) {
        const base = weekStart + 7 * p.interval * w;
        if (!(yield* emit(offsets.map((o) => base + o)))) return;
      }
    }
    case 'absoluteMonthly':
    case 'relativeMonthly': {
      const fromMonth = canSkip
        ? Math.max(
            0,
            Math.floor(
              (civil(Math.max(start, fromDay)).y * 12 + civil(Math.max(start, fromDay)).m - 1 - startMonth) /
                p.interval,
            ) - 1,
          )
        : 0;
      for (let k = fromMonth; ; k++) {
        const mi = startMonth + k * p.interval;
        const d =
          p.type === 'absoluteMonthly'
            ? absoluteInMonth(mi, p.dayOfMonth)
            : relativeInMonth(mi, days, p.index);
        if (!(yield* emit([d]))) return;
      }
    }
    case 'absoluteYearly':
    case 'relativeYearly': {
      const fromYear = canSkip
        ? Math.max(0, Math.floor((civil(Math.max(start, fromDay)).y - s.y) / p.interval) - 1)
        : 0;
      for (let k = fromYear; ; k++) {
        const mi = (s.y + k * p.interval) * 12 + p.month - 1;
        const d =
          p.type === 'absoluteYearly'
            ? absoluteInMonth(mi, p.dayOfMonth)
            : relativeInMonth(mi, days, p.index);
        if (!(yield* emit([d]))) return;
      }
    }
  }
}

/** The first date of the series (where Outlook puts the master's start), if any. */
export function firstDate(rec: PatternedRecurrence): number | undefined {
  for (const d of seriesDates(rec)) return d;
  return undefined;
}

/** Graph's full patternedRecurrence shape, defaults filled in as Graph returns them. */
export function normalizeRecurrence(input: unknown, defaultZone: string): PatternedRecurrence | string {
  if (!input || typeof input !== 'object') return 'The recurrence must be an object with pattern and range.';
  const { pattern, range } = input as { pattern?: Record<string, unknown>; range?: Record<string, unknown> };
  if (!pattern || typeof pattern !== 'object' || !range || typeof range !== 'object')
    return 'The recurrence needs both pattern and range.';
  const str = (v: unknown, d: string) => (typeof v === 'string' ? v : d);
  const num = (v: unknown, d: number) => (typeof v === 'number' ? v : d);
  const type = str(range['type'], 'noEnd') as RecurrenceRange['type'];
  const rec: PatternedRecurrence = {
    pattern: {
      type: str(pattern['type'], '') as PatternType,
      interval: num(pattern['interval'], 1),
      month: num(pattern['month'], 0),
      dayOfMonth: num(pattern['dayOfMonth'], 0),
      daysOfWeek: Array.isArray(pattern['daysOfWeek'])
        ? (pattern['daysOfWeek'] as unknown[]).map((d) => String(d).toLowerCase() as DayOfWeek)
        : [],
      firstDayOfWeek: str(pattern['firstDayOfWeek'], 'sunday').toLowerCase() as DayOfWeek,
      index: str(pattern['index'], 'first').toLowerCase() as WeekIndex,
    },
    range: {
      type,
      startDate: str(range['startDate'], ''),
      endDate: type === 'endDate' ? str(range['endDate'], '') : '0001-01-01',
      recurrenceTimeZone: str(range['recurrenceTimeZone'], defaultZone),
      numberOfOccurrences: type === 'numbered' ? num(range['numberOfOccurrences'], 0) : 0,
    },
  };
  return recurrenceProblem(rec) ?? rec;
}
