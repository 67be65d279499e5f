import { createHash } from 'node:crypto';
import type { Random } from '../../generator/random.js';
import type { TextGenerator } from '../../generator/text.js';
import { changeKeyFor, outlookId } from '../shared/exchange.js';
import { CONTENT_TYPES } from './attachment-content.js';
import type {
  AttachmentRecord,
  Attendee,
  EmailAddress,
  EventRecord,
  GeneratedFile,
  Location,
} from './records.js';
import { formatWall, ianaZone, isoUtc, utcToWall, wallToUtc } from './timezones.js';
import { outlookTimestamp } from '../shared/time.js';

/** Building blocks of event records, shared by the seeded generator and Graph writes. */

/** Exchange's GlobalObjectId in hex, the form Graph shows as iCalUId; bytes 16–19 hold an occurrence date. */
export function globalObjectId(seed: string, id: string, createdMs: number): string {
  const filetime = BigInt(createdMs) * 10_000n + 116_444_736_000_000_000n;
  const le = Buffer.alloc(8);
  le.writeBigUInt64LE(filetime);
  const hash = createHash('sha256').update(`${seed}|${id}`).digest('hex').slice(0, 32);
  return `040000008200E00074C5B7101A82E008${'00000000'}${le.toString('hex')}${'0'.repeat(16)}10000000${hash}`.toUpperCase();
}

/** The iCalUId of one occurrence of a series: the series uid with the occurrence's date filled in. */
export function occurrenceICalUId(uid: string, originalStartMs: number): string {
  const d = new Date(originalStartMs);
  const date = `${d.getUTCFullYear().toString(16).padStart(4, '0')}${(d.getUTCMonth() + 1).toString(16).padStart(2, '0')}${d.getUTCDate().toString(16).padStart(2, '0')}`;
  return `${uid.slice(0, 32)}${date.toUpperCase()}${uid.slice(40)}`;
}

/** Start and end fields of an event from wall-clock times in Outlook zones. */
export function timesFor(startWall: number, startZone: string, endWall: number, endZone = startZone) {
  const startMs = wallToUtc(startWall, ianaZone(startZone) ?? 'UTC');
  const endMs = wallToUtc(endWall, ianaZone(endZone) ?? 'UTC');
  return {
    start: { dateTime: formatWall(startWall), timeZone: startZone },
    end: { dateTime: formatWall(endWall), timeZone: endZone },
    startMs,
    endMs: Math.max(endMs, startMs),
    originalStartTimeZone: startZone,
    originalEndTimeZone: endZone,
  };
}

/** Re-expresses stored start/end for new UTC instants, keeping each side's own zone. */
export function retime(
  e: EventRecord,
  startMs: number,
  endMs: number,
): Pick<EventRecord, 'start' | 'end' | 'startMs' | 'endMs'> {
  const sz = ianaZone(e.start.timeZone) ?? 'UTC';
  const ez = ianaZone(e.end.timeZone) ?? 'UTC';
  return {
    start: { dateTime: formatWall(utcToWall(startMs, sz)), timeZone: e.start.timeZone },
    end: { dateTime: formatWall(utcToWall(endMs, ez)), timeZone: e.end.timeZone },
    startMs,
    endMs,
  };
}

export const EMPTY_LOCATION: Location = {
  displayName: '',
  locationType: 'default',
  uniqueIdType: 'unknown',
  address: {},
  coordinates: {},
};

const PLACES = [
  {
    name: 'Café Olé',
    street: 'Rua Augusta 1500',
    city: 'São Paulo',
    state: 'SP',
    country: 'Brasil',
    postal: '01304-001',
    lat: -23.5589,
    lon: -46.6602,
  },
  {
    name: 'Hotel Zürichberg',
    street: 'Orellistrasse 21',
    city: 'Zürich',
    state: 'ZH',
    country: 'Schweiz',
    postal: '8044',
    lat: 47.3794,
    lon: 8.5607,
  },
  {
    name: 'Pier 39',
    street: 'Beach Street & The Embarcadero',
    city: 'San Francisco',
    state: 'CA',
    country: 'United States',
    postal: '94133',
    lat: 37.8087,
    lon: -122.4098,
  },
  {
    name: '渋谷スクランブルスクエア',
    street: '渋谷2-24-12',
    city: '渋谷区',
    state: '東京都',
    country: '日本',
    postal: '150-6145',
    lat: 35.6585,
    lon: 139.7023,
  },
];

