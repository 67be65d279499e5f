import { describe, expect, it } from 'vitest';
import { chunkBuffer, chunkStream, cut, gearTable, highMask, prepareChunker, scan } from './fastcdc.js';
import { DEFAULT_CHUNKER } from './types.js';
import type { ChunkerParams } from './types.js';

import {
  collect,
  dna,
  KIB,
  MIB,
  random,
  sha256,
  SMALL,
  text,
} from '../../../test/repository/content/fastcdc-inputs.js';

function referenceLengths(data: Uint8Array, params: ChunkerParams): number[] {
  const gear = gearTable();
  const bits = Math.log2(params.avgSize);
  const maskS = (2 ** (bits + params.normalization) - 1) * 2 ** (31 - bits - params.normalization);
  const maskL = (2 ** (bits - params.normalization) - 1) * 2 ** (31 - bits + params.normalization);
  const lengths: number[] = [];
  let start = 0;
  while (start < data.length) {
    const n = Math.min(data.length - start, params.maxSize);
    let length = n;
    let h = 0;
    for (let i = params.minSize; i < n; i++) {
      h = (h * 2 + gear[data[start + i]!]!) % 2 ** 32;
      const mask = i < params.avgSize ? maskS : maskL;
      if ((h & mask) === 0) {
        length = i + 1;
        break;
      }
    }
    lengths.push(length);
    start += length;
  }
  return lengths;
}

