import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildMime } from '../../../emulator/generator/formats/mime.js';
import type { MimeAttachment, MimeMessageSpec } from '../../../emulator/generator/formats/mime.js';
import { buildPng } from '../../../emulator/generator/formats/png.js';
import { Random } from '../../../emulator/generator/random.js';
import { TextGenerator } from '../../../emulator/generator/text.js';
import {
  Base64LineEncoder,
  base64RenderedLength,
  renderedLength,
  renderSegments,
  renderSegmentsIter,
  renderSegmentsStream,
  splitMime,
} from '../../../src/repository/content/index.js';
import type {
  Base64MimeSegment,
  MimeSegment,
  SplitMimeOptions,
} from '../../../src/repository/content/index.js';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function base64Segments(segments: MimeSegment[]): Base64MimeSegment[] {
  return segments.filter((s): s is Base64MimeSegment => s.kind === 'base64');
}

/** Splits, checks that every rendering path gives the message back exactly, returns the segments. */
function roundTrip(message: Buffer, options?: SplitMimeOptions): MimeSegment[] {
  const segments = splitMime(message, options);
  const rendered = renderSegments(segments);
  if (!rendered.equals(message)) {
    let at = 0;
    while (at < message.length && rendered[at] === message[at]) at++;
    throw new Error(
      `round trip differs at byte ${at} of ${message.length}: ` +
        `${JSON.stringify(message.toString('latin1', Math.max(0, at - 40), at + 40))}`,
    );
  }
  expect(renderedLength(segments)).toBe(message.length);
  // Raw segments never sit next to each other, and none is empty.
  segments.forEach((s, i) => {
    if (s.kind === 'raw') {
      expect(s.bytes.length).toBeGreaterThan(0);
      expect(segments[i + 1]?.kind).not.toBe('raw');
    }
  });
  return segments;
}

/** Base64 of `data` wrapped every `width` characters. */
function wrap(data: Buffer, width: number, eol: string, finalEol: boolean): string {
  const text = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines.join(eol) + (finalEol ? eol : '');
}

/** A one-part message whose whole body is `body`, with base64 transfer encoding. */
function singlePart(body: string | Buffer, eol = '\r\n', extra = ''): Buffer {
  const headers = [
    'From: a@contoso.example',
    'To: b@contoso.example',
    'Subject: single',
    'MIME-Version: 1.0',
    'Content-Type: application/octet-stream; name="x.bin"',
    'Content-Transfer-Encoding: base64',
  ];
  const head = Buffer.from(`${headers.join(eol)}${extra}${eol}${eol}`, 'latin1');
  return Buffer.concat([head, typeof body === 'string' ? Buffer.from(body, 'latin1') : body]);
}

/** A multipart/mixed message from raw parts (each part: its headers, blank line and body). */
function multipart(parts: string[], boundary = 'b0undary', eol = '\r\n', close = true): Buffer {
  let text = `From: a@contoso.example${eol}MIME-Version: 1.0${eol}`;
  text += `Content-Type: multipart/mixed; boundary="${boundary}"${eol}${eol}preamble${eol}`;
  for (const part of parts) text += `--${boundary}${eol}${part}${eol}`;
  if (close) text += `--${boundary}--${eol}epilogue${eol}`;
  return Buffer.from(text, 'latin1');
}

function attachmentPart(data: Buffer, width = 76, eol = '\r\n', cte = 'base64'): string {
  return (
    `Content-Type: application/pdf; name="a.pdf"${eol}Content-Transfer-Encoding: ${cte}${eol}` +
    `Content-Disposition: attachment; filename="a.pdf"${eol}${eol}${wrap(data, width, eol, true)}`
  );
}

const bytes = (label: string, n: number) => new Random('mime-split-test', label).bytes(n);

interface Generated {
  mime: Buffer;
  /** Attachments of at least 4 KiB, at any nesting level: what must come out as decoded. */
  large: Buffer[];
}

const CONTENT_TYPES = [
  'application/pdf',
  'application/octet-stream',
  'image/jpeg',
  'text/plain',
  'application/zip',
];
const SIZES = [0, 1, 57, 1000, 4095, 4096, 4097, 5000, 20_000, 57 * 300, 100_000, 250_001];

