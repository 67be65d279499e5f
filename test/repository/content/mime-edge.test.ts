import { describe, expect, it } from 'vitest';
import { Random } from '../../../emulator/generator/random.js';
import { renderSegments, splitMime } from '../../../src/repository/content/index.js';
import {
  bytes,
  base64Segments,
  roundTrip,
  wrap,
  singlePart,
  multipart,
  attachmentPart,
  generate,
} from './mime-support.js';

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
