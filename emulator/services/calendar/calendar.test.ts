import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawGraph, startEmulator } from '../../../test/support/raw-graph.js';
import { delegated } from '../shared/delegated-client.js';

type Started = Awaited<ReturnType<typeof startEmulator>>;
type Json = Record<string, any>;

const WINDOW = 'startDateTime=2026-03-04T00:00:00Z&endDateTime=2026-04-01T00:00:00Z';
const utc = (e: Json) => `${String(e.start.dateTime).slice(0, 19)}Z`;

describe('calendar (contract)', () => {
  let env: Started;
  let raw: RawGraph;
  let user: { id: string; userPrincipalName: string; password: string };
  let groupId: string;
  let base: string;

  beforeAll(async () => {
    env = await startEmulator();
    raw = env.raw;
    const users = (await raw.admin('GET', '/users')).json.value as (typeof user & {
      mailbox: string | null;
      licensed: boolean;
      accountEnabled: boolean;
    })[];
    user = users.find((u) => u.mailbox === 'user' && u.licensed && u.accountEnabled) as typeof user;
    groupId = (await raw.get('/v1.0/groups')).json.value.find((g: Json) =>
      g.groupTypes.includes('Unified'),
    ).id;
    base = `/v1.0/users/${user.id}`;
  });
  afterAll(async () => env.stop());

  const post = async (path: string, json: unknown, status = 201) => {
    const r = await raw.graph('POST', path, { json });
    expect(r.status, r.body.toString()).toBe(status);
    return r.json as Json;
  };
  const deltaRound = async (url: string, headers?: Record<string, string>) => {
    const { items, last } = await raw.all(url, headers);
    expect(last['@odata.deltaLink']).toMatch(/\$deltatoken=/);
    return { items: items as Json[], deltaLink: last['@odata.deltaLink'] as string };
  };

  /** Mondays and Thursdays at 10:00 Berlin time, ten occurrences: 2 March to 2 April 2026 (DST starts 29 March). */
  const createSeries = async (subject: string) =>
    post(`${base}/events`, {
      subject,
      start: { dateTime: '2026-03-02T10:00:00', timeZone: 'W. Europe Standard Time' },
      end: { dateTime: '2026-03-02T11:00:00', timeZone: 'W. Europe Standard Time' },
      attendees: [{ type: 'required', emailAddress: { name: 'Zoë', address: 'zoe@partner.example' } }],
      recurrence: {
        pattern: {
          type: 'weekly',
          interval: 1,
          daysOfWeek: ['monday', 'thursday'],
          firstDayOfWeek: 'monday',
        },
        range: {
          type: 'numbered',
          startDate: '2026-03-02',
          numberOfOccurrences: 10,
          recurrenceTimeZone: 'W. Europe Standard Time',
        },
      },
    });
  const instancesOf = async (
    masterId: string,
    window = 'startDateTime=2026-01-01T00:00:00Z&endDateTime=2026-12-31T00:00:00Z',
  ) => (await raw.all(`${base}/events/${masterId}/instances?${window}`)).items as Json[];
  const byStart = (list: Json[], isoUtc: string) => list.find((e) => utc(e) === isoUtc) as Json;
  const move = (id: string, startLocal: string, endLocal: string, subject?: string) =>
    raw.graph('PATCH', `${base}/events/${id}`, {
      json: {
        ...(subject ? { subject } : {}),
        start: { dateTime: startLocal, timeZone: 'W. Europe Standard Time' },
        end: { dateTime: endLocal, timeZone: 'W. Europe Standard Time' },
      },
    });

  it('expands a weekly series with exceptions and a cancellation exactly as the recurrence says', async () => {
    const master = await createSeries('Series under test');
    expect(master.type).toBe('seriesMaster');
    const all = await instancesOf(master.id);
    // Independent expectation: Mondays/Thursdays from 2 March, 09:00Z before DST (29 March), 08:00Z after.
    expect(all.map(utc)).toEqual([
      '2026-03-02T09:00:00Z',
      '2026-03-05T09:00:00Z',
      '2026-03-09T09:00:00Z',
      '2026-03-12T09:00:00Z',
      '2026-03-16T09:00:00Z',
      '2026-03-19T09:00:00Z',
      '2026-03-23T09:00:00Z',
      '2026-03-26T09:00:00Z',
      '2026-03-30T08:00:00Z',
      '2026-04-02T08:00:00Z',
    ]);
    expect(all.every((e) => e.type === 'occurrence' && e.seriesMasterId === master.id)).toBe(true);

    // Retitle and move 12 March to 14:00; cancel 16 March; move 5 March out of the window and 2 April into it.
    expect(
      (
        await move(
          byStart(all, '2026-03-12T09:00:00Z').id,
          '2026-03-12T14:00:00',
          '2026-03-12T15:00:00',
          'Moved and renamed',
        )
      ).status,
    ).toBe(200);
    expect(
      (await raw.graph('DELETE', `${base}/events/${byStart(all, '2026-03-16T09:00:00Z').id}`)).status,
    ).toBe(204);
    expect(
      (await move(byStart(all, '2026-03-05T09:00:00Z').id, '2026-03-03T10:00:00', '2026-03-03T11:00:00'))
        .status,
    ).toBe(200);
    expect(
      (await move(byStart(all, '2026-04-02T08:00:00Z').id, '2026-03-31T10:00:00', '2026-03-31T11:00:00'))
        .status,
    ).toBe(200);
    // Outlook does not let an occurrence jump past its neighbour.
    const crossing = await move(
      byStart(all, '2026-03-19T09:00:00Z').id,
      '2026-03-16T10:00:00',
      '2026-03-16T11:00:00',
    );
    expect(crossing.status).toBe(400);
    expect(crossing.json.error.code).toBe('ErrorOccurrenceCrossingBoundary');

    const view = (await raw.all(`${base}/calendarView?${WINDOW}&$top=7`)).items.filter(
      (e: Json) => e.seriesMasterId === master.id,
    );
    expect(view.map((e: Json) => [utc(e), e.type, e.subject])).toEqual([
      ['2026-03-09T09:00:00Z', 'occurrence', 'Series under test'],
      ['2026-03-12T13:00:00Z', 'exception', 'Moved and renamed'],
      ['2026-03-19T09:00:00Z', 'occurrence', 'Series under test'],
      ['2026-03-23T09:00:00Z', 'occurrence', 'Series under test'],
      ['2026-03-26T09:00:00Z', 'occurrence', 'Series under test'],
      ['2026-03-30T08:00:00Z', 'occurrence', 'Series under test'],
      ['2026-03-31T08:00:00Z', 'exception', 'Series under test'],
    ]);
    // The instances endpoint agrees with calendarView over the same window.
    const inst = await instancesOf(master.id, WINDOW);
    expect(inst.map((e) => [e.id, utc(e), e.type])).toEqual(view.map((e: Json) => [e.id, utc(e), e.type]));
    // An exception keeps the occurrence's id and reports where it came from.
    const moved = view.find((e: Json) => e.subject === 'Moved and renamed') as Json;
    expect(moved.id).toBe(byStart(all, '2026-03-12T09:00:00Z').id);
    expect(moved.originalStart).toBe('2026-03-12T09:00:00Z');
    const fetched = await raw.get(`${base}/events/${moved.id}`);
    expect(fetched.json.type).toBe('exception');
    // /events lists single events and series masters only.
    const listed = (await raw.all(`${base}/events?$top=200&$select=type`)).items;
    expect(new Set(listed.map((e: Json) => e.type))).toEqual(new Set(['singleInstance', 'seriesMaster']));
  });

  it('requires a time window for calendarView and instances', async () => {
    const r = await raw.get(`${base}/calendarView`);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('ErrorInvalidParameter');
    expect((await raw.get(`${base}/calendarView/delta`)).status).toBe(400);
  });

  it('rejects malformed event bodies as Outlook does', async () => {
    const send = (json: unknown) => raw.graph('POST', `${base}/events`, { json });
    const start = { dateTime: '2026-06-01T10:00:00', timeZone: 'UTC' };
    const end = { dateTime: '2026-06-01T11:00:00', timeZone: 'UTC' };
    expect((await send(null)).json.error.code).toBe('RequestBodyRead');
    expect((await send({ subject: 'x', start, end, colour: 'red' })).json.error.code).toBe('RequestBodyRead');
    expect((await send({ subject: 'x', start: end, end: start })).json.error.code).toBe(
      'ErrorPropertyValidationFailure',
    );
    expect((await send({ subject: 'x', start, end, isAllDay: true })).json.error.code).toBe(
      'ErrorPropertyValidationFailure',
    );
    const noDays = {
      pattern: { type: 'weekly', interval: 1 },
      range: { type: 'noEnd', startDate: '2026-06-01' },
    };
    const r = await send({ subject: 'x', start, end, recurrence: noDays });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('ErrorPropertyValidationFailure');
  });

  it('pages calendarView exactly once', async () => {
    const wide = 'startDateTime=2025-06-01T00:00:00Z&endDateTime=2026-06-01T00:00:00Z';
    const { items: paged } = await raw.all(`${base}/calendarView?${wide}&$top=4`);
    const { items: whole } = await raw.all(`${base}/calendarView?${wide}&$top=1000`);
    const ids = paged.map((e: Json) => e.id as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(whole.map((e: Json) => e.id));
    expect(ids.length).toBeGreaterThan(20);
    const types = new Set(whole.map((e: Json) => e.type));
    for (const t of ['singleInstance', 'occurrence', 'exception']) expect(types.has(t), t).toBe(true);
  });

  it('honours Prefer: outlook.timezone', async () => {
    const e = await post(`${base}/events`, {
      subject: 'Time zone check',
      start: { dateTime: '2026-07-01T09:00:00', timeZone: 'Tokyo Standard Time' },
      end: { dateTime: '2026-07-01T10:00:00', timeZone: 'Tokyo Standard Time' },
    });
    expect(e.start).toEqual({ dateTime: '2026-07-01T00:00:00.0000000', timeZone: 'UTC' });
    expect(e.originalStartTimeZone).toBe('Tokyo Standard Time');
    const pst = await raw.get(`${base}/events/${e.id}`, {
      prefer: 'outlook.timezone="Pacific Standard Time"',
    });
    expect(pst.json.start).toEqual({
      dateTime: '2026-06-30T17:00:00.0000000',
      timeZone: 'Pacific Standard Time',
    });
    const bad = await raw.graph('POST', `${base}/events`, {
      json: {
        subject: 'x',
        start: { dateTime: '2026-07-01T09:00:00', timeZone: 'Mars/Olympus' },
        end: { dateTime: '2026-07-01T10:00:00', timeZone: 'UTC' },
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('TimeZoneNotSupportedException');
  });

  it('calendarView delta reports additions, cancelled occurrences and deletions as @removed', async () => {
    const master = await createSeries('Delta series');
    const single = await post(`${base}/events`, {
      subject: 'Delta single',
      start: { dateTime: '2026-03-10T12:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-03-10T13:00:00', timeZone: 'UTC' },
    });
    const first = await deltaRound(`${base}/calendarView/delta?${WINDOW}`, { prefer: 'odata.maxpagesize=5' });
    const seen = new Set(first.items.map((e) => e.id));
    expect(seen.has(single.id)).toBe(true);
    const occurrences = first.items.filter((e) => e.seriesMasterId === master.id);
    expect(occurrences.map(utc)).toEqual([
      '2026-03-05T09:00:00Z',
      '2026-03-09T09:00:00Z',
      '2026-03-12T09:00:00Z',
      '2026-03-16T09:00:00Z',
      '2026-03-19T09:00:00Z',
      '2026-03-23T09:00:00Z',
      '2026-03-26T09:00:00Z',
      '2026-03-30T08:00:00Z',
    ]);
    expect(first.items.some((e) => e.type === 'seriesMaster')).toBe(false);
    expect(first.deltaLink).not.toMatch(/startDateTime/i);

    const cancelled = byStart(occurrences, '2026-03-19T09:00:00Z').id as string;
    expect((await raw.graph('DELETE', `${base}/events/${cancelled}`)).status).toBe(204);
    const second = await deltaRound(first.deltaLink);
    expect(second.items).toEqual([
      { '@odata.type': '#microsoft.graph.event', id: cancelled, '@removed': { reason: 'deleted' } },
    ]);

    expect((await raw.graph('DELETE', `${base}/events/${single.id}`)).status).toBe(204);
    const added = await post(`${base}/events`, {
      subject: 'Added later',
      start: { dateTime: '2026-03-20T08:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-03-20T08:30:00', timeZone: 'UTC' },
    });
    const third = await deltaRound(second.deltaLink);
    expect(third.items.map((e) => [e.id, e['@removed'] ? 'removed' : e.subject])).toEqual([
      [single.id, 'removed'],
      [added.id, 'Added later'],
    ]);

    expect((await raw.graph('DELETE', `${base}/events/${master.id}`)).status).toBe(204);
    const fourth = await deltaRound(third.deltaLink);
    const gone = occurrences.map((e) => e.id).filter((id) => id !== cancelled);
    expect(
      fourth.items
        .filter((e) => e['@removed'])
        .map((e) => e.id)
        .sort(),
    ).toEqual(gone.sort());
    expect(fourth.items.every((e) => e['@removed'])).toBe(true);
  });

  it('answers an expired calendarView delta token with 410 SyncStateNotFound', async () => {
    const first = await deltaRound(`${base}/calendarView/delta?${WINDOW}`);
    await post(`${base}/events`, {
      subject: 'After token',
      start: { dateTime: '2026-03-11T08:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-03-11T09:00:00', timeZone: 'UTC' },
    });
    await raw.admin('POST', '/delta/expire', { prefix: `calendar-events:${user.id}` });
    const r = await raw.get(first.deltaLink);
    expect(r.status).toBe(410);
    expect(r.json.error.code).toBe('SyncStateNotFound');
  });

  it('serves event attachments with stable $value bytes', async () => {
    const { items } = await raw.all(`${base}/events?$top=100&$select=hasAttachments`);
    const withFile = [];
    for (const e of items.filter((x: Json) => x.hasAttachments)) {
      const list = (await raw.get(`${base}/events/${e.id}/attachments`)).json.value as Json[];
      for (const a of list.filter((x) => x['@odata.type'] === '#microsoft.graph.fileAttachment'))
        withFile.push([e.id, a]);
    }
    expect(withFile.length).toBeGreaterThan(0);
    for (const [eventId, a] of withFile.slice(0, 4) as [string, Json][]) {
      const one = await raw.get(`${base}/events/${eventId}/attachments/${a.id}/$value`);
      const two = await raw.get(`${base}/events/${eventId}/attachments/${a.id}/$value`);
      expect(one.status).toBe(200);
      expect(one.body.equals(two.body)).toBe(true);
      expect(one.body.length).toBe(a.size);
      expect(Buffer.from(a.contentBytes, 'base64').equals(one.body)).toBe(true);
    }
    const target = await post(`${base}/events`, {
      subject: 'With upload',
      start: { dateTime: '2026-05-01T08:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-05-01T09:00:00', timeZone: 'UTC' },
    });
    const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));
    const att = await post(`${base}/events/${target.id}/attachments`, {
      '@odata.type': '#microsoft.graph.fileAttachment',
      name: 'data.bin',
      contentType: 'application/octet-stream',
      contentBytes: bytes.toString('base64'),
    });
    const back = await raw.get(`${base}/events/${target.id}/attachments/${att.id}/$value`);
    expect(back.body.equals(bytes)).toBe(true);
    expect((await raw.get(`${base}/events/${target.id}`)).json.hasAttachments).toBe(true);
    const item = await post(`${base}/events/${target.id}/attachments`, {
      '@odata.type': '#microsoft.graph.itemAttachment',
      name: 'Agenda',
      item: {
        '@odata.type': '#microsoft.graph.event',
        subject: 'Agenda',
        start: { dateTime: '2026-05-02T08:00:00', timeZone: 'UTC' },
        end: { dateTime: '2026-05-02T09:00:00', timeZone: 'UTC' },
      },
    });
    const expanded = await raw.get(`${base}/events/${target.id}?$expand=attachments&$select=subject`);
    expect(expanded.json.attachments.map((a: Json) => a.name)).toEqual(['data.bin', 'Agenda']);
    expect(Buffer.from(expanded.json.attachments[0].contentBytes, 'base64').equals(bytes)).toBe(true);
    const ics = await raw.get(`${base}/events/${target.id}/attachments/${item.id}/$value`);
    expect(ics.body.toString()).toMatch(/^BEGIN:VCALENDAR\r\n[\s\S]*DTSTART:20260502T080000Z\r\n/);
  });

  it('keeps group calendars delegated-only on /groups, while /users/{groupId} serves app tokens', async () => {
    const app = await raw.get(`/v1.0/groups/${groupId}/events`);
    expect(app.status).toBe(403);
    expect(app.json.error.code).toBe('ErrorAccessDenied');
    expect((await raw.get(`/v1.0/groups/${groupId}/calendarView?${WINDOW}`)).status).toBe(403);
    const viaUsers = await raw.all(`/v1.0/users/${groupId}/events?$top=50`);
    expect(viaUsers.items.length).toBeGreaterThan(0);
    const view = await raw.get(
      `/v1.0/users/${groupId}/calendarView?startDateTime=2025-01-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z&$top=5`,
    );
    expect(view.status).toBe(200);
    const get = await delegated(raw, user, 'Group.Read.All Calendars.Read');
    const signedIn = await get(`/v1.0/groups/${groupId}/events?$top=50`);
    expect(signedIn.status).toBe(200);
    expect(signedIn.json.value.map((e: Json) => e.id).sort()).toEqual(
      viaUsers.items.map((e: Json) => e.id).sort(),
    );
    expect((await get(`/v1.0/me/calendar`)).json.owner.address).toBeTruthy();
  });

  it('answers 403 without Calendars permissions and for writes with read-only permission', async () => {
    const none = (await raw.admin('POST', '/apps', { permissions: ['Mail.Read', 'Contacts.Read'] })).json;
    const reader = (await raw.admin('POST', '/apps', { permissions: ['Calendars.Read'] })).json;
    const a = new RawGraph(env.emulator, { clientId: none.appId, clientSecret: none.clientSecret });
    const b = new RawGraph(env.emulator, { clientId: reader.appId, clientSecret: reader.clientSecret });
    try {
      const r = await a.get(`${base}/events`);
      expect(r.status).toBe(403);
      expect(r.json.error.code).toBe('ErrorAccessDenied');
      expect((await b.get(`${base}/calendarView?${WINDOW}`)).status).toBe(200);
      expect((await b.graph('POST', `${base}/events`, { json: { subject: 'no' } })).status).toBe(403);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('beta events delta lists single events and series masters with id, type, start and end', async () => {
    const first = await deltaRound(`/beta/users/${user.id}/calendar/events/delta`, {
      prefer: 'odata.maxpagesize=7',
    });
    expect(first.items.length).toBeGreaterThan(0);
    for (const e of first.items) {
      expect(['singleInstance', 'seriesMaster']).toContain(e.type);
      expect(Object.keys(e).sort()).toEqual(['@odata.etag', '@odata.type', 'end', 'id', 'start', 'type']);
    }
    const e = await post(`${base}/events`, {
      subject: 'beta delta',
      start: { dateTime: '2026-08-01T08:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-08-01T09:00:00', timeZone: 'UTC' },
    });
    const second = await deltaRound(first.deltaLink);
    expect(second.items.map((x) => x.id)).toEqual([e.id]);
  });

  it('counts inventory exactly as a Graph crawl finds it', async () => {
    const inv = (await raw.admin('GET', '/inventory')).json.calendar as Json;
    const users = (await raw.admin('GET', '/users')).json.value as Json[];
    const crawl = {
      calendars: 0,
      events: 0,
      seriesMasters: 0,
      exceptions: 0,
      eventAttachments: 0,
      groupEvents: 0,
    };
    const window = 'startDateTime=2020-01-01T00:00:00Z&endDateTime=2032-01-01T00:00:00Z';
    const owners = [
      ...users.filter((u) => u.mailbox).map((u) => ({ id: u.id as string, group: false })),
      ...(await raw.all('/v1.0/groups')).items
        .filter((g: Json) => g.groupTypes.includes('Unified'))
        .map((g: Json) => ({ id: g.id as string, group: true })),
    ];
    for (const o of owners) {
      for (const c of (await raw.all(`/v1.0/users/${o.id}/calendars`)).items) {
        crawl.calendars++;
        for (const e of (
          await raw.all(`/v1.0/users/${o.id}/calendars/${c.id}/events?$top=500&$select=type,hasAttachments`)
        ).items) {
          const stored = [e];
          if (e.type === 'seriesMaster')
            stored.push(
              ...(
                await raw.all(
                  `/v1.0/users/${o.id}/events/${e.id}/instances?${window}&$top=1000&$select=type,hasAttachments`,
                )
              ).items.filter((x: Json) => x.type === 'exception'),
            );
          for (const s of stored) {
            if (o.group) {
              crawl.groupEvents++;
              continue;
            }
            crawl.events++;
            if (s.type === 'seriesMaster') crawl.seriesMasters++;
            if (s.type === 'exception') crawl.exceptions++;
            if (s.hasAttachments)
              crawl.eventAttachments += (
                await raw.get(`/v1.0/users/${o.id}/events/${s.id}/attachments`)
              ).json.value.length;
          }
        }
      }
    }
    expect(crawl).toEqual(inv);
  });
});