/** A varied message from the emulator's generator: attachments, inline images, forwarded mail. */
function generate(random: Random, depth = 0): Generated {
  const text = new TextGenerator(random);
  const large: Buffer[] = [];
  const attachments: MimeAttachment[] = [];
  const html = random.bool(0.6);
  for (let i = random.int(0, 4); i > 0; i--) {
    const png = random.bool(0.25);
    const content = png
      ? buildPng(random, random.int(1, 120), random.int(1, 90))
      : random.bytes(random.pick(SIZES));
    const inline = png && random.bool(0.7);
    attachments.push({
      filename: text.fileName(png ? 'png' : 'bin'),
      contentType: png ? 'image/png' : random.pick(CONTENT_TYPES),
      content,
      ...(inline ? { contentId: `img${i}.${random.int(1, 1e6)}@contoso.example` } : {}),
    });
    if (content.length >= 4096) large.push(content);
  }
  const messageAttachments = [];
  if (depth < 2 && random.bool(0.3)) {
    const inner = generate(random, depth + 1);
    messageAttachments.push({ filename: `${text.title(3)}.eml`, mime: inner.mime });
    large.push(...inner.large);
  }
  const person = text.personName();
  const spec: MimeMessageSpec = {
    from: {
      name: `${person.given} ${person.surname}`,
      address: `${person.given.toLowerCase()}@contoso.example`,
    },
    to: Array.from({ length: random.int(1, 6) }, (_, i) => ({ address: `user${i}@contoso.example` })),
    subject: text.sentence(2, 9),
    date: new Date(Date.UTC(2024, random.int(0, 11), random.int(1, 28), random.int(0, 23))),
    messageId: `${random.guid()}@contoso.example`,
    textBody: text.paragraphs(random.int(1, 4)).join('\n\n'),
    ...(html ? { htmlBody: `<html><body><p>${text.paragraph()}</p></body></html>` } : {}),
    attachments,
    messageAttachments,
  };
  return { mime: buildMime(spec), large };
}

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

