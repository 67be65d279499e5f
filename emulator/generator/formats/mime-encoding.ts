/**
 * Low-level MIME encoders used by mime.ts: RFC 2047 encoded-words, RFC 2231 parameters,
 * header folding, quoted-printable and base64 bodies. Everything here returns 7-bit ASCII.
 */

export interface MimeAddress {
  name?: string;
  address: string;
}

/** RFC 5322 recommends lines of at most 78 characters (excluding CRLF). */
const MAX_LINE = 78;
/**
 * RFC 2047 allows 75 characters per encoded-word; we stay at 66 so that even the first word
 * after "Reply-To: " fits on a 78-character line.
 */
const MAX_ENCODED_WORD = 66;
const ENCODED_WORD_OVERHEAD = '=?UTF-8?B??='.length;
/** Longest RFC 2231 continuation segment value, so " filename*12*=<segment>;" stays < 78. */
const MAX_PARAM_SEGMENT = 56;

const HEX = '0123456789ABCDEF';
const PERCENT_ESCAPES: readonly string[] = Array.from(
  { length: 256 },
  (_, b) => `%${HEX[b >> 4]}${HEX[b & 15]}`,
);
const QP_ESCAPES: readonly string[] = Array.from({ length: 256 }, (_, b) => `=${HEX[b >> 4]}${HEX[b & 15]}`);

function isPrintableAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/** Characters RFC 2047 section 5(3) allows unencoded inside a Q-encoded word in a phrase. */
function isQSafeByte(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) || // 0-9
    (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    b === 0x21 || // !
    b === 0x2a || // *
    b === 0x2b || // +
    b === 0x2d || // -
    b === 0x2f // /
  );
}

function qEncode(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b === 0x20 ? '_' : isQSafeByte(b) ? String.fromCharCode(b) : QP_ESCAPES[b];
  return out;
}

/**
 * Splits text into UTF-8 encoded-words. Words never split a code point, because RFC 2047
 * requires each encoded-word to decode to whole characters on its own. Q is used for mostly
 * ASCII text (readable, shorter), B otherwise.
 */
export function encodedWords(text: string): string[] {
  const all = Buffer.from(text, 'utf8');
  let unsafe = 0;
  for (const b of all) if (b !== 0x20 && !isQSafeByte(b)) unsafe++;
  // Q spends 3 chars per unsafe byte, B spends 4/3 per byte: Q wins while unsafe < n/6.
  const useQ = unsafe * 6 < all.length;
  const payloadBudget = MAX_ENCODED_WORD - ENCODED_WORD_OVERHEAD;
  const maxBBytes = Math.floor(payloadBudget / 4) * 3;

  const words: string[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let pendingQLength = 0;
  const flush = () => {
    if (pending.length === 0) return;
    const bytes = Buffer.concat(pending);
    words.push(useQ ? `=?UTF-8?Q?${qEncode(bytes)}?=` : `=?UTF-8?B?${bytes.toString('base64')}?=`);
    pending = [];
    pendingBytes = 0;
    pendingQLength = 0;
  };
  for (const ch of text) {
    const bytes = Buffer.from(ch, 'utf8');
    const qLength = useQ ? qEncode(bytes).length : 0;
    const fits = useQ ? pendingQLength + qLength <= payloadBudget : pendingBytes + bytes.length <= maxBBytes;
    if (!fits) flush();
    pending.push(bytes);
    pendingBytes += bytes.length;
    pendingQLength += qLength;
  }
  flush();
  return words;
}

/**
 * Header text (a subject, a display name) made safe for a header: unchanged when it is plain
 * ASCII, otherwise RFC 2047 encoded-words separated by spaces (the folding points).
 */
export function encodeHeaderWord(text: string): string {
  const clean = singleLine(text);
  // "=?" in plain text would be mistaken for an encoded-word by decoders, so encode it too.
  if (isPrintableAscii(clean) && !clean.includes('=?')) return clean;
  return encodedWords(clean).join(' ');
}

/** Display names made of atoms and spaces can go in unquoted. */
const ATOM_PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/;

/** Removes CR/LF so caller-supplied values can never start a new header line. */
export function singleLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

export function formatAddress(addr: MimeAddress): string {
  const name = addr.name === undefined ? undefined : singleLine(addr.name).trim();
  const address = singleLine(addr.address).trim();
  if (!name) return address;
  if (isPrintableAscii(name) && !name.includes('=?')) {
    if (ATOM_PHRASE.test(name)) return `${name} <${address}>`;
    return `"${name.replace(/[\\"]/g, '\\$&')}" <${address}>`;
  }
  // Encoded-words must not be quoted (RFC 2047 section 5), so they stand as a bare phrase.
  return `${encodedWords(name).join(' ')} <${address}>`;
}

export function formatAddressList(addrs: readonly MimeAddress[]): string {
  return addrs.map(formatAddress).join(', ');
}

/**
 * "Name: value" folded at spaces into lines of at most 78 characters where possible (a single
 * unbreakable token may run longer; RFC 5322 only hard-limits lines at 998). Lines are joined
 * with CRLF; no trailing CRLF. Folding only inserts CRLF before an existing space, so unfolding
 * restores the exact value.
 */
export function foldHeader(name: string, value: string): string {
  let rest = `${name}: ${value}`;
  if (rest.length <= MAX_LINE) return rest;
  const lines: string[] = [];
  let contentStart = name.length + 2;
  // A split is usable when both halves keep some non-space text (no whitespace-only lines).
  const usable = (at: number) =>
    at > contentStart && /\S/.test(rest.slice(contentStart, at)) && /\S/.test(rest.slice(at));
  while (rest.length > MAX_LINE) {
    let at = rest.lastIndexOf(' ', MAX_LINE);
    while (at > 0 && !usable(at)) at = rest.lastIndexOf(' ', at - 1);
    if (at <= 0) {
      at = rest.indexOf(' ', MAX_LINE + 1);
      while (at > 0 && !usable(at)) at = rest.indexOf(' ', at + 1);
      if (at <= 0) break;
    }
    lines.push(rest.slice(0, at));
    rest = rest.slice(at);
    contentStart = 1;
  }
  lines.push(rest);
  return lines.join('\r\n');
}

/** Filenames that can be written as a simple quoted-string parameter. */
function isPlainParamValue(value: string): boolean {
  return isPrintableAscii(value) && !/["\\]/.test(value) && value.length <= MAX_PARAM_SEGMENT;
}

/** RFC 2231 attribute-char: ASCII printable except space, "*", "'", "%" and tspecials. */
function isAttributeChar(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) ||
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    '!#$&+-.^_`|~'.includes(String.fromCharCode(b))
  );
}

