import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RawGraph } from '../../../test/support/raw-graph.js';

let raw: RawGraph;
let stop: () => Promise<void>;
let channelPaths: string[];

// Real time scale: the Teams limit is 4 requests per second per app per channel.
beforeAll(async () => {
  ({ raw, stop } = await startEmulator({ throttle: 'realistic', timeScale: 1 }));
  channelPaths = [];
  for (const t of (await raw.all('/v1.0/teams')).items) {
    for (const c of (await raw.all(`/v1.0/teams/${t.id}/channels`)).items) {
      channelPaths.push(`/v1.0/teams/${t.id}/channels/${encodeURIComponent(c.id)}/messages?$top=1`);
    }
  }
});
afterAll(async () => stop());

describe('Teams per-channel throttling', () => {
  it('throttles a burst of 8 requests to one channel with 429 and Retry-After', async () => {
    const path = channelPaths[0] as string;
    await new Promise((r) => setTimeout(r, 1100));
    const results = await Promise.all(Array.from({ length: 8 }, () => raw.get(path)));
    const throttled = results.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    for (const r of throttled) expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('does not throttle the same burst spread over 8 different channels', async () => {
    expect(channelPaths.length).toBeGreaterThanOrEqual(8);
    await new Promise((r) => setTimeout(r, 1100));
    const results = await Promise.all(channelPaths.slice(0, 8).map((p) => raw.get(p)));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
  });
});
