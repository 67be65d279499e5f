import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { systemClock, type Clock } from './clock.js';
import { resolveEndpoints, type GraphConfig, type ResolvedEndpoints } from './config.js';
import { AbortedError, GraphError, MalformedResponseError, NetworkError, ThrottledError } from './errors.js';
import { backoffMs, parseRetryAfter, ThrottleGovernor } from './governor.js';
import { TokenProvider } from './identity.js';
import { classify, type RequestScope } from './scope.js';
import { discard, readBody, UndiciTransport, type HttpResponse, type Transport } from './transport.js';
import { SAFEHOLD_VERSION } from './version.js';

export interface RequestOptions {
  headers?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  body?: Buffer | string;
  signal?: AbortSignal;
  /** Overrides the throttling scope read from the URL. */
  scope?: RequestScope;
  /**
   * Whether repeating the request is harmless. Defaults to true for GET/HEAD/PUT/DELETE and false
   * for POST/PATCH: those are retried only when the service says it did not process them (429/503).
   */
  idempotent?: boolean;
  /** Statuses returned to the caller instead of raising (e.g. 404 for "may be gone"). */
  allowStatus?: number[];
  /** `$batch` sends `units` sub-requests in one scope: they count against its budget. */
  units?: number;
  /** False when the caller already holds governor permits for this request (`$batch`). */
  governed?: boolean;
  /**
   * Sign the request with a token for this resource instead of Graph's — SharePoint REST, whose
   * audience is the site's origin (`https://contoso.sharepoint.com`).
   */
  resource?: string;
}

export interface GraphResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface StreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

export interface GraphClientDeps {
  transport?: Transport;
  clock?: Clock;
  random?: () => number;
  tokens?: { token(forceRefresh?: boolean, resource?: string): Promise<string> };
}

/** Statuses worth retrying; 429/503 carry Retry-After and mean "not processed". */
const THROTTLE_STATUSES = new Set([429, 503]);
const TRANSIENT_STATUSES = new Set([500, 502, 504]);
const MAX_JSON_BYTES = 64 * 1024 * 1024;
const MAX_THROTTLE_RETRIES = 40;

/** Graph's error body, walking innerError for the most specific code. */
export function parseGraphError(
  body: Buffer,
): { code: string; message: string; codes: string[] } | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as {
      error?: { code?: string; message?: string; innerError?: unknown; innererror?: unknown };
    };
    if (!parsed?.error || typeof parsed.error !== 'object') return undefined;
    const codes: string[] = [];
    let cur: unknown = parsed.error;
    for (let depth = 0; cur && typeof cur === 'object' && depth < 10; depth++) {
      const c = (cur as { code?: unknown }).code;
      if (typeof c === 'string') codes.push(c);
      cur =
        (cur as { innerError?: unknown; innererror?: unknown }).innerError ??
        (cur as { innererror?: unknown }).innererror;
    }
    return { code: codes[0] ?? 'UnknownError', message: String(parsed.error.message ?? ''), codes };
  } catch {
    return undefined;
  }
}

/**
 * The Microsoft Graph client: MSAL sign-in, keep-alive HTTP, throttling governed per scope,
 * retries with backoff, and typed errors. Higher-level helpers (paging, delta, batch, download,
 * upload) build on `send` and `json`.
 */
export class GraphClient {
  readonly endpoints: ResolvedEndpoints;
  readonly governor: ThrottleGovernor;
  readonly clock: Clock;
  readonly random: () => number;
  private readonly transport: Transport;
  private readonly tokens: { token(forceRefresh?: boolean, resource?: string): Promise<string> };
  private readonly graphOrigin: string;
  private readonly userAgent: string;
  private readonly maxAttempts: number;

  constructor(
    readonly config: GraphConfig,
    deps: GraphClientDeps = {},
  ) {
    this.endpoints = resolveEndpoints(config);
    this.graphOrigin = new URL(this.endpoints.graphUrl).origin;
    this.transport = deps.transport ?? new UndiciTransport(config.ca ? { ca: config.ca } : {});
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? Math.random;
    this.tokens = deps.tokens ?? new TokenProvider(config, this.endpoints, this.transport);
    this.governor = new ThrottleGovernor(
      {
        maxConcurrency: config.maxConcurrency ?? 64,
        tenantLicenses: config.tenantLicenses ?? 0,
        windowScale: config.limitWindowScale ?? 1,
      },
      this.clock,
    );
    this.userAgent = `ISV|Safehold|Safehold/${SAFEHOLD_VERSION}${config.userAgentSuffix ? ` ${config.userAgentSuffix}` : ''}`;
    this.maxAttempts = config.maxAttempts ?? 8;
  }

