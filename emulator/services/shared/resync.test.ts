import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RawGraph } from '../../../test/support/raw-graph.js';

/**
 * Every delta route answers a token it can no longer honour the same way: 410 Gone with Graph's
 * error body (code, message, innerError with date and request ids) and a Location that repeats
 * the initial query, options included, without the token. Only the code differs per workload.
 */

type Json = Record<string, any>;
const TOKENS = ['$deltatoken', '$skiptoken', 'token'];

describe('delta sync reset (410 Gone)', () => {
  let env: Awaited<ReturnType<typeof startEmulator>>;
  let raw: RawGraph;
  let user: string;

  beforeAll(async () => {
    env = await startEmulator();
    raw = env.raw;
    const users = (await raw.admin('GET', '/users')).json.value as Json[];
    user = (users.find((u) => u.mailbox === 'user' && u.accountEnabled) as Json).id;
  });
  afterAll(async () => env.stop());

  /** The initial query's path and options, as a URL relative to the Graph origin. */
  const parts = (url: string) => {
    const u = new URL(url, raw.info.graphUrl);
    const params = [...u.searchParams].filter(([k]) => !TOKENS.includes(k)).sort();
    return { path: decodeURIComponent(u.pathname), params };
  };

  /** Runs the initial round, expires the deltaLink's token and checks the reset answer. */
  async function reset(initial: string, code: string, restored: [string, string][] = []) {
    const round = await raw.all(initial);
    const deltaLink = round.last['@odata.deltaLink'] as string;
    expect(deltaLink).toBeTruthy();
    await raw.admin('POST', '/faults', {
      kind: 'expire-delta',
      path: new URL(deltaLink).pathname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      count: 1,
    });
    const r = await raw.get(deltaLink, { 'client-request-id': 'resync-probe' });
    expect(r.status).toBe(410);
    expect(r.json.error.code).toBe(code);
    expect(r.json.error.message).toBeTruthy();
    expect(r.json.error.innerError['client-request-id']).toBe('resync-probe');
    expect(r.json.error.innerError['request-id']).toBe(r.headers['request-id']);
    expect(r.json.error.innerError.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const location = r.headers['location'] as string;
    const want = parts(initial);
    expect(parts(location)).toEqual({ path: want.path, params: [...want.params, ...restored].sort() });
    // The Location starts a working full round.
    expect((await raw.all(location)).items.length).toBeGreaterThanOrEqual(0);
    // A token that was never issued resets the same way.
    const bogus = new URL(deltaLink);
    const param = TOKENS.find((t) => bogus.searchParams.has(t)) as string;
    bogus.searchParams.set(param, 'not-a-token');
    const garbled = await raw.get(bogus.toString());
    expect([garbled.status, garbled.json.error.code]).toEqual([410, code]);
  }

  it('mail: messages and mailFolders delta keep $select and changeType', async () => {
    await reset(
      `/v1.0/users/${user}/mailFolders/inbox/messages/delta?$select=subject,isRead&changeType=created`,
      'SyncStateNotFound',
    );
    await reset(`/v1.0/users/${user}/mailFolders/delta?$select=displayName`, 'SyncStateNotFound');
  });

  it('contacts: contacts delta keeps $select', async () => {
    await reset(`/v1.0/users/${user}/contacts/delta?$select=displayName`, 'SyncStateNotFound');
  });

  it('calendar: calendarView delta gets its window back from the token', async () => {
    const start = '2026-01-01T00:00:00.000Z';
    const end = '2026-03-01T00:00:00.000Z';
    await reset(
      `/v1.0/users/${user}/calendarView/delta?startDateTime=${start}&endDateTime=${end}`,
      'SyncStateNotFound',
    );
  });

  it('drives and lists: resyncChangesApplyDifferences, keeping $select and $expand', async () => {
    const drive = (await raw.get(`/v1.0/users/${user}/drive`)).json.id;
    await reset(`/v1.0/drives/${drive}/root/delta?$select=id,name`, 'resyncChangesApplyDifferences');
    const root = (await raw.get('/v1.0/sites/root')).json.id;
    const list = (await raw.all(`/v1.0/sites/${root}/lists`)).items.find(
      (l) => l.list.template === 'genericList',
    );
    await reset(
      `/v1.0/sites/${root}/lists/${list.id}/items/delta?$expand=fields`,
      'resyncChangesApplyDifferences',
    );
  });

  it('Teams: channel message delta keeps $top', async () => {
    const team = (await raw.all('/v1.0/teams')).items[0];
    const channel = (await raw.all(`/v1.0/teams/${team.id}/channels`)).items[0];
    await reset(
      `/v1.0/teams/${team.id}/channels/${encodeURIComponent(channel.id)}/messages/delta?$top=5`,
      'syncStateNotFound',
    );
  });
});