/** A small seeded PRNG (mulberry32) for the property tests' random choices. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

describe('masks', () => {
  it('uses the high bits below bit 31', () => {
    const c = prepareChunker(DEFAULT_CHUNKER);
    expect(c.maskS).toBe(0x7ffffe00); // 22 one-bits: 2^20 average, level 2
    expect(c.maskL).toBe(0x7fffe000); // 18 one-bits
    expect(prepareChunker(SMALL).maskS).toBe(highMask(15));
    expect(prepareChunker(SMALL).maskL).toBe(highMask(11));
    expect(highMask(31)).toBe(0x7fffffff);
  });

  it('refuses parameters it cannot honour', () => {
    const bad: ChunkerParams[] = [
      { ...SMALL, avgSize: 10_000 },
      { ...SMALL, minSize: 9000 },
      { ...SMALL, maxSize: 4096 },
      { ...SMALL, normalization: 13 },
      { ...SMALL, normalization: -1 },
      { ...SMALL, minSize: 1.5 },
      { minSize: 0, avgSize: 1 << 30, maxSize: 2 ** 31, normalization: 0 },
      { minSize: 0, avgSize: 1 << 30, maxSize: 1 << 30, normalization: 2 },
    ];
    for (const params of bad)
      expect(() => prepareChunker(params), JSON.stringify(params)).toThrow(RangeError);
    expect(() => chunkBuffer(Buffer.alloc(10), { ...SMALL, avgSize: 3 })).toThrow(RangeError);
  });
});

describe('chunking', () => {
  it('matches the one-byte-at-a-time definition for many parameter sets', () => {
    const rand = prng(7);
    const sets: ChunkerParams[] = [
      SMALL,
      { minSize: 0, avgSize: 64, maxSize: 64, normalization: 0 },
      { minSize: 0, avgSize: 256, maxSize: 4096, normalization: 3 },
      { minSize: 33, avgSize: 128, maxSize: 1001, normalization: 1 },
      { minSize: 127, avgSize: 128, maxSize: 129, normalization: 2 },
      { minSize: 128, avgSize: 128, maxSize: 777, normalization: 2 },
      { minSize: 1000, avgSize: 1024, maxSize: 1024, normalization: 0 },
      { minSize: 511, avgSize: 2048, maxSize: 16_383, normalization: 4 },
      { minSize: 7, avgSize: 2, maxSize: 9, normalization: 0 }, // invalid: min > avg
    ];
    for (const params of sets) {
      if (params.minSize > params.avgSize) {
        expect(() => prepareChunker(params)).toThrow(RangeError);
        continue;
      }
      for (const input of [random(40_000), dna(30_001), text(5000), Buffer.alloc(3000)]) {
        const data = input.subarray(rand(5));
        expect(
          chunkBuffer(data, params).map((c) => c.length),
          JSON.stringify(params),
        ).toEqual(referenceLengths(data, params));
      }
    }
  });

  it('handles empty input, input below minSize and exact maxSize cuts', async () => {
    expect(chunkBuffer(Buffer.alloc(0))).toEqual([]);
    expect(await collect(chunkStream([]))).toEqual([]);
    expect(await collect(chunkStream([Buffer.alloc(0), new Uint8Array(0)]))).toEqual([]);
    const tiny = random(1000);
    expect(chunkBuffer(tiny, SMALL)).toEqual([tiny]);
    expect(await collect(chunkStream([tiny.subarray(0, 10), tiny.subarray(10)], SMALL))).toEqual([tiny]);
    // Zeros never match a mask: every chunk but the last is exactly maxSize.
    const zeros = Buffer.alloc(3 * 65536 + 5);
    expect(chunkBuffer(zeros, SMALL).map((c) => c.length)).toEqual([65536, 65536, 65536, 5]);
    expect(chunkBuffer(zeros.subarray(0, 2 * 65536), SMALL).map((c) => c.length)).toEqual([65536, 65536]);
    expect(
      (await collect(chunkStream([zeros.subarray(0, 65536), zeros.subarray(65536, 131072)], SMALL))).map(
        (c) => c.length,
      ),
    ).toEqual([65536, 65536]);
  });

  it('cuts chunks that concatenate to the input, within the size bounds', () => {
    for (const [data, params] of [
      [random(4 * MIB), SMALL],
      [dna(MIB), SMALL],
      [random(24 * MIB), DEFAULT_CHUNKER],
    ] as const) {
      const chunks = chunkBuffer(data, params);
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
      chunks.forEach((chunk, i) => {
        expect(chunk.length).toBeLessThanOrEqual(params.maxSize);
        if (i < chunks.length - 1) expect(chunk.length).toBeGreaterThanOrEqual(params.minSize);
      });
      // Chunks are views of the input, not copies.
      expect(chunks[0]!.buffer).toBe(data.buffer);
    }
  });

  it('averages close to the expected size on random data', () => {
    // minSize skipped, then 2^-15 per byte until 8 KiB, then 2^-11: mean ≈ 9.3 KiB.
    const data = random(4 * MIB);
    const n = chunkBuffer(data, SMALL).length;
    expect(data.length / n).toBeGreaterThan(8.5 * KIB);
    expect(data.length / n).toBeLessThan(10.5 * KIB);
  });

  it('cut() is a pure function of the bytes from start to end', () => {
    const data = random(200_000);
    const c = prepareChunker(SMALL);
    const ends: number[] = [];
    for (let start = 0; start < data.length;) {
      const end = cut(data, start, c);
      ends.push(end);
      // The same bytes at another offset give the same length.
      const copy = Buffer.concat([Buffer.alloc(3), data.subarray(start, end + 70_000)]);
      expect(cut(copy, 3, c) - 3).toBe(end - start);
      start = end;
    }
    expect(ends.at(-1)).toBe(data.length);
    expect(cut(data, data.length, c)).toBe(data.length);
    expect(cut(data, 0, c, 100)).toBe(100);
  });

  it('scan() resumes across arbitrary splits', () => {
    const data = random(300_000);
    const c = prepareChunker(SMALL);
    const rand = prng(11);
    const expected = chunkBuffer(data, SMALL).map(
      (chunk) => chunk.byteOffset - data.byteOffset + chunk.length,
    );
    const ends: number[] = [];
    const state = { offset: 0, hash: 0 };
    let pos = 0;
    while (pos < data.length) {
      const to = Math.min(data.length, pos + 1 + rand(20_000));
      let from = pos;
      while (from < to) {
        const end = scan(data, from, to, c, state);
        if (end < 0) break;
        ends.push(end);
        from = end;
      }
      pos = to;
    }
    if (state.offset > 0) ends.push(data.length);
    expect(ends).toEqual(expected);
  });
});

describe('chunkStream', () => {
  it('agrees with chunkBuffer for any split of the input', async () => {
    const rand = prng(42);
    for (const [data, params] of [
      [random(MIB + 17), SMALL],
      [dna(700_000), SMALL],
      [Buffer.alloc(300_000), SMALL],
      [random(12 * MIB), DEFAULT_CHUNKER],
    ] as const) {
      const expected = chunkBuffer(data, params).map(sha256);
      for (const maxPiece of [1 + rand(16), 1000, 65_536, params.maxSize, 3 * params.maxSize]) {
        if (maxPiece < 100 && data.length > 400_000) continue;
        const pieces: Uint8Array[] = [];
        for (let i = 0; i < data.length;) {
          const n = rand(maxPiece + 1); // includes empty pieces
          // Mix Buffers and plain Uint8Arrays.
          pieces.push(rand(2) ? data.subarray(i, i + n) : new Uint8Array(data.subarray(i, i + n)));
          i += n;
        }
        const chunks = await collect(chunkStream(pieces, params));
        expect(chunks.map(sha256), `pieces up to ${maxPiece}`).toEqual(expected);
        expect(chunks.every((chunk) => Buffer.isBuffer(chunk))).toBe(true);
      }
      // One piece byte by byte (small inputs only: this is slow by nature).
      if (data.length < 400_000) {
        const bytes = Array.from(data.subarray(0, 150_000), (b) => Buffer.of(b));
        const small = chunkBuffer(data.subarray(0, 150_000), params).map(sha256);
        expect((await collect(chunkStream(bytes, params))).map(sha256)).toEqual(small);
      }
    }
  });

  it('reads ahead no more than the unfinished chunk and one piece', async () => {
    const data = random(4 * MIB);
    const pieceSize = 10_000;
    let pulled = 0;
    let yielded = 0;
    let worst = 0;
    async function* source(): AsyncGenerator<Buffer> {
      for (let i = 0; i < data.length; i += pieceSize) {
        pulled += Math.min(pieceSize, data.length - i);
        yield data.subarray(i, i + pieceSize);
      }
    }
    for await (const chunk of chunkStream(source(), SMALL)) {
      worst = Math.max(worst, pulled - yielded);
      yielded += chunk.length;
    }
    expect(yielded).toBe(data.length);
    expect(worst).toBeLessThanOrEqual(SMALL.maxSize + pieceSize);
  });

  it('copies the tail of a piece larger than maxSize instead of keeping the piece alive', async () => {
    const big = random(SMALL.maxSize * 3 + 12_345);
    const next = random(20_000);
    const chunks = await collect(chunkStream([big, next], SMALL));
    const spanning = chunks.find((c) => c.buffer !== big.buffer && c.buffer !== next.buffer);
    expect(spanning).toBeDefined();
    expect(Buffer.concat(chunks).equals(Buffer.concat([big, next]))).toBe(true);
  });

  it('refuses string pieces', async () => {
    await expect(collect(chunkStream(['text' as unknown as Uint8Array]))).rejects.toThrow(TypeError);
  });
});

describe('boundary resynchronisation', () => {
  it('shares at least 90 % of the chunks of 64 MiB after a 100-byte insertion at offset 1000', () => {
    const data = random(64 * MIB);
    const edited = Buffer.concat([data.subarray(0, 1000), random(100), data.subarray(1000)]);
    for (const params of [DEFAULT_CHUNKER, SMALL]) {
      const before = chunkBuffer(data, params).map(sha256);
      const after = chunkBuffer(edited, params).map(sha256);
      const known = new Set(before);
      const shared = after.filter((h) => known.has(h)).length;
      // Only the first chunk should differ; allow a few.
      expect(shared / after.length).toBeGreaterThanOrEqual(0.9);
      expect(after.length - shared).toBeLessThanOrEqual(3);
    }
  });
});
