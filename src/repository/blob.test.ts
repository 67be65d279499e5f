import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BLOB_DATA, openBlob, sealBlob } from './blob.js';
import { newMasterKeys, SEAL_OVERHEAD } from './crypto.js';

const keys = newMasterKeys();
/** `n` bytes of numbered text lines. */
function text(n: number): Buffer {
  const lines: string[] = [];
  for (let i = 0, length = 0; length < n; i++) {
    lines.push(`line ${i} of a mail body, compressible\n`);
    length += (lines.at(-1) as string).length;
  }
  return Buffer.from(lines.join('')).subarray(0, n);
}

describe('sealBlob compression', () => {
  it('compresses small and large compressible blobs, and stores random ones raw', () => {
    for (const plain of [text(1000), text(100_000), text(4 << 20)]) {
      const blob = sealBlob(keys, BLOB_DATA, plain);
      expect(blob.sealed.length).toBeLessThan(plain.length / 4);
      expect(openBlob(keys, BLOB_DATA, blob.id, blob.sealed, plain.length).equals(plain)).toBe(true);
    }
    for (const plain of [randomBytes(1000), randomBytes(4 << 20)]) {
      const blob = sealBlob(keys, BLOB_DATA, plain);
      expect(blob.sealed.length).toBe(plain.length + 1 + SEAL_OVERHEAD);
      expect(openBlob(keys, BLOB_DATA, blob.id, blob.sealed, plain.length).equals(plain)).toBe(true);
    }
  });

  it('judges a large blob by samples of its start, middle and end', () => {
    const size = 1 << 20;
    // Random where the probe looks, compressible elsewhere: stored raw (the probe's trade-off).
    const patchy = text(size);
    for (const at of [0, (size - 32 * 1024) >> 1, size - 32 * 1024]) randomBytes(32 * 1024).copy(patchy, at);
    expect(sealBlob(keys, BLOB_DATA, patchy).sealed.length).toBe(size + 1 + SEAL_OVERHEAD);
    // Compressible where the probe looks: compressed.
    const framed = randomBytes(size);
    for (const at of [0, (size - 32 * 1024) >> 1, size - 32 * 1024]) text(32 * 1024).copy(framed, at);
    const blob = sealBlob(keys, BLOB_DATA, framed);
    expect(blob.sealed.length).toBeLessThan(size);
    expect(openBlob(keys, BLOB_DATA, blob.id, blob.sealed, size).equals(framed)).toBe(true);
  });
});
