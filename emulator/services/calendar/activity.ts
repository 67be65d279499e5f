import { badRequest, GraphHttpError } from '../../core/odata.js';
import type { ActivityOp, ServiceContext } from '../../core/service.js';
import { GENERATED_EPOCH } from '../../tenant/directory.js';
import { invalidUser, textArg } from '../shared/exchange.js';
import { CalendarData } from './data.js';
import type { Located } from './occurrences.js';
import { cancelledSet, occurrenceId, occurrencesBetween } from './expand.js';
import { findOwner, type Owner } from './owners.js';
import type { EventRecord } from './records.js';
import { formatWall, isoUtc, parseInstant } from './timezones.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Calendar changes between backups, for `/_emulator/activity`. `user` may also name a Microsoft 365 group. */
export function calendarActivity(ctx: ServiceContext): Record<string, ActivityOp> {
  const { store, random } = ctx;
  const data = new CalendarData(store, random);

  const ownerOf = (arg: unknown): Owner => {
    const o = findOwner(store, textArg(arg));
    if (!o) throw invalidUser(textArg(arg));
    return o;
  };
  const setOf = (args: Record<string, unknown>) => (args['set'] ?? {}) as Record<string, unknown>;
  const describe = (op: string, o: Owner, l: Located | EventRecord, extra: Record<string, unknown> = {}) => {
    const e = 'kind' in l ? (l.kind === 'stored' ? l.event : l.master) : l;
    return {
      op,
      user: o.id,
      id: e.id,
      type: e.type,
      calendarId: e.calendarId,
      start: isoUtc(e.startMs),
      end: isoUtc(e.endMs),
      ...extra,
    };
  };
  const instantArg = (v: unknown, name: string): number => {
    const ms = typeof v === 'string' ? parseInstant(v) : undefined;
    if (ms === undefined) throw badRequest(`${name} must be an ISO date-time`);
    return ms;
  };

  const add = (o: Owner, calendarId: string | undefined, set: Record<string, unknown>) => {
    const day = Math.floor(GENERATED_EPOCH / DAY) + random.int(-30, 60);
    const start = day * DAY + random.int(16, 34) * 30 * 60_000;
    const body = {
      subject: `${random.pick(['Follow-up', 'Catch-up', 'Review', 'Planning', 'Ad-hoc call'])} ${random.int(100, 999)}`,
      start: { dateTime: formatWall(start), timeZone: 'UTC' },
      end: { dateTime: formatWall(start + random.pick([30, 60, 90]) * 60_000), timeZone: 'UTC' },
      body: { contentType: 'html', content: '<html><body><p>Added between backups.</p></body></html>' },
      ...set,
    };
    const e = data.createEvent(o, calendarId ?? data.defaultCalendar(o).id, body);
    return describe('addEvent', o, e);
  };
  const update = (o: Owner, id: string, set: Record<string, unknown>) => {
    const patch = Object.keys(set).length
      ? set
      : { subject: `Updated ${new Date().toISOString()}`, importance: 'high' };
    return describe('updateEvent', o, data.updateEvent(o, id, patch), { changed: Object.keys(patch) });
  };
  const remove = (o: Owner, id: string) => {
    const l = data.locate(o, id);
    data.deleteEvent(o, id);
    return describe('deleteEvent', o, l, { deletedId: id });
  };
  const addException = (
    o: Owner,
    masterId: string,
    originalStartMs: number,
    set: Record<string, unknown>,
  ) => {
    const id = occurrenceId(masterId, originalStartMs);
    const l = data.updateEvent(o, id, Object.keys(set).length ? set : { subject: 'Moved (activity)' });
    return describe('addException', o, l, { masterId, originalStart: isoUtc(originalStartMs) });
  };
  const cancel = (o: Owner, masterId: string, originalStartMs: number) => {
    const id = occurrenceId(masterId, originalStartMs);
    data.deleteEvent(o, id);
    return { op: 'cancelOccurrence', user: o.id, id, masterId, originalStart: isoUtc(originalStartMs) };
  };
  const owners = (): Owner[] => {
    const out: Owner[] = [];
    for (const u of store.users.values()) if (u.mailbox === 'user') out.push(findOwner(store, u.id) as Owner);
    return out;
  };
  /** A random live occurrence of a random series of the owner, if there is one. */
  const randomOccurrence = (o: Owner): { master: EventRecord; originalStartMs: number } | undefined => {
    const masters = data.calendars(o).flatMap((c) =>
      data
        .events(o, c.id)
        .values()
        .filter((e) => e.type === 'seriesMaster'),
    );
    if (!masters.length) return undefined;
    const master = random.pick(masters);
    const cancelled = cancelledSet(master);
    const taken = new Set(
      data
        .events(o, master.calendarId)
        .values()
        .filter((e) => e.seriesMasterId === master.id)
        .map((e) => Date.parse(e.originalStart ?? '')),
    );
    const candidates = occurrencesBetween(
      master,
      GENERATED_EPOCH - 400 * DAY,
      GENERATED_EPOCH + 400 * DAY,
    ).filter((x) => !cancelled.has(x.originalStartMs) && !taken.has(x.originalStartMs));
    if (!candidates.length) return undefined;
    return { master, originalStartMs: random.pick(candidates).originalStartMs };
  };

  return {
    'calendar.addEvent': (args) =>
      add(ownerOf(args['user']), args['calendarId'] as string | undefined, setOf(args)),
    'calendar.updateEvent': (args) => update(ownerOf(args['user']), textArg(args['id']), setOf(args)),
    'calendar.deleteEvent': (args) => remove(ownerOf(args['user']), textArg(args['id'])),
    'calendar.addException': (args) =>
      addException(
        ownerOf(args['user']),
        textArg(args['masterId']),
        instantArg(args['originalStart'], 'originalStart'),
        setOf(args),
      ),
    'calendar.cancelOccurrence': (args) =>
      cancel(
        ownerOf(args['user']),
        textArg(args['masterId']),
        instantArg(args['originalStart'], 'originalStart'),
      ),
    /** `count` random changes (adds, edits, deletions, exceptions, cancelled occurrences); returns each. */
    'calendar.randomActivity': (args) => {
      const count = Number(args['count'] ?? 5);
      if (!Number.isInteger(count) || count < 0 || count > 10_000)
        throw badRequest('count must be an integer between 0 and 10000');
      const pool = args['user'] !== undefined ? [ownerOf(args['user'])] : owners();
      const changes: unknown[] = [];
      for (let i = 0; i < count && pool.length; i++) {
        const o = random.pick(pool);
        const roll = random.next();
        const items = data
          .calendars(o)
          .flatMap((c) => data.events(o, c.id).values())
          .filter((e) => e.type !== 'exception');
        const singles = items.filter((e) => e.type === 'singleInstance');
        const occ = roll >= 0.55 ? randomOccurrence(o) : undefined;
        if (roll < 0.3 || !items.length) changes.push(add(o, undefined, {}));
        else if (roll < 0.45) changes.push(update(o, random.pick(items).id, {}));
        else if (roll < 0.55 && singles.length) changes.push(remove(o, random.pick(singles).id));
        else if (roll < 0.8 && occ) {
          const subject = { subject: `${occ.master.subject} (moved)` };
          const moved = occ.originalStartMs + HOUR;
          const times = {
            start: { dateTime: formatWall(moved), timeZone: 'UTC' },
            end: { dateTime: formatWall(moved + occ.master.endMs - occ.master.startMs), timeZone: 'UTC' },
          };
          try {
            changes.push(
              addException(
                o,
                occ.master.id,
                occ.originalStartMs,
                occ.master.isAllDay ? subject : { ...subject, ...times },
              ),
            );
          } catch (e) {
            // Outlook refuses moves past a neighbouring occurrence; retitle instead.
            if (!(e instanceof GraphHttpError)) throw e;
            changes.push(addException(o, occ.master.id, occ.originalStartMs, subject));
          }
        } else if (occ) changes.push(cancel(o, occ.master.id, occ.originalStartMs));
        else changes.push(add(o, undefined, {}));
      }
      return changes;
    },
  };
}
