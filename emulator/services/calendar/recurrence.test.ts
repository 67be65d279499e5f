import { describe, expect, it } from 'vitest';
import {
  formatDate,
  normalizeRecurrence,
  parseDate,
  recurrenceProblem,
  seriesDates,
  type PatternedRecurrence,
} from './recurrence.js';

/** A recurrence from partial pattern/range, filled the way Graph fills defaults. */
function rec(pattern: Record<string, unknown>, range: Record<string, unknown>): PatternedRecurrence {
  const r = normalizeRecurrence({ pattern, range }, 'UTC');
  if (typeof r === 'string') throw new Error(r);
  return r;
}

function dates(r: PatternedRecurrence, max = 50, from?: number): string[] {
  const out: string[] = [];
  for (const d of seriesDates(r, from)) {
    out.push(formatDate(d));
    if (out.length >= max) break;
  }
  return out;
}

describe('recurrence dates', () => {
  it('daily with interval and a numbered range', () => {
    expect(
      dates(
        rec(
          { type: 'daily', interval: 2 },
          { type: 'numbered', startDate: '2025-02-26', numberOfOccurrences: 4 },
        ),
      ),
    ).toEqual(['2025-02-26', '2025-02-28', '2025-03-02', '2025-03-04']);
  });

  it('weekly on several days every other week, from a mid-week start', () => {
    // 2025-01-08 is a Wednesday; the Monday of that week is before the start and is skipped.
    const r = rec(
      {
        type: 'weekly',
        interval: 2,
        daysOfWeek: ['friday', 'monday', 'wednesday'],
        firstDayOfWeek: 'sunday',
      },
      { type: 'numbered', startDate: '2025-01-08', numberOfOccurrences: 6 },
    );
    expect(dates(r)).toEqual([
      '2025-01-08',
      '2025-01-10',
      '2025-01-20',
      '2025-01-22',
      '2025-01-24',
      '2025-02-03',
    ]);
  });

  it('weekly periods start on firstDayOfWeek', () => {
    // 2025-01-05 is a Sunday. With weeks starting Sunday, Sunday and Monday share a week;
    // with weeks starting Monday, that Sunday ends a week and the next Monday is two weeks on.
    const base = { type: 'weekly', interval: 2, daysOfWeek: ['sunday', 'monday'] };
    const range = { type: 'numbered', startDate: '2025-01-05', numberOfOccurrences: 4 };
    expect(dates(rec({ ...base, firstDayOfWeek: 'sunday' }, range))).toEqual([
      '2025-01-05',
      '2025-01-06',
      '2025-01-19',
      '2025-01-20',
    ]);
    expect(dates(rec({ ...base, firstDayOfWeek: 'monday' }, range))).toEqual([
      '2025-01-05',
      '2025-01-13',
      '2025-01-19',
      '2025-01-27',
    ]);
  });

  it('absoluteMonthly on the 31st falls on the last day of shorter months', () => {
    const r = rec(
      { type: 'absoluteMonthly', interval: 1, dayOfMonth: 31 },
      { type: 'numbered', startDate: '2024-01-31', numberOfOccurrences: 6 },
    );
    expect(dates(r)).toEqual([
      '2024-01-31',
      '2024-02-29',
      '2024-03-31',
      '2024-04-30',
      '2024-05-31',
      '2024-06-30',
    ]);
  });

  it('absoluteMonthly every third month with an end date (inclusive)', () => {
    const r = rec(
      { type: 'absoluteMonthly', interval: 3, dayOfMonth: 15 },
      { type: 'endDate', startDate: '2025-01-20', endDate: '2025-10-15' },
    );
    // January's 15th precedes the start date, so the series begins in April.
    expect(dates(r)).toEqual(['2025-04-15', '2025-07-15', '2025-10-15']);
  });

  it('relativeMonthly: last Friday, first Monday, last weekend day', () => {
    expect(
      dates(
        rec(
          { type: 'relativeMonthly', interval: 1, daysOfWeek: ['friday'], index: 'last' },
          { type: 'numbered', startDate: '2025-01-01', numberOfOccurrences: 3 },
        ),
      ),
    ).toEqual(['2025-01-31', '2025-02-28', '2025-03-28']);
    expect(
      dates(
        rec(
          { type: 'relativeMonthly', interval: 2, daysOfWeek: ['monday'], index: 'first' },
          { type: 'numbered', startDate: '2025-01-01', numberOfOccurrences: 3 },
        ),
      ),
    ).toEqual(['2025-01-06', '2025-03-03', '2025-05-05']);
    expect(
      dates(
        rec(
          { type: 'relativeMonthly', interval: 1, daysOfWeek: ['saturday', 'sunday'], index: 'last' },
          { type: 'numbered', startDate: '2025-08-01', numberOfOccurrences: 2 },
        ),
      ),
    ).toEqual(['2025-08-31', '2025-09-28']);
  });

  it('absoluteYearly on 29 February uses 28 February in common years', () => {
    const r = rec(
      { type: 'absoluteYearly', interval: 1, dayOfMonth: 29, month: 2 },
      { type: 'numbered', startDate: '2024-02-29', numberOfOccurrences: 5 },
    );
    expect(dates(r)).toEqual(['2024-02-29', '2025-02-28', '2026-02-28', '2027-02-28', '2028-02-29']);
  });

  it('relativeYearly: fourth Thursday of November, last Monday of May', () => {
    expect(
      dates(
        rec(
          { type: 'relativeYearly', interval: 1, daysOfWeek: ['thursday'], index: 'fourth', month: 11 },
          { type: 'numbered', startDate: '2024-01-01', numberOfOccurrences: 3 },
        ),
      ),
    ).toEqual(['2024-11-28', '2025-11-27', '2026-11-26']);
    expect(
      dates(
        rec(
          { type: 'relativeYearly', interval: 2, daysOfWeek: ['monday'], index: 'last', month: 5 },
          { type: 'endDate', startDate: '2024-06-01', endDate: '2030-12-31' },
        ),
      ),
    ).toEqual(['2026-05-25', '2028-05-29', '2030-05-27']);
  });

  it('a start date off the pattern begins at the first matching date', () => {
    // 2025-03-03 is a Monday; the series is Thursdays.
    const r = rec(
      { type: 'weekly', interval: 1, daysOfWeek: ['thursday'] },
      { type: 'endDate', startDate: '2025-03-03', endDate: '2025-03-20' },
    );
    expect(dates(r)).toEqual(['2025-03-06', '2025-03-13', '2025-03-20']);
  });

  it('skipping ahead yields the same dates as a full walk', () => {
    const patterns: [Record<string, unknown>, string][] = [
      [{ type: 'daily', interval: 3 }, '2020-01-01'],
      [
        { type: 'weekly', interval: 3, daysOfWeek: ['tuesday', 'saturday'], firstDayOfWeek: 'monday' },
        '2020-01-01',
      ],
      [{ type: 'absoluteMonthly', interval: 5, dayOfMonth: 30 }, '2020-01-30'],
      [{ type: 'relativeMonthly', interval: 1, daysOfWeek: ['wednesday'], index: 'third' }, '2020-01-01'],
      [{ type: 'absoluteYearly', interval: 1, dayOfMonth: 29, month: 2 }, '2020-02-29'],
      [
        { type: 'relativeYearly', interval: 3, daysOfWeek: ['sunday'], index: 'last', month: 10 },
        '2020-01-01',
      ],
    ];
    const from = parseDate('2031-06-17') as number;
    for (const [pattern, startDate] of patterns) {
      const r = rec(pattern, { type: 'noEnd', startDate });
      const full: string[] = [];
      for (const d of seriesDates(r)) {
        if (d >= from) full.push(formatDate(d));
        if (full.length >= 5) break;
      }
      expect(
        dates(r, 50, from)
          .filter((d) => d >= formatDate(from))
          .slice(0, 5),
        JSON.stringify(pattern),
      ).toEqual(full);
    }
  });

  it('reports invalid recurrences', () => {
    const problem = (pattern: Record<string, unknown>, range: Record<string, unknown>) => {
      const r = normalizeRecurrence({ pattern, range }, 'UTC');
      return typeof r === 'string' ? r : recurrenceProblem(r);
    };
    expect(problem({ type: 'weekly', interval: 1 }, { type: 'noEnd', startDate: '2025-01-01' })).toMatch(
      /daysOfWeek/,
    );
    expect(
      problem({ type: 'absoluteMonthly', interval: 1 }, { type: 'noEnd', startDate: '2025-01-01' }),
    ).toMatch(/dayOfMonth/);
    expect(
      problem(
        { type: 'absoluteYearly', interval: 1, dayOfMonth: 3 },
        { type: 'noEnd', startDate: '2025-01-01' },
      ),
    ).toMatch(/month/);
    expect(problem({ type: 'daily', interval: 0 }, { type: 'noEnd', startDate: '2025-01-01' })).toMatch(
      /interval/,
    );
    expect(problem({ type: 'daily', interval: 1 }, { type: 'numbered', startDate: '2025-01-01' })).toMatch(
      /numberOfOccurrences/,
    );
    expect(
      problem(
        { type: 'daily', interval: 1 },
        { type: 'endDate', startDate: '2025-01-05', endDate: '2025-01-01' },
      ),
    ).toMatch(/endDate/);
    expect(problem({ type: 'daily', interval: 1 }, { type: 'noEnd', startDate: '2025-02-30' })).toMatch(
      /startDate/,
    );
    expect(problem({ type: 'hourly', interval: 1 }, { type: 'noEnd', startDate: '2025-01-01' })).toMatch(
      /type/,
    );
    expect(problem({ type: 'daily', interval: 1 }, { type: 'noEnd', startDate: '2025-01-01' })).toBeNull();
  });

  it('fills Graph defaults', () => {
    const r = rec({ type: 'daily', interval: 1 }, { type: 'noEnd', startDate: '2025-01-01' });
    expect(r).toEqual({
      pattern: {
        type: 'daily',
        interval: 1,
        month: 0,
        dayOfMonth: 0,
        daysOfWeek: [],
        firstDayOfWeek: 'sunday',
        index: 'first',
      },
      range: {
        type: 'noEnd',
        startDate: '2025-01-01',
        endDate: '0001-01-01',
        recurrenceTimeZone: 'UTC',
        numberOfOccurrences: 0,
      },
    });
  });
});
