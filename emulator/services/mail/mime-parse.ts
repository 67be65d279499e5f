/**
 * A tolerant RFC 5322 / MIME reader for messages clients upload (create from MIME, import):
 * headers with RFC 2047 encoded-words, RFC 2231 parameters, base64 / quoted-printable bodies,
 * nested multiparts and message/rfc822 parts. It extracts what Graph shows of a message.
 */

export interface ParsedAddress {
  name: string;
  address: string;
}

export interface ParsedAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
  contentId: string | null;
  inline: boolean;
  /** message/rfc822: an item attachment. */
  isMessage: boolean;
}

export interface ParsedMessage {
  headers: { name: string; value: string }[];
  subject: string;
  from: ParsedAddress[];
  sender: ParsedAddress[];
  to: ParsedAddress[];
  cc: ParsedAddress[];
  bcc: ParsedAddress[];
  replyTo: ParsedAddress[];
  date: Date | null;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  importance: 'low' | 'normal' | 'high';
  text: string | null;
  html: string | null;
  attachments: ParsedAttachment[];
}

interface Entity {
  headers: [string, string][];
  body: string; // latin1: one char per byte
}

function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const cs = (charset ?? 'utf-8').toLowerCase().replace(/^"|"$/g, '');
  try {
    return new TextDecoder(cs === 'us-ascii' || cs === 'ascii' ? 'utf-8' : cs).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** Header text: raw 8-bit bytes are read as UTF-8 (RFC 6532), then encoded-words are decoded. */
export function decodeHeaderValue(latin1: string): string {
  const utf8 = /[\x80-\xff]/.test(latin1) ? Buffer.from(latin1, 'latin1').toString('utf8') : latin1;
  return utf8
    .replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)/g, '$1')
    .replace(/=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g, (_, charset: string, enc: string, text: string) => {
      const bytes =
        enc.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(
              text
                .replace(/_/g, ' ')
                .replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
              'latin1',
            );
      return decodeCharset(bytes, charset.split('*')[0]);
    });
}

function splitEntity(raw: string): Entity {
  const m = /\r?\n\r?\n/.exec(raw);
  const headerText = m ? raw.slice(0, m.index) : raw;
  const body = m ? raw.slice(m.index + m[0].length) : '';
  const headers: [string, string][] = [];
  for (const line of headerText.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      const last = headers[headers.length - 1] as [string, string];
      last[1] += line;
    } else {
      const i = line.indexOf(':');
      if (i > 0) headers.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
    }
  }
  return { headers, body };
}

const header = (e: Entity, name: string) => e.headers.find(([k]) => k.toLowerCase() === name)?.[1];

/** `type/sub; a=b; c*=UTF-8''x; d*0*=…` → value and parameters (RFC 2231 joined and decoded). */
export function parseParams(value: string): { value: string; params: Record<string, string> } {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    if (c === ';' && !quoted) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  const params: Record<string, string> = {};
  const extended: Record<string, { i: number; v: string; enc: boolean }[]> = {};
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    const m = /^([^*]+)(?:\*(\d+))?(\*)?$/.exec(key);
    if (!m || (m[2] === undefined && m[3] === undefined)) {
      params[key] = decodeHeaderValue(v);
      continue;
    }
    (extended[m[1] as string] ??= []).push({ i: Number(m[2] ?? 0), v, enc: m[3] === '*' });
  }
  for (const [name, segs] of Object.entries(extended)) {
    segs.sort((a, b) => a.i - b.i);
    let charset = 'utf-8';
    const bytes: Buffer[] = [];
    segs.forEach((s, n) => {
      let v = s.v;
      if (n === 0 && s.enc) {
        const q = /^([^']*)'[^']*'(.*)$/.exec(v);
        if (q) {
          charset = q[1] || 'utf-8';
          v = q[2] as string;
        }
      }
      bytes.push(
        s.enc
          ? Buffer.from(
              v.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
              'latin1',
            )
          : Buffer.from(v, 'latin1'),
      );
    });
    params[name] = decodeCharset(Buffer.concat(bytes), charset);
  }
  return { value: (parts[0] ?? '').trim().toLowerCase(), params };
}

export function parseAddressList(raw: string | undefined): ParsedAddress[] {
  if (!raw) return [];
  const out: ParsedAddress[] = [];
  let cur = '';
  let depth = 0;
  let quoted = false;
  const flush = () => {
    const s = cur.trim();
    cur = '';
    if (!s) return;
    const m = /^(.*?)<([^>]*)>\s*$/.exec(s);
    if (m) {
      const name = decodeHeaderValue((m[1] as string).trim())
        .replace(/^"(.*)"$/, '$1')
        .replace(/\\(.)/g, '$1');
      out.push({ name: name || (m[2] as string).trim(), address: (m[2] as string).trim() });
    } else {
      const addr = s.replace(/\(.*\)/, '').trim();
      out.push({ name: addr, address: addr });
    }
  };
  for (const c of raw) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '<' || c === '(')) depth++;
    else if (!quoted && (c === '>' || c === ')')) depth--;
    if (c === ',' && !quoted && depth <= 0) flush();
    else cur += c;
  }
  flush();
  return out;
}

