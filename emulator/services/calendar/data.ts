import type { Collection } from '../../core/collection.js';
import { GraphHttpError } from '../../core/odata.js';
import type { Random } from '../../generator/random.js';
import type { TenantStore } from '../../tenant/store.js';
import { accessDenied, itemNotFound, outlookId } from '../shared/exchange.js';
import { parseAttachmentBody } from './attachment-body.js';
import { applyEventBody } from './event-body.js';
import { blankEvent, occurrenceICalUId, retime, stamped } from './event-parts.js';
import {
  calendarInstances,
  isSeriesStart,
  occurrenceId,
  occurrencesBetween,
  parseOccurrenceId,
  seriesInstances,
  exceptionsByMaster,
  type Instance,
} from './expand.js';
import type { Owner } from './owners.js';
import {
  calendarsKey,
  eventsKey,
  historyKey,
  type AttachmentRecord,
  type CalendarRecord,
  type EventRecord,
  type SeriesSnapshot,
} from './records.js';
import { checkOccurrenceMove, type Located } from './occurrences.js';
import { isoUtc } from './timezones.js';

/**
 * Calendars and events of the tenant's mailboxes, read and written through the store. Writes are
 * journaled; series changes leave snapshots for calendarView delta.
 */
export class CalendarData {
  constructor(
    readonly store: TenantStore,
    private readonly random: Random,
  ) {}

  calendars(owner: Owner): CalendarRecord[] {
    return this.store.collection<CalendarRecord>(calendarsKey(owner.id)).values();
  }

  defaultCalendar(owner: Owner): CalendarRecord {
    const c = this.calendars(owner).find((x) => x.isDefaultCalendar);
    if (!c) throw itemNotFound();
    return c;
  }

  calendar(owner: Owner, id: string | undefined): CalendarRecord {
    if (id === undefined) return this.defaultCalendar(owner);
    const c = this.store.collection<CalendarRecord>(calendarsKey(owner.id)).get(id);
    if (!c) throw itemNotFound();
    return c;
  }

