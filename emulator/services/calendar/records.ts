import type { PatternedRecurrence } from './recurrence.js';

/** Persisted shapes of the calendar area (plain JSON, journaled), and collection keys. */

export interface DateTimeTimeZone {
  /** Wall-clock time in `timeZone`, `2017-04-15T12:00:00.0000000`. */
  dateTime: string;
  timeZone: string;
}

export interface EmailAddress {
  name: string;
  address: string;
}

export interface Attendee {
  type: 'required' | 'optional' | 'resource';
  status: { response: string; time: string };
  emailAddress: EmailAddress;
}

export interface Location {
  displayName: string;
  locationType: string;
  uniqueId?: string;
  uniqueIdType?: string;
  locationUri?: string;
  address?: Record<string, string>;
  coordinates?: Record<string, number>;
}

export interface CalendarRecord {
  id: string;
  name: string;
  color: string;
  hexColor: string;
  isDefaultCalendar: boolean;
  changeKey: string;
  canShare: boolean;
  canViewPrivateItems: boolean;
  canEdit: boolean;
  isRemovable: boolean;
  isTallyingResponses: boolean;
  allowedOnlineMeetingProviders: string[];
  defaultOnlineMeetingProvider: string;
  owner: EmailAddress;
}

/** How a generated file attachment's bytes are made (regenerated on demand). */
export interface GeneratedFile {
  format: 'pdf' | 'docx' | 'xlsx' | 'pptx' | 'png' | 'txt';
  /** Label the content is seeded from. */
  label: string;
  title: string;
}

export interface AttachmentRecord {
  id: string;
  kind: 'file' | 'item' | 'reference';
  name: string;
  contentType: string | null;
  isInline: boolean;
  lastModifiedDateTime: string;
  contentId: string | null;
  /** File attachments: generated content or bytes uploaded through Graph (blob sha256). */
  generated?: GeneratedFile;
  blob?: { sha256: string; size: number };
  /** Item attachments: the attached item as Graph JSON (`@odata.type` says message, event or contact). */
  item?: Record<string, unknown>;
  /** Reference attachments (beta shows these). */
  reference?: { sourceUrl: string; providerType: string; permission: string; isFolder: boolean };
}

export type StoredType = 'singleInstance' | 'seriesMaster' | 'exception';

export interface EventRecord {
  id: string;
  calendarId: string;
  type: StoredType;
  seriesMasterId: string | null;
  /** Exceptions: the UTC start the occurrence had in the series. */
  originalStart: string | null;
  createdDateTime: string;
  lastModifiedDateTime: string;
  changeKey: string;
  categories: string[];
  transactionId: string | null;
  originalStartTimeZone: string;
  originalEndTimeZone: string;
  iCalUId: string;
  uid: string;
  reminderMinutesBeforeStart: number;
  isReminderOn: boolean;
  subject: string;
  body: { contentType: 'html' | 'text'; content: string };
  importance: 'low' | 'normal' | 'high';
  sensitivity: 'normal' | 'personal' | 'private' | 'confidential';
  isAllDay: boolean;
  isCancelled: boolean;
  isOrganizer: boolean;
  responseRequested: boolean;
  showAs: string;
  onlineMeetingUrl: string | null;
  isOnlineMeeting: boolean;
  onlineMeetingProvider: string;
  allowNewTimeProposals: boolean;
  isDraft: boolean;
  hideAttendees: boolean;
  responseStatus: { response: string; time: string };
  /** Stored in the time zone the event was created in. */
  start: DateTimeTimeZone;
  end: DateTimeTimeZone;
  /** The same instants in UTC milliseconds (derived, kept for fast window queries). */
  startMs: number;
  endMs: number;
  location: Location;
  locations: Location[];
  recurrence: PatternedRecurrence | null;
  attendees: Attendee[];
  organizer: { emailAddress: EmailAddress };
  onlineMeeting: Record<string, unknown> | null;
  /** Series masters: UTC original starts (ISO) of deleted occurrences. */
  cancelledOccurrences: string[];
  attachments: AttachmentRecord[];
}

/**
 * The state of a series (or of an item that became one) before a change, kept so calendarView
 * delta can report the occurrences that change made disappear. `seq` is the events-collection
 * seq of the change that superseded it.
 */
export interface SeriesSnapshot {
  eventId: string;
  seq: number;
  /** `cancel`: only occurrences were cancelled, other occurrences are unchanged. */
  change: 'cancel' | 'full';
  previous: EventRecord;
}

/** Calendar owner: a user's or a Microsoft 365 group's mailbox. */
export const calendarsKey = (ownerId: string) => `calendars:${ownerId}`;
export const eventsKey = (ownerId: string, calendarId: string) => `calendar-events:${ownerId}:${calendarId}`;
export const historyKey = (ownerId: string, calendarId: string) =>
  `calendar-history:${ownerId}:${calendarId}`;
