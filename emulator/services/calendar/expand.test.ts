import { describe, expect, it } from 'vitest';
import {
  calendarInstances,
  isSeriesStart,
  occurrenceId,
  occurrencesBetween,
  parseOccurrenceId,
  seriesInstances,
} from './expand.js';
import type { EventRecord } from './records.js';
import { normalizeRecurrence, type PatternedRecurrence } from './recurrence.js';
import {
  formatWall,
  ianaZone,
  isoUtc,
  offsetMinutes,
  parseDateTime,
  utcToWall,
  wallToUtc,
} from './timezones.js';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);

/** A minimal stored event for expansion tests: start is a wall time in `timeZone`. */
function event(
  id: string,
  start: string,
  timeZone: string,
  durationMs: number,
  extra: Partial<EventRecord> = {},
): EventRecord {
  const zone = ianaZone(timeZone) as string;
  const wall = (parseDateTime(start) as { wall: number }).wall;
  const startMs = wallToUtc(wall, zone);
  const endMs = extra.isAllDay ? wallToUtc(wall + durationMs, zone) : startMs + durationMs;
  return {
    id,
    type: extra.recurrence ? 'seriesMaster' : 'singleInstance',
    seriesMasterId: null,
    originalStart: null,
    start: { dateTime: formatWall(wall), timeZone },
    end: { dateTime: formatWall(utcToWall(endMs, zone)), timeZone },
    startMs,
    endMs,
    isAllDay: false,
    recurrence: null,
    cancelledOccurrences: [],
    ...extra,
  } as EventRecord;
}

