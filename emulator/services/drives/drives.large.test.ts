import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawGraph } from '../../../test/support/raw-graph.js';
import { startEmulator } from '../../../test/support/raw-graph.js';
import { PROFILES } from '../../tenant/profile.js';

/** The profile's big file: generated on demand for any range, streamed without holding it in memory. */

type Json = any;

const SIZE = 1 << 30;

/**
 * QuickXorHash from the documented description (byte i XORed into a 160-bit register rotated by
 * 11*i bits; then the length into the last 8 bytes), folded per 160-byte cycle so that hashing a
 * whole GiB in the test stays quick: bytes whose index is equal mod 160 land on the same bits.
 */
class CycleXor {
  private readonly acc = new Uint8Array(160);
  private n = 0;
  update(chunk: Uint8Array): void {
    let pos = this.n % 160;
    for (let i = 0; i < chunk.length; i++) {
      this.acc[pos] = (this.acc[pos] as number) ^ (chunk[i] as number);
      if (++pos === 160) pos = 0;
    }
    this.n += chunk.length;
  }
  digest(): string {
    const reg = new Uint8Array(20);
    for (let k = 0; k < 160; k++) {
      for (let b = 0; b < 8; b++) {
        if (((this.acc[k] as number) >> b) & 1) {
          const pos = (k * 11 + b) % 160;
          reg[pos >> 3] = (reg[pos >> 3] as number) ^ (1 << (pos & 7));
        }
      }
    }
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(this.n));
    for (let i = 0; i < 8; i++) reg[12 + i] = (reg[12 + i] as number) ^ (len[i] as number);
    return Buffer.from(reg).toString('base64');
  }
}

describe('drives: the big lazily generated file', () => {
  let raw: RawGraph;
  let stop: () => Promise<void>;
  let big: Json;

  beforeAll(async () => {
    ({ raw, stop } = await startEmulator({
      profile: { ...(PROFILES['small'] as (typeof PROFILES)[string]), largeFileBytes: SIZE },
    }));
    for (const u of (await raw.admin('GET', '/users')).json.value as Json[]) {
      if (!u.hasDrive) continue;
      const found = await raw.get(`/v1.0/users/${u.id}/drive/root:/Backups:/children`);
      if (found.status === 200) big = found.json.value.find((i: Json) => i.size === SIZE);
      if (big) break;
    }
    expect(big).toBeDefined();
  });
  afterAll(async () => stop());

  it('reports its size, quickXorHash and a largeFiles count', async () => {
    expect(big.file.hashes.quickXorHash).toMatch(/^[A-Za-z0-9+/]{27}=$/);
    const inv = (await raw.admin('GET', '/inventory')).json.drives;
    expect(inv.largeFiles).toBe(1);
    expect(inv.bytes).toBeGreaterThan(SIZE);
  });

  it('serves the right slice for Range requests, consistently', async () => {
    const url = big['@microsoft.graph.downloadUrl'] as string;
    const get = (range: string) => raw.send('GET', url, { headers: { range } });
    const mid = 700 * 1024 * 1024 + 13;
    const a = await get(`bytes=${mid}-${mid + 99_999}`);
    expect(a.status).toBe(206);
    expect(a.headers['content-range']).toBe(`bytes ${mid}-${mid + 99_999}/${SIZE}`);
    expect(a.body.length).toBe(100_000);
    const wider = await get(`bytes=${mid - 7}-${mid + 100_020}`);
    expect(wider.body.subarray(7, 100_007).equals(a.body)).toBe(true);
    const tail = await get('bytes=-33');
    expect(tail.headers['content-range']).toBe(`bytes ${SIZE - 33}-${SIZE - 1}/${SIZE}`);
    const tail2 = await get(`bytes=${SIZE - 40}-`);
    expect(tail2.body.subarray(7).equals(tail.body)).toBe(true);
    expect((await get(`bytes=${SIZE}-`)).status).toBe(416);
    // Different regions differ (it is not a repeated pattern).
    expect((await get('bytes=0-99999')).body.equals(a.body)).toBe(false);
  });

  it('streams the whole GiB matching its hash, without the process RSS growing by more than a few MB', async () => {
    const url = big['@microsoft.graph.downloadUrl'] as string;
    const probe = (await raw.send('GET', url, { headers: { range: 'bytes=536870912-536871167' } })).body;
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const res = await request(url, { dispatcher: raw.dispatcher });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe(String(SIZE));
    const h = new CycleXor();
    let seen = 0;
    const P = 536_870_912;
    const atProbe: Buffer[] = [];
    for await (const chunk of res.body) {
      const c = chunk as Buffer;
      // Keep the bytes [P, P+256) wherever chunk boundaries fall.
      if (seen + c.length > P && seen < P + 256)
        atProbe.push(Buffer.from(c.subarray(Math.max(0, P - seen), Math.min(c.length, P + 256 - seen))));
      h.update(c);
      seen += c.length;
      if ((seen & 0x3ffffff) < c.length) peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(seen).toBe(SIZE);
    expect(h.digest()).toBe(big.file.hashes.quickXorHash);
    expect(Buffer.concat(atProbe).equals(probe)).toBe(true);
    expect(peak - before).toBeLessThan(16 * 1024 * 1024);
  });
});
