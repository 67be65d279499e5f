import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RawGraph } from '../../../test/support/raw-graph.js';
import { delegated } from './delegated-client.js';

/**
 * Delegated (signed-in user) access to Exchange data: a user reaches their own mailbox and the
 * groups they belong to; another user's mail, contacts and calendar are ErrorAccessDenied.
 */

type Json = Record<string, any>;
type Get = Awaited<ReturnType<typeof delegated>>;

describe('delegated access to Outlook data', () => {
  let env: Awaited<ReturnType<typeof startEmulator>>;
  let raw: RawGraph;
  let me: Json;
  let other: Json;
  let get: Get;
  /** A group `me` belongs to and one it does not. */
  let mine: Json;
  let theirs: Json;

  beforeAll(async () => {
    env = await startEmulator();
    raw = env.raw;
    const users = (await raw.admin('GET', '/users')).json.value as Json[];
    const groups = (await raw.all('/v1.0/groups?$top=999')).items.filter((g) =>
      g.groupTypes.includes('Unified'),
    );
    const members = new Map<string, Set<string>>();
    for (const g of groups)
      members.set(g.id, new Set((await raw.all(`/v1.0/groups/${g.id}/members`)).items.map((m) => m.id)));
    const candidates = users.filter((u) => u.mailbox === 'user' && u.accountEnabled);
    me = candidates.find((u) => groups.some((g) => !members.get(g.id)?.has(u.id))) as Json;
    other = candidates.find((u) => u.id !== me.id) as Json;
    mine = groups.find((g) => members.get(g.id)?.has(me.id)) as Json;
    theirs = groups.find((g) => !members.get(g.id)?.has(me.id)) as Json;
    get = await delegated(raw, me as never, 'Mail.Read Contacts.Read Calendars.Read Group.Read.All');
  });
  afterAll(async () => env.stop());

  const paths = (user: string) => [
    `/v1.0/users/${user}/messages?$top=1`,
    `/v1.0/users/${user}/mailFolders/inbox/messages?$top=1`,
    `/v1.0/users/${user}/mailFolders?$top=1`,
    `/v1.0/users/${user}/contacts?$top=1`,
    `/v1.0/users/${user}/contactFolders?$top=1`,
    `/v1.0/users/${user}/events?$top=1`,
    `/v1.0/users/${user}/calendars`,
  ];

  it("answers 403 ErrorAccessDenied for another user's messages, contacts and events", async () => {
    for (const path of [...paths(other.id), ...paths(other.userPrincipalName)]) {
      const r = await get(path);
      expect({ path, status: r.status, code: r.json?.error?.code }).toEqual({
        path,
        status: 403,
        code: 'ErrorAccessDenied',
      });
    }
  });

  it('serves the signed-in user their own mailbox, by id, UPN and /me', async () => {
    for (const path of [...paths(me.id), ...paths(me.userPrincipalName), '/v1.0/me/messages?$top=1']) {
      const r = await get(path);
      expect({ path, status: r.status }).toEqual({ path, status: 200 });
    }
    const own = (await get(`/v1.0/users/${me.id}/messages?$top=1`)).json.value[0];
    expect((await get(`/v1.0/users/${me.id}/messages/${own.id}/$value`)).status).toBe(200);
  });

  it("reaches the conversations and calendars of groups the user belongs to, and no others'", async () => {
    expect(mine && theirs).toBeTruthy();
    expect((await get(`/v1.0/groups/${mine.id}/threads?$top=1`)).status).toBe(200);
    expect((await get(`/v1.0/groups/${mine.id}/events?$top=1`)).status).toBe(200);
    for (const path of [
      `/v1.0/groups/${theirs.id}/threads?$top=1`,
      `/v1.0/groups/${theirs.id}/conversations?$top=1`,
      `/v1.0/groups/${theirs.id}/events?$top=1`,
      `/v1.0/users/${theirs.id}/events?$top=1`,
    ]) {
      const r = await get(path);
      expect({ path, status: r.status, code: r.json?.error?.code }).toEqual({
        path,
        status: 403,
        code: 'ErrorAccessDenied',
      });
    }
  });
});
