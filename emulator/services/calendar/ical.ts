import { createHash } from 'node:crypto';
import { ianaZone, parseDateTime, wallToUtc } from './timezones.js';

/**
 * iCalendar (RFC 5545) and vCard (RFC 2426) renderings of Graph items, for `$value` of item
 * attachments (Graph serves an attached event as iCal and a contact as vCard). Output depends
 * only on the item, so the bytes are the same on every request.
 */

type Json = Record<string, unknown>;

const escapeText = (s: string) =>
  s.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');

/** Folds a content line at 75 octets without splitting a UTF-8 sequence. */
function fold(line: string): string {
  const out: string[] = [];
  let current = '';
  let bytes = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > (out.length ? 74 : 75)) {
      out.push(current);
      current = '';
      bytes = 0;
    }
    current += ch;
    bytes += n;
  }
  out.push(current);
  return out.join('\r\n ');
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});

function stamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** A dateTimeTimeZone as an iCal UTC timestamp (or a DATE for all-day events). */
function icalTime(v: unknown, allDay: boolean): string {
  const dt = obj(v);
  const parsed = parseDateTime(str(dt['dateTime']));
  if (!parsed) return '19700101T000000Z';
  if (allDay) return `;VALUE=DATE:${new Date(parsed.wall).toISOString().slice(0, 10).replace(/-/g, '')}`;
  const zone = ianaZone(str(dt['timeZone']) || 'UTC') ?? 'UTC';
  const ms =
    parsed.offsetMinutes !== null
      ? parsed.wall - parsed.offsetMinutes * 60_000
      : wallToUtc(parsed.wall, zone);
  return `:${stamp(ms)}`;
}

const plainText = (html: string) =>
  html
    .replace(/<(br|\/p|\/div)[^>]*>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();

export function eventToICal(item: Json): Buffer {
  const allDay = item['isAllDay'] === true;
  const body = obj(item['body']);
  const text =
    str(body['contentType']).toLowerCase() === 'html'
      ? plainText(str(body['content']))
      : str(body['content']);
  const uid =
    str(item['iCalUId']) ||
    createHash('sha256').update(JSON.stringify(item)).digest('hex').slice(0, 32).toUpperCase();
  const modified = Date.parse(str(item['lastModifiedDateTime']) || str(item['createdDateTime']));
  const organizer = obj(obj(item['organizer'])['emailAddress']);
  const lines = [
    'BEGIN:VCALENDAR',
    'PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN',
    'VERSION:2.0',
    'METHOD:PUBLISH',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    `DTSTAMP:${stamp(Number.isNaN(modified) ? 0 : modified)}`,
    `DTSTART${icalTime(item['start'], allDay)}`,
    `DTEND${icalTime(item['end'], allDay)}`,
    `SUMMARY:${escapeText(str(item['subject']))}`,
  ];
  const location = str(obj(item['location'])['displayName']);
  if (location) lines.push(`LOCATION:${escapeText(location)}`);
  if (text) lines.push(`DESCRIPTION:${escapeText(text)}`);
  if (str(organizer['address']))
    lines.push(`ORGANIZER;CN=${escapeText(str(organizer['name']))}:mailto:${str(organizer['address'])}`);
  for (const a of Array.isArray(item['attendees']) ? (item['attendees'] as Json[]) : []) {
    const e = obj(a['emailAddress']);
    const role =
      a['type'] === 'optional'
        ? 'OPT-PARTICIPANT'
        : a['type'] === 'resource'
          ? 'NON-PARTICIPANT'
          : 'REQ-PARTICIPANT';
    lines.push(`ATTENDEE;ROLE=${role};CN=${escapeText(str(e['name']))}:mailto:${str(e['address'])}`);
  }
  lines.push('END:VEVENT', 'END:VCALENDAR');
  return Buffer.from(`${lines.map(fold).join('\r\n')}\r\n`, 'utf8');
}

export function contactToVCard(item: Json): Buffer {
  const lines = ['BEGIN:VCARD', 'VERSION:3.0'];
  const esc = (s: unknown) => escapeText(str(s));
  lines.push(
    `N:${esc(item['surname'])};${esc(item['givenName'])};${esc(item['middleName'])};${esc(item['title'])};${esc(item['generation'])}`,
  );
  lines.push(
    `FN:${esc(item['displayName'] || [item['givenName'], item['surname']].filter(Boolean).join(' '))}`,
  );
  if (item['companyName'] || item['department'])
    lines.push(`ORG:${esc(item['companyName'])};${esc(item['department'])}`);
  if (item['jobTitle']) lines.push(`TITLE:${esc(item['jobTitle'])}`);
  for (const e of Array.isArray(item['emailAddresses']) ? (item['emailAddresses'] as Json[]) : [])
    lines.push(`EMAIL;TYPE=INTERNET:${esc(e['address'])}`);
  for (const p of Array.isArray(item['businessPhones']) ? (item['businessPhones'] as unknown[]) : [])
    lines.push(`TEL;TYPE=WORK:${esc(p)}`);
  for (const p of Array.isArray(item['homePhones']) ? (item['homePhones'] as unknown[]) : [])
    lines.push(`TEL;TYPE=HOME:${esc(p)}`);
  if (item['mobilePhone']) lines.push(`TEL;TYPE=CELL:${esc(item['mobilePhone'])}`);
  if (item['birthday']) lines.push(`BDAY:${str(item['birthday']).slice(0, 10)}`);
  if (item['personalNotes']) lines.push(`NOTE:${esc(item['personalNotes'])}`);
  lines.push('END:VCARD');
  return Buffer.from(`${lines.map(fold).join('\r\n')}\r\n`, 'utf8');
}

export { plainText };
