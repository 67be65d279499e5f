import { dispatch, type PipelineDeps } from './pipeline.js';
import type { GraphHttpError } from './odata.js';
import { badRequest, graphErrorBody, jsonBody } from './odata.js';
import type { EmuRequest, EmuResponse, RouteDef } from './types.js';

const MAX_REQUESTS = 20;
/** Graph runs at most this many requests of one batch against one mailbox at a time. */
const PER_MAILBOX_PARALLELISM = 4;

interface SubRequest {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

interface SubResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Checks the batch payload as documented: an object whose `requests` is an array of request
 * objects with a string `id`, `method` and `url`, optional `headers` (an object of strings) and
 * `dependsOn` (an array of ids). Anything else makes the batch malformed: 400 for the whole batch.
 */
function validate(raw: unknown): SubRequest[] {
  if (!isObject(raw)) throw badRequest('Invalid batch payload format: the body must be a JSON object.');
  const requests = raw['requests'];
  if (!Array.isArray(requests))
    throw badRequest("Invalid batch payload format: 'requests' must be an array.");
  if (requests.length === 0)
    throw badRequest('Invalid batch payload format: the batch contains no requests.');
  if (requests.length > MAX_REQUESTS)
    throw badRequest(
      `Invalid batch payload format: the number of requests exceeds the limit of ${MAX_REQUESTS}.`,
    );
  const ids = new Set<string>();
  for (const r of requests as unknown[]) {
    if (!isObject(r) || typeof r['id'] !== 'string' || !r['id'])
      throw badRequest("Invalid batch payload format: every request needs an 'id'.");
    const id = r['id'];
    if (typeof r['method'] !== 'string' || typeof r['url'] !== 'string')
      throw badRequest(`Invalid batch payload format: request '${id}' needs 'method' and 'url'.`);
    const headers = r['headers'];
    if (
      headers !== undefined &&
      (!isObject(headers) || Object.values(headers).some((v) => typeof v !== 'string'))
    )
      throw badRequest(
        `Invalid batch payload format: 'headers' of request '${id}' must be an object of strings.`,
      );
    const dependsOn = r['dependsOn'];
    if (
      dependsOn !== undefined &&
      (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string'))
    )
      throw badRequest(
        `Invalid batch payload format: 'dependsOn' of request '${id}' must be an array of request ids.`,
      );
    const key = id.toLowerCase();
    if (ids.has(key))
      throw badRequest(`Invalid batch payload format: the batch contains duplicate request id '${id}'.`);
    ids.add(key);
  }
  const valid = requests as SubRequest[];
  for (const r of valid) {
    for (const dep of r.dependsOn ?? []) {
      if (!ids.has(dep.toLowerCase()))
        throw badRequest(
          `Invalid batch payload format: request '${r.id}' depends on unknown request '${dep}'.`,
        );
    }
  }
  const byId = new Map(valid.map((r) => [r.id.toLowerCase(), r]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting')
      throw badRequest('Invalid batch payload format: dependsOn contains a cycle.');
    state.set(id, 'visiting');
    for (const dep of byId.get(id)?.dependsOn ?? []) visit(dep.toLowerCase());
    state.set(id, 'done');
  };
  for (const id of byId.keys()) visit(id);
  return valid;
}

function subRequest(parent: EmuRequest, r: SubRequest): EmuRequest {
  if (/^https?:/i.test(r.url)) throw badRequest(`Request '${r.id}': the url must be relative.`);
  const rel = r.url.startsWith('/') ? r.url : `/${r.url}`;
  const q = rel.indexOf('?');
  const path = q < 0 ? rel : rel.slice(0, q);
  // A batch cannot carry another batch (the docs show no nesting; it would also escape the
  // 20-request limit). Refused per request, as the batch itself is well formed.
  if (/^\/\$batch\/?$/i.test(path))
    throw badRequest(`Request '${r.id}': a batch request cannot contain another batch request.`);
  const headers: Record<string, string> = { authorization: parent.headers['authorization'] ?? '' };
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  let body = Buffer.alloc(0);
  if (r.body !== undefined && r.body !== null) {
    const type = headers['content-type'];
    if (!type)
      throw badRequest(`Request '${r.id}': a Content-Type header is required when a body is present.`);
    body = /json/i.test(type)
      ? Buffer.from(typeof r.body === 'string' ? r.body : JSON.stringify(r.body))
      : Buffer.from(typeof r.body === 'string' ? r.body : JSON.stringify(r.body), 'base64');
  }
  return {
    method: r.method.toUpperCase(),
    rawPath: `/${parent.apiVersion}${path}`,
    query: new URLSearchParams(q < 0 ? '' : rel.slice(q + 1)),
    headers,
    body,
    params: {},
    apiVersion: parent.apiVersion,
    origin: parent.origin,
    inBatch: true,
  };
}

async function bodyOf(res: EmuResponse): Promise<unknown> {
  if (res.json !== undefined) return res.json;
  let buf: Buffer | undefined;
  if (res.stream) {
    const chunks: Buffer[] = [];
    for await (const c of res.stream.open(0, res.stream.length - 1)) chunks.push(c as Buffer);
    buf = Buffer.concat(chunks);
  } else if (res.body !== undefined) {
    buf = typeof res.body === 'string' ? Buffer.from(res.body) : res.body;
  }
  if (buf === undefined) return undefined;
  if (/json/i.test(res.headers?.['content-type'] ?? '')) {
    try {
      return JSON.parse(buf.toString('utf8'));
    } catch {
      return buf.toString('base64');
    }
  }
  return buf.toString('base64');
}

/** A tiny per-key semaphore so a batch keeps to Outlook's 4 parallel requests per mailbox. */
class KeyedLimiter {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  async run<T>(key: string | undefined, limit: number, fn: () => Promise<T>): Promise<T> {
    if (key === undefined) return fn();
    while ((this.active.get(key) ?? 0) >= limit) {
      await new Promise<void>((resolve) => {
        const q = this.waiting.get(key) ?? [];
        q.push(resolve);
        this.waiting.set(key, q);
      });
    }
    this.active.set(key, (this.active.get(key) ?? 0) + 1);
    try {
      return await fn();
    } finally {
      this.active.set(key, (this.active.get(key) ?? 1) - 1);
      this.waiting.get(key)?.shift()?.();
    }
  }
}

/** `POST /$batch`: JSON batching with Graph's limits, dependsOn / 424, and per-request throttling. */
export function batchRoute(deps: () => PipelineDeps): RouteDef {
  return {
    method: 'POST',
    path: '/$batch',
    permissions: [],
    handler: async (req) => {
      const requests = validate(jsonBody(req));
      const results = new Map<string, Promise<SubResponse>>();
      const limiter = new KeyedLimiter();
      const d = deps();

      const mailboxOf = (sub: EmuRequest): string | undefined => {
        const m = d.router.match(sub.method, sub.rawPath);
        if (!('def' in m) || !m.def.scope) return undefined;
        const scope = m.def.scope({ ...sub, params: m.params, apiVersion: m.apiVersion });
        return scope.kind === 'exchange' ? scope.mailbox.toLowerCase() : undefined;
      };

      const run = async (r: SubRequest): Promise<SubResponse> => {
        const deps = await Promise.all(
          (r.dependsOn ?? []).map((id) => results.get(id.toLowerCase()) as Promise<SubResponse>),
        );
        if (deps.some((x) => x.status >= 400)) {
          return {
            id: r.id,
            status: 424,
            headers: { 'content-type': 'application/json' },
            body: graphErrorBody(
              'FailedDependency',
              'The request depends on a request that failed.',
              'batch',
            ),
          };
        }
        let sub: EmuRequest;
        try {
          sub = subRequest(req, r);
        } catch (e) {
          const err = e as GraphHttpError;
          return {
            id: r.id,
            status: err.status,
            headers: { 'content-type': 'application/json' },
            body: graphErrorBody(err.code, err.message, 'batch'),
          };
        }
        return limiter.run(mailboxOf(sub), PER_MAILBOX_PARALLELISM, async () => {
          const out = await dispatch(d, sub);
          try {
            const res = out.resetMidBody
              ? {
                  status: 504,
                  headers: { 'content-type': 'application/json' },
                  json: graphErrorBody('UnknownError', 'The upstream connection was reset.', 'batch'),
                }
              : out.response;
            const headers: Record<string, string> = { ...(res.headers ?? {}) };
            if (res.json !== undefined && !headers['content-type'])
              headers['content-type'] = 'application/json';
            const body = await bodyOf(res);
            return { id: r.id, status: res.status, headers, ...(body !== undefined ? { body } : {}) };
          } finally {
            out.finish();
          }
        });
      };

      // Every result exists before any request starts, so dependsOn may point forwards.
      const resolvers = new Map<string, (r: SubResponse) => void>();
      for (const r of requests) {
        results.set(
          r.id.toLowerCase(),
          new Promise<SubResponse>((resolve) => resolvers.set(r.id.toLowerCase(), resolve)),
        );
      }
      for (const r of requests) {
        const resolve = resolvers.get(r.id.toLowerCase()) as (x: SubResponse) => void;
        run(r).then(resolve, () =>
          resolve({
            id: r.id,
            status: 500,
            headers: { 'content-type': 'application/json' },
            body: graphErrorBody('generalException', 'An internal server error occurred.', 'batch'),
          }),
        );
      }
      const responses = await Promise.all(
        requests.map((r) => results.get(r.id.toLowerCase()) as Promise<SubResponse>),
      );
      return { status: 200, json: { responses } };
    },
  };
}
