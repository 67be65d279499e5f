import { GraphHttpError } from '../../core/odata.js';
import type { Random } from '../../generator/random.js';
import { invalidValue, textArg, unknownProperty } from '../shared/exchange.js';
import { EMPTY_LOCATION, teamsMeeting } from './event-parts.js';
import type { Attendee, EventRecord, Location } from './records.js';
import { normalizeRecurrence } from './recurrence.js';
import { formatWall, ianaZone, parseDateTime, utcToWall, wallToUtc } from './timezones.js';

/**
 * Applies a POST/PATCH body to an event record the way Outlook validates it: unknown properties
 * and bad values are 400s, read-only properties are ignored, and the derived fields (UTC
 * instants, locations) are kept consistent.
 */

export const validationFailure = (detail?: string) =>
  new GraphHttpError(
    400,
    'ErrorPropertyValidationFailure',
    detail
      ? `At least one property failed validation. ${detail}`
      : 'At least one property failed validation.',
  );

export const tzNotSupported = (tz: string) =>
  new GraphHttpError(
    400,
    'TimeZoneNotSupportedException',
    `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${tz}'.`,
  );

const READ_ONLY = new Set([
  'id',
  'createdDateTime',
  'lastModifiedDateTime',
  'changeKey',
  'iCalUId',
  'uid',
  'type',
  'webLink',
  'seriesMasterId',
  'originalStart',
  'hasAttachments',
  'bodyPreview',
  'isOrganizer',
  'isCancelled',
  'isDraft',
  'responseStatus',
  'organizer',
  'onlineMeetingUrl',
  'onlineMeeting',
  'originalStartTimeZone',
  'originalEndTimeZone',
  'occurrenceId',
  'cancelledOccurrences',
  'exceptionOccurrences',
  'calendar',
  'instances',
]);
const ENUMS: Record<string, string[]> = {
  importance: ['low', 'normal', 'high'],
  sensitivity: ['normal', 'personal', 'private', 'confidential'],
  showAs: ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'],
};
const BOOLEANS = [
  'isAllDay',
  'isReminderOn',
  'responseRequested',
  'allowNewTimeProposals',
  'hideAttendees',
  'isOnlineMeeting',
];
const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/** A dateTimeTimeZone from a body: stored as wall time in the given zone (an explicit offset is honoured). */
function dateTimeTimeZone(name: string, v: unknown): { dateTime: string; timeZone: string; ms: number } {
  if (!isObject(v) || typeof v['dateTime'] !== 'string')
    throw invalidValue(name, 'microsoft.graph.dateTimeTimeZone');
  const tz = typeof v['timeZone'] === 'string' && v['timeZone'] ? v['timeZone'] : 'UTC';
  const zone = ianaZone(tz);
  if (!zone) throw tzNotSupported(tz);
  const parsed = parseDateTime(v['dateTime']);
  if (!parsed) throw invalidValue(name, 'Edm.DateTime');
  const ms =
    parsed.offsetMinutes === null
      ? wallToUtc(parsed.wall, zone)
      : parsed.wall - parsed.offsetMinutes * 60_000;
  return { dateTime: formatWall(utcToWall(ms, zone)), timeZone: tz, ms };
}

function location(v: unknown): Location {
  if (v === null) return EMPTY_LOCATION;
  if (!isObject(v)) throw invalidValue('location', 'microsoft.graph.location');
  const displayName = typeof v['displayName'] === 'string' ? v['displayName'] : '';
  const out: Location = {
    displayName,
    locationType: typeof v['locationType'] === 'string' ? v['locationType'] : 'default',
    uniqueId: typeof v['uniqueId'] === 'string' ? v['uniqueId'] : displayName,
    uniqueIdType:
      typeof v['uniqueIdType'] === 'string' ? v['uniqueIdType'] : displayName ? 'private' : 'unknown',
    address: isObject(v['address']) ? (v['address'] as Record<string, string>) : {},
    coordinates: isObject(v['coordinates']) ? (v['coordinates'] as Record<string, number>) : {},
  };
  if (typeof v['locationUri'] === 'string') out.locationUri = v['locationUri'];
  if (!displayName) return EMPTY_LOCATION;
  return out;
}

function attendees(v: unknown, previous: Attendee[]): Attendee[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw invalidValue('attendees', 'Collection(microsoft.graph.attendee)');
  return v.map((a) => {
    if (!isObject(a) || !isObject(a['emailAddress']))
      throw invalidValue('attendees', 'microsoft.graph.attendee');
    const e = a['emailAddress'];
    const address = typeof e['address'] === 'string' ? e['address'] : '';
    if (!address) throw validationFailure('An attendee needs an email address.');
    const type = a['type'] === undefined ? 'required' : a['type'];
    if (type !== 'required' && type !== 'optional' && type !== 'resource')
      throw invalidValue('type', 'microsoft.graph.attendeeType');
    const before = previous.find((p) => p.emailAddress.address.toLowerCase() === address.toLowerCase());
    return {
      type,
      status: before?.status ?? { response: 'none', time: '0001-01-01T00:00:00Z' },
      emailAddress: { name: typeof e['name'] === 'string' ? e['name'] : address, address },
    };
  });
}

export interface Applied {
  /** Start, end or all-day changed. */
  timesChanged: boolean;
  recurrenceChanged: boolean;
}

export interface ApplyContext {
  mode: 'create' | 'update';
  /** Occurrences and exceptions may not carry a recurrence. */
  instance: boolean;
  random: Random;
  tenantId: string;
  ownerId: string;
}