export function placeLocation(r: Random): Location {
  const p = r.pick(PLACES);
  return {
    displayName: `${p.name}, ${p.street}`,
    locationType: 'default',
    uniqueId: `${p.name}, ${p.street}`,
    uniqueIdType: 'private',
    address: {
      street: p.street,
      city: p.city,
      state: p.state,
      countryOrRegion: p.country,
      postalCode: p.postal,
    },
    coordinates: { latitude: p.lat, longitude: p.lon },
  };
}

export function roomLocation(name: string, address: string): Location {
  return {
    displayName: name,
    locationType: 'conferenceRoom',
    uniqueId: address,
    uniqueIdType: 'directory',
    locationUri: address,
    address: {},
    coordinates: {},
  };
}

export const TEAMS_LOCATION: Location = {
  displayName: 'Microsoft Teams Meeting',
  locationType: 'default',
  uniqueId: 'Microsoft Teams Meeting',
  uniqueIdType: 'private',
  address: {},
  coordinates: {},
};

export function teamsMeeting(r: Random, tenantId: string, organizerId: string): Record<string, unknown> {
  const thread = r.bytes(36).toString('base64url');
  const conferenceId = String(r.int(100_000_000, 999_999_999));
  const toll = `+1 323-555-${String(r.int(0, 9999)).padStart(4, '0')}`;
  return {
    conferenceId,
    joinUrl: `https://teams.microsoft.com/l/meetup-join/19%3ameeting_${thread}%40thread.v2/0?context=%7b%22Tid%22%3a%22${tenantId}%22%2c%22Oid%22%3a%22${organizerId}%22%7d`,
    phones: [{ number: toll, type: 'business' }],
    quickDial: `${toll},,${conferenceId}#`,
    tollFreeNumbers: [],
    tollNumber: toll,
  };
}

export function htmlBody(paragraphs: string[], joinUrl?: string): { contentType: 'html'; content: string } {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const parts = paragraphs.map((p) => `<div>${esc(p)}</div>`);
  if (joinUrl) {
    parts.push(
      '<div><br></div><div style="width:100%">________________________________________________________________________________</div>',
      '<div><span style="font-size:24px">Microsoft Teams meeting</span></div>',
      `<div><b>Join on your computer, mobile app or room device</b></div><div><a href="${joinUrl}">Click here to join the meeting</a></div>`,
    );
  }
  return {
    contentType: 'html',
    content: `<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>\r\n<body>\r\n${parts.join('\r\n')}\r\n</body>\r\n</html>\r\n`,
  };
}

const NEVER = '0001-01-01T00:00:00Z';
const RESPONSES = ['accepted', 'accepted', 'tentativelyAccepted', 'declined', 'none', 'notResponded'];

export function attendee(
  email: EmailAddress,
  r: Random,
  type: Attendee['type'],
  respondedMs: number,
): Attendee {
  const response = type === 'resource' ? 'accepted' : r.pick(RESPONSES);
  return {
    type,
    status: {
      response,
      time: response === 'none' || response === 'notResponded' ? NEVER : outlookTimestamp(respondedMs),
    },
    emailAddress: email,
  };
}

export const organizerStatus = () => ({ response: 'organizer', time: NEVER });

const FILE_FORMATS: GeneratedFile['format'][] = ['pdf', 'docx', 'xlsx', 'pptx', 'png', 'txt'];

