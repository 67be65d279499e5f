import { crc32, deflateSync } from 'node:zlib';
import type { Random } from '../random.js';

/**
 * Deterministic truecolor PNGs for photos, inline mail images and profile pictures. The pattern
 * (gradient, stripes or checkerboard in two random colours) is cheap to compute yet compresses
 * to a realistic, non-trivial size.
 */

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  // The CRC covers the chunk type and data, not the length.
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

type Pattern = 'gradient' | 'stripes' | 'checker';

export function buildPng(random: Random, width: number, height: number): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`Invalid PNG size ${width}x${height}`);
  }
  const from = [random.int(0, 255), random.int(0, 255), random.int(0, 255)] as const;
  const to = [random.int(0, 255), random.int(0, 255), random.int(0, 255)] as const;
  const pattern = random.pick<Pattern>(['gradient', 'stripes', 'checker']);
  const cell = random.int(4, 32);

  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type 2: truecolor RGB
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace

  const stride = 1 + width * 3;
  const raw = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    raw[row] = 0; // filter type None
    for (let x = 0; x < width; x++) {
      let t: number;
      if (pattern === 'gradient') t = (x + y) / Math.max(1, width + height - 2);
      else if (pattern === 'stripes') t = Math.floor((x + y) / cell) % 2;
      else t = (Math.floor(x / cell) + Math.floor(y / cell)) % 2;
      const p = row + 1 + x * 3;
      raw[p] = Math.round(from[0] + (to[0] - from[0]) * t);
      raw[p + 1] = Math.round(from[1] + (to[1] - from[1]) * t);
      raw[p + 2] = Math.round(from[2] + (to[2] - from[2]) * t);
    }
  }

  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
