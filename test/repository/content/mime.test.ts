import { describe, expect, it } from 'vitest';
import type { MimeAttachment } from '../../../emulator/generator/formats/mime.js';
import { TextGenerator } from '../../../emulator/generator/text.js';
import { buildMime } from '../../../emulator/generator/formats/mime.js';
import { Random } from '../../../emulator/generator/random.js';
import {
  Base64LineEncoder,
  base64RenderedLength,
  renderSegments,
  renderSegmentsIter,
  renderSegmentsStream,
  splitMime,
} from '../../../src/repository/content/index.js';
import type { Base64MimeSegment } from '../../../src/repository/content/index.js';
import { sha256, bytes, base64Segments, roundTrip, wrap, generate } from './mime-support.js';

describe('splitMime on generated messages', () => {
  it('round-trips and decodes exactly the attachments of at least 4 KiB', () => {
    const random = new Random('mime-split-generated');
    let withSegments = 0;
    for (let n = 0; n < 150; n++) {
      const { mime, large } = generate(random);
      const decoded = base64Segments(roundTrip(mime)).map((s) => sha256(s.decoded));
      expect(decoded.sort()).toEqual(large.map(sha256).sort());
      if (decoded.length > 0) withSegments++;
      for (const s of base64Segments(splitMime(mime))) {
        expect(s).toMatchObject({ width: 76, eol: '\r\n', finalEol: 1 });
      }
    }
    expect(withSegments).toBeGreaterThan(50);
  });

  it('round-trips the same messages with LF line endings', () => {
    const random = new Random('mime-split-generated-lf');
    for (let n = 0; n < 60; n++) {
      const { mime, large } = generate(random);
      const lf = Buffer.from(mime.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
      const segments = base64Segments(roundTrip(lf));
      expect(segments.map((s) => sha256(s.decoded)).sort()).toEqual(large.map(sha256).sort());
      for (const s of segments) expect(s.eol).toBe('\n');
    }
  });

  it('single-instances the same 5 MiB attachment across 100 different messages', () => {
    const attachment = bytes('five-mib', 5 * 1024 * 1024);
    const expected = sha256(attachment);
    const random = new Random('mime-split-single-instance');
    const text = new TextGenerator(random);
    const seen = new Set<string>();
    const messageHashes = new Set<string>();
    for (let n = 0; n < 100; n++) {
      const others: MimeAttachment[] = Array.from({ length: random.int(0, 2) }, (_, i) => ({
        filename: text.fileName('docx'),
        contentType: 'application/octet-stream',
        content: random.bytes(random.int(5000, 40_000)),
        ...(i === 0 && random.bool() ? { contentId: `c${n}@x` } : {}),
      }));
      const big: MimeAttachment = {
        filename: text.fileName('pdf'),
        contentType: 'application/pdf',
        content: attachment,
      };
      const mime = buildMime({
        from: { name: text.title(2), address: `sender${n}@contoso.example` },
        to: Array.from({ length: random.int(1, 30) }, (_, i) => ({ address: `r${n}-${i}@contoso.example` })),
        subject: `${n}: ${text.sentence()}`,
        date: new Date(Date.UTC(2024, 0, 1 + (n % 28), n % 24)),
        messageId: `msg-${n}-${random.guid()}@contoso.example`,
        textBody: text.paragraphs(random.int(1, 3)).join('\n\n'),
        ...(random.bool() ? { htmlBody: `<p>${text.paragraph()}</p>` } : {}),
        attachments: random.bool() ? [...others, big] : [big, ...others],
        extraHeaders: [['X-Run', String(n)]],
      });
      messageHashes.add(sha256(mime));
      const segments = base64Segments(splitMime(mime));
      const hashes = segments.map((s) => sha256(s.decoded));
      expect(hashes).toContain(expected);
      for (const h of hashes) seen.add(h);
      // Spot-check exactness without rendering 680 MB in full every time.
      if (n % 10 === 0) roundTrip(mime);
    }
    expect(messageHashes.size).toBe(100);
    expect(seen.has(expected)).toBe(true);
  });
});

describe('rendering', () => {
  it('streams the same bytes, and encodes pieces of any size like a whole', async () => {
    const random = new Random('render-stream');
    for (let n = 0; n < 40; n++) {
      const { mime } = generate(random);
      const segments = splitMime(mime, { minDecodedSize: 1 });
      expect(Buffer.concat([...renderSegmentsIter(segments)]).equals(mime)).toBe(true);
      const streamed: Buffer[] = [];
      for await (const piece of renderSegmentsStream(segments)) streamed.push(piece);
      expect(Buffer.concat(streamed).equals(mime)).toBe(true);
    }
    for (const size of [0, 1, 2, 3, 56, 57, 58, 1000, 300_000]) {
      const data = bytes(`enc-${size}`, size);
      for (const width of [1, 3, 4, 76, 1000]) {
        for (const eol of ['\r\n', '\n'] as const) {
          for (const finalEol of [0, 1] as const) {
            const expected = Buffer.from(wrap(data, width, eol, finalEol === 1), 'latin1');
            const encoder = new Base64LineEncoder(width, eol, finalEol);
            const out: Buffer[] = [];
            for (let i = 0; i < size;) {
              const step = random.int(0, 7) === 0 ? random.int(0, 5) : random.int(1, 100_000);
              out.push(encoder.push(data.subarray(i, i + step)));
              i += step;
            }
            out.push(encoder.end());
            expect(Buffer.concat(out).equals(expected)).toBe(true);
            expect(base64RenderedLength(size, width, eol, finalEol)).toBe(expected.length);
            expect(
              renderSegments([{ kind: 'base64', decoded: data, width, eol, finalEol }]).equals(expected),
            ).toBe(true);
          }
        }
      }
    }
  });

  it('refuses malformed base64 segments', () => {
    const decoded = Buffer.from('abc');
    for (const bad of [
      { width: 0, eol: '\r\n', finalEol: 0 },
      { width: 1.5, eol: '\r\n', finalEol: 0 },
      { width: 76, eol: '\r', finalEol: 0 },
      { width: 76, eol: '\n', finalEol: 2 },
    ]) {
      expect(() => renderSegments([{ kind: 'base64', decoded, ...bad } as Base64MimeSegment])).toThrow(
        RangeError,
      );
    }
  });
});

describe('large messages', () => {
  it('splits a 150 MB message in one pass', () => {
    const attachment = bytes('large', 100 * 1024 * 1024);
    const second = bytes('large-2', 8 * 1024 * 1024);
    const mime = buildMime({
      from: { address: 'big@contoso.example' },
      to: [{ address: 'x@contoso.example' }],
      subject: 'large',
      date: new Date('2024-05-05T05:05:05Z'),
      messageId: 'large@contoso.example',
      textBody: 'See attached.',
      attachments: [
        { filename: 'big.bin', contentType: 'application/octet-stream', content: attachment },
        { filename: 'second.bin', contentType: 'application/octet-stream', content: second },
      ],
    });
    expect(mime.length).toBeGreaterThan(145_000_000);
    const segments = splitMime(mime);
    const decoded = base64Segments(segments);
    expect(decoded).toHaveLength(2);
    expect(decoded[0]?.decoded.equals(attachment)).toBe(true);
    expect(decoded[1]?.decoded.equals(second)).toBe(true);
    let pos = 0;
    for (const piece of renderSegmentsIter(segments)) {
      expect(piece.equals(mime.subarray(pos, pos + piece.length))).toBe(true);
      pos += piece.length;
    }
    expect(pos).toBe(mime.length);
  });
});
