import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RawGraph } from '../support/raw-graph.js';

// Exchange's documented limit: 4 concurrent requests per app per mailbox; the fifth gets 429 with
// Retry-After. Service time is modelled in realistic mode (here stretched 5x) so concurrent
// requests surely overlap.
let raw: RawGraph;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ raw, stop } = await startEmulator({ throttle: 'realistic', timeScale: 5 }));
});
afterAll(() => stop());

describe('Exchange mailbox concurrency', () => {
  it('answers the fifth concurrent request to one mailbox with 429 and Retry-After, not the fourth', async () => {
    const users = (await raw.all('/v1.0/users?$select=id,mail')).items as {
      id: string;
      mail: string | null;
    }[];
    const mailbox = users.find((u) => u.mail)?.id as string;
    await raw.accessToken();
    const four = await Promise.all(
      Array.from({ length: 4 }, () => raw.get(`/v1.0/users/${mailbox}/mailboxSettings`)),
    );
    expect(four.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const five = await Promise.all(
      Array.from({ length: 5 }, () => raw.get(`/v1.0/users/${mailbox}/mailboxSettings`)),
    );
    const throttled = five.filter((r) => r.status === 429);
    expect(throttled).toHaveLength(1);
    expect(Number(throttled[0]?.headers['retry-after'])).toBeGreaterThan(0);
    expect(throttled[0]?.json.error.code).toBe('ApplicationThrottled');
    const metrics = (await raw.admin('GET', '/metrics')).json;
    expect(metrics.maxConcurrencyByMailbox[mailbox.toLowerCase()]).toBe(5);
    expect(metrics.throttled.status429).toBeGreaterThanOrEqual(1);
    expect(metrics.throttleLowerBoundMs).toBeGreaterThan(0);
  });

  it('keeps mailboxes independent: 4 concurrent requests to each of two mailboxes all succeed', async () => {
    const users = (await raw.all('/v1.0/users?$select=id,mail')).items as {
      id: string;
      mail: string | null;
    }[];
    const [a, b] = users.filter((u) => u.mail).map((u) => u.id);
    const results = await Promise.all(
      [a, a, a, a, b, b, b, b].map((id) => raw.get(`/v1.0/users/${id}/mailboxSettings`)),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
  });
});