  /** Absolute URL for a Graph path (`/users`, `/beta/...`, `v1.0/...`) or an absolute link. */
  url(pathOrUrl: string): string {
    if (/^https?:\/\//i.test(pathOrUrl)) return pathOrUrl;
    const p = pathOrUrl.startsWith('/') ? pathOrUrl : `/${pathOrUrl}`;
    if (/^\/(v1\.0|beta)(\/|$)/.test(p)) return `${this.endpoints.graphUrl}${p}`;
    return `${this.endpoints.graphUrl}/${this.config.apiVersion ?? 'v1.0'}${p}`;
  }

  /** Bearer tokens go to the Graph origin only — never to pre-authenticated upload/download hosts. */
  private isGraph(url: URL): boolean {
    return url.origin === this.graphOrigin && /^\/(v1\.0|beta)(\/|$)/.test(url.pathname);
  }

  /** Sends with governor, retries and token refresh; the caller owns `body` (consume or discard it). */
  async stream(method: string, pathOrUrl: string, opts: RequestOptions = {}): Promise<StreamResponse> {
    const url = new URL(this.url(pathOrUrl));
    const scope = opts.scope ?? classify(method, url);
    const idempotent = opts.idempotent ?? ['GET', 'HEAD', 'PUT', 'DELETE'].includes(method);
    const withAuth = this.isGraph(url) || opts.resource !== undefined;
    const headers: Record<string, string> = {
      'user-agent': this.userAgent,
      'client-request-id': randomUUID(),
      accept: 'application/json',
      ...opts.headers,
    };
    let body = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] ??= 'application/json';
    }
    let attempt = 0;
    let throttledRetries = 0;
    let refreshed = false;
    for (;;) {
      if (opts.signal?.aborted) throw new AbortedError('aborted');
      const permit =
        opts.governed === false
          ? { release: () => undefined }
          : await this.governor.acquire(scope, opts.signal, opts.units ?? 1).catch((e: unknown) => {
              throw opts.signal?.aborted ? new AbortedError('aborted') : e;
            });
      let res: HttpResponse;
      try {
        if (withAuth) headers['authorization'] = `Bearer ${await this.tokens.token(false, opts.resource)}`;
        res = await this.transport.send({
          method,
          url: url.href,
          headers,
          ...(body !== undefined ? { body } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
          headersTimeoutMs: this.config.requestTimeoutMs ?? 120_000,
        });
      } catch (e) {
        permit.release();
        if (opts.signal?.aborted) throw new AbortedError('aborted');
        if ((e as Error).name === 'AuthenticationError') throw e;
        // A connection that broke before an answer: the request may or may not have been applied.
        const before = isConnectError(e);
        if ((idempotent || before) && ++attempt < this.maxAttempts) {
          await this.clock.sleep(backoffMs(attempt, this.random), opts.signal);
          continue;
        }
        throw new NetworkError((e as Error).message ?? String(e), url.href, e);
      }

      if (scope.kind === 'sharepoint') this.governor.rateLimitHeaders(scope, res.headers);
      const status = res.status;
      const ok = (status >= 200 && status < 400) || opts.allowStatus?.includes(status);
      if (ok) {
        const release = () => permit.release();
        res.body.once('end', release);
        res.body.once('close', release);
        res.body.once('error', release);
        return { status, headers: res.headers, body: res.body };
      }
      const errBody = await readBody(res.body, 1024 * 1024).catch(() => Buffer.alloc(0));
      permit.release();
      const parsed = parseGraphError(errBody);

      if (status === 401 && withAuth && !refreshed && parsed?.code === 'InvalidAuthenticationToken') {
        refreshed = true;
        await this.tokens.token(true, opts.resource);
        continue;
      }
      if (THROTTLE_STATUSES.has(status)) {
        const wait =
          parseRetryAfter(res.headers['retry-after']) ??
          backoffMs(Math.min(throttledRetries + 1, 6), this.random, 1000, 60_000);
        this.governor.throttled(scope, wait);
        if (++throttledRetries <= MAX_THROTTLE_RETRIES) continue;
        throw new ThrottledError(
          status,
          parsed?.code ?? 'TooManyRequests',
          parsed?.message ?? 'throttled',
          res.headers['request-id'],
          method,
          url.href,
          parsed?.codes,
          res.headers,
        );
      }
      if (TRANSIENT_STATUSES.has(status) && idempotent && ++attempt < this.maxAttempts) {
        await this.clock.sleep(backoffMs(attempt, this.random), opts.signal);
        continue;
      }
      const message =
        parsed?.message ??
        (errBody.length ? `non-JSON error body (${contentKind(res.headers, errBody)})` : 'empty error body');
      throw new GraphError(
        status,
        parsed?.code ?? `Http${status}`,
        message,
        res.headers['request-id'],
        method,
        url.href,
        parsed?.codes,
        res.headers,
      );
    }
  }

