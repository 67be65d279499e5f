import type { EmuRequest } from '../../core/types.js';
import { etagOf } from '../shared/exchange.js';
import { occurrenceICalUId } from './event-parts.js';
import { cancelledSet, exceptionsByMaster, seriesZone, type Instance } from './expand.js';
import { plainText } from './ical.js';
import type { EventRecord } from './records.js';
import { formatDate } from './recurrence.js';
import { formatWall, ianaZone, isoUtc, utcToWall } from './timezones.js';

/** How a request wants events shown: `Prefer: outlook.timezone`, `outlook.body-content-type`, version, `$select`. */
export interface View {
  /** Zone name as the client wrote it (echoed in `timeZone`), and its IANA form. */
  zoneName: string;
  zone: string;
  bodyType: 'html' | 'text' | null;
  beta: boolean;
  selected: Set<string>;
}

export function viewOf(req: EmuRequest): View {
  const prefer = req.headers['prefer'] ?? '';
  const tz =
    /outlook\.timezone\s*=\s*"([^"]*)"/i.exec(prefer)?.[1] ??
    /outlook\.timezone\s*=\s*([^,;]+)/i.exec(prefer)?.[1]?.trim();
  const zone = tz ? ianaZone(tz) : undefined;
  const body = /outlook\.body-content-type\s*=\s*"?(text|html)"?/i.exec(prefer)?.[1]?.toLowerCase();
  const select = req.query.get('$select') ?? req.query.get('select') ?? '';
  return {
    zoneName: zone && tz ? tz : 'UTC',
    zone: zone ?? 'UTC',
    bodyType: body === 'text' || body === 'html' ? body : null,
    beta: req.apiVersion === 'beta',
    selected: new Set(
      select
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  };
}

/** Headers confirming applied preferences (Graph confirms the body content type). */
export function preferenceApplied(v: View): Record<string, string> {
  return v.bodyType ? { 'preference-applied': `outlook.body-content-type="${v.bodyType}"` } : {};
}

const webLink = (id: string) =>
  `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(id)}&exvsurl=1&path=/calendar/item`;

/** start/end in the requested zone; all-day events stay on midnights, labelled with that zone. */
function times(e: EventRecord, startMs: number, endMs: number, v: View) {
  if (e.isAllDay) {
    const zone = ianaZone(e.start.timeZone) ?? 'UTC';
    const wall = (ms: number) => formatWall(Math.round(utcToWall(ms, zone) / 86_400_000) * 86_400_000);
    return {
      start: { dateTime: wall(startMs), timeZone: v.zoneName },
      end: { dateTime: wall(endMs), timeZone: v.zoneName },
    };
  }
  return {
    start: { dateTime: formatWall(utcToWall(startMs, v.zone)), timeZone: v.zoneName },
    end: { dateTime: formatWall(utcToWall(endMs, v.zone)), timeZone: v.zoneName },
  };
}

function body(e: EventRecord, v: View) {
  const want = v.bodyType ?? e.body.contentType;
  if (want === e.body.contentType) return e.body;
  if (want === 'text') return { contentType: 'text', content: plainText(e.body.content) };
  const esc = e.body.content
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, '<br>\r\n');
  return {
    contentType: 'html',
    content: `<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>\r\n<body>\r\n${esc}\r\n</body>\r\n</html>\r\n`,
  };
}

/** `OID.{masterId}.{date}`: the beta occurrenceId, dated in the series' recurrence zone. */
function oid(masterId: string, zone: string, originalStartMs: number): string {
  return `OID.${masterId}.${formatDate(Math.floor(utcToWall(originalStartMs, zone) / 86_400_000))}`;
}

/**
 * An event as Graph shows it. `inst` says which instance of the stored item is shown (an
 * occurrence is shown from its master); `siblings` (the calendar's items) is needed only for a
 * master's `exceptionOccurrences` when selected.
 */
