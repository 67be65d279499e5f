/** Just enough MIME header parsing to find transfer encodings and multipart boundaries. */

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HT = 0x09;

/** Header values longer than this are cut (only Content-Type and Content-Transfer-Encoding are kept). */
const MAX_HEADER_VALUE = 1024 * 1024;

export interface Headers {
  /** Where the body starts (after the blank line, or at the first line that is not a header). */
  bodyStart: number;
  contentType: string | undefined;
  transferEncoding: string | undefined;
}

/** Field names are printable ASCII without ":"; obsolete syntax allows blanks before the colon. */
function fieldNameEnd(buf: Buffer, start: number, lineEnd: number): number {
  let p = start;
  while (p < lineEnd) {
    const b = buf[p] as number;
    if (b === 0x3a) break;
    if (b < 0x21 || b > 0x7e) {
      // Only blanks may follow the name, up to the colon.
      if (p === start) return -1;
      let q = p;
      while (q < lineEnd && (buf[q] === SP || buf[q] === HT)) q++;
      return q < lineEnd && buf[q] === 0x3a ? q : -1;
    }
    p++;
  }
  return p < lineEnd && p > start ? p : -1;
}

export function parseHeaders(buf: Buffer, start: number, end: number, topLevel: boolean): Headers {
  const result: Headers = { bodyStart: end, contentType: undefined, transferEncoding: undefined };
  let current: 'type' | 'cte' | undefined;
  let value = '';
  const finish = () => {
    if (current === 'type' && result.contentType === undefined) result.contentType = value;
    if (current === 'cte' && result.transferEncoding === undefined) result.transferEncoding = value;
    current = undefined;
    value = '';
  };
  let pos = start;
  let first = true;
  while (pos < end) {
    let lineEnd = pos;
    while (lineEnd < end && buf[lineEnd] !== CR && buf[lineEnd] !== LF) lineEnd++;
    let next = lineEnd;
    if (next < end) next += buf[next] === CR && next + 1 < end && buf[next + 1] === LF ? 2 : 1;
    if (lineEnd === pos) {
      result.bodyStart = next;
      finish();
      return result;
    }
    const lead = buf[pos];
    if (lead === SP || lead === HT) {
      if (!first) {
        if (current !== undefined && value.length < MAX_HEADER_VALUE) {
          value += buf.toString('latin1', pos, Math.min(lineEnd, pos + MAX_HEADER_VALUE));
        }
        pos = next;
        continue;
      }
    }
    const colon = fieldNameEnd(buf, pos, lineEnd);
    if (colon < 0) {
      // An mbox "From " envelope line may precede a message's headers.
      if (first && topLevel && buf.toString('latin1', pos, Math.min(lineEnd, pos + 5)) === 'From ') {
        first = false;
        pos = next;
        continue;
      }
      // Not a header: the body starts here (a missing blank line).
      result.bodyStart = pos;
      finish();
      return result;
    }
    finish();
    first = false;
    const name = buf.toString('latin1', pos, colon).trimEnd().toLowerCase();
    if (name === 'content-type') current = 'type';
    else if (name === 'content-transfer-encoding') current = 'cte';
    if (current !== undefined)
      value = buf.toString('latin1', colon + 1, Math.min(lineEnd, colon + 1 + MAX_HEADER_VALUE));
    pos = next;
  }
  finish();
  return result;
}

export interface ContentType {
  type: string;
  params: Map<string, string>;
}

/** Splits a structured header value into tokens: words, quoted strings, and the separators ; = /. */
function tokenize(value: string): { text: string; quoted: boolean }[] {
  const tokens: { text: string; quoted: boolean }[] = [];
  let i = 0;
  while (i < value.length) {
    const c = value[i] as string;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === ')') {
      // A stray ")" is skipped too: the word scanner below stops at it and would not advance.
      i++;
    } else if (c === '(') {
      let depth = 0;
      for (; i < value.length; i++) {
        const d = value[i];
        if (d === '\\') i++;
        else if (d === '(') depth++;
        else if (d === ')' && --depth === 0) break;
      }
      i++;
    } else if (c === '"') {
      let text = '';
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\' && i + 1 < value.length) i++;
        text += value[i];
        i++;
      }
      i++;
      tokens.push({ text, quoted: true });
    } else if (c === ';' || c === '=' || c === '/') {
      tokens.push({ text: c, quoted: false });
      i++;
    } else {
      let j = i;
      while (j < value.length && !' \t\r\n();="/'.includes(value[j] as string)) j++;
      tokens.push({ text: value.slice(i, j), quoted: false });
      i = j;
    }
  }
  return tokens;
}

export function parseContentType(value: string): ContentType | undefined {
  const tokens = tokenize(value);
  const [major, slash, minor] = tokens;
  if (!major || !minor || major.quoted || slash?.text !== '/' || minor.quoted) return undefined;
  const params = new Map<string, string>();
  let i = 3;
  while (i < tokens.length) {
    if (tokens[i]?.text !== ';' || tokens[i]?.quoted) {
      i++;
      continue;
    }
    const name = tokens[i + 1];
    const eq = tokens[i + 2];
    const val = tokens[i + 3];
    if (name && !name.quoted && eq?.text === '=' && !eq.quoted && val && (val.quoted || val.text !== ';')) {
      const key = name.text.toLowerCase();
      if (!params.has(key)) params.set(key, val.text);
      i += 4;
    } else {
      i++;
    }
  }
  return { type: `${major.text}/${minor.text}`.toLowerCase(), params };
}

export function parseTransferEncoding(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const token = tokenize(value).find((t) => t.text !== ';');
  return token?.text.toLowerCase();
}
