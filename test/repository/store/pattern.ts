import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import { BlobNotFoundError, BlobStoreError } from '../../../src/repository/store/index.js';
import type { BlobStore, StoredFile } from '../../../src/repository/store/index.js';

/** Test data and checks shared by the blob store tests: deterministic byte patterns, listings. */

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

export async function listAll(store: BlobStore, prefix: string): Promise<StoredFile[]> {
  const files: StoredFile[] = [];
  for await (const file of store.list(prefix)) files.push(file);
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function names(store: BlobStore, prefix: string): Promise<string[]> {
  return (await listAll(store, prefix)).map((f) => f.name);
}

/** Deterministic bytes: chunk `k` of a pattern seeded by `seed` (64 KiB unless `size` says). */
export function patternChunk(seed: number, k: number, size = 64 * 1024): Buffer {
  const chunk = Buffer.allocUnsafe(size);
  let x = (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(k + 1, 0x85ebca6b)) >>> 0;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    chunk.writeUInt32LE(x >>> 0, i);
  }
  for (let i = size - (size % 4); i < size; i++) chunk[i] = k & 0xff;
  return chunk;
}

/** `total` bytes of the pattern, 64 KiB at a time. */
export function* patternChunks(seed: number, total: number, chunkSize = 64 * 1024): Generator<Buffer> {
  for (let k = 0; k * chunkSize < total; k++) {
    const size = Math.min(chunkSize, total - k * chunkSize);
    yield patternChunk(seed, k, chunkSize).subarray(0, size);
  }
}

/** `total` bytes of the pattern as a stream of unknown length. */
export function patternStream(seed: number, total: number, chunkSize = 64 * 1024): Readable {
  return Readable.from(patternChunks(seed, total, chunkSize));
}

/** The bytes [offset, offset+length) of the pattern, computed without the whole. */
export function patternRange(
  seed: number,
  total: number,
  offset: number,
  length: number,
  chunkSize = 64 * 1024,
): Buffer {
  const end = Math.min(total, offset + length);
  const parts: Buffer[] = [];
  for (let k = Math.floor(offset / chunkSize); k * chunkSize < end; k++) {
    const start = k * chunkSize;
    const chunk = patternChunk(seed, k, chunkSize);
    parts.push(chunk.subarray(Math.max(0, offset - start), Math.min(chunkSize, end - start)));
  }
  return Buffer.concat(parts);
}

export function patternHash(seed: number, total: number, chunkSize = 64 * 1024): string {
  const hash = createHash('sha256');
  for (let k = 0; k * chunkSize < total; k++) {
    hash.update(patternChunk(seed, k, chunkSize).subarray(0, Math.min(chunkSize, total - k * chunkSize)));
  }
  return hash.digest('hex');
}

/** A stream that yields `good` bytes, then fails with `error`. */
export function failingStream(good: number, error: Error): Readable {
  return Readable.from(
    (async function* () {
      let sent = 0;
      while (sent < good) {
        const n = Math.min(64 * 1024, good - sent);
        yield patternChunk(7, sent / (64 * 1024), n);
        sent += n;
        await new Promise((resolve) => setImmediate(resolve));
      }
      throw error;
    })(),
  );
}

/** Byte equality without vitest's element-by-element diff (slow on megabytes). */
export function expectBytes(actual: Buffer, expected: Buffer, label = 'bytes'): void {
  if (actual.equals(expected)) return;
  let at = 0;
  while (at < Math.min(actual.length, expected.length) && actual[at] === expected[at]) at++;
  expect.fail(`${label}: got ${actual.length} bytes, expected ${expected.length}; first difference at ${at}`);
}

export async function expectNotFound(
  promise: Promise<unknown>,
  name: string,
  store: BlobStore,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BlobNotFoundError);
  expect((error as BlobNotFoundError).file).toBe(name);
  expect((error as BlobNotFoundError).location).toBe(store.location);
}

export async function expectCode(promise: Promise<unknown>, code: string): Promise<BlobStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a BlobStoreError ${code}`).toBeInstanceOf(BlobStoreError);
  expect((error as BlobStoreError).code).toBe(code);
  return error as BlobStoreError;
}
