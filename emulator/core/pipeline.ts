import type { ScaledClock } from './clock.js';
import type { FaultInjector, FaultSpec } from './faults.js';
import type { Metrics } from './metrics.js';
import { GraphHttpError, errorResponse, graphErrorBody, selfLink } from './odata.js';
import type { Router } from './router.js';
import { serviceTimeMs, type RateLimitInfo, type ThrottleModel } from './throttle.js';
import type { EmuRequest, EmuResponse, RouteDef, ThrottleScope } from './types.js';
import { forbidden, type TokenValidator } from './auth.js';

export interface PipelineDeps {
  router: Router;
  tokens: TokenValidator;
  throttle: ThrottleModel;
  metrics: Metrics;
  faults: FaultInjector;
  clock: ScaledClock;
  random: () => number;
  /**
   * Whether an Exchange throttling key names a mailbox of the tenant. Requests for mailboxes that
   * do not resolve share one `<unknown>` budget, so arbitrary path values cannot grow the
   * throttle and metrics maps without bound.
   */
  knownMailbox?: (mailbox: string) => boolean;
}

/** Metrics key of requests that match no route: one key, whatever the path. */
export const UNMATCHED_ENDPOINT = '<unmatched>';
/** Throttling key of requests whose mailbox does not resolve. */
export const UNKNOWN_MAILBOX = '<unknown>';

/** The outcome of one request before it is written: `finish` releases its throttle slot. */
export interface Dispatched {
  response: EmuResponse;
  /** Set when the HTTP layer must break the connection part-way through the body. */
  resetMidBody: boolean;
  /** Records the request; `writtenStatus` when the HTTP layer answered otherwise (206, 416). */
  finish(writtenStatus?: number): void;
}

const NONE: ThrottleScope = { kind: 'none' };

/** Retry-After as Graph sends it: whole seconds, or fractional ones when time is scaled down. */
export function retryAfterHeader(ms: number, scale: number): string {
  const seconds = ms / 1000;
  return scale >= 1
    ? String(Math.max(1, Math.ceil(seconds)))
    : String(Math.max(0.001, Math.round(seconds * 1000) / 1000));
}

