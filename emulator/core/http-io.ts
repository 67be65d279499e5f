import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { graphErrorBody } from './odata.js';
import type { EmuRequest, EmuResponse } from './types.js';

/**
 * The emulator's HTTP edge: reading request bodies within a limit, answering what cannot be
 * served, and writing responses whose headers Node will always accept.
 */

/** A refused request's unread body is drained up to this size (or time) to keep the connection. */
const DRAIN_LIMIT = 1024 * 1024;
const DRAIN_MS = 2000;
export const JSON_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** The body, or 'too-large' as soon as it passes `limit` (what arrived so far is dropped). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        chunks.length = 0;
        req.pause();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onClose = () => {
      cleanup();
      reject(new Error('the client went away before the request body was complete'));
    };
    // Gone while the route and token were checked: 'close' has already been emitted.
    if (req.destroyed) return onClose();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
  });
}

export function contentLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Discards the rest of a request body nobody will read, so the connection can carry the next
 * request (and the client, still sending, reads the answer rather than a reset). A body that goes
 * on for more than `DRAIN_LIMIT` bytes or `DRAIN_MS` gets the connection closed instead, so memory
 * and time stay bounded.
 */
export function discardBody(req: IncomingMessage): void {
  if (req.complete) return;
  let seen = 0;
  const stop = () => {
    clearTimeout(timer);
    req.off('data', onData);
    req.socket.destroySoon();
  };
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DRAIN_LIMIT) stop();
  };
  const timer = setTimeout(stop, DRAIN_MS);
  timer.unref();
  req.on('data', onData);
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

export const tooLarge = (req: IncomingMessage, res: ServerResponse) => {
  discardBody(req);
  writeSimple(
    res,
    413,
    graphErrorBody('RequestEntityTooLarge', 'The request body is too large.', randomUUID()),
  );
};

/** The last resort for a request that failed outside the handlers: 500, or a cut connection. */
export function failed(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  try {
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    writeSimple(
      res,
      500,
      graphErrorBody('generalException', 'An internal server error occurred.', randomUUID()),
    );
  } catch {
    res.destroy();
  }
}

function writeSimple(res: ServerResponse, status: number, json: unknown): void {
  const body = JSON.stringify(json);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** What Node accepts in a header value (it throws ERR_INVALID_CHAR on anything else). */
const VALID_HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const percentEncode = (s: string) =>
  [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** Percent-encodes (UTF-8) every character `keep` refuses. */
function encodeChars(value: string, keep: (ch: string) => boolean): string {
  let out = '';
  for (const ch of value) out += keep(ch) ? ch : percentEncode(ch);
  return out;
}

/**
 * A header value Node can send. `Location` is a URI, so anything outside printable ASCII is
 * percent-encoded (RFC 3986). A parameter (`name="✓.txt"` in Content-Type or -Disposition) that
 * cannot be sent becomes its RFC 8187 form (`name*=UTF-8''%E2%9C%93.txt`); whatever is left that
 * Node would refuse is percent-encoded rather than crash the response.
 */
export function sendableHeaderValue(name: string, value: string): string {
  if (name === 'location') return encodeChars(value, (ch) => ch > ' ' && ch <= '~');
  if (VALID_HEADER_VALUE.test(value)) return value;
  const withParams = value.replace(
    /;\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)=("(?:[^"\\]|\\.)*"|[^;]*)/g,
    (param: string, key: string, raw: string) => {
      if (VALID_HEADER_VALUE.test(param)) return param;
      // Already given in the extended form as well: the plain one is redundant.
      const escaped = key.replace(/[$*+.^|]/g, '\\$&');
      if (new RegExp(`(^|[;\\s])${escaped}\\*=`, 'i').test(value)) return '';
      const unquoted = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw.trim();
      return `; ${key}*=UTF-8''${encodeChars(unquoted, (ch) => /[A-Za-z0-9!#$&+.^_`|~-]/.test(ch))}`;
    },
  );
  return encodeChars(withParams, (ch) => VALID_HEADER_VALUE.test(ch));
}

function sendableHeaders(headers: Record<string, string | number>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase();
    if (!HEADER_NAME.test(name)) continue;
    out[name] = typeof v === 'number' ? v : sendableHeaderValue(name, String(v));
  }
  return out;
}

/** Parses a single `bytes=` range; undefined when absent or multi-range (served whole). */
function parseRange(
  header: string | undefined,
  length: number,
): [number, number] | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a, b] = m;
  let start: number;
  let end: number;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    start = Math.max(0, length - Number(b));
    end = length - 1;
  } else {
    start = Number(a);
    end = b === '' ? length - 1 : Math.min(Number(b), length - 1);
  }
  if (start >= length || start > end) return 'unsatisfiable';
  return [start, end];
}

/** Writes the answer; returns the status actually sent (a Range request turns 200 into 206 or 416). */
export function write(res: ServerResponse, req: EmuRequest, r: EmuResponse, resetMidBody: boolean): number {
  const headers: Record<string, string | number> = sendableHeaders({
    'request-id': r.headers?.['request-id'] ?? randomUUID(),
    'client-request-id': req.headers['client-request-id'] ?? r.headers?.['request-id'] ?? randomUUID(),
    'strict-transport-security': 'max-age=31536000',
    ...r.headers,
  });
  if (r.stream) {
    const total = r.stream.length;
    const range = r.status === 200 ? parseRange(req.headers['range'], total) : undefined;
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${total}`, 'content-length': 0 });
      res.end();
      return 416;
    }
    const [start, end] = range ?? [0, total - 1];
    const length = total === 0 ? 0 : end - start + 1;
    if (range) headers['content-range'] = `bytes ${start}-${end}/${total}`;
    headers['content-length'] = length;
    const status = range ? 206 : r.status;
    res.writeHead(status, headers);
    if (length === 0) {
      res.end();
      return status;
    }
    const stream = r.stream.open(start, end);
    if (resetMidBody) {
      let sent = 0;
      stream.on('data', (c: Buffer) => {
        sent += c.length;
        if (sent >= length / 2) {
          stream.destroy();
          res.socket?.destroy();
        }
      });
    }
    stream.on('error', () => res.socket?.destroy());
    stream.pipe(res);
    return status;
  }
  let body: Buffer;
  if (r.json !== undefined) {
    body = Buffer.from(JSON.stringify(r.json));
    headers['content-type'] ??= JSON_TYPE;
  } else {
    body = r.body === undefined ? Buffer.alloc(0) : typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  }
  headers['content-length'] = body.length;
  res.writeHead(r.status, headers);
  if (resetMidBody && body.length > 1) {
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
    return r.status;
  }
  if (req.method === 'HEAD') res.end();
  else res.end(body);
  return r.status;
}
