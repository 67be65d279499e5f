/** Messages and checks shared by the splitMime tests. */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { buildMime } from '../../../emulator/generator/formats/mime.js';
import type { MimeAttachment, MimeMessageSpec } from '../../../emulator/generator/formats/mime.js';
import { buildPng } from '../../../emulator/generator/formats/png.js';
import { Random } from '../../../emulator/generator/random.js';
import { TextGenerator } from '../../../emulator/generator/text.js';
import { renderedLength, renderSegments, splitMime } from '../../../src/repository/content/index.js';
import type {
  Base64MimeSegment,
  MimeSegment,
  SplitMimeOptions,
} from '../../../src/repository/content/index.js';

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export function base64Segments(segments: MimeSegment[]): Base64MimeSegment[] {
  return segments.filter((s): s is Base64MimeSegment => s.kind === 'base64');
}

/** Splits, checks that every rendering path gives the message back exactly, returns the segments. */
export function roundTrip(message: Buffer, options?: SplitMimeOptions): MimeSegment[] {
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
export function wrap(data: Buffer, width: number, eol: string, finalEol: boolean): string {
  const text = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines.join(eol) + (finalEol ? eol : '');
}

/** A one-part message whose whole body is `body`, with base64 transfer encoding. */
export function singlePart(body: string | Buffer, eol = '\r\n', extra = ''): Buffer {
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
export function multipart(parts: string[], boundary = 'b0undary', eol = '\r\n', close = true): Buffer {
  let text = `From: a@contoso.example${eol}MIME-Version: 1.0${eol}`;
  text += `Content-Type: multipart/mixed; boundary="${boundary}"${eol}${eol}preamble${eol}`;
  for (const part of parts) text += `--${boundary}${eol}${part}${eol}`;
  if (close) text += `--${boundary}--${eol}epilogue${eol}`;
  return Buffer.from(text, 'latin1');
}

export function attachmentPart(data: Buffer, width = 76, eol = '\r\n', cte = 'base64'): string {
  return (
    `Content-Type: application/pdf; name="a.pdf"${eol}Content-Transfer-Encoding: ${cte}${eol}` +
    `Content-Disposition: attachment; filename="a.pdf"${eol}${eol}${wrap(data, width, eol, true)}`
  );
}

export const bytes = (label: string, n: number) => new Random('mime-split-test', label).bytes(n);

export interface Generated {
  mime: Buffer;
  /** Attachments of at least 4 KiB, at any nesting level: what must come out as decoded. */
  large: Buffer[];
}

export const CONTENT_TYPES = [
  'application/pdf',
  'application/octet-stream',
  'image/jpeg',
  'text/plain',
  'application/zip',
];
export const SIZES = [0, 1, 57, 1000, 4095, 4096, 4097, 5000, 20_000, 57 * 300, 100_000, 250_001];

/** A varied message from the emulator's generator: attachments, inline images, forwarded mail. */
export function generate(random: Random, depth = 0): Generated {
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
