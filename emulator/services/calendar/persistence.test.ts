import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../test/support/raw-graph.js';

type Json = Record<string, any>;

describe('calendar and contacts across a restart (journal replay)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('keeps changes, ids and delta tokens', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'safehold-cal-'));
    dirs.push(stateDir);
    const window = 'startDateTime=2025-10-01T00:00:00Z&endDateTime=2026-04-01T00:00:00Z';
    let env = await startEmulator({ stateDir });
    const users = (await env.raw.admin('GET', '/users')).json.value as Json[];
    const user = users.find((u) => u.mailbox === 'user' && u.licensed) as Json;
    const other = users.find((u) => u.mailbox === 'user' && u.licensed && u.id !== user.id) as Json;
    const base = `/v1.0/users/${user.id}`;
    // Touch the calendar before a directory change, then change the directory, then write.
    await env.raw.get(`${base}/calendarView?${window}&$top=1`);
    await env.raw.admin('POST', '/activity', {
      op: 'updateUser',
      args: { id: other.id, set: { displayName: 'Renamed Person' } },
    });
    const changes = await env.raw.admin('POST', '/activity', {
      op: 'calendar.randomActivity',
      args: { count: 12, user: user.id },
    });
    expect(changes.status, changes.body.toString()).toBe(200);
    await env.raw.admin('POST', '/activity', {
      op: 'contacts.randomActivity',
      args: { count: 6, user: user.id },
    });
    const viewBefore = (await env.raw.all(`${base}/calendarView?${window}&$top=1000`)).items;
    const contactsBefore = (await env.raw.all(`${base}/contacts?$top=1000`)).items;
    const calDelta = (await env.raw.all(`${base}/calendarView/delta?${window}`)).last[
      '@odata.deltaLink'
    ] as string;
    const contactDelta = (await env.raw.all(`${base}/contacts/delta`)).last['@odata.deltaLink'] as string;
    await env.stop();

    env = await startEmulator({ stateDir });
    try {
      const rebase = (link: string) => link.replace(/^https:\/\/[^/]+/, env.raw.info.graphUrl);
      expect((await env.raw.all(`${base}/calendarView?${window}&$top=1000`)).items).toEqual(viewBefore);
      expect((await env.raw.all(`${base}/contacts?$top=1000`)).items).toEqual(contactsBefore);
      const cal = await env.raw.all(rebase(calDelta));
      expect(cal.items).toEqual([]);
      const con = await env.raw.all(rebase(contactDelta));
      expect(con.items).toEqual([]);
    } finally {
      await env.stop();
    }
  });
});
