import type { Collection } from '../../core/collection.js';
import { Random } from '../../generator/random.js';
import { TextGenerator } from '../../generator/text.js';
import { GENERATED_EPOCH } from '../../tenant/directory.js';
import type { UserRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { outlookId } from '../shared/exchange.js';
import { seededDirectory } from '../../tenant/seeded.js';
import * as parts from './event-parts.js';
import { firstOccurrences, occurrenceId } from './expand.js';
import { planFor, type Owner } from './owners.js';
import { calendarsKey, type CalendarRecord, type EventRecord } from './records.js';
import {
  DAYS,
  firstDate,
  formatDate,
  INDEXES,
  normalizeRecurrence,
  type PatternedRecurrence,
  type PatternType,
} from './recurrence.js';
import { ianaZone, isoUtc, utcToWall } from './timezones.js';
import { outlookTimestamp } from '../shared/time.js';

/**
 * Seeded calendars. Each mailbox's default calendar holds single events, all-day and multi-day
 * events, events in other time zones and recurring series of every pattern type with moved,
 * retitled and cancelled occurrences; room mailboxes hold bookings made by other users; group
 * calendars hold the group's meetings. Everything is dated relative to GENERATED_EPOCH.
 */

const DAY = 86_400_000;
const MINUTE = 60_000;
const EPOCH_DAY = Math.floor(GENERATED_EPOCH / DAY);
const HOME_ZONES = [
  'Pacific Standard Time',
  'Eastern Standard Time',
  'GMT Standard Time',
  'W. Europe Standard Time',
  'Tokyo Standard Time',
  'E. South America Standard Time',
  'AUS Eastern Standard Time',
  'India Standard Time',
  'UTC',
];
const OTHER_ZONES = [
  'Nepal Standard Time',
  'Newfoundland Standard Time',
  'Israel Standard Time',
  'Cen. Australia Standard Time',
  'Central Standard Time',
  'Romance Standard Time',
  'China Standard Time',
  'tzone://Microsoft/Utc',
];
const CATEGORIES = [
  'Blue category',
  'Orange category',
  'Green category',
  'Purple category',
  'Red category',
  'Travel ✈️',
];
const SUBJECTS = [
  'Weekly sync',
  'Quarterly business review',
  'Budget planning',
  '1:1',
  'Design review – Q3',
  'Kick-off: Projekt Zürich',
  'Lunch 🍣',
  'Customer call',
  'Sprint retro',
  'Offsite planning',
  'Réunion d’équipe',
  '定例会議',
];
const SINGLE_KINDS = new Set<Kind>(['single', 'online', 'allDay', 'multiDay', 'tzSingle']);
const MENU: Kind[] = [
  'weekly',
  'single',
  'daily',
  'allDay',
  'absoluteMonthly',
  'multiDay',
  'relativeMonthly',
  'tzSingle',
  'absoluteYearly',
  'relativeYearly',
  'online',
];

type Kind = 'single' | 'online' | 'allDay' | 'multiDay' | 'tzSingle' | PatternType;

interface Gen {
  store: TenantStore;
  owner: Owner;
  calendarId: string;
  r: Random;
  text: TextGenerator;
  home: string;
  people: UserRecord[];
  rooms: UserRecord[];
}

const email = (u: UserRecord) => ({ name: u.displayName, address: u.mail ?? u.userPrincipalName });

function baseRecord(g: Gen, id: string, createdMs: number, subject: string): EventRecord {
  const { r } = g;
  const e = parts.blankEvent({
    seed: g.store.seed,
    id,
    calendarId: g.calendarId,
    createdMs,
    modifiedMs: createdMs + r.int(0, 20) * DAY,
    owner: g.owner,
  });
  return {
    ...e,
    subject,
    categories: r.bool(0.3) ? r.sample(CATEGORIES, r.int(1, 2)) : [],
    originalStartTimeZone: g.home,
    originalEndTimeZone: g.home,
    reminderMinutesBeforeStart: r.pick([15, 15, 5, 30, 60]),
    isReminderOn: e.isReminderOn && r.bool(0.85),
    body: r.bool(0.1)
      ? { contentType: 'text', content: g.text.paragraph(2) }
      : parts.htmlBody(g.text.paragraphs(r.int(0, 2))),
    importance: r.pick(['normal', 'normal', 'normal', 'high', 'low']),
    sensitivity: r.pick(['normal', 'normal', 'normal', 'private', 'personal', 'confidential']),
    showAs: r.pick(['busy', 'busy', 'busy', 'tentative', 'free', 'workingElsewhere']),
    allowNewTimeProposals: r.bool(0.9),
    hideAttendees: r.bool(0.05),
  };
}

/** Organizer, attendees, location and online meeting: who the event involves. */
function addPeople(g: Gen, e: EventRecord, online: boolean, createdMs: number): void {
  const { r } = g;
  const mailbox = g.owner.mailbox;
  const others = g.people.filter((u) => u.id !== g.owner.id);
  const room = g.rooms.length && r.bool(0.3) ? r.pick(g.rooms) : undefined;
  const invitees = r.sample(others, r.int(0, Math.min(4, others.length))).map((u) => email(u));
  if (r.bool(0.3))
    invitees.push({
      name: `${g.text.personName().given} (${g.text.companyWord()})`,
      address: `guest${r.int(1, 999)}@partner.example`,
    });
  const booker = others.length ? r.pick(others) : undefined;
  const selfOrganized = mailbox === 'group' || (mailbox !== 'room' && (r.bool(0.65) || !booker));
  const responded = createdMs + r.int(1, 48) * 3_600_000;
  if (mailbox === 'group')
    e.attendees.push({
      type: 'required',
      status: { response: 'none', time: '0001-01-01T00:00:00Z' },
      emailAddress: { name: g.owner.displayName, address: g.owner.address },
    });
  if (!selfOrganized && booker) {
    e.organizer = { emailAddress: email(booker) };
    e.isOrganizer = false;
    const own =
      mailbox === 'room' ? 'accepted' : r.pick(['accepted', 'tentativelyAccepted', 'none', 'declined']);
    e.responseStatus = {
      response: own,
      time: own === 'none' ? '0001-01-01T00:00:00Z' : outlookTimestamp(responded),
    };
    e.attendees.push({
      type: mailbox === 'room' ? 'resource' : 'required',
      status: e.responseStatus,
      emailAddress: { name: g.owner.displayName, address: g.owner.address },
    });
  }
  for (const who of invitees)
    e.attendees.push(parts.attendee(who, r, r.bool(0.8) ? 'required' : 'optional', responded));
  const roomHere = mailbox === 'room' ? undefined : room;
  if (roomHere) e.attendees.push(parts.attendee(email(roomHere), r, 'resource', responded));
  if (mailbox === 'room') e.location = parts.roomLocation(g.owner.displayName, g.owner.address);
  else if (roomHere)
    e.location = parts.roomLocation(roomHere.displayName, roomHere.mail ?? roomHere.userPrincipalName);
  else if (online) e.location = parts.TEAMS_LOCATION;
  else if (r.bool(0.3)) e.location = parts.placeLocation(r);
  e.locations = e.location.displayName ? [e.location] : [];
  if (online) {
    e.isOnlineMeeting = true;
    e.onlineMeetingProvider = 'teamsForBusiness';
    e.onlineMeeting = parts.teamsMeeting(r, g.store.identity.tenantId, g.owner.id);
    e.body = parts.htmlBody(g.text.paragraphs(1), e.onlineMeeting['joinUrl'] as string);
  }
  if (mailbox === 'room') {
    // Room mailboxes replace the subject with the organizer's name and drop the body by default.
    e.subject = e.organizer.emailAddress.name;
    e.body = { contentType: 'html', content: '' };
  }
  e.responseRequested = e.attendees.length > 0;
}

function setTimes(e: EventRecord, t: ReturnType<typeof parts.timesFor>): void {
  Object.assign(e, t);
}

function pattern(g: Gen, kind: PatternType, startDay: number): PatternedRecurrence {
  const { r } = g;
  const dow = new Date(startDay * DAY).getUTCDay();
  const p: Record<string, unknown> = { type: kind, interval: 1 };
  if (kind === 'daily') p['interval'] = r.pick([1, 1, 2, 3]);
  if (kind === 'weekly')
    Object.assign(p, {
      interval: r.pick([1, 1, 2]),
      daysOfWeek: [...new Set([DAYS[dow], ...r.sample(DAYS.slice(1, 6), r.int(0, 2))])],
      firstDayOfWeek: r.pick(['sunday', 'monday']),
    });
  if (kind === 'absoluteMonthly')
    Object.assign(p, { interval: r.pick([1, 1, 2, 3]), dayOfMonth: r.pick([1, 15, 28, 30, 31]) });
  if (kind === 'relativeMonthly')
    Object.assign(p, { daysOfWeek: [r.pick(DAYS.slice(1, 6))], index: r.pick(INDEXES) });
  if (kind === 'absoluteYearly')
    Object.assign(p, { dayOfMonth: r.pick([1, 14, 29, 31]), month: r.pick([1, 2, 3, 5, 8, 12]) });
  if (kind === 'relativeYearly')
    Object.assign(p, { daysOfWeek: [r.pick(DAYS)], index: r.pick(INDEXES), month: r.int(1, 12) });
  // 29 February stays (it exercises the leap-year rule); 30 or 31 February would not be accepted by Outlook.
  if (kind === 'absoluteYearly' && p['month'] === 2 && (p['dayOfMonth'] as number) > 29) p['dayOfMonth'] = 29;
  const make = (range: Record<string, unknown>) => {
    const rec = normalizeRecurrence({ pattern: p, range }, g.home);
    if (typeof rec === 'string') throw new Error(`generator made an invalid recurrence: ${rec}`);
    return rec;
  };
  // Outlook starts the range on the first date the pattern produces; the master starts there too.
  const first = firstDate(make({ type: 'noEnd', startDate: formatDate(startDay) })) ?? startDay;
  const years = kind.endsWith('Yearly') ? 3 : 1;
  const type = r.pick(['endDate', 'numbered', 'noEnd']);
  return make({
    type,
    startDate: formatDate(first),
    endDate: formatDate(first + r.int(60, 400) * years),
    numberOfOccurrences: r.int(4, 30),
  });
}

/** A series master, its exceptions (moved or retitled occurrences) and cancelled occurrences. */
function series(g: Gen, e: EventRecord, kind: PatternType): EventRecord[] {
  const { r } = g;
  const allDay = kind === 'absoluteYearly' && r.bool(0.5);
  const rec = pattern(g, kind, EPOCH_DAY - r.int(15, 330));
  const first = Date.parse(rec.range.startDate) / DAY;
  const startMinute = allDay ? 0 : r.int(16, 34) * 30;
  const length = allDay ? 1440 : r.pick([30, 30, 60, 60, 90]);
  setTimes(
    e,
    parts.timesFor(first * DAY + startMinute * MINUTE, g.home, first * DAY + (startMinute + length) * MINUTE),
  );
  e.isAllDay = allDay;
  if (allDay) e.showAs = 'free';
  e.type = 'seriesMaster';
  e.recurrence = rec;
  // Exceptions and cancellations among the first dozen occurrences (within about two years).
  const occurrences = firstOccurrences(e, 12).filter((o) => o.startMs < e.startMs + 800 * DAY);
  const picks = r.sample(occurrences.slice(1), Math.min(occurrences.length - 1, r.int(1, 4)));
  const out = [e];
  picks.forEach((o, n) => {
    if (n % 2 === 1) {
      e.cancelledOccurrences.push(isoUtc(o.originalStartMs));
      return;
    }
    const shift = allDay || r.bool(0.4) ? 0 : r.int(1, 5) * 30 * MINUTE;
    const ex: EventRecord = {
      ...structuredClone(e),
      ...parts.retime(e, o.startMs + shift, o.endMs + shift),
      id: occurrenceId(e.id, o.originalStartMs),
      type: 'exception',
      seriesMasterId: e.id,
      originalStart: isoUtc(o.originalStartMs),
      recurrence: null,
      cancelledOccurrences: [],
      attachments: [],
      iCalUId: parts.occurrenceICalUId(e.uid, o.originalStartMs),
    };
    if (shift === 0 || r.bool(0.5))
      ex.subject = `${e.subject} (${r.pick(['moved', 'agenda changed', 'verschoben', 'déplacé'])})`;
    const modified = Math.max(Date.parse(e.lastModifiedDateTime), o.originalStartMs - r.int(1, 10) * DAY);
    Object.assign(ex, parts.stamped(ex.id, modified, n));
    out.push(ex);
  });
  return out;
}

function slot(g: Gen, i: number, kind: Kind): EventRecord[] {
  const { r } = g;
  const id = outlookId(g.store.seed, 'event', g.owner.id, g.calendarId, i);
  const created = GENERATED_EPOCH - r.int(20, 400) * DAY - r.int(0, 86_399) * 1000;
  const e = baseRecord(g, id, created, r.pick(SUBJECTS));
  const day = EPOCH_DAY + r.int(-240, 150);
  const minute = r.int(28, 72) * 15;
  const length = r.pick([15, 30, 30, 60, 60, 90, 120, 180]);
  if (kind === 'allDay') {
    const days = r.pick([1, 1, 1, 2, 3]);
    setTimes(e, parts.timesFor(day * DAY, g.home, (day + days) * DAY));
    Object.assign(e, {
      isAllDay: true,
      showAs: r.pick(['free', 'oof']),
      subject: r.pick(['Vacation 🌴', 'Public holiday', 'Conference day', 'Umzug', 'Training']),
    });
  } else if (kind === 'multiDay') {
    setTimes(
      e,
      parts.timesFor(day * DAY + 9 * 60 * MINUTE, g.home, (day + r.int(1, 3)) * DAY + 17 * 60 * MINUTE),
    );
    e.subject = r.pick(['Offsite', 'Trade fair', 'Customer workshop (3 days)']);
  } else if (kind === 'tzSingle') {
    const zone = r.pick(OTHER_ZONES);
    // Now and then a flight: it starts in one zone and ends in another.
    const endZone = r.bool(0.3) ? r.pick(HOME_ZONES) : zone;
    const startWall = day * DAY + minute * MINUTE;
    const t = parts.timesFor(startWall, zone, startWall + length * MINUTE);
    if (endZone === zone) setTimes(e, t);
    else {
      const arrival = utcToWall(t.startMs + r.int(3, 12) * 60 * MINUTE, ianaZone(endZone) ?? 'UTC');
      setTimes(e, parts.timesFor(startWall, zone, arrival, endZone));
      e.subject = `Flight ${r.pick(['LH', 'NH', 'UA', 'QF'])}${r.int(100, 999)}`;
    }
  } else if (kind === 'single' || kind === 'online') {
    setTimes(e, parts.timesFor(day * DAY + minute * MINUTE, g.home, day * DAY + (minute + length) * MINUTE));
  }
  if (kind !== 'allDay')
    addPeople(g, e, kind === 'online' || (g.owner.mailbox !== 'room' && r.bool(0.3)), created);
  const items = SINGLE_KINDS.has(kind) ? [e] : series(g, e, kind as PatternType);
  if (g.owner.mailbox !== 'group' && g.owner.mailbox !== 'room' && r.bool(0.22)) {
    e.attachments = parts.generateAttachments(
      r,
      g.text,
      g.store.seed,
      e.id,
      Date.parse(e.lastModifiedDateTime),
      g.store.sharepointHost,
    );
  }
  return items;
}

export function generateEvents(
  store: TenantStore,
  owner: Owner,
  calendar: CalendarRecord,
  count: number,
  primary: boolean,
): EventRecord[] {
  const users = seededDirectory(store).users;
  const home = new Random(store.seed, 'home-zone', owner.id).pick(HOME_ZONES);
  const people = users.filter((u) => u.mailbox === 'user' && u.accountEnabled);
  const rooms = users.filter((u) => u.mailbox === 'room');
  const out: EventRecord[] = [];
  for (let i = 0; i < count; i++) {
    const r = new Random(store.seed, 'event', owner.id, calendar.id, i);
    const g: Gen = {
      store,
      owner,
      calendarId: calendar.id,
      r,
      text: new TextGenerator(r),
      home,
      people,
      rooms,
    };
    const kind: Kind =
      owner.mailbox === 'room'
        ? r.pick(['single', 'single', 'weekly'])
        : primary && i < MENU.length
          ? (MENU[i] as Kind)
          : r.pick([...MENU, 'single', 'single', 'single', 'weekly']);
    out.push(...slot(g, i, kind));
  }
  return out;
}

/** Registers the calendar materializers: calendars per owner, events per calendar. */
export function installCalendar(store: TenantStore): void {
  store.registerMaterializer('calendars', (s, key, c) => {
    const found = planFor(s, key.slice('calendars:'.length));
    for (const p of found?.plans ?? []) (c as Collection<CalendarRecord>).put(p.calendar.id, p.calendar);
  });
  store.registerMaterializer('calendar-events', (s, key, c) => {
    const [, ownerId = '', calendarId = ''] = key.split(':');
    const found = planFor(s, ownerId);
    const plan = found?.plans.find((p) => p.calendar.id === calendarId);
    if (!found || !plan) return;
    for (const e of generateEvents(s, found.owner, plan.calendar, plan.events, plan.primary))
      (c as Collection<EventRecord>).put(e.id, e);
  });
}

export { calendarsKey };
