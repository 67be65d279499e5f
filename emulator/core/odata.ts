import { randomUUID } from 'node:crypto';
import type { EmuRequest, EmuResponse } from './types.js';

/** An error answered with Graph's error body: `{"error":{"code","message","innerError"}}`. */
export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** The more specific `innerError.code` (OneDrive/SharePoint style, e.g. `throttledRequest`). */
    readonly innerErrorCode?: string,
  ) {
    super(message);
  }
}

export const notFound = (
  what = 'The specified object was not found in the store.',
  code = 'ErrorItemNotFound',
) => new GraphHttpError(404, code, what);
export const badRequest = (message: string, code = 'BadRequest') => new GraphHttpError(400, code, message);

export function graphErrorBody(
  code: string,
  message: string,
  requestId: string,
  clientRequestId?: string,
  innerCode?: string,
) {
  return {
    error: {
      code,
      message,
      innerError: {
        ...(innerCode ? { code: innerCode } : {}),
        date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
        'request-id': requestId,
        'client-request-id': clientRequestId ?? requestId,
      },
    },
  };
}

export function errorResponse(err: GraphHttpError, req?: EmuRequest): EmuResponse {
  const requestId = randomUUID();
  return {
    status: err.status,
    headers: { ...err.headers, 'request-id': requestId },
    json: graphErrorBody(
      err.code,
      err.message,
      requestId,
      req?.headers['client-request-id'],
      err.innerErrorCode,
    ),
  };
}

export const ok = (json: unknown, status = 200, headers?: Record<string, string>): EmuResponse => ({
  status,
  json,
  ...(headers ? { headers } : {}),
});
export const noContent = (): EmuResponse => ({ status: 204 });

/** Parses the JSON request body; a malformed one is Graph's 400. */
export function jsonBody<T = Record<string, unknown>>(req: EmuRequest): T {
  if (req.body.length === 0) throw badRequest('Empty Payload. JSON content expected.');
  try {
    return JSON.parse(req.body.toString('utf8')) as T;
  } catch {
    throw badRequest(
      'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
    );
  }
}

/** `$top`, bounded as Graph bounds it per resource. */
export function topOf(req: EmuRequest, defaultTop: number, maxTop: number): number {
  const raw = req.query.get('$top') ?? req.query.get('top');
  const preferred = /odata\.maxpagesize=(\d+)/.exec(req.headers['prefer'] ?? '')?.[1];
  const value = raw ?? preferred;
  if (value === undefined || value === null) return defaultTop;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`Invalid value '${value}' for $top query option.`);
  return Math.min(Math.max(n, 1), maxTop);
}

/** Applies `$select` to one entity: `id` and OData annotations always stay. */
/** Top-level property names of a `$expand` (`a($select=x,y),b` → a, b). */
export function expandedNames(expand: string): string[] {
  const names: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of expand) {
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      names.push(current);
      current = '';
      continue;
    }
    if (depth === 0 && c !== ')') current += c;
  }
  names.push(current);
  return names.map((n) => n.trim()).filter(Boolean);
}

export function select<T extends object>(
  req: EmuRequest,
  entity: T,
  alwaysKeep: readonly string[] = [],
): Partial<T> {
  const raw = req.query.get('$select') ?? req.query.get('select');
  if (!raw) return entity;
  const wanted = new Set(raw.split(',').map((s) => s.trim()));
  // Navigation properties named in $expand (`fields($select=…)`) survive a $select too.
  for (const name of expandedNames(req.query.get('$expand') ?? '')) wanted.add(name);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entity)) {
    if (wanted.has(k) || k === 'id' || k.startsWith('@') || alwaysKeep.includes(k)) out[k] = v;
  }
  return out as Partial<T>;
}

export function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * Decodes a token made by `encodeToken`. Only JSON objects are accepted (every cursor is one); the
 * caller still has to check the fields — prefer `decodeCursor`, which does.
 */
export function decodeToken<T>(token: string, what = '$skiptoken'): T {
  const value = parseTokenJson(token);
  if (value === undefined) throw badRequest(`Invalid ${what} value.`);
  return value as T;
}

