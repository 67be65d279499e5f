import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RawGraph } from '../../../test/support/raw-graph.js';
import { mailboxUsers, type TestUser } from './test-helpers.js';

describe('Outlook throttling is per app and mailbox', () => {
  let raw: RawGraph;
  let stop: () => Promise<void>;
  let users: TestUser[];

  beforeAll(async () => {
    ({ raw, stop } = await startEmulator({ throttle: 'realistic', timeScale: 1 }));
    await raw.accessToken();
    // Discovery is sequential, so it never exceeds the per-mailbox concurrency itself.
    users = await mailboxUsers(raw);
  });
  afterAll(async () => stop());

  it('more than 4 concurrent requests to one mailbox (by id and by UPN) get 429 ApplicationThrottled', async () => {
    const u = users[0] as TestUser;
    const paths = Array.from(
      { length: 12 },
      (_, i) => `/v1.0/users/${i % 2 ? u.id : u.userPrincipalName}/mailFolders/inbox`,
    );
    const results = await Promise.all(paths.map((p) => raw.get(p)));
    const throttled = results.filter((r) => r.status === 429);
    expect(results.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled[0]?.json.error.code).toBe('ApplicationThrottled');
    expect(Number(throttled[0]?.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('requests spread over different mailboxes are not limited by each other', async () => {
    const results = await Promise.all(
      users.slice(0, 8).map((u) => raw.get(`/v1.0/users/${u.id}/mailFolders/inbox`)),
    );
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
  });
});
