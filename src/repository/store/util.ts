/** Helpers shared by the stores. */

import type { Readable } from 'node:stream';

/**
 * A failure of the data source handed to `put` (not of the store). Stores wrap source errors in it
 * while copying, then rethrow the original error unchanged, so a caller's error stays its own.
 */
export class SourceFailure extends Error {
  override name = 'SourceFailure';
  constructor(readonly error: unknown) {
    super('the data source failed', { cause: error });
  }
}

/** A stream chunk as a Buffer (no copy for Buffers and Uint8Arrays). */
export function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError(`put: stream chunks must be bytes, got ${typeof chunk}`);
}

/**
 * The chunks of a `put` source as Buffers. The source's own failures (a read error, a chunk that
 * is not bytes) come out as SourceFailure; leaving the loop early releases the source.
 */
export async function* sourceChunks(source: Readable): AsyncGenerator<Buffer, void, undefined> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<unknown>;
  try {
    while (true) {
      let next: IteratorResult<unknown>;
      let chunk: Buffer;
      try {
        next = await iterator.next();
        if (next.done === true) return;
        chunk = toBuffer(next.value);
      } catch (err) {
        throw new SourceFailure(err);
      }
      yield chunk;
    }
  } finally {
    await iterator.return?.().catch(() => undefined);
  }
}

/** The `code` property of an error (errno codes such as ENOSPC), if any. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string')
    return err.code;
  return undefined;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
