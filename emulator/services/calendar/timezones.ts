import { isoSeconds } from '../shared/time.js';

/**
 * Time zones as Outlook names them (Windows zone names, plus IANA names which Graph also
 * accepts), and conversions between UTC instants and wall-clock times. Wall-clock times are
 * handled as "wall milliseconds": the local date and time encoded as if it were UTC, so that
 * date arithmetic on them never meets a DST transition.
 */

const WINDOWS_TO_IANA: Record<string, string> = {
  UTC: 'UTC',
  'tzone://Microsoft/Utc': 'UTC',
  'Coordinated Universal Time': 'UTC',
  'Dateline Standard Time': 'Etc/GMT+12',
  'UTC-11': 'Etc/GMT+11',
  'Hawaiian Standard Time': 'Pacific/Honolulu',
  'Alaskan Standard Time': 'America/Anchorage',
  'Pacific Standard Time': 'America/Los_Angeles',
  'US Mountain Standard Time': 'America/Phoenix',
  'Mountain Standard Time': 'America/Denver',
  'Central Standard Time': 'America/Chicago',
  'Central Standard Time (Mexico)': 'America/Mexico_City',
  'Canada Central Standard Time': 'America/Regina',
  'Central America Standard Time': 'America/Guatemala',
  'Eastern Standard Time': 'America/New_York',
  'SA Pacific Standard Time': 'America/Bogota',
  'Atlantic Standard Time': 'America/Halifax',
  'Newfoundland Standard Time': 'America/St_Johns',
  'E. South America Standard Time': 'America/Sao_Paulo',
  'Argentina Standard Time': 'America/Argentina/Buenos_Aires',
  'Pacific SA Standard Time': 'America/Santiago',
  'Azores Standard Time': 'Atlantic/Azores',
  'Greenwich Standard Time': 'Atlantic/Reykjavik',
  'GMT Standard Time': 'Europe/London',
  'Morocco Standard Time': 'Africa/Casablanca',
  'W. Europe Standard Time': 'Europe/Berlin',
  'Romance Standard Time': 'Europe/Paris',
  'Central Europe Standard Time': 'Europe/Budapest',
  'Central European Standard Time': 'Europe/Warsaw',
  'W. Central Africa Standard Time': 'Africa/Lagos',
  'GTB Standard Time': 'Europe/Bucharest',
  'FLE Standard Time': 'Europe/Kiev',
  'E. Europe Standard Time': 'Europe/Chisinau',
  'Egypt Standard Time': 'Africa/Cairo',
  'South Africa Standard Time': 'Africa/Johannesburg',
  'Israel Standard Time': 'Asia/Jerusalem',
  'Turkey Standard Time': 'Europe/Istanbul',
  'Russian Standard Time': 'Europe/Moscow',
  'Arab Standard Time': 'Asia/Riyadh',
  'E. Africa Standard Time': 'Africa/Nairobi',
  'Iran Standard Time': 'Asia/Tehran',
  'Arabian Standard Time': 'Asia/Dubai',
  'Pakistan Standard Time': 'Asia/Karachi',
  'India Standard Time': 'Asia/Kolkata',
  'Nepal Standard Time': 'Asia/Kathmandu',
  'Bangladesh Standard Time': 'Asia/Dhaka',
  'SE Asia Standard Time': 'Asia/Bangkok',
  'China Standard Time': 'Asia/Shanghai',
  'Singapore Standard Time': 'Asia/Singapore',
  'Taipei Standard Time': 'Asia/Taipei',
  'W. Australia Standard Time': 'Australia/Perth',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'Korea Standard Time': 'Asia/Seoul',
  'Cen. Australia Standard Time': 'Australia/Adelaide',
  'AUS Central Standard Time': 'Australia/Darwin',
  'E. Australia Standard Time': 'Australia/Brisbane',
  'AUS Eastern Standard Time': 'Australia/Sydney',
  'New Zealand Standard Time': 'Pacific/Auckland',
  'UTC+12': 'Etc/GMT-12',
  'Tonga Standard Time': 'Pacific/Tongatapu',
  'Samoa Standard Time': 'Pacific/Apia',
  'Line Islands Standard Time': 'Pacific/Kiritimati',
};

const LOWER_WINDOWS = new Map(Object.entries(WINDOWS_TO_IANA).map(([k, v]) => [k.toLowerCase(), v]));
const IANA_OK = new Map<string, boolean>();

/** The IANA zone for an Outlook time zone name (Windows or IANA), or undefined if unknown. */
export function ianaZone(name: string): string | undefined {
  const win = LOWER_WINDOWS.get(name.trim().toLowerCase());
  if (win) return win;
  let ok = IANA_OK.get(name);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
      ok = /\//.test(name) || name === 'UTC';
    } catch {
      ok = false;
    }
    IANA_OK.set(name, ok);
  }
  return ok ? name : undefined;
}

