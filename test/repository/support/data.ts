/** Deterministic test data; no test framework imports, so child processes can use it too. */
import { createCipheriv, createHash } from 'node:crypto';

/** Deterministic pseudo-random bytes (AES-CTR keystream), fast enough for hundreds of megabytes. */
export function pseudoRandom(seed: string, size: number, offset = 0): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(Math.floor(offset / 16)), 8);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const skip = offset % 16;
  return cipher.update(Buffer.alloc(size + skip)).subarray(skip);
}

/** The same bytes as pseudoRandom(seed, size), in pieces of `piece` bytes. */
export async function* pseudoRandomStream(
  seed: string,
  size: number,
  piece = 1 << 20,
): AsyncGenerator<Buffer> {
  for (let at = 0; at < size; at += piece) yield pseudoRandom(seed, Math.min(piece, size - at), at);
}

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
