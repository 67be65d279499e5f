/** Helpers shared by the stores. */

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

/** The `code` property of an error (errno codes such as ENOSPC), if any. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string')
    return err.code;
  return undefined;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