const FORMATTERS = new Map<string, Intl.DateTimeFormat>();
/** Per zone: the offset of each UTC day that has no transition (NaN marks a transition day). */
const DAYS = new Map<string, Map<number, number>>();
/** Per zone: offsets of 15-minute buckets on transition days (transitions fall on such marks). */
const BUCKETS = new Map<string, Map<number, number>>();
const BUCKET_MS = 15 * 60_000;
const DAY_MS = 86_400_000;
let cached = 0;

function rawOffset(zone: string, at: number): number {
  let fmt = FORMATTERS.get(zone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    FORMATTERS.set(zone, fmt);
  }
  const parts: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(at))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(
    parts['year'] ?? 1970,
    (parts['month'] ?? 1) - 1,
    parts['day'] ?? 1,
    parts['hour'] ?? 0,
    parts['minute'] ?? 0,
    parts['second'] ?? 0,
  );
  return Math.round((wall - at) / 60_000);
}

function cacheOf(map: Map<string, Map<number, number>>, zone: string): Map<number, number> {
  let m = map.get(zone);
  if (!m) {
    m = new Map();
    map.set(zone, m);
  }
  return m;
}

/** Bounds memory: forget everything after many insertions. */
function noteInsert(): void {
  if (++cached > 500_000) {
    DAYS.clear();
    BUCKETS.clear();
    cached = 0;
  }
}

/** Minutes east of UTC in `zone` at instant `utcMs` (memoised per day, or per 15 minutes on transition days). */
export function offsetMinutes(zone: string, utcMs: number): number {
  if (zone === 'UTC') return 0;
  const day = Math.floor(utcMs / DAY_MS);
  const days = cacheOf(DAYS, zone);
  let offset = days.get(day);
  if (offset === undefined) {
    const a = rawOffset(zone, day * DAY_MS);
    offset = a === rawOffset(zone, (day + 1) * DAY_MS) ? a : NaN;
    days.set(day, offset);
    noteInsert();
  }
  if (!Number.isNaN(offset)) return offset;
  const bucket = Math.floor(utcMs / BUCKET_MS);
  const buckets = cacheOf(BUCKETS, zone);
  let hit = buckets.get(bucket);
  if (hit === undefined) {
    hit = rawOffset(zone, bucket * BUCKET_MS);
    buckets.set(bucket, hit);
    noteInsert();
  }
  return hit;
}

export function utcToWall(utcMs: number, zone: string): number {
  return utcMs + offsetMinutes(zone, utcMs) * 60_000;
}

/**
 * The instant a wall-clock time denotes in `zone`. In the autumn overlap the earlier instant wins;
 * a time skipped by a spring-forward transition moves forward by the gap (02:30 becomes 03:30),
 * as Outlook schedules it.
 */
export function wallToUtc(wallMs: number, zone: string): number {
  if (zone === 'UTC') return wallMs;
  const before = offsetMinutes(zone, wallMs - 86_400_000);
  const after = offsetMinutes(zone, wallMs + 86_400_000);
  // No transition within a day either side: the common case.
  if (before === after) return wallMs - before * 60_000;
  const candidates = [...new Set([before, after])]
    .map((o) => wallMs - o * 60_000)
    .filter((t) => utcToWall(t, zone) === wallMs);
  if (candidates.length) return Math.min(...candidates);
  return wallMs - before * 60_000;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Graph's dateTimeTimeZone.dateTime form: `2017-04-15T12:00:00.0000000`. */
export function formatWall(wallMs: number): string {
  const d = new Date(wallMs);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}0000`;
}

/** Parses a wall-clock `YYYY-MM-DDTHH:mm[:ss[.fffffff]]`; an offset or `Z`, if present, is returned separately. */
export function parseDateTime(s: string): { wall: number; offsetMinutes: number | null } | undefined {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(
      s.trim(),
    );
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '0', tz] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59)
    return undefined;
  const wall = Date.UTC(
    Number(y),
    month - 1,
    day,
    Number(h),
    Number(mi),
    Number(sec),
    Math.floor(Number(`0.${frac}`) * 1000),
  );
  if (new Date(wall).getUTCDate() !== day) return undefined;
  let offset: number | null = null;
  if (tz) {
    if (tz.toUpperCase() === 'Z') offset = 0;
    else {
      const sign = tz.startsWith('-') ? -1 : 1;
      const digits = tz.slice(1).replace(':', '');
      offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
    }
  }
  return { wall, offsetMinutes: offset };
}

/** An ISO instant (`startDateTime` query values): an offset is honoured, none means UTC. */
export function parseInstant(s: string): number | undefined {
  const p = parseDateTime(s);
  if (!p) return undefined;
  return p.wall - (p.offsetMinutes ?? 0) * 60_000;
}

/** UTC ISO without fractional seconds, as Graph writes DateTimeOffset values such as originalStart. */
export const isoUtc = isoSeconds;
