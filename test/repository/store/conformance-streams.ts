import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { beforeEach, expect, it } from 'vitest';
import type { BlobStore } from '../../../src/repository/store/index.js';
import type { ConformanceContext } from './conformance.js';
import { measureLivePeak } from './memory.js';
import {
  expectBytes,
  expectCode,
  failingStream,
  names,
  patternChunk,
  patternChunks,
  patternHash,
  patternRange,
  patternStream,
  readAll,
  sha256,
} from './pattern.js';

const MiB = 1 << 20;

/** The contract for streams: sizes, failing sources, concurrent writers, memory, early ends. */
export function streamContract(context: ConformanceContext): void {
  const slow = context.slowTimeoutMs;
  let store: BlobStore;

  beforeEach(() => {
    store = context.store();
  });

  it('puts streams of unknown length and of a declared size; refuses a wrong size', async () => {
    const irregular = Readable.from(
      (function* () {
        for (let i = 0; i < 50; i++) yield patternChunk(5, i, 1 + ((i * 7919) % 20_000));
      })(),
    );
    const expected = Buffer.concat(
      Array.from({ length: 50 }, (_, i) => patternChunk(5, i, 1 + ((i * 7919) % 20_000))),
    );
    await store.put('s/unknown', irregular);
    expect(sha256(await store.get('s/unknown'))).toBe(sha256(expected));
    await store.put('s/known', patternStream(6, 300_000), 300_000);
    expect((await store.stat('s/known'))?.size).toBe(300_000);
    await expectCode(store.put('s/short', patternStream(6, 1000), 1001), 'ESIZE');
    await expectCode(store.put('s/long', patternStream(6, 1000), 999), 'ESIZE');
    await expectCode(store.put('s/buf', Buffer.alloc(10), 11), 'ESIZE');
    expect(await names(store, 's/')).toEqual(['s/known', 's/unknown']);
  });

  it('leaves nothing behind when the source stream fails, and keeps the old file', async () => {
    await store.put('p/old', Buffer.from('old content'));
    const boom = new Error('source broke');
    await expect(store.put('p/new', failingStream(300_000, boom))).rejects.toBe(boom);
    await expect(store.put('p/old', failingStream(100_000, boom))).rejects.toBe(boom);
    expect(await store.stat('p/new')).toBeUndefined();
    expect((await store.get('p/old')).toString()).toBe('old content');
    expect(await names(store, '')).toEqual(['p/old']);
  });

  it('handles concurrent puts of different names', async () => {
    const files = Array.from({ length: 40 }, (_, i) => ({
      name: `c/${i}`,
      data: patternRange(i, 30_000 + i, 0, 30_000 + i),
    }));
    await Promise.all(files.map((f) => store.put(f.name, f.data)));
    for (const f of files) expect(sha256(await store.get(f.name))).toBe(sha256(f.data));
    expect((await names(store, 'c/')).length).toBe(40);
  });

  it(
    'handles concurrent puts of one name: readers see whole files, one writer wins',
    async () => {
      const size = 2 * MiB + 123;
      const writers = 8;
      const hashes = new Set(Array.from({ length: writers }, (_, w) => patternHash(100 + w, size)));
      await store.put('same', patternStream(100, size));
      let writing = true;
      let reads = 0;
      const reader = (async () => {
        while (writing) {
          const data = await store.get('same');
          expect(hashes.has(sha256(data)), `torn read of ${data.length} bytes`).toBe(true);
          reads++;
        }
      })();
      const slowStream = (seed: number) =>
        Readable.from(
          (async function* () {
            for (const chunk of patternChunks(seed, size)) {
              yield chunk;
              await new Promise((resolve) => setImmediate(resolve));
            }
          })(),
        );
      await Promise.all(Array.from({ length: writers }, (_, w) => store.put('same', slowStream(100 + w))));
      writing = false;
      await reader;
      expect(reads).toBeGreaterThan(0);
      const final = await store.get('same');
      expect(final.length).toBe(size);
      expect(hashes.has(sha256(final))).toBe(true);
      expect(await names(store, '')).toEqual(['same']);
      // One after the other, the last one wins.
      await store.put('same', patternStream(103, size));
      await store.put('same', patternStream(105, size));
      expect(sha256(await store.get('same'))).toBe(patternHash(105, size));
    },
    slow,
  );

  it(
    'puts a 128 MiB stream of unknown length holding far less in memory, and reads it back',
    async () => {
      // Live memory (after forced collections), not RSS: see memory.ts. A store that buffered
      // the whole stream would hold all 128 MiB at once; one that streams holds a few MiB (folder)
      // or a few parts (S3: two 16 MiB parts by default). Half the stream is a generous bound.
      const total = 128 * MiB;
      const limit = total / 2;
      // Garbage is collected only when the raw total reaches the bound; below it, it proves the bound.
      const measuring = { collectAbove: limit };
      const put = await measureLivePeak(() => store.put('big/stream', patternStream(42, total)), measuring);
      const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
      expect(put.samples, 'memory readings during the put').toBeGreaterThan(2);
      expect(put.peakGrowth, `${mib(put.peakGrowth)} more live during the put`).toBeLessThan(limit);
      expect((await store.stat('big/stream'))?.size).toBe(total);

      const hash = createHash('sha256');
      const read = await measureLivePeak(async () => {
        let length = 0;
        for await (const chunk of await store.stream('big/stream')) {
          hash.update(chunk as Buffer);
          length += (chunk as Buffer).length;
        }
        return length;
      }, measuring);
      expect(read.result).toBe(total);
      expect(hash.digest('hex')).toBe(patternHash(42, total));
      expect(read.samples, 'memory readings during the read').toBeGreaterThan(2);
      expect(read.peakGrowth, `${mib(read.peakGrowth)} more live while streaming out`).toBeLessThan(limit);

      for (const [offset, len] of [
        [0, 100],
        [16 * MiB - 10, 20],
        [5 * MiB - 1, 2],
        [total - 50, 100],
        [33 * MiB + 7, MiB],
      ] as const) {
        expectBytes(await store.get('big/stream', offset, len), patternRange(42, total, offset, len));
      }
      const tail = await readAll(await store.stream('big/stream', total - 3 * MiB - 5));
      expectBytes(tail, patternRange(42, total, total - 3 * MiB - 5, 3 * MiB + 5), 'tail');
      await store.delete('big/stream');
      expect(await store.stat('big/stream')).toBeUndefined();
    },
    slow,
  );

  it('stops reading when a stream is destroyed early', async () => {
    await store.put('early', patternRange(9, 3 * MiB, 0, 3 * MiB));
    const stream = await store.stream('early');
    for await (const chunk of stream) {
      expect((chunk as Buffer).length).toBeGreaterThan(0);
      break;
    }
    expect(stream.destroyed).toBe(true);
    expect((await store.get('early', 0, 4)).length).toBe(4);
  });

  it('close is harmless to call twice', async () => {
    const other = await context.open();
    await other.put('x', Buffer.from('y'));
    await other.close();
    await other.close();
    await context.options.dispose?.(other);
  });
}