  /** A request whose whole answer is read (bounded); retries answers that arrive broken when safe. */
  async send(method: string, pathOrUrl: string, opts: RequestOptions = {}): Promise<GraphResponse> {
    const idempotent = opts.idempotent ?? ['GET', 'HEAD', 'PUT', 'DELETE'].includes(method);
    for (let attempt = 1; ; attempt++) {
      const res = await this.stream(method, pathOrUrl, opts);
      try {
        return { status: res.status, headers: res.headers, body: await readBody(res.body, MAX_JSON_BYTES) };
      } catch (e) {
        if (e instanceof RangeError)
          throw new MalformedResponseError(e.message, res.status, this.url(pathOrUrl));
        if (!idempotent || attempt >= this.maxAttempts)
          throw new NetworkError(`the answer broke off: ${(e as Error).message}`, this.url(pathOrUrl), e);
        await this.clock.sleep(backoffMs(attempt, this.random), opts.signal);
      }
    }
  }

  /** A JSON request; the answer must be a JSON object that is not an error. */
  async json<T = Record<string, unknown>>(
    method: string,
    pathOrUrl: string,
    opts: RequestOptions = {},
  ): Promise<T> {
    const idempotent = opts.idempotent ?? ['GET', 'HEAD', 'PUT', 'DELETE'].includes(method);
    for (let attempt = 1; ; attempt++) {
      const res = await this.send(method, pathOrUrl, opts);
      if (res.status === 204 || res.body.length === 0) return {} as T;
      const problem = checkJson(res);
      if (!problem.error) return problem.value as T;
      // A body that arrived malformed is usually a transient fault of the path; try again if safe.
      if (!idempotent || attempt >= Math.min(this.maxAttempts, 3))
        throw new MalformedResponseError(problem.error, res.status, this.url(pathOrUrl));
      await this.clock.sleep(backoffMs(attempt, this.random), opts.signal);
    }
  }

  get<T = Record<string, unknown>>(path: string, opts?: RequestOptions): Promise<T> {
    return this.json<T>('GET', path, opts);
  }

  post<T = Record<string, unknown>>(path: string, json: unknown, opts: RequestOptions = {}): Promise<T> {
    return this.json<T>('POST', path, { ...opts, json });
  }

  patch<T = Record<string, unknown>>(path: string, json: unknown, opts: RequestOptions = {}): Promise<T> {
    return this.json<T>('PATCH', path, { ...opts, json });
  }

  async delete(path: string, opts: RequestOptions = {}): Promise<void> {
    const res = await this.stream('DELETE', path, opts);
    await discard(res.body);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

function contentKind(headers: Record<string, string>, body: Buffer): string {
  const type = headers['content-type'] ?? '';
  if (/html/i.test(type) || /^\s*<(!doctype|html)/i.test(body.subarray(0, 64).toString('utf8')))
    return 'an HTML page';
  return type || 'unknown content';
}

function checkJson(res: GraphResponse): { value?: unknown; error?: string } {
  const text = res.body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const kind = contentKind(res.headers, res.body);
    return {
      error:
        kind === 'an HTML page'
          ? `HTTP ${res.status} answered with an HTML page instead of JSON`
          : `HTTP ${res.status} answered with malformed or truncated JSON (${res.body.length} bytes)`,
    };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return { error: `HTTP ${res.status} answered with JSON that is not an object` };
  const err = (value as { error?: { code?: unknown } }).error;
  if (err && typeof err === 'object' && typeof err.code === 'string')
    return { error: `HTTP ${res.status} carried an error: ${err.code}` };
  return { value };
}

function isConnectError(e: unknown): boolean {
  const code = (e as { code?: string }).code ?? (e as { cause?: { code?: string } }).cause?.code;
  return [
    'ECONNREFUSED',
    'ENOTFOUND',
    'EAI_AGAIN',
    'UND_ERR_CONNECT_TIMEOUT',
    'EHOSTUNREACH',
    'ENETUNREACH',
  ].includes(code ?? '');
}
