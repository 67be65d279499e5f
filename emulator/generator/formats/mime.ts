import { createHash } from 'node:crypto';
import {
  encodeBase64Body,
  encodeHeaderWord,
  encodeTextBody,
  foldHeader,
  formatAddressList,
  formatExtendedParam,
  formatLegacyNameParam,
  singleLine,
} from './mime-encoding.js';
import type { MimeAddress } from './mime-encoding.js';

/**
 * Builds RFC 5322 / MIME messages byte-for-byte deterministically: boundaries come from a hash
 * of the Message-ID, never from a clock or Math.random, so Graph's `$value` for a message is
 * identical every time it is regenerated.
 */

export type { MimeAddress } from './mime-encoding.js';
export { encodeHeaderWord, formatAddress, formatAddressList } from './mime-encoding.js';

export interface MimeAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
  /** Set for inline parts referenced from the HTML body as `cid:…`. */
  contentId?: string;
}

export interface MimeMessageAttachment {
  filename: string;
  /** A complete RFC 5322 message, attached as message/rfc822. */
  mime: Buffer;
}

export interface MimeMessageSpec {
  from: MimeAddress;
  sender?: MimeAddress;
  to: MimeAddress[];
  cc?: MimeAddress[];
  bcc?: MimeAddress[];
  replyTo?: MimeAddress[];
  subject: string;
  date: Date;
  /** Without the angle brackets. */
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  importance?: 'low' | 'normal' | 'high';
  textBody: string;
  htmlBody?: string;
  /** Attachments with a contentId (and an HTML body) go inline in multipart/related. */
  attachments?: MimeAttachment[];
  messageAttachments?: MimeMessageAttachment[];
  extraHeaders?: [string, string][];
}

