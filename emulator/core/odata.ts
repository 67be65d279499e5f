import { randomUUID } from 'node:crypto';
import type { EmuRequest, EmuResponse } from './types.js';

/** An error answered with Graph's error body: `{"error":{"code","message","innerError"}}`. */
export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (
  what = 'The specified object was not found in the store.',
  code = 'ErrorItemNotFound',
) => new GraphHttpError(404, code, what);
export const badRequest = (message: string, code = 'BadRequest') => new GraphHttpError(400, code, message);

export function graphErrorBody(code: string, message: string, requestId: string, clientRequestId?: string) {
  return {
    error: {
      code,
      message,
      innerError: {
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
    json: graphErrorBody(err.code, err.message, requestId, req?.headers['client-request-id']),
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
export function select<T extends object>(
  req: EmuRequest,
  entity: T,
  alwaysKeep: readonly string[] = [],
): Partial<T> {
  const raw = req.query.get('$select') ?? req.query.get('select');
  if (!raw) return entity;
  const wanted = new Set(raw.split(',').map((s) => s.trim()));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entity)) {
    if (wanted.has(k) || k === 'id' || k.startsWith('@') || alwaysKeep.includes(k)) out[k] = v;
  }
  return out as Partial<T>;
}

export function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeToken<T>(token: string, what = '$skiptoken'): T {
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as T;
  } catch {
    throw badRequest(`Invalid ${what} value.`);
  }
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