function parseTokenJson(token: string): Record<string, unknown> | undefined {
  // Base64url only: anything else is not a token this emulator issued.
  if (!/^[A-Za-z0-9_-]*$/.test(token)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Field kinds of a cursor: `count` is a non-negative safe integer (an offset, a sequence number,
 * a key), `string` a string, `flag` the number 1; a trailing `?` makes the field optional.
 */
export type CursorField = 'count' | 'string' | 'flag' | 'count?' | 'string?' | 'flag?';
type FieldValue<F extends CursorField> = F extends 'string' | 'string?' ? string : number;
type RequiredFields<S> = { [K in keyof S as S[K] extends `${string}?` ? never : K]: S[K] };
type OptionalFields<S> = { [K in keyof S as S[K] extends `${string}?` ? K : never]: S[K] };
export type Cursor<S extends Record<string, CursorField>> = {
  [K in keyof RequiredFields<S>]: FieldValue<S[K]>;
} & { [K in keyof OptionalFields<S>]?: FieldValue<S[K]> };

function fieldOk(kind: CursorField, v: unknown): boolean {
  switch (kind.replace('?', '')) {
    case 'count':
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    case 'string':
      return typeof v === 'string';
    default:
      return v === 1;
  }
}

/**
 * Decodes a cursor token and checks its shape: exactly the fields of `shape`, each of its kind.
 * Returns undefined for anything else (undecodable, not an object, missing, extra or mistyped
 * fields, negative or fractional numbers) so the caller decides how to answer.
 */
export function tryDecodeCursor<S extends Record<string, CursorField>>(
  token: string,
  shape: S,
): Cursor<S> | undefined {
  const value = parseTokenJson(token);
  if (!value) return undefined;
  for (const k of Object.keys(value)) if (!(k in shape)) return undefined;
  for (const [k, kind] of Object.entries(shape)) {
    const v = value[k];
    if (v === undefined && kind.endsWith('?')) continue;
    if (!fieldOk(kind, v)) return undefined;
  }
  return value as Cursor<S>;
}

/** `tryDecodeCursor`, answering a malformed token with Graph's 400. */
export function decodeCursor<S extends Record<string, CursorField>>(
  token: string,
  shape: S,
  what = '$skiptoken',
  code = 'BadRequest',
): Cursor<S> {
  const c = tryDecodeCursor(token, shape);
  if (!c) throw badRequest(`Invalid ${what} value.`, code);
  return c;
}

/** `$skip`: a non-negative integer, else Graph's 400 (a negative or non-numeric offset is not a page). */
export function skipOf(req: EmuRequest): number {
  const raw = req.query.get('$skip');
  if (raw === null) return 0;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw badRequest(`Invalid value '${raw}' for $skip query option.`);
  return n;
}

/** The absolute URL of this request with some query parameters replaced (`null` removes). */
export function selfLink(req: EmuRequest, replace: Record<string, string | null>): string {
  const q = new URLSearchParams(req.query);
  for (const [k, v] of Object.entries(replace)) {
    if (v === null) q.delete(k);
    else q.set(k, v);
  }
  const version = req.apiVersion ? `/${req.apiVersion}` : '';
  const path = req.rawPath.startsWith(version) ? req.rawPath : `${version}${req.rawPath}`;
  const qs = q.toString().replace(/%24/g, '$');
  return `${req.origin}${path}${qs ? `?${qs}` : ''}`;
}

export function contextUrl(req: EmuRequest, fragment: string): string {
  return `${req.origin}/${req.apiVersion || 'v1.0'}/$metadata#${fragment}`;
}

/**
 * One page of a collection response. `items` are already projected; `next` is the cursor for the
 * following page or undefined at the end.
 */
export function collectionPage(
  req: EmuRequest,
  context: string,
  items: unknown[],
  next: unknown,
  extra: Record<string, unknown> = {},
): EmuResponse {
  const body: Record<string, unknown> = {
    '@odata.context': contextUrl(req, context),
    ...extra,
    value: items,
  };
  if (next !== undefined) body['@odata.nextLink'] = selfLink(req, { $skiptoken: encodeToken(next) });
  return ok(body);
}