  createCalendar(owner: Owner, name: string, color: string): CalendarRecord {
    if (this.calendars(owner).some((c) => c.name.toLowerCase() === name.toLowerCase())) {
      throw new GraphHttpError(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
    }
    const base = this.defaultCalendar(owner);
    const id = outlookId('calendar', owner.id, this.random.guid());
    const c: CalendarRecord = {
      ...base,
      id,
      name,
      color,
      isDefaultCalendar: false,
      isRemovable: true,
      isTallyingResponses: false,
      changeKey: stamped(id, Date.now(), this.random.next()).changeKey,
    };
    this.store.put(calendarsKey(owner.id), id, c);
    return c;
  }

  events(owner: Owner, calendarId: string): Collection<EventRecord> {
    return this.store.collection<EventRecord>(eventsKey(owner.id, calendarId));
  }

  /** Finds an event by id in one calendar or in any of the owner's calendars. */
  locate(owner: Owner, id: string, calendarId?: string): Located {
    const calendars = calendarId ? [this.calendar(owner, calendarId)] : this.calendars(owner);
    const occ = parseOccurrenceId(id);
    for (const calendar of calendars) {
      const coll = this.events(owner, calendar.id);
      const event = coll.get(id);
      if (event) return { kind: 'stored', calendar, event };
      const master = occ ? coll.get(occ.masterId) : undefined;
      if (
        occ &&
        master?.type === 'seriesMaster' &&
        !master.cancelledOccurrences.includes(isoUtc(occ.originalStartMs))
      ) {
        const o = occurrencesBetween(master, occ.originalStartMs, occ.originalStartMs + 1).find(
          (x) => x.originalStartMs === occ.originalStartMs,
        );
        if (o)
          return {
            kind: 'occurrence',
            calendar,
            master,
            originalStartMs: o.originalStartMs,
            startMs: o.startMs,
            endMs: o.endMs,
          };
      }
    }
    throw itemNotFound();
  }

  instances(owner: Owner, calendarId: string, fromMs: number, toMs: number): Instance[] {
    return calendarInstances(this.events(owner, calendarId).values(), fromMs, toMs);
  }

  seriesInstances(
    owner: Owner,
    calendarId: string,
    master: EventRecord,
    fromMs: number,
    toMs: number,
  ): Instance[] {
    const exceptions = exceptionsByMaster(this.events(owner, calendarId).values()).get(master.id) ?? [];
    return seriesInstances(master, exceptions, fromMs, toMs);
  }

  /** Journaled write of an event; series masters (and type changes) leave a snapshot for delta. */
  private write(owner: Owner, calendarId: string, next: EventRecord, previous?: EventRecord): void {
    const coll = this.events(owner, calendarId);
    if (previous && (previous.type === 'seriesMaster' || previous.type !== next.type)) {
      const strip = (e: EventRecord) =>
        JSON.stringify({ ...e, cancelledOccurrences: [], lastModifiedDateTime: '', changeKey: '' });
      const change = previous.type === next.type && strip(previous) === strip(next) ? 'cancel' : 'full';
      this.snapshot(owner, calendarId, { eventId: previous.id, seq: coll.lastSeq + 1, change, previous });
    }
    this.store.put(eventsKey(owner.id, calendarId), next.id, next);
  }

  private snapshot(owner: Owner, calendarId: string, s: SeriesSnapshot): void {
    this.store.put(historyKey(owner.id, calendarId), `${s.eventId}|${s.seq}`, s);
  }

  /** Snapshots of series superseded after `afterSeq`, by event id. */
  snapshotsAfter(owner: Owner, calendarId: string, afterSeq: number): Map<string, SeriesSnapshot[]> {
    const out = new Map<string, SeriesSnapshot[]>();
    for (const s of this.store.collection<SeriesSnapshot>(historyKey(owner.id, calendarId)).values()) {
      if (s.seq <= afterSeq) continue;
      out.set(s.eventId, [...(out.get(s.eventId) ?? []), s]);
    }
    return out;
  }

  private touch(e: EventRecord): EventRecord {
    return { ...e, ...stamped(e.id, Date.now(), this.random.next()) };
  }

  createEvent(owner: Owner, calendarId: string, body: Record<string, unknown>): EventRecord {
    const calendar = this.calendar(owner, calendarId);
    const now = Date.now();
    const id = outlookId('event', owner.id, this.random.guid());
    const e = blankEvent({
      seed: this.store.seed,
      id,
      calendarId: calendar.id,
      createdMs: now,
      modifiedMs: now,
      owner,
    });
    applyEventBody(e, body, {
      mode: 'create',
      instance: false,
      random: this.random,
      tenantId: this.store.identity.tenantId,
      ownerId: owner.id,
    });
    if (e.recurrence) e.type = 'seriesMaster';
    if (Array.isArray(body['attachments'])) {
      for (const a of body['attachments'] as unknown[])
        e.attachments.push(
          parseAttachmentBody(this.store, owner, a, outlookId('attachment', id, this.random.guid())),
        );
    }
    this.write(owner, calendar.id, e);
    return e;
  }

  /** An exception made from an occurrence: the series' values at that time, then the body. */
  private exceptionFrom(
    master: EventRecord,
    originalStartMs: number,
    startMs: number,
    endMs: number,
  ): EventRecord {
    const id = occurrenceId(master.id, originalStartMs);
    return {
      ...structuredClone(master),
      ...retime(master, startMs, endMs),
      id,
      type: 'exception',
      seriesMasterId: master.id,
      originalStart: isoUtc(originalStartMs),
      recurrence: null,
      cancelledOccurrences: [],
      iCalUId: occurrenceICalUId(master.uid, originalStartMs),
      attachments: master.attachments.map((a) => ({ ...a, id: outlookId(a.id, id) })),
    };
  }

  updateEvent(owner: Owner, id: string, body: Record<string, unknown>, calendarId?: string): Located {
    const l = this.locate(owner, id, calendarId);
    const ctx = {
      random: this.random,
      tenantId: this.store.identity.tenantId,
      ownerId: owner.id,
      mode: 'update' as const,
    };
    if (l.kind === 'occurrence') {
      const ex = this.touch(this.exceptionFrom(l.master, l.originalStartMs, l.startMs, l.endMs));
      const applied = applyEventBody(ex, body, { ...ctx, instance: true });
      if (applied.timesChanged) checkOccurrenceMove(l.master, l.originalStartMs, ex.startMs);
      this.write(owner, l.calendar.id, ex);
      return { kind: 'stored', calendar: l.calendar, event: ex };
    }
    const previous = l.event;
    const e = this.touch(structuredClone(previous));
    const applied = applyEventBody(e, body, { ...ctx, instance: previous.type === 'exception' });
    if (previous.type === 'exception') {
      const master = this.events(owner, l.calendar.id).get(previous.seriesMasterId ?? '');
      if (applied.timesChanged && master)
        checkOccurrenceMove(master, Date.parse(previous.originalStart ?? ''), e.startMs);
      this.write(owner, l.calendar.id, e, previous);
      return { kind: 'stored', calendar: l.calendar, event: e };
    }
    e.type = e.recurrence ? 'seriesMaster' : 'singleInstance';
    const exceptions = this.events(owner, l.calendar.id)
      .values()
      .filter((x) => x.seriesMasterId === e.id);
    if (
      previous.type === 'seriesMaster' &&
      (applied.timesChanged || applied.recurrenceChanged || e.type !== 'seriesMaster')
    ) {
      // A new pattern or time discards the series' exceptions and cancellations, as in Outlook.
      e.cancelledOccurrences = [];
      for (const x of exceptions) this.store.remove(eventsKey(owner.id, l.calendar.id), x.id);
    } else if (previous.type === 'seriesMaster') {
      // Other changes reach the exceptions that still had the series' old value.
      for (const x of exceptions) {
        const changed = Object.keys(body).filter(
          (k) =>
            k in e &&
            JSON.stringify((x as unknown as Record<string, unknown>)[k]) ===
              JSON.stringify((previous as unknown as Record<string, unknown>)[k]),
        );
        if (!changed.length) continue;
        const updated = this.touch({
          ...x,
          ...Object.fromEntries(changed.map((k) => [k, (e as unknown as Record<string, unknown>)[k]])),
        });
        this.write(owner, l.calendar.id, updated, x);
      }
    }
    this.write(owner, l.calendar.id, e, previous);
    return { kind: 'stored', calendar: l.calendar, event: e };
  }

  /** Deletes an event; deleting an occurrence or exception cancels that occurrence of its series. */
  deleteEvent(owner: Owner, id: string, calendarId?: string): void {
    const l = this.locate(owner, id, calendarId);
    const key = eventsKey(owner.id, l.calendar.id);
    if (l.kind === 'occurrence')
      return this.cancelOccurrence(owner, l.calendar.id, l.master, l.originalStartMs);
    const e = l.event;
    if (e.type === 'exception') {
      const master = this.events(owner, l.calendar.id).get(e.seriesMasterId ?? '');
      this.store.remove(key, e.id);
      if (master) this.cancelOccurrence(owner, l.calendar.id, master, Date.parse(e.originalStart ?? ''));
      return;
    }
    if (e.type === 'seriesMaster') {
      for (const x of this.events(owner, l.calendar.id).values())
        if (x.seriesMasterId === e.id) this.store.remove(key, x.id);
      this.snapshot(owner, l.calendar.id, {
        eventId: e.id,
        seq: this.events(owner, l.calendar.id).lastSeq + 1,
        change: 'full',
        previous: e,
      });
    }
    this.store.remove(key, e.id);
  }

  cancelOccurrence(owner: Owner, calendarId: string, master: EventRecord, originalStartMs: number): void {
    if (!isSeriesStart(master, originalStartMs)) throw itemNotFound();
    const iso = isoUtc(originalStartMs);
    const exception = this.events(owner, calendarId).get(occurrenceId(master.id, originalStartMs));
    if (exception) this.store.remove(eventsKey(owner.id, calendarId), exception.id);
    if (master.cancelledOccurrences.includes(iso)) return;
    this.write(
      owner,
      calendarId,
      this.touch({ ...master, cancelledOccurrences: [...master.cancelledOccurrences, iso] }),
      master,
    );
  }

  /** `POST /events/{id}/cancel`: the organizer cancels the meeting; it leaves their calendar. */
  cancelMeeting(owner: Owner, id: string, calendarId?: string): void {
    const l = this.locate(owner, id, calendarId);
    const organizer = l.kind === 'occurrence' ? l.master.isOrganizer : l.event.isOrganizer;
    if (!organizer)
      throw new GraphHttpError(
        400,
        'ErrorAccessDenied',
        "Your request can't be completed. You need to be an organizer to cancel a meeting.",
      );
    this.deleteEvent(owner, id, calendarId);
  }

  attachmentsOf(l: Located): AttachmentRecord[] {
    return l.kind === 'occurrence' ? l.master.attachments : l.event.attachments;
  }

  addAttachment(owner: Owner, id: string, body: unknown, calendarId?: string): AttachmentRecord {
    if (owner.kind === 'group') throw accessDenied();
    const l = this.locate(owner, id, calendarId);
    const target = l.kind === 'occurrence' ? this.updateEvent(owner, id, {}, calendarId) : l;
    if (target.kind !== 'stored') throw itemNotFound();
    const a = parseAttachmentBody(this.store, owner, body, outlookId('attachment', id, this.random.guid()));
    const e = this.touch({ ...target.event, attachments: [...target.event.attachments, a] });
    this.write(owner, target.calendar.id, e, target.event);
    return a;
  }

  deleteAttachment(owner: Owner, id: string, attachmentId: string, calendarId?: string): void {
    const l = this.locate(owner, id, calendarId);
    if (l.kind !== 'stored' || !l.event.attachments.some((a) => a.id === attachmentId)) throw itemNotFound();
    const e = this.touch({
      ...l.event,
      attachments: l.event.attachments.filter((a) => a.id !== attachmentId),
    });
    this.write(owner, l.calendar.id, e, l.event);
  }
}