function decodeBody(e: Entity): Buffer {
  const cte = (header(e, 'content-transfer-encoding') ?? '').trim().toLowerCase();
  if (cte === 'base64') return Buffer.from(e.body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (cte === 'quoted-printable') {
    const s = e.body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(s, 'latin1');
  }
  return Buffer.from(e.body, 'latin1');
}

function splitMultipart(body: string, boundary: string): string[] {
  const parts: string[] = [];
  const delim = `--${boundary}`;
  const lines = body.split(/\r?\n/);
  let cur: string[] | null = null;
  for (const line of lines) {
    const t = line.trimEnd();
    if (t === delim || t === `${delim}--`) {
      if (cur) parts.push(cur.join('\r\n'));
      cur = t === delim ? [] : null;
      if (t !== delim) break;
    } else if (cur) cur.push(line);
  }
  return parts;
}

function walk(e: Entity, out: ParsedMessage, depth: number): void {
  const ct = parseParams(header(e, 'content-type') ?? 'text/plain; charset=us-ascii');
  const disp = parseParams(header(e, 'content-disposition') ?? '');
  const filename = disp.params['filename'] ?? ct.params['name'];
  if (ct.value.startsWith('multipart/') && ct.params['boundary'] && depth < 30) {
    for (const p of splitMultipart(e.body, ct.params['boundary'])) walk(splitEntity(p), out, depth + 1);
    return;
  }
  const isAttachment = disp.value === 'attachment' || filename !== undefined || !ct.value.startsWith('text/');
  if (!isAttachment && ct.value === 'text/html' && out.html === null) {
    out.html = decodeCharset(decodeBody(e), ct.params['charset']);
    return;
  }
  if (!isAttachment && out.text === null && (ct.value === 'text/plain' || ct.value === 'text')) {
    out.text = decodeCharset(decodeBody(e), ct.params['charset']);
    return;
  }
  const cid = header(e, 'content-id');
  out.attachments.push({
    filename: filename ?? (ct.value === 'message/rfc822' ? 'message.eml' : 'attachment'),
    contentType: ct.value || 'application/octet-stream',
    content: decodeBody(e),
    contentId: cid ? cid.replace(/^<|>$/g, '') : null,
    inline: disp.value === 'inline' && cid !== undefined,
    isMessage: ct.value === 'message/rfc822',
  });
}

/** Parses a whole message; never throws on malformed input (missing parts come back empty). */
export function parseMime(buf: Buffer): ParsedMessage {
  const e = splitEntity(buf.toString('latin1'));
  const get = (n: string) => header(e, n);
  const ids = (v: string | undefined) => (v ? (v.match(/<[^>]+>/g) ?? []).map((x) => x.slice(1, -1)) : []);
  const date = get('date') ? new Date(Date.parse(get('date') as string)) : null;
  const imp = (get('importance') ?? '').toLowerCase();
  const prio = (get('x-priority') ?? '').trim().charAt(0);
  const out: ParsedMessage = {
    headers: e.headers.map(([name, value]) => ({ name, value: decodeHeaderValue(value) })),
    subject: decodeHeaderValue(get('subject') ?? ''),
    from: parseAddressList(get('from')),
    sender: parseAddressList(get('sender')),
    to: parseAddressList(get('to')),
    cc: parseAddressList(get('cc')),
    bcc: parseAddressList(get('bcc')),
    replyTo: parseAddressList(get('reply-to')),
    date: date && !Number.isNaN(date.getTime()) ? date : null,
    messageId: ids(get('message-id'))[0] ?? null,
    inReplyTo: ids(get('in-reply-to'))[0] ?? null,
    references: ids(get('references')),
    importance:
      imp === 'high' || prio === '1' || prio === '2'
        ? 'high'
        : imp === 'low' || prio === '5' || prio === '4'
          ? 'low'
          : 'normal',
    text: null,
    html: null,
    attachments: [],
  };
  walk(e, out, 0);
  return out;
}

/** Whether the bytes look like a MIME message at all (a header block with at least one field). */
export function looksLikeMime(buf: Buffer): boolean {
  const head = buf.subarray(0, 4096).toString('latin1');
  return /^[!-9;-~]+:[^\r\n]*\r?\n/.test(head) && /\r?\n\r?\n/.test(head);
}