export function applyEventBody(e: EventRecord, body: Record<string, unknown>, ctx: ApplyContext): Applied {
  const rec = e as unknown as Record<string, unknown>;
  let timesChanged = false;
  let recurrenceChanged = false;
  let start: ReturnType<typeof dateTimeTimeZone> | undefined;
  let end: ReturnType<typeof dateTimeTimeZone> | undefined;
  for (const [k, v] of Object.entries(body)) {
    if (k.startsWith('@odata.') || READ_ONLY.has(k) || k === 'attachments') continue;
    if (k === 'subject') {
      if (v !== null && typeof v !== 'string') throw invalidValue(k, 'Edm.String');
      e.subject = v ?? '';
    } else if (k === 'body') {
      if (v === null) e.body = { contentType: 'html', content: '' };
      else if (!isObject(v)) throw invalidValue(k, 'microsoft.graph.itemBody');
      else
        e.body = {
          contentType: textArg(v['contentType'], 'text').toLowerCase() === 'html' ? 'html' : 'text',
          content: typeof v['content'] === 'string' ? v['content'] : '',
        };
    } else if (k === 'start') {
      start = dateTimeTimeZone(k, v);
    } else if (k === 'end') {
      end = dateTimeTimeZone(k, v);
    } else if (BOOLEANS.includes(k)) {
      if (typeof v !== 'boolean') throw invalidValue(k, 'Edm.Boolean');
      if (k === 'isAllDay' && v !== e.isAllDay) timesChanged = true;
      rec[k] = v;
    } else if (k in ENUMS) {
      if (typeof v !== 'string' || !ENUMS[k]?.includes(v)) throw invalidValue(k, `microsoft.graph.${k}`);
      rec[k] = v;
    } else if (k === 'categories') {
      if (!Array.isArray(v) || v.some((c) => typeof c !== 'string'))
        throw invalidValue(k, 'Collection(Edm.String)');
      e.categories = v as string[];
    } else if (k === 'reminderMinutesBeforeStart') {
      if (!Number.isInteger(v)) throw invalidValue(k, 'Edm.Int32');
      e.reminderMinutesBeforeStart = v as number;
    } else if (k === 'location') {
      e.location = location(v);
      e.locations = e.location.displayName ? [e.location] : [];
    } else if (k === 'locations') {
      if (!Array.isArray(v)) throw invalidValue(k, 'Collection(microsoft.graph.location)');
      e.locations = v.map(location).filter((l) => l.displayName);
      e.location =
        e.locations.length === 1
          ? (e.locations[0] as Location)
          : e.locations.length
            ? {
                ...EMPTY_LOCATION,
                displayName: e.locations.map((l) => l.displayName).join('; '),
                uniqueIdType: 'private',
              }
            : EMPTY_LOCATION;
    } else if (k === 'attendees') {
      e.attendees = attendees(v, e.attendees);
    } else if (k === 'onlineMeetingProvider') {
      if (!['unknown', 'teamsForBusiness', 'skypeForBusiness', 'skypeForConsumer'].includes(textArg(v)))
        throw invalidValue(k, 'microsoft.graph.onlineMeetingProviderType');
      e.onlineMeetingProvider = v as string;
    } else if (k === 'recurrence') {
      if (ctx.instance && v !== null)
        throw validationFailure('Occurrences and exceptions cannot have a recurrence.');
      if (v === null) e.recurrence = null;
      else {
        const r = normalizeRecurrence(v, (end ?? start)?.timeZone ?? e.start.timeZone);
        if (typeof r === 'string') throw validationFailure(r);
        if (!ianaZone(r.range.recurrenceTimeZone)) throw tzNotSupported(r.range.recurrenceTimeZone);
        e.recurrence = r;
      }
      recurrenceChanged = true;
    } else if (k === 'transactionId') {
      if (ctx.mode === 'create') e.transactionId = v === null ? null : textArg(v);
    } else {
      throw unknownProperty(k, 'event');
    }
  }
  if (start) {
    e.start = { dateTime: start.dateTime, timeZone: start.timeZone };
    e.originalStartTimeZone = start.timeZone;
    e.startMs = start.ms;
    timesChanged = true;
  }
  if (end) {
    e.end = { dateTime: end.dateTime, timeZone: end.timeZone };
    e.originalEndTimeZone = end.timeZone;
    e.endMs = end.ms;
    timesChanged = true;
  }
  if (ctx.mode === 'create' && (!start || !end)) throw validationFailure('An event needs start and end.');
  if (e.endMs < e.startMs) throw validationFailure('The end of the event is before its start.');
  if (e.isAllDay) {
    const midnight = (s: string) => /T00:00:00(\.0+)?$/.test(s);
    if (!midnight(e.start.dateTime) || !midnight(e.end.dateTime) || e.endMs <= e.startMs) {
      throw validationFailure('The start and end of an all-day event must be midnight.');
    }
  }
  if (
    (e.isOnlineMeeting || (e.onlineMeetingProvider !== 'unknown' && 'onlineMeetingProvider' in body)) &&
    !e.onlineMeeting
  ) {
    // Graph provisions the meeting once; it stays online afterwards.
    e.isOnlineMeeting = true;
    if (e.onlineMeetingProvider === 'unknown') e.onlineMeetingProvider = 'teamsForBusiness';
    e.onlineMeeting = teamsMeeting(ctx.random, ctx.tenantId, ctx.ownerId);
  }
  if (e.onlineMeeting) e.isOnlineMeeting = true;
  return { timesChanged, recurrenceChanged };
}
