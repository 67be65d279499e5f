import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  chunkBuffer,
  chunkStream,
  cut,
  GEAR_SEED_LABEL,
  gearTable,
  highMask,
  prepareChunker,
  scan,
} from './fastcdc.js';
import { DEFAULT_CHUNKER } from './types.js';
import type { ChunkerParams } from './types.js';

/*
 * Test vectors for the repository chunker. THESE ARE PERMANENT: they fix where every repository
 * cuts its data, so what deduplicates against what. A failure here means chunk boundaries moved;
 * that is a new repository format version, never a test to update.
 *
 * Provenance: the lengths below were produced by this implementation (src/repository/content/
 * fastcdc.ts, two bytes per step) and reproduced exactly by an independent one-byte-at-a-time
 * Python implementation written from the definition in fastcdc.ts's header comment,
 * test/repository/content/fastcdc_reference.py (which prints the same table). The per-byte
 * TypeScript reference further down is a third check, run on random parameters.
 *
 * Inputs (all deterministic, reproducible with standard tools):
 *   random(n): n bytes of AES-256-CTR keystream, key = SHA-256("safehold fastcdc test input <n>"),
 *              IV = 16 zero bytes (= `head -c n /dev/zero | openssl enc -aes-256-ctr -nosalt -K <key> -iv 00…0`).
 *   dna(n):    the keystream for "safehold fastcdc dna input <n>", each byte b mapped to "acgt"[b & 3]
 *              (low-entropy, text-like).
 *   text(n):   a 77-byte ASCII line repeated (periodic), cut to n bytes.
 *   zeros(n):  n zero bytes.
 */

const KIB = 1024;
const MIB = 1024 * 1024;
const SMALL: ChunkerParams = { minSize: 2 * KIB, avgSize: 8 * KIB, maxSize: 64 * KIB, normalization: 2 };

function keystream(label: string, n: number): Buffer {
  const key = createHash('sha256').update(label, 'ascii').digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(n)), cipher.final()]);
}

function random(n: number): Buffer {
  return keystream(`safehold fastcdc test input ${n}`, n);
}

function dna(n: number): Buffer {
  const bytes = keystream(`safehold fastcdc dna input ${n}`, n);
  const acgt = Buffer.from('acgt');
  for (let i = 0; i < n; i++) bytes[i] = acgt[bytes[i]! & 3]!;
  return bytes;
}

function text(n: number): Buffer {
  const line = Buffer.from('The quick brown fox jumps over the lazy dog; 0123456789 lorem ipsum dolor.\r\n');
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += line.length) line.copy(out, i);
  return out;
}

const INPUTS = { random, dna, text, zeros: (n: number) => Buffer.alloc(n) };
const PARAMS = { default: DEFAULT_CHUNKER, small: SMALL };

type Expected = number[] | { count: number; sha256: string };

// prettier-ignore
const VECTORS: [keyof typeof PARAMS, keyof typeof INPUTS, number, Expected][] = [
  ['default', 'random', 0, []],
  ['default', 'random', 1, [1]],
  ['default', 'random', 262144, [262144]],
  ['default', 'random', 262145, [262145]],
  ['default', 'random', 1048576, [1048576]],
  ['default', 'random', 3145728, [1779628, 1269899, 96201]],
  ['default', 'random', 25165824, [
    1140748, 1057848, 1177687, 1145037, 1485325, 1217401, 1074419, 1263987, 1058704, 1321740,
    1119856, 1061061, 1098846, 2515946, 1090854, 1070467, 1954278, 1310582, 1477115, 523923]],
  ['default', 'zeros', 20971520, [8388608, 8388608, 4194304]],
  ['default', 'text', 20971520, [8388608, 8388608, 4194304]],
  ['default', 'dna', 12582912, [
    1367995, 1105048, 621912, 402478, 372224, 1504710, 345625, 2010207, 1065996, 884328, 1411385,
    1076354, 414650]],
  ['small', 'random', 0, []],
  ['small', 'random', 100, [100]],
  ['small', 'random', 2048, [2048]],
  ['small', 'random', 2049, [2049]],
  ['small', 'random', 8192, [8192]],
  ['small', 'random', 65536, [11991, 8370, 12092, 8671, 9162, 8589, 6661]],
  ['small', 'random', 524288, [
    14015, 10151, 15763, 8370, 9225, 9639, 7455, 4842, 8689, 8198, 8970, 10583, 9729, 8848, 12008,
    7365, 10178, 16846, 8438, 8478, 8349, 9854, 8313, 6011, 13318, 8493, 12706, 8688, 9866, 11000,
    17030, 9139, 6884, 8319, 12700, 6436, 11761, 11133, 8936, 10180, 5737, 4980, 12289, 8619, 8626,
    9237, 12551, 8936, 6382, 6060, 9892, 8322, 8896, 8522, 8333]],
  // Longer lists are frozen as the SHA-256 of their compact JSON ("[6843,2178,…]").
  ['small', 'random', 4194304, { count: 449, sha256: '29bbf5cbbb987fcf1a1937ddbbd286494cc35ade231d1b64eb9e5d8f1cc7c7ed' }],
  ['small', 'zeros', 307200, [65536, 65536, 65536, 65536, 45056]],
  ['small', 'text', 307200, [65536, 65536, 65536, 65536, 45056]],
  ['small', 'dna', 1048576, { count: 113, sha256: '33a7cc0b9e263e29bc7380145ac7455a370ada44732700c250614b39e37b7589' }],
];

/** The definition from fastcdc.ts's header comment, one byte at a time, sharing no code with it. */
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

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of source) out.push(chunk);
  return out;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('gear table', () => {
  it('is frozen', () => {
    expect(sha256(new Uint8Array(gearTable().buffer))).toBe(
      'd567f3ecda238c7c041dc19fc61e5f0e58e342864d787cd6f328add3777764b8',
    );
    expect(GEAR_SEED_LABEL).toBe('safehold/fastcdc-2020/gear/v1');
  });

  it('is SHA-256 in counter mode over the documented label', () => {
    const stream = Buffer.concat(
      Array.from({ length: 32 }, (_, i) => {
        const counter = Buffer.alloc(4);
        counter.writeUInt32BE(i);
        return createHash('sha256').update(GEAR_SEED_LABEL).update(counter).digest();
      }),
    );
    const table = gearTable();
    for (let i = 0; i < 256; i++) expect(table[i]).toBe(stream.readUInt32LE(i * 4));
  });
});

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

describe('test vectors (permanent)', () => {
  for (const [paramsName, inputName, size, expected] of VECTORS) {
    it(`${paramsName} params, ${inputName}(${size})`, async () => {
      const params = PARAMS[paramsName];
      const data = INPUTS[inputName](size);
      const chunks = chunkBuffer(data, params);
      const lengths = chunks.map((c) => c.length);
      if (Array.isArray(expected)) {
        expect(lengths).toEqual(expected);
      } else {
        expect(lengths).toHaveLength(expected.count);
        expect(sha256(Buffer.from(JSON.stringify(lengths)))).toBe(expected.sha256);
      }
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
      // The streaming chunker must agree (64 KiB pieces, like fs.createReadStream).
      const pieces = Array.from({ length: Math.ceil(size / 65536) }, (_, i) =>
        data.subarray(i * 65536, (i + 1) * 65536),
      );
      expect((await collect(chunkStream(pieces, params))).map((c) => c.length)).toEqual(lengths);
    });
  }
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