export function eventJson(
  inst: Instance,
  v: View,
  siblings?: readonly EventRecord[],
): Record<string, unknown> {
  const e = inst.record;
  const occurrence = inst.type === 'occurrence';
  const originalStartMs = inst.originalStartMs;
  const seriesId = occurrence ? e.id : e.seriesMasterId;
  const seriesZoneOf = occurrence ? seriesZone(e) : (ianaZone(e.start.timeZone) ?? 'UTC');
  const id = inst.id;
  const text = plainText(
    e.body.contentType === 'html' ? e.body.content : e.body.content.replace(/</g, '&lt;'),
  );
  const out: Record<string, unknown> = {
    '@odata.etag': etagOf(e.changeKey),
    id,
    createdDateTime: e.createdDateTime,
    lastModifiedDateTime: e.lastModifiedDateTime,
    changeKey: e.changeKey,
    categories: e.categories,
    ...(e.transactionId !== null ? { transactionId: e.transactionId } : {}),
    originalStartTimeZone: e.originalStartTimeZone,
    originalEndTimeZone: e.originalEndTimeZone,
    iCalUId: occurrence && originalStartMs !== null ? occurrenceICalUId(e.uid, originalStartMs) : e.iCalUId,
    ...(v.beta ? { uid: e.uid } : {}),
    reminderMinutesBeforeStart: e.reminderMinutesBeforeStart,
    isReminderOn: e.isReminderOn,
    hasAttachments: e.attachments.length > 0,
    subject: e.subject,
    bodyPreview: text.replace(/\s+/g, ' ').trim().slice(0, 255),
    importance: e.importance,
    sensitivity: e.sensitivity,
    isAllDay: e.isAllDay,
    isCancelled: e.isCancelled,
    isOrganizer: e.isOrganizer,
    responseRequested: e.responseRequested,
    seriesMasterId: occurrence ? e.id : e.seriesMasterId,
    showAs: e.showAs,
    type: inst.type === 'singleInstance' ? e.type : inst.type,
    webLink: webLink(id),
    onlineMeetingUrl: e.onlineMeetingUrl,
    isOnlineMeeting: e.isOnlineMeeting,
    onlineMeetingProvider: e.onlineMeetingProvider,
    allowNewTimeProposals: e.allowNewTimeProposals,
    ...(v.beta
      ? {
          occurrenceId:
            originalStartMs !== null && seriesId ? oid(seriesId, seriesZoneOf, originalStartMs) : null,
        }
      : {}),
    isDraft: e.isDraft,
    hideAttendees: e.hideAttendees,
    ...(originalStartMs !== null ? { originalStart: isoUtc(originalStartMs) } : {}),
    responseStatus: e.responseStatus,
    body: body(e, v),
    ...times(e, inst.startMs, inst.endMs, v),
    location: e.location,
    locations: e.locations,
    recurrence: occurrence ? null : e.recurrence,
    attendees: e.attendees,
    organizer: e.organizer,
    onlineMeeting: e.onlineMeeting,
  };
  if (e.type === 'seriesMaster' && !occurrence) {
    if (v.selected.has('cancelledOccurrences'))
      out['cancelledOccurrences'] = [...cancelledSet(e)]
        .sort((a, b) => a - b)
        .map((ms) => oid(e.id, seriesZone(e), ms));
    if (v.selected.has('exceptionOccurrences'))
      out['exceptionOccurrences'] = (exceptionsByMaster(siblings ?? []).get(e.id) ?? []).map((x) => x.id);
  }
  return out;
}

/** A stored item (single, master or exception) in instance form. */
export function storedInstance(e: EventRecord): Instance {
  return {
    id: e.id,
    type: e.type === 'exception' ? 'exception' : 'singleInstance',
    record: e,
    startMs: e.startMs,
    endMs: e.endMs,
    originalStartMs: e.originalStart ? Date.parse(e.originalStart) : null,
  };
}

/** The beta events-delta item: id, type, start and end only (in the casing the beta doc shows). */
export function deltaEventStub(e: EventRecord, v: View): Record<string, unknown> {
  const t = times(e, e.startMs, e.endMs, v);
  return {
    '@odata.type': '#microsoft.graph.event',
    '@odata.etag': etagOf(e.changeKey),
    id: e.id,
    type: e.type,
    start: { DateTime: t.start.dateTime, TimeZone: t.start.timeZone },
    end: { DateTime: t.end.dateTime, TimeZone: t.end.timeZone },
  };
}