function recurrence(
  pattern: Record<string, unknown>,
  range: Record<string, unknown>,
  zone: string,
): PatternedRecurrence {
  const r = normalizeRecurrence({ pattern, range }, zone);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

function exception(
  master: EventRecord,
  originalStartMs: number,
  startMs: number,
  endMs: number,
  subject = 'moved',
): EventRecord {
  return {
    ...master,
    id: occurrenceId(master.id, originalStartMs),
    type: 'exception',
    seriesMasterId: master.id,
    originalStart: isoUtc(originalStartMs),
    recurrence: null,
    startMs,
    endMs,
    subject,
  };
}

describe('time zones', () => {
  it('maps Windows names and converts with DST', () => {
    expect(ianaZone('Pacific Standard Time')).toBe('America/Los_Angeles');
    expect(ianaZone('pacific standard time')).toBe('America/Los_Angeles');
    expect(ianaZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(ianaZone('Mars Standard Time')).toBeUndefined();
    expect(offsetMinutes('America/Los_Angeles', at('2025-01-15T12:00:00Z'))).toBe(-480);
    expect(offsetMinutes('America/Los_Angeles', at('2025-07-15T12:00:00Z'))).toBe(-420);
    expect(offsetMinutes('America/St_Johns', at('2025-01-15T12:00:00Z'))).toBe(-210);
    expect(offsetMinutes('Asia/Kathmandu', at('2025-01-15T12:00:00Z'))).toBe(345);
  });

  it('resolves skipped and repeated wall times as Outlook does', () => {
    // 2025-03-09 02:30 does not exist in Los Angeles: it moves forward to 03:30 PDT.
    expect(isoUtc(wallToUtc(at('2025-03-09T02:30:00Z'), 'America/Los_Angeles'))).toBe('2025-03-09T10:30:00Z');
    // 2025-11-02 01:30 happens twice: the first (PDT) wins.
    expect(isoUtc(wallToUtc(at('2025-11-02T01:30:00Z'), 'America/Los_Angeles'))).toBe('2025-11-02T08:30:00Z');
    expect(isoUtc(wallToUtc(at('2025-06-01T09:00:00Z'), 'Australia/Adelaide'))).toBe('2025-05-31T23:30:00Z');
  });
});

describe('series expansion', () => {
  it('keeps the local time of day across a DST change in the series zone', () => {
    const master = event('m', '2025-03-03T09:00:00', 'Pacific Standard Time', H, {
      recurrence: recurrence(
        { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
        { type: 'numbered', startDate: '2025-03-03', numberOfOccurrences: 3 },
        'Pacific Standard Time',
      ),
    });
    const occ = occurrencesBetween(master, at('2025-01-01T00:00:00Z'), at('2026-01-01T00:00:00Z'));
    expect(occ.map((o) => isoUtc(o.startMs))).toEqual([
      '2025-03-03T17:00:00Z',
      '2025-03-10T16:00:00Z',
      '2025-03-17T16:00:00Z',
    ]);
    expect(occ.every((o) => o.endMs - o.startMs === H)).toBe(true);
  });

  it('moves an occurrence that falls into the spring-forward gap', () => {
    const master = event('m', '2025-03-08T02:30:00', 'Pacific Standard Time', 30 * 60_000, {
      recurrence: recurrence(
        { type: 'daily', interval: 1 },
        { type: 'numbered', startDate: '2025-03-08', numberOfOccurrences: 3 },
        'Pacific Standard Time',
      ),
    });
    const occ = occurrencesBetween(master, at('2025-03-01T00:00:00Z'), at('2025-04-01T00:00:00Z'));
    expect(occ.map((o) => isoUtc(o.startMs))).toEqual([
      '2025-03-08T10:30:00Z',
      '2025-03-09T10:30:00Z',
      '2025-03-10T09:30:00Z',
    ]);
  });

  it('places European series by the European transition (last Sunday of March)', () => {
    const master = event('m', '2025-03-29T10:00:00', 'W. Europe Standard Time', H, {
      recurrence: recurrence(
        { type: 'daily', interval: 1 },
        { type: 'endDate', startDate: '2025-03-29', endDate: '2025-03-31' },
        'W. Europe Standard Time',
      ),
    });
    const occ = occurrencesBetween(master, at('2025-03-01T00:00:00Z'), at('2025-04-30T00:00:00Z'));
    expect(occ.map((o) => isoUtc(o.startMs))).toEqual([
      '2025-03-29T09:00:00Z',
      '2025-03-30T08:00:00Z',
      '2025-03-31T08:00:00Z',
    ]);
  });

  it('keeps all-day occurrences on local midnights', () => {
    const master = event('m', '2025-03-08T00:00:00', 'Pacific Standard Time', 24 * H, {
      isAllDay: true,
      recurrence: recurrence(
        { type: 'daily', interval: 1 },
        { type: 'numbered', startDate: '2025-03-08', numberOfOccurrences: 2 },
        'Pacific Standard Time',
      ),
    });
    const occ = occurrencesBetween(master, at('2025-03-01T00:00:00Z'), at('2025-04-01T00:00:00Z'));
    expect(occ.map((o) => [isoUtc(o.startMs), isoUtc(o.endMs)])).toEqual([
      ['2025-03-08T08:00:00Z', '2025-03-09T08:00:00Z'],
      ['2025-03-09T08:00:00Z', '2025-03-10T07:00:00Z'],
    ]);
  });

  it('includes an occurrence that started before the window and overlaps it', () => {
    const master = event('m', '2025-05-01T22:00:00', 'UTC', 4 * H, {
      recurrence: recurrence(
        { type: 'daily', interval: 1 },
        { type: 'noEnd', startDate: '2025-05-01' },
        'UTC',
      ),
    });
    const occ = occurrencesBetween(master, at('2025-05-10T00:00:00Z'), at('2025-05-11T00:00:00Z'));
    expect(occ.map((o) => isoUtc(o.startMs))).toEqual(['2025-05-09T22:00:00Z', '2025-05-10T22:00:00Z']);
    expect(occurrencesBetween(master, at('2025-05-10T02:00:00Z'), at('2025-05-10T22:00:00Z'))).toEqual([]);
  });

  it('expands far-future windows of endless series quickly and correctly', () => {
    const master = event('m', '2020-01-06T09:00:00', 'Eastern Standard Time', H, {
      recurrence: recurrence(
        { type: 'weekly', interval: 1, daysOfWeek: ['monday', 'thursday'] },
        { type: 'noEnd', startDate: '2020-01-06' },
        'Eastern Standard Time',
      ),
    });
    const occ = occurrencesBetween(master, at('2090-06-01T00:00:00Z'), at('2090-06-15T00:00:00Z'));
    expect(occ.map((o) => isoUtc(o.startMs))).toEqual([
      '2090-06-01T13:00:00Z',
      '2090-06-05T13:00:00Z',
      '2090-06-08T13:00:00Z',
      '2090-06-12T13:00:00Z',
    ]);
  });

  it('applies exceptions and cancellations, including moves across the window edge', () => {
    const master = event('m', '2025-06-02T10:00:00', 'UTC', H, {
      recurrence: recurrence(
        { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
        { type: 'numbered', startDate: '2025-06-02', numberOfOccurrences: 6 },
        'UTC',
      ),
    });
    // Mondays: 06-02, 06-09, 06-16, 06-23, 06-30, 07-07. Window: 06-08 .. 06-29.
    const june9 = at('2025-06-09T10:00:00Z');
    const june16 = at('2025-06-16T10:00:00Z');
    const june23 = at('2025-06-23T10:00:00Z');
    const june30 = at('2025-06-30T10:00:00Z');
    master.cancelledOccurrences = [isoUtc(june16)];
    const movedOut = exception(
      master,
      june23,
      at('2025-06-29T10:00:00Z') + 14 * H,
      at('2025-06-29T10:00:00Z') + 15 * H,
    );
    const movedIn = exception(master, june30, at('2025-06-28T09:00:00Z'), at('2025-06-28T10:00:00Z'));
    const retitled = exception(master, june9, june9, june9 + H, 'new title');
    const from = at('2025-06-08T00:00:00Z');
    const to = at('2025-06-29T00:00:00Z');
    const got = seriesInstances(master, [movedOut, movedIn, retitled], from, to);
    expect(
      got
        .map((i) => [
          i.type,
          isoUtc(i.startMs),
          i.originalStartMs === null ? null : isoUtc(i.originalStartMs),
        ])
        .sort(),
    ).toEqual(
      [
        ['exception', '2025-06-09T10:00:00Z', '2025-06-09T10:00:00Z'],
        ['exception', '2025-06-28T09:00:00Z', '2025-06-30T10:00:00Z'],
      ].sort(),
    );
    expect(got.find((i) => i.originalStartMs === june9)?.id).toBe(occurrenceId('m', june9));
    // The whole calendar: the single event plus the same series instances.
    const single = event('s', '2025-06-10T12:00:00', 'UTC', H);
    const all = calendarInstances([master, movedOut, movedIn, retitled, single], from, to);
    expect(all.map((i) => i.id)).toEqual([occurrenceId('m', june9), 's', occurrenceId('m', june30)]);
  });

  it('round-trips occurrence ids and recognises series starts', () => {
    const master = event('AAMkAmaster', '2025-01-31T08:00:00', 'Tokyo Standard Time', H, {
      recurrence: recurrence(
        { type: 'absoluteMonthly', interval: 1, dayOfMonth: 31 },
        { type: 'noEnd', startDate: '2025-01-31' },
        'Tokyo Standard Time',
      ),
    });
    const feb = at('2025-02-27T23:00:00Z'); // 28 February 08:00 in Tokyo
    const id = occurrenceId(master.id, feb);
    expect(parseOccurrenceId(id)).toEqual({ masterId: master.id, originalStartMs: feb });
    expect(parseOccurrenceId(master.id)).toBeUndefined();
    expect(isSeriesStart(master, feb)).toBe(true);
    expect(isSeriesStart(master, feb + H)).toBe(false);
  });
});