/**
 * A parameter such as `filename="a.pdf"`; non-ASCII or long values use RFC 2231 extended
 * notation (`filename*=UTF-8''…`), split into `filename*0*`, `filename*1*`… continuations.
 * Segments end on code-point boundaries so each one is readable on its own.
 */
export function formatExtendedParam(attribute: string, value: string): string {
  if (isPlainParamValue(value)) return `${attribute}="${value}"`;
  const segments: string[] = [];
  let current = "UTF-8''";
  for (const ch of value) {
    let piece = '';
    for (const b of Buffer.from(ch, 'utf8'))
      piece += isAttributeChar(b) ? String.fromCharCode(b) : PERCENT_ESCAPES[b];
    if (current.length + piece.length > MAX_PARAM_SEGMENT && current.length > 0 && current !== "UTF-8''") {
      segments.push(current);
      current = '';
    }
    current += piece;
  }
  segments.push(current);
  if (segments.length === 1) return `${attribute}*=${segments[0]}`;
  return segments.map((segment, i) => `${attribute}*${i}*=${segment}`).join('; ');
}

/**
 * The legacy `name=` parameter that older clients (Outlook 2003 era) read instead of RFC 2231:
 * encoded-words inside a quoted string. Not standard, but what real mailers emit.
 */
export function formatLegacyNameParam(attribute: string, value: string): string {
  if (isPlainParamValue(value)) return `${attribute}="${value}"`;
  return `${attribute}="${encodedWords(value).join(' ')}"`;
}

/** Splits text into lines, accepting CRLF, LF or CR, dropping the empty piece after a final break. */
function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Printable ASCII that never needs escaping in quoted-printable ("=" is 0x3d). */
const QP_LITERAL_LINE = /^[\x20-\x3c\x3e-\x7e]{0,76}$/;

function quotedPrintableLine(line: string): string {
  // Fast path: short plain lines without trailing whitespace pass through untouched.
  if (QP_LITERAL_LINE.test(line) && !/[ \t]$/.test(line)) return line;
  // Work on the string itself when it is ASCII (the common case: bytes == chars), otherwise
  // on its UTF-8 bytes viewed as latin1 so that every char is one byte.
  const text = /[\u0080-\uffff]/.test(line) ? Buffer.from(line, 'utf8').toString('latin1') : line;
  // Literal runs are copied as slices rather than char by char; this is the hot loop when
  // generating ~100k message bodies.
  const out: string[] = [];
  let runStart = 0;
  let lineLength = 0;
  const last = text.length - 1;
  for (let i = 0; i <= last; i++) {
    const b = text.charCodeAt(i);
    const literal = (b >= 0x21 && b <= 0x7e && b !== 0x3d) || ((b === 0x20 || b === 0x09) && i !== last);
    const width = literal ? 1 : 3;
    // Keep room for the "=" soft line break so encoded lines stay within 76 characters.
    if (lineLength + width > 75) {
      out.push(text.slice(runStart, i), '=\r\n');
      runStart = i;
      lineLength = 0;
    }
    if (!literal) {
      out.push(text.slice(runStart, i), QP_ESCAPES[b] as string);
      runStart = i + 1;
    }
    lineLength += width;
  }
  out.push(text.slice(runStart));
  return out.join('');
}

export interface EncodedText {
  transferEncoding: '7bit' | 'quoted-printable';
  /** CRLF line endings, always ending in CRLF. */
  body: string;
}

/**
 * A text body as it goes on the wire: 7bit when it is short-lined printable ASCII, otherwise
 * quoted-printable of its UTF-8 bytes. Line endings are normalised to CRLF.
 */
export function encodeTextBody(text: string): EncodedText {
  const lines = splitLines(text);
  const needsEncoding = /[^\x20-\x7e\t\r\n]/.test(text) || lines.some((line) => line.length > MAX_LINE);
  if (!needsEncoding) return { transferEncoding: '7bit', body: `${lines.join('\r\n')}\r\n` };
  return { transferEncoding: 'quoted-printable', body: `${lines.map(quotedPrintableLine).join('\r\n')}\r\n` };
}

/** Base64 in 76-character lines (RFC 2045), ending in CRLF. */
export function encodeBase64Body(content: Uint8Array): string {
  const b64 = Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.length === 0 ? '\r\n' : `${lines.join('\r\n')}\r\n`;
}