/** SharePoint's RateLimit-* response headers (the reset in seconds, formatted like Retry-After). */
export function rateLimitHeaders(info: RateLimitInfo, scale: number): Record<string, string> {
  return {
    'ratelimit-limit': String(info.limit),
    'ratelimit-remaining': String(info.remaining),
    'ratelimit-reset': retryAfterHeader(info.resetMs, scale),
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function isDeltaRequest(req: EmuRequest, route: RouteDef): boolean {
  if (!route.deltaExpired) return false;
  const token = req.query.get('$deltatoken') ?? req.query.get('token') ?? req.query.get('$skiptoken');
  return !!token && token !== 'latest';
}

/**
 * Everything between parsing a request and writing its answer: routing, the bearer token and
 * permissions, injected faults, throttling, the handler, and the modelled service time. HTTP
 * requests and `$batch` sub-requests both come through here.
 */
export async function dispatch(deps: PipelineDeps, req: EmuRequest): Promise<Dispatched> {
  const started = deps.clock.now();
  deps.metrics.started();
  let scope: ThrottleScope = NONE;
  let endpoint = UNMATCHED_ENDPOINT;
  let release: (() => void) | undefined;
  let admitted = false;
  let finished = false;
  const done = (response: EmuResponse, resetMidBody = false): Dispatched => ({
    response,
    resetMidBody,
    finish: (writtenStatus?: number) => {
      if (finished) return;
      finished = true;
      release?.();
      deps.metrics.finished();
      deps.metrics.record(
        endpoint,
        writtenStatus ?? response.status,
        req.caller?.appId ?? '',
        scope,
        admitted ? deps.clock.now() - started : null,
      );
    },
  });

  try {
    const match = deps.router.match(req.method, req.rawPath);
    if (!('def' in match)) {
      if (match.methodMismatch)
        throw new GraphHttpError(
          405,
          'Request_BadRequest',
          `The HTTP method '${req.method}' is not allowed for this resource.`,
        );
      const segment = req.rawPath.split('/').filter(Boolean).pop() ?? '';
      throw new GraphHttpError(
        400,
        'BadRequest',
        `Resource not found for the segment '${safeDecode(segment)}'.`,
      );
    }
    const route = match.def;
    req.params = match.params;
    req.apiVersion = match.apiVersion;
    endpoint = `${req.method} ${match.apiVersion ? `/${match.apiVersion}` : ''}${route.path}`;

    if (route.permissions !== null) {
      req.caller = await deps.tokens.authenticate(req);
      scope = boundedScope(deps, route.scope?.(req) ?? NONE);
      const perms = req.caller.permissions;
      if (route.permissions.length > 0 && !route.permissions.some((p) => perms.has(p)))
        throw forbidden(scope.kind);
    } else {
      scope = boundedScope(deps, route.scope?.(req) ?? NONE);
    }

    if (req.apiVersion && !req.inBatch) deps.metrics.userAgent(req.headers['user-agent']);
    // Faults reach Graph, SharePoint REST and the pre-authenticated content URLs (downloads,
    // upload sessions: plain routes with a throttling scope), not sign-in or the admin API.
    const faultable =
      !!req.apiVersion || (route.scope !== undefined && !req.rawPath.startsWith('/_emulator'));
    const fault = faultable ? deps.faults.pick(req, isDeltaRequest(req, route)) : undefined;
    if (fault) {
      deps.metrics.fault(fault.kind);
      const early = earlyFault(fault, req, route, deps.clock.scale);
      if (early) return done(early);
    }

    const admission = deps.throttle.admit(req.caller?.appId ?? 'anonymous', scope);
    deps.metrics.concurrency(scope, admission.concurrency);
    // SharePoint sends RateLimit headers to app-only callers (the documented policy is per app).
    const rateLimit =
      admission.rateLimit && req.caller?.kind === 'app'
        ? rateLimitHeaders(admission.rateLimit, deps.clock.scale)
        : {};
    if (!admission.admitted) {
      const retryAfter = retryAfterHeader(admission.retryAfterMs, deps.clock.scale);
      return done(
        errorResponse(
          new GraphHttpError(
            admission.status,
            admission.code,
            admission.message,
            { ...rateLimit, 'retry-after': retryAfter },
            admission.innerCode,
          ),
          req,
        ),
      );
    }
    release = admission.release;
    admitted = true;

    let response: EmuResponse;
    try {
      response = await route.handler(req);
    } catch (e) {
      if (e instanceof GraphHttpError) response = errorResponse(e, req);
      else throw e;
    }
    const bytes = response.stream ? 0 : responseBytes(response);
    await deps.clock.sleep(serviceTimeMs(deps.throttle.mode, scope, bytes, deps.random));
    if (fault?.kind === 'slow') await deps.clock.sleep(fault.delayMs ?? 3000);
    if (Object.keys(rateLimit).length)
      response = { ...response, headers: { ...response.headers, ...rateLimit } };
    if (fault?.kind === 'truncate') response = truncated(response);
    if (fault?.kind === 'loop-next-link') response = loopNextLink(response, req);
    // The service has done its work: a buffered answer no longer occupies the mailbox while its
    // bytes travel (the client may have them before this process hears the socket drain). A
    // streamed body keeps its slot until it is sent.
    if (!response.stream) {
      release();
      release = undefined;
    }
    return done(response, fault?.kind === 'reset');
  } catch (e) {
    if (e instanceof GraphHttpError) return done(errorResponse(e, req));
    console.error('emulator: unhandled error for', req.method, req.rawPath, e);
    return done(
      errorResponse(new GraphHttpError(500, 'generalException', 'An internal server error occurred.'), req),
    );
  }
}

/** Mailboxes that do not resolve share one throttling key (see `knownMailbox`). */
function boundedScope(deps: PipelineDeps, scope: ThrottleScope): ThrottleScope {
  if (scope.kind !== 'exchange' || !deps.knownMailbox || deps.knownMailbox(scope.mailbox)) return scope;
  return { kind: 'exchange', mailbox: UNKNOWN_MAILBOX };
}

function responseBytes(r: EmuResponse): number {
  if (r.body !== undefined) return typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body.length;
  return r.json === undefined ? 0 : 512;
}

/** Faults answered without running the handler. */
function earlyFault(
  fault: FaultSpec,
  req: EmuRequest,
  route: RouteDef,
  scale: number,
): EmuResponse | undefined {
  switch (fault.kind) {
    case 'status': {
      const status = fault.status ?? 500;
      const code =
        fault.code ??
        (status === 503 ? 'serviceNotAvailable' : status === 504 ? 'UnknownError' : 'generalException');
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined)
        headers['retry-after'] = retryAfterHeader(fault.retryAfterSeconds * 1000, scale);
      return errorResponse(
        new GraphHttpError(status, code, 'The service is temporarily unavailable.', headers),
        req,
      );
    }
    case 'html':
      return {
        status: fault.status ?? 502,
        headers: { 'content-type': 'text/html' },
        body: `<html><head><title>${fault.status ?? 502} Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>The proxy server received an invalid response from an upstream server.</p></body></html>`,
      };
    case 'error-in-200':
      return {
        status: 200,
        json: graphErrorBody(
          fault.code ?? 'UnknownError',
          'An error occurred while processing the request.',
          'fault',
        ),
      };
    case 'expire-delta':
      return route.deltaExpired?.(req);
    default:
      return undefined;
  }
}

function truncated(r: EmuResponse): EmuResponse {
  const text =
    r.json !== undefined
      ? JSON.stringify(r.json)
      : typeof r.body === 'string'
        ? r.body
        : (r.body?.toString('utf8') ?? '');
  return {
    status: r.status,
    headers: { ...r.headers, 'content-type': 'application/json' },
    body: text.slice(0, Math.floor(text.length / 2)),
  };
}

function loopNextLink(r: EmuResponse, req: EmuRequest): EmuResponse {
  if (!r.json || typeof r.json !== 'object') return r;
  return { ...r, json: { ...r.json, '@odata.nextLink': selfLink(req, {}) } };
}