/** A MIME entity: folded header lines (no CRLF) and its already-encoded body. */
interface Entity {
  headers: string[];
  body: (string | Buffer)[];
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 date-time in UTC, e.g. "Tue, 05 Mar 2024 09:07:03 +0000". */
export function formatRfc5322Date(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const day = DAY_NAMES[date.getUTCDay()] ?? 'Sun';
  const month = MONTH_NAMES[date.getUTCMonth()] ?? 'Jan';
  const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
  return `${day}, ${two(date.getUTCDate())} ${month} ${date.getUTCFullYear()} ${time} +0000`;
}

const IMPORTANCE_PRIORITY = { low: '5 (Lowest)', normal: '3 (Normal)', high: '1 (Highest)' } as const;

function textEntity(subtype: 'plain' | 'html', text: string): Entity {
  const encoded = encodeTextBody(text);
  return {
    headers: [
      `Content-Type: text/${subtype}; charset=utf-8`,
      `Content-Transfer-Encoding: ${encoded.transferEncoding}`,
    ],
    body: [encoded.body],
  };
}

function attachmentEntity(att: MimeAttachment, inline: boolean): Entity {
  const headers = [
    foldHeader(
      'Content-Type',
      `${singleLine(att.contentType)}; ${formatLegacyNameParam('name', att.filename)}`,
    ),
    'Content-Transfer-Encoding: base64',
  ];
  if (att.contentId !== undefined) headers.push(`Content-ID: <${singleLine(att.contentId)}>`);
  headers.push(
    foldHeader(
      'Content-Disposition',
      `${inline ? 'inline' : 'attachment'}; ${formatExtendedParam('filename', att.filename)}`,
    ),
  );
  return { headers, body: [encodeBase64Body(att.content)] };
}

function messageAttachmentEntity(att: MimeMessageAttachment): Entity {
  // message/rfc822 may not be base64-encoded (RFC 2046 5.2.1); declare what the bytes are.
  const has8bit = att.mime.some((b) => b >= 0x80);
  return {
    headers: [
      foldHeader('Content-Type', `message/rfc822; ${formatLegacyNameParam('name', att.filename)}`),
      `Content-Transfer-Encoding: ${has8bit ? '8bit' : '7bit'}`,
      foldHeader('Content-Disposition', `attachment; ${formatExtendedParam('filename', att.filename)}`),
    ],
    body: [att.mime],
  };
}

function serialize(entity: Entity): (string | Buffer)[] {
  return [`${entity.headers.join('\r\n')}\r\n\r\n`, ...entity.body];
}

function chunkContains(chunks: readonly (string | Buffer)[], needle: string): boolean {
  return chunks.some((c) => (typeof c === 'string' ? c.includes(needle) : c.includes(needle, 0, 'latin1')));
}

/**
 * A multipart entity. The boundary is a hash of the Message-ID and the part's role; "=_" in it
 * cannot occur in quoted-printable or base64 output, and the loop guards the 7bit/rfc822 parts.
 */
function multipartEntity(
  subtype: 'mixed' | 'related' | 'alternative',
  children: Entity[],
  messageId: string,
  extraParams = '',
): Entity {
  const serialized = children.map(serialize);
  let boundary = '';
  for (let attempt = 0; ; attempt++) {
    const digest = createHash('sha1').update(`${messageId}\u0000${subtype}\u0000${attempt}`).digest('hex');
    boundary = `----=_Part_${subtype}_${digest.slice(0, 24)}`;
    if (!serialized.some((chunks) => chunkContains(chunks, `--${boundary}`))) break;
  }
  const body: (string | Buffer)[] = [];
  serialized.forEach((chunks, i) => {
    body.push(i === 0 ? `--${boundary}\r\n` : `\r\n--${boundary}\r\n`, ...chunks);
  });
  body.push(`\r\n--${boundary}--\r\n`);
  return {
    headers: [foldHeader('Content-Type', `multipart/${subtype}; boundary="${boundary}"${extraParams}`)],
    body,
  };
}

function bodyEntity(spec: MimeMessageSpec): Entity {
  const attachments = spec.attachments ?? [];
  const hasHtml = spec.htmlBody !== undefined;
  // Inline images only make sense next to an HTML body that can reference them.
  const inline = hasHtml ? attachments.filter((a) => a.contentId !== undefined) : [];
  const regular = attachments.filter((a) => !inline.includes(a));
  const messages = spec.messageAttachments ?? [];

  const text = textEntity('plain', spec.textBody);
  let body = hasHtml
    ? multipartEntity('alternative', [text, textEntity('html', spec.htmlBody ?? '')], spec.messageId)
    : text;
  if (inline.length > 0) {
    body = multipartEntity(
      'related',
      [body, ...inline.map((a) => attachmentEntity(a, true))],
      spec.messageId,
      '; type="multipart/alternative"',
    );
  }
  if (regular.length > 0 || messages.length > 0) {
    body = multipartEntity(
      'mixed',
      [
        body,
        ...regular.map((a) => attachmentEntity(a, a.contentId !== undefined)),
        ...messages.map(messageAttachmentEntity),
      ],
      spec.messageId,
    );
  }
  return body;
}

function messageHeaders(spec: MimeMessageSpec): string[] {
  const headers: string[] = [foldHeader('From', formatAddressList([spec.from]))];
  if (spec.sender) headers.push(foldHeader('Sender', formatAddressList([spec.sender])));
  if (spec.replyTo?.length) headers.push(foldHeader('Reply-To', formatAddressList(spec.replyTo)));
  if (spec.to.length > 0) headers.push(foldHeader('To', formatAddressList(spec.to)));
  if (spec.cc?.length) headers.push(foldHeader('Cc', formatAddressList(spec.cc)));
  if (spec.bcc?.length) headers.push(foldHeader('Bcc', formatAddressList(spec.bcc)));
  headers.push(foldHeader('Subject', encodeHeaderWord(spec.subject)));
  headers.push(`Date: ${formatRfc5322Date(spec.date)}`);
  headers.push(foldHeader('Message-ID', `<${singleLine(spec.messageId)}>`));
  if (spec.inReplyTo !== undefined)
    headers.push(foldHeader('In-Reply-To', `<${singleLine(spec.inReplyTo)}>`));
  if (spec.references?.length) {
    headers.push(foldHeader('References', spec.references.map((id) => `<${singleLine(id)}>`).join(' ')));
  }
  if (spec.importance !== undefined) {
    headers.push(`Importance: ${spec.importance}`, `X-Priority: ${IMPORTANCE_PRIORITY[spec.importance]}`);
  }
  for (const [name, value] of spec.extraHeaders ?? []) {
    if (!/^[!-9;-~]+$/.test(name)) throw new Error(`Invalid MIME header name: ${JSON.stringify(name)}`);
    headers.push(foldHeader(name, encodeHeaderWord(value)));
  }
  headers.push('MIME-Version: 1.0');
  return headers;
}

/** Builds the complete message with CRLF line endings. */
export function buildMime(spec: MimeMessageSpec): Buffer {
  const body = bodyEntity(spec);
  const chunks = serialize({ headers: [...messageHeaders(spec), ...body.headers], body: body.body });
  // Merge adjacent strings before converting: fewer small Buffers for ~100k messages.
  const buffers: Buffer[] = [];
  let pending = '';
  for (const chunk of chunks) {
    if (typeof chunk === 'string') {
      pending += chunk;
    } else {
      buffers.push(Buffer.from(pending, 'latin1'), chunk);
      pending = '';
    }
  }
  buffers.push(Buffer.from(pending, 'latin1'));
  return Buffer.concat(buffers);
}