/** One to three attachments of every kind, described compactly (file bytes are made on demand). */
export function generateAttachments(
  r: Random,
  text: TextGenerator,
  seed: string,
  eventId: string,
  modifiedMs: number,
  sharepointHost: string,
): AttachmentRecord[] {
  const out: AttachmentRecord[] = [];
  const n = r.int(1, 3);
  for (let i = 0; i < n; i++) {
    const id = outlookId(seed, 'event-attachment', eventId, i);
    const when = outlookTimestamp(modifiedMs);
    const kind = r.pick(['file', 'file', 'file', 'item', 'reference'] as const);
    if (kind === 'file') {
      const format = r.pick(FILE_FORMATS);
      const name = text.fileName(format);
      out.push({
        id,
        kind,
        name,
        contentType: CONTENT_TYPES[format],
        isInline: false,
        lastModifiedDateTime: when,
        contentId: null,
        generated: { format, label: `${eventId}|${i}`, title: name.replace(/\.[^.]+$/, '') },
      });
    } else if (kind === 'item') {
      const subject = text.title(r.int(2, 5));
      const item = r.bool(0.5)
        ? {
            '@odata.type': '#microsoft.graph.message',
            subject: `FW: ${subject}`,
            body: { contentType: 'html', content: `<html><body><p>${text.paragraph(2)}</p></body></html>` },
            from: { emailAddress: { name: 'Reception', address: 'reception@partner.example' } },
            toRecipients: [{ emailAddress: { name: 'Team', address: 'team@partner.example' } }],
            sentDateTime: isoUtc(modifiedMs - 3_600_000),
            internetMessageId: `<${r.bytes(12).toString('hex')}@partner.example>`,
          }
        : {
            '@odata.type': '#microsoft.graph.event',
            subject,
            isAllDay: false,
            start: { dateTime: formatWall(modifiedMs + 86_400_000), timeZone: 'UTC' },
            end: { dateTime: formatWall(modifiedMs + 90_000_000), timeZone: 'UTC' },
            location: { displayName: text.title(2) },
            body: { contentType: 'text', content: text.paragraph(2) },
            lastModifiedDateTime: isoUtc(modifiedMs),
          };
      out.push({
        id,
        kind,
        name: subject,
        contentType: null,
        isInline: false,
        lastModifiedDateTime: when,
        contentId: null,
        item,
      });
    } else {
      const name = text.fileName(r.pick(['docx', 'xlsx', 'pptx']));
      out.push({
        id,
        kind,
        name,
        contentType: null,
        isInline: false,
        lastModifiedDateTime: when,
        contentId: null,
        reference: {
          sourceUrl: `https://${sharepointHost}/sites/shared/Shared%20Documents/${encodeURIComponent(name)}`,
          providerType: 'oneDriveBusiness',
          permission: r.pick(['view', 'edit']),
          isFolder: false,
        },
      });
    }
  }
  return out;
}

/** A new change key and modification time for a write at `ms`. */
export function stamped(
  id: string,
  ms: number,
  salt: number,
): { lastModifiedDateTime: string; changeKey: string } {
  return { lastModifiedDateTime: outlookTimestamp(ms), changeKey: changeKeyFor(id, ms, salt) };
}

/** An event with Outlook's defaults, before a body or the generator fills it in. */
export function blankEvent(p: {
  seed: string;
  id: string;
  calendarId: string;
  createdMs: number;
  modifiedMs: number;
  owner: { kind: string; displayName: string; address: string };
}): EventRecord {
  const uid = globalObjectId(p.seed, p.id, p.createdMs);
  return {
    id: p.id,
    calendarId: p.calendarId,
    type: 'singleInstance',
    seriesMasterId: null,
    originalStart: null,
    createdDateTime: outlookTimestamp(p.createdMs),
    lastModifiedDateTime: outlookTimestamp(p.modifiedMs),
    changeKey: changeKeyFor(p.id, p.modifiedMs),
    categories: [],
    transactionId: null,
    originalStartTimeZone: 'UTC',
    originalEndTimeZone: 'UTC',
    iCalUId: uid,
    uid,
    reminderMinutesBeforeStart: 15,
    // Outlook has no reminders on group events.
    isReminderOn: p.owner.kind !== 'group',
    subject: '',
    body: { contentType: 'html', content: '' },
    importance: 'normal',
    sensitivity: 'normal',
    isAllDay: false,
    isCancelled: false,
    isOrganizer: true,
    responseRequested: true,
    showAs: 'busy',
    onlineMeetingUrl: null,
    isOnlineMeeting: false,
    onlineMeetingProvider: 'unknown',
    allowNewTimeProposals: true,
    isDraft: false,
    hideAttendees: false,
    responseStatus: organizerStatus(),
    start: { dateTime: '', timeZone: 'UTC' },
    end: { dateTime: '', timeZone: 'UTC' },
    startMs: 0,
    endMs: 0,
    location: EMPTY_LOCATION,
    locations: [],
    recurrence: null,
    attendees: [],
    organizer: { emailAddress: { name: p.owner.displayName, address: p.owner.address } },
    onlineMeeting: null,
    cancelledOccurrences: [],
    attachments: [],
  };
}
