import { execFileSync } from 'node:child_process';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Random } from '../random.js';
import { buildPng } from './png.js';

// Walks the chunk list with Python's struct/zlib/binascii (no PIL on the machine): an
// independent check of lengths, CRCs and that IDAT inflates to exactly height * (1 + 3 * width).
const PYTHON_PNG_CHECK = `
import sys, struct, zlib, binascii, json
data = sys.stdin.buffer.read()
assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'bad signature'
pos, chunks, idat = 8, [], b''
while pos < len(data):
    length, ctype = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    crc, = struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])
    assert binascii.crc32(ctype + body) & 0xffffffff == crc, 'bad crc'
    chunks.append(ctype.decode())
    if ctype == b'IHDR':
        width, height, depth, colour = struct.unpack('>IIBB', body[:10])
    if ctype == b'IDAT':
        idat += body
    pos += 12 + length
raw = zlib.decompress(idat)
print(json.dumps({'chunks': chunks, 'width': width, 'height': height, 'depth': depth, 'colour': colour,
                  'rawSize': len(raw), 'filters': sorted(set(raw[i * (1 + 3 * width)] for i in range(height)))}))
`;

describe('buildPng', () => {
  it('writes the signature, IHDR/IDAT/IEND and correct CRCs', () => {
    const png = buildPng(new Random('png'), 40, 30);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    let pos = 8;
    const types: string[] = [];
    while (pos < png.length) {
      const length = png.readUInt32BE(pos);
      const type = png.toString('latin1', pos + 4, pos + 8);
      const crc = png.readUInt32BE(pos + 8 + length);
      expect(crc32(png.subarray(pos + 4, pos + 8 + length)), type).toBe(crc);
      types.push(type);
      pos += 12 + length;
    }
    expect(pos).toBe(png.length);
    expect(types).toEqual(['IHDR', 'IDAT', 'IEND']);
  });

  it('is parsed and inflated by an independent Python reader', () => {
    for (const [w, h] of [
      [1, 1],
      [17, 5],
      [64, 48],
    ] as const) {
      const png = buildPng(new Random('png', w, h), w, h);
      const result: unknown = JSON.parse(
        execFileSync('python3', ['-c', PYTHON_PNG_CHECK], { input: png, encoding: 'utf8' }),
      );
      expect(result).toEqual({
        chunks: ['IHDR', 'IDAT', 'IEND'],
        width: w,
        height: h,
        depth: 8,
        colour: 2,
        rawSize: h * (1 + 3 * w),
        filters: [0],
      });
    }
  });

  it('is deterministic for the same seed and varies between seeds', () => {
    expect(buildPng(new Random('a'), 32, 32).equals(buildPng(new Random('a'), 32, 32))).toBe(true);
    const variants = new Set(
      ['a', 'b', 'c', 'd'].map((s) => buildPng(new Random(s), 32, 32).toString('hex')),
    );
    expect(variants.size).toBeGreaterThan(1);
  });

  it('rejects empty sizes', () => {
    expect(() => buildPng(new Random('x'), 0, 5)).toThrow(/Invalid PNG size/);
  });
});