describe('splitMime edge cases', () => {
  const data = bytes('edge', 12_345);

  it('records width, line ending and final line ending as found', () => {
    for (const width of [64, 72, 76, 57, 100, 4]) {
      for (const eol of ['\r\n', '\n'] as const) {
        for (const finalEol of [0, 1] as const) {
          const segments = roundTrip(singlePart(wrap(data, width, eol, finalEol === 1), eol));
          const [segment, ...rest] = base64Segments(segments);
          expect(rest).toEqual([]);
          expect(segment).toMatchObject({ width, eol, finalEol });
          expect(segment?.decoded.equals(data)).toBe(true);
        }
      }
    }
  });

  it('handles a last line of full width, with and without its line ending', () => {
    const exact = bytes('exact', 57 * 100); // 100 lines of exactly 76 characters
    for (const finalEol of [0, 1] as const) {
      const [segment] = base64Segments(roundTrip(singlePart(wrap(exact, 76, '\r\n', finalEol === 1))));
      expect(segment).toMatchObject({ width: 76, finalEol });
      expect(segment?.decoded.equals(exact)).toBe(true);
    }
  });

  it('takes one long unwrapped line as one line of its own width', () => {
    const [segment] = base64Segments(roundTrip(singlePart(`${data.toString('base64')}\r\n`)));
    expect(segment).toMatchObject({ width: data.toString('base64').length, finalEol: 1 });
    expect(segment?.decoded.equals(data)).toBe(true);
  });

  it('keeps bodies below the threshold raw, and honours a lower threshold', () => {
    const small = bytes('small', 3000);
    const message = multipart([attachmentPart(small)]);
    expect(base64Segments(roundTrip(message))).toEqual([]);
    expect(base64Segments(roundTrip(message, { minDecodedSize: 1 }))[0]?.decoded.equals(small)).toBe(true);
    expect(
      base64Segments(roundTrip(multipart([attachmentPart(Buffer.alloc(0))]), { minDecodedSize: 0 })),
    ).toEqual([]);
    const empty = roundTrip(multipart([attachmentPart(Buffer.alloc(0))]));
    expect(empty).toHaveLength(1);
  });

  it('leaves base64 with trailing whitespace on every line raw', () => {
    const body = wrap(data, 76, ' \r\n', true);
    expect(base64Segments(roundTrip(singlePart(body)))).toEqual([]);
    const tabs = wrap(data, 76, '\t\r\n', true);
    expect(
      base64Segments(roundTrip(multipart([`Content-Transfer-Encoding: base64\r\n\r\n${tabs}`]))),
    ).toEqual([]);
  });

  it('keeps the text when only the last line has trailing whitespace', () => {
    const body = `${wrap(data, 76, '\r\n', false)}  \r\n`;
    const segments = roundTrip(singlePart(body));
    const [segment] = base64Segments(segments);
    expect(segment).toMatchObject({ finalEol: 0 });
    expect(segment?.decoded.equals(data)).toBe(true);
    expect(segments.at(-1)).toEqual({ kind: 'raw', bytes: Buffer.from('  \r\n') });
  });

  it('finds parts without the close delimiter, or without any line ending at the end', () => {
    const noClose = multipart(
      [attachmentPart(data), attachmentPart(bytes('second', 9000))],
      'x',
      '\r\n',
      false,
    );
    expect(base64Segments(roundTrip(noClose))).toHaveLength(2);
    const truncated = noClose.subarray(0, noClose.length - 2);
    expect(base64Segments(roundTrip(truncated))).toHaveLength(2);
    // Cut inside the second attachment's text: the first survives, the rest stays exact.
    const cutInside = noClose.subarray(0, noClose.length - 5000);
    expect(base64Segments(roundTrip(cutInside))[0]?.decoded.equals(data)).toBe(true);
  });

  it('never keeps a segment it cannot reproduce: invalid characters, bad padding, non-canonical bits', () => {
    const text = wrap(data, 76, '\r\n', true);
    const lines = text.split('\r\n');
    const corrupt = (i: number, c: string) => {
      const copy = [...lines];
      const line = copy[i] ?? '';
      copy[i] = `${line.slice(0, 30)}${c}${line.slice(31)}`;
      return copy.join('\r\n');
    };
    for (const bad of [
      corrupt(3, '*'),
      corrupt(100, '!'),
      corrupt(100, '='),
      corrupt(0, '\u00e9'),
      corrupt(5, '-'),
    ]) {
      for (const s of base64Segments(roundTrip(singlePart(bad)))) {
        // Whatever was kept is a true prefix of the content, re-encoded identically.
        expect(data.subarray(0, s.decoded.length).equals(s.decoded)).toBe(true);
      }
    }
    // 12 345 bytes: the last quantum has no padding; drop two bytes to get "xx==".
    const short = data.subarray(0, 12_343);
    const canonical = wrap(short, 76, '\r\n', true);
    expect(canonical.endsWith('==\r\n')).toBe(true);
    const last = canonical.at(-5) as string; // the character carrying unused bits
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const loose = alphabet[alphabet.indexOf(last) + 1] as string; // low bits no longer zero
    const nonCanonical = `${canonical.slice(0, -5)}${loose}==\r\n`;
    expect(Buffer.from(nonCanonical, 'base64').equals(short)).toBe(true); // decoders accept it
    // Re-encoding would not give the last line back: at most the lines before it are kept.
    const keptPrefix = (message: string) => {
      const kept = base64Segments(roundTrip(singlePart(message)));
      expect(kept.length).toBeLessThanOrEqual(1);
      if (kept[0]) {
        expect(kept[0].decoded.length).toBeLessThan(short.length);
        expect(short.subarray(0, kept[0].decoded.length).equals(kept[0].decoded)).toBe(true);
      }
    };
    keptPrefix(nonCanonical);
    keptPrefix(canonical.replace(/==\r\n$/, '\r\n'));
    // Two base64 texts back to back (padding in the middle): at most the first is kept.
    const doubled = `${wrap(short, 76, '\r\n', true)}${wrap(short, 76, '\r\n', true)}`;
    const kept = base64Segments(roundTrip(singlePart(doubled)));
    expect(kept.length).toBeLessThanOrEqual(1);
    if (kept[0]) expect(kept[0].decoded.equals(short)).toBe(true);
  });

  it('leaves CR-only line endings raw but exact', () => {
    const { mime } = generate(new Random('cr-only'));
    const cr = Buffer.from(mime.toString('latin1').replace(/\r\n/g, '\r'), 'latin1');
    expect(base64Segments(roundTrip(cr))).toEqual([]);
    // Its multipart structure is still followed (a CR-only base64 text after LF-only parts would split).
    const mixed = multipart([attachmentPart(data, 76, '\n')], 'q', '\r');
    expect(base64Segments(roundTrip(mixed))[0]?.decoded.equals(data)).toBe(true);
  });

  it('survives huge headers and 8-bit junk', () => {
    const junkHeaders = Array.from({ length: 20_000 }, (_, i) => `X-Junk-${i}: ${'v'.repeat(90)}`).join(
      '\r\n',
    );
    const folded = `X-Folded: ${Array.from({ length: 20_000 }, () => 'word').join('\r\n ')}`;
    const hugeType = `Content-Type: multipart/mixed; ${'x=y; '.repeat(30_000)}boundary="zz"`;
    const part = attachmentPart(data);
    const message = Buffer.from(
      `${junkHeaders}\r\n${folded}\r\n${hugeType}\r\n\r\n--zz\r\n${part}\r\n--zz--\r\n`,
      'latin1',
    );
    expect(base64Segments(roundTrip(message))[0]?.decoded.equals(data)).toBe(true);
    const eightBit = Buffer.concat([
      Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0d, 0x0a]),
      message.subarray(0, 500),
      Buffer.from([0xc3, 0x28, 0x00, 0x0d]),
      message.subarray(500),
    ]);
    roundTrip(eightBit);
    const binary = bytes('binary', 100_000);
    expect(roundTrip(binary).length).toBeLessThanOrEqual(2);
    expect(base64Segments(roundTrip(Buffer.from(data.toString('base64'))))).toHaveLength(0);
  });

  it('follows nested multiparts, message/rfc822 and multipart/digest, within the depth limit', () => {
    const inner = multipart([attachmentPart(data)], 'inner-boundary');
    const forwarded = `Content-Type: message/rfc822\r\n\r\n${inner.toString('latin1')}`;
    const digest = `Content-Type: multipart/digest; boundary=dig\r\n\r\n--dig\r\n\r\n${inner.toString('latin1')}\r\n--dig--`;
    const outer = multipart([forwarded, digest, attachmentPart(bytes('outer', 7000))], 'inner');
    const segments = base64Segments(roundTrip(outer));
    expect(segments).toHaveLength(3);
    expect(segments[0]?.decoded.equals(data)).toBe(true);
    expect(segments[1]?.decoded.equals(data)).toBe(true);

    let deep = attachmentPart(data);
    for (let i = 0; i < 40; i++) {
      deep = `Content-Type: multipart/mixed; boundary="level${i}"\r\n\r\n--level${i}\r\n${deep}\r\n--level${i}--`;
    }
    const deepMessage = Buffer.from(`MIME-Version: 1.0\r\n${deep}`, 'latin1');
    expect(base64Segments(roundTrip(deepMessage))).toEqual([]);
    expect(base64Segments(roundTrip(deepMessage, { maxDepth: 100 }))).toHaveLength(1);
  });

  it('parses header syntax loosely: case, comments, quoting, missing blank line', () => {
    const body = wrap(data, 76, '\r\n', true);
    const variants = [
      `content-type: MULTIPART/Mixed (a comment); Boundary = "we\\"ird b"\r\n\r\n--we"ird b\r\nCONTENT-TRANSFER-ENCODING:  BASE64 (enc)\r\n\r\n${body}\r\n--we"ird b--\r\n`,
      `Content-Type: multipart/mixed;\r\n\tboundary=plain_token\r\n\r\n--plain_token  \r\nContent-Transfer-Encoding\t: base64\r\n${body}\r\n--plain_token--`,
      `Content-Type: multipart/mixed; boundary="p"\r\n\r\n--p\r\nContent-Type: text/plain\r\n\r\nhello\r\n--p-not-a-delimiter\r\n--p\r\nContent-Transfer-Encoding: base64\r\n\r\n\r\n\r\n${body}\r\n--p--`,
    ];
    for (const v of variants) {
      const [segment] = base64Segments(
        roundTrip(Buffer.from(`Subject: v\r\nMIME-Version: 1.0\r\n${v}`, 'latin1')),
      );
      expect(segment?.decoded.equals(data), v.slice(0, 80)).toBe(true);
    }
    // quoted-printable or 7bit parts are never decoded as base64.
    for (const cte of ['quoted-printable', '7bit', 'x-base64', '']) {
      expect(base64Segments(roundTrip(multipart([attachmentPart(data, 76, '\r\n', cte)])))).toEqual([]);
    }
  });

  it('handles empty and header-only messages', () => {
    expect(splitMime(Buffer.alloc(0))).toEqual([]);
    expect(renderSegments([])).toEqual(Buffer.alloc(0));
    expect(roundTrip(Buffer.from('Subject: only headers\r\n'))).toHaveLength(1);
    expect(roundTrip(Buffer.from('\r\n\r\n'))).toHaveLength(1);
    expect(roundTrip(Buffer.from('Content-Transfer-Encoding: base64\r\n\r\n'))).toHaveLength(1);
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

describe('splitMime fuzzing', () => {
  it('renders every mutation of real messages back exactly', () => {
    const random = new Random('mime-fuzz');
    const bases: Buffer[] = [];
    for (let i = 0; i < 24; i++) {
      const { mime } = generate(random);
      bases.push(mime.length > 400_000 ? mime.subarray(0, 400_000) : mime);
    }
    bases.push(
      multipart([attachmentPart(bytes('f1', 6000), 64, '\n'), attachmentPart(bytes('f2', 5000))], 'fz'),
    );
    const inserts = [
      '\r',
      '\n',
      '\r\n',
      '-',
      '--',
      '=',
      ' ',
      '\t',
      'A',
      ':',
      '\u0080',
      '\u00ff',
      '\u0000',
      '"',
      ';',
    ];
    const mutate = (input: Buffer): Buffer => {
      let m = input;
      for (let k = random.int(1, 6); k > 0; k--) {
        const at = random.int(0, m.length);
        switch (random.int(0, 7)) {
          case 0: {
            // flip a byte
            if (m.length === 0) break;
            m = Buffer.from(m);
            m[Math.min(at, m.length - 1)] = random.int(0, 255);
            break;
          }
          case 1:
            m = Buffer.concat([
              m.subarray(0, at),
              Buffer.from(random.pick(inserts), 'latin1'),
              m.subarray(at),
            ]);
            break;
          case 2:
            m = Buffer.concat([m.subarray(0, at), m.subarray(Math.min(m.length, at + random.int(1, 300)))]);
            break;
          case 3: {
            // duplicate a range (often a delimiter or header line)
            const len = random.int(1, 200);
            m = Buffer.concat([m.subarray(0, at), m.subarray(at, at + len), m.subarray(at)]);
            break;
          }
          case 4:
            m = m.subarray(0, at);
            break;
          case 5: {
            // line endings of a region changed
            const end = Math.min(m.length, at + random.int(100, 20_000));
            const region = m.toString('latin1', at, end).replace(/\r\n/g, random.bool() ? '\n' : '\r');
            m = Buffer.concat([m.subarray(0, at), Buffer.from(region, 'latin1'), m.subarray(end)]);
            break;
          }
          case 6: {
            // a line copied from elsewhere (delimiters, headers) inserted at a line start
            const text = m.toString('latin1');
            const from = text.indexOf('\n', random.int(0, m.length));
            const to = from < 0 ? -1 : text.indexOf('\n', from + 1);
            const lineStart = text.indexOf('\n', at);
            if (from >= 0 && to > from && lineStart >= 0) {
              m = Buffer.concat([
                m.subarray(0, lineStart + 1),
                m.subarray(from + 1, to + 1),
                m.subarray(lineStart + 1),
              ]);
            }
            break;
          }
          default: {
            // random bytes
            m = Buffer.concat([m.subarray(0, at), random.bytes(random.int(1, 64)), m.subarray(at)]);
          }
        }
      }
      return m;
    };
    let split = 0;
    for (let n = 0; n < 2500; n++) {
      const mutated = mutate(random.pick(bases));
      const segments = roundTrip(mutated, { minDecodedSize: random.pick([0, 1, 100, 4096]) });
      if (segments.some((s) => s.kind === 'base64')) split++;
    }
    // Most mutations leave some attachment intact.
    expect(split).toBeGreaterThan(1000);
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
