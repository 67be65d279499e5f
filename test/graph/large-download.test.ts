import { createHash } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../src/graph/index.js';
import { PROFILES } from '../../emulator/tenant/profile.js';
import { biggestFile, startRig, type DriveFile, type TransferRig } from './transfer-rig.js';

/**
 * A 256 MiB file (the profile's lazily generated big file) downloaded with Safehold's client into
 * a hash: the bytes match a plain streamed fetch and the process does not hold the file in memory.
 * Its own test file, so its process measures nothing but this download (and the emulator serving it).
 */

const SIZE = 256 * 1024 * 1024;
const MiB = 1024 * 1024;

let rig: TransferRig;
let big: DriveFile;

beforeAll(async () => {
  rig = await startRig({
    profile: { ...(PROFILES['small'] as (typeof PROFILES)[string]), largeFileBytes: SIZE },
  });
  // Located through Graph, with the client's own paging and delta.
  big = await biggestFile(rig.direct);
  expect(big.size).toBe(SIZE);
}, 120_000);
afterAll(() => rig.stop());

describe('a 256 MiB download', () => {
  it('streams into a hash with bounded memory, byte-identical to a plain fetch', async () => {
    const path = `/drives/${big.driveId}/items/${big.id}/content`;
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let seen = 0;
    const hash = createHash('sha256');
    for await (const chunk of download(rig.direct, path)) {
      const c = chunk as Buffer;
      hash.update(c);
      seen += c.length;
      if ((seen & (8 * MiB - 1)) < c.length) peak = Math.max(peak, process.memoryUsage().rss);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const ours = hash.digest('hex');
    expect(seen).toBe(SIZE);
    // Holding even a quarter of the file would exceed this.
    expect(peak - before).toBeLessThan(64 * MiB);

    // The same bytes as a plain streamed fetch of the same content (not buffered either).
    const redirect = await rig.raw.get(`/v1.0${path}`);
    expect(redirect.status).toBe(302);
    const res = await request(redirect.headers['location'] as string, { dispatcher: rig.raw.dispatcher });
    expect(res.statusCode).toBe(200);
    const theirs = createHash('sha256');
    for await (const c of res.body) theirs.update(c as Buffer);
    expect(ours).toBe(theirs.digest('hex'));
  }, 300_000);
});
