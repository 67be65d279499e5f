/** Deterministic chunker inputs and helpers shared by the FastCDC tests (see fastcdc-vectors.test.ts). */
import { createCipheriv, createHash } from 'node:crypto';
import { DEFAULT_CHUNKER } from '../../../src/repository/content/types.js';
import type { ChunkerParams } from '../../../src/repository/content/types.js';

export const KIB = 1024;
export const MIB = 1024 * 1024;
export const SMALL: ChunkerParams = {
  minSize: 2 * KIB,
  avgSize: 8 * KIB,
  maxSize: 64 * KIB,
  normalization: 2,
};

export function keystream(label: string, n: number): Buffer {
  const key = createHash('sha256').update(label, 'ascii').digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(n)), cipher.final()]);
}

export function random(n: number): Buffer {
  return keystream(`safehold fastcdc test input ${n}`, n);
}

export function dna(n: number): Buffer {
  const bytes = keystream(`safehold fastcdc dna input ${n}`, n);
  const acgt = Buffer.from('acgt');
  for (let i = 0; i < n; i++) bytes[i] = acgt[bytes[i]! & 3]!;
  return bytes;
}

export function text(n: number): Buffer {
  const line = Buffer.from('The quick brown fox jumps over the lazy dog; 0123456789 lorem ipsum dolor.\r\n');
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += line.length) line.copy(out, i);
  return out;
}

export const INPUTS = { random, dna, text, zeros: (n: number) => Buffer.alloc(n) };
export const PARAMS = { default: DEFAULT_CHUNKER, small: SMALL };

export async function collect(source: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of source) out.push(chunk);
  return out;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
