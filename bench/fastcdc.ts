/**
 * Chunking throughput: `npx tsx bench/fastcdc.ts [MiB] [runs]`.
 * Not a vitest file (the name does not end in .test.ts); numbers are printed, not asserted.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { chunkBuffer, chunkStream } from '../src/repository/content/fastcdc.js';
import { DEFAULT_CHUNKER } from '../src/repository/content/types.js';
import type { ChunkerParams } from '../src/repository/content/types.js';

const mib = Number(process.argv[2] ?? 256);
const runs = Number(process.argv[3] ?? 7);
const size = mib * 1024 * 1024;

function keystream(label: string, n: number): Buffer {
  const key = createHash('sha256').update(label, 'ascii').digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(n)), cipher.final()]);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function* pieces(buf: Buffer, pieceSize: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += pieceSize) yield buf.subarray(i, i + pieceSize);
}

async function measure(name: string, data: Buffer, params: ChunkerParams): Promise<void> {
  const rates = { buffer: [] as number[], stream64k: [] as number[], stream1m: [] as number[] };
  let chunks = 0;
  for (let r = 0; r < runs; r++) {
    let t = performance.now();
    chunks = chunkBuffer(data, params).length;
    rates.buffer.push(data.length / 1e6 / ((performance.now() - t) / 1000));
    for (const [key, pieceSize] of [
      ['stream64k', 64 * 1024],
      ['stream1m', 1024 * 1024],
    ] as const) {
      t = performance.now();
      let n = 0;
      for await (const _ of chunkStream(pieces(data, pieceSize), params)) n++;
      rates[key].push(data.length / 1e6 / ((performance.now() - t) / 1000));
      if (n !== chunks) throw new Error('stream and buffer disagree');
    }
  }
  const fmt = (v: number[]) =>
    `${median(v).toFixed(0)} MB/s (min ${Math.min(...v).toFixed(0)}, max ${Math.max(...v).toFixed(0)})`;
  console.log(
    `${name} [${params.minSize / 1024}K/${params.avgSize / 1024}K/${params.maxSize / 1024}K]: ${chunks} chunks, avg ${(data.length / chunks / 1024).toFixed(0)} KiB\n` +
      `  chunkBuffer        ${fmt(rates.buffer)}\n  chunkStream 64 KiB ${fmt(rates.stream64k)}\n  chunkStream 1 MiB  ${fmt(rates.stream1m)}`,
  );
}

const random = keystream('bench', size);
const zeros = Buffer.alloc(size);
const text = Buffer.alloc(size);
const line = Buffer.from('The quick brown fox jumps over the lazy dog; 0123456789 lorem ipsum dolor.\r\n');
for (let i = 0; i < size; i += line.length) line.copy(text, i);
const small: ChunkerParams = { minSize: 2048, avgSize: 8192, maxSize: 65536, normalization: 2 };

await measure('random', random, DEFAULT_CHUNKER);
await measure('zeros', zeros, DEFAULT_CHUNKER);
await measure('repeating text line', text, DEFAULT_CHUNKER);
await measure('random', random, small);
