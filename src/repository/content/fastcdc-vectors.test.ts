import { describe, expect, it } from 'vitest';
import { chunkBuffer, chunkStream, GEAR_SEED_LABEL, gearTable } from './fastcdc.js';
import { collect, INPUTS, PARAMS, sha256 } from '../../../test/repository/content/fastcdc-inputs.js';
import { createHash } from 'node:crypto';

/*
 * Test vectors for the repository chunker. THESE ARE PERMANENT: they fix where every repository
 * cuts its data, so what deduplicates against what. A failure here means chunk boundaries moved;
 * that is a new repository format version, never a test to update.
 *
 * Provenance: the lengths below were produced by this implementation (src/repository/content/
 * fastcdc.ts, two bytes per step) and reproduced exactly by an independent one-byte-at-a-time
 * Python implementation written from the definition in fastcdc.ts's header comment,
 * test/repository/content/fastcdc_reference.py (which prints the same table). The per-byte
 * TypeScript reference in fastcdc.test.ts is a third check, run on random parameters.
 *
 * Inputs (all deterministic, reproducible with standard tools):
 *   random(n): n bytes of AES-256-CTR keystream, key = SHA-256("safehold fastcdc test input <n>"),
 *              IV = 16 zero bytes (= `head -c n /dev/zero | openssl enc -aes-256-ctr -nosalt -K <key> -iv 00…0`).
 *   dna(n):    the keystream for "safehold fastcdc dna input <n>", each byte b mapped to "acgt"[b & 3]
 *              (low-entropy, text-like).
 *   text(n):   a 77-byte ASCII line repeated (periodic), cut to n bytes.
 *   zeros(n):  n zero bytes.
 */

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
