import type { GraphClient } from './client.js';
import { MalformedResponseError, ThrottledError } from './errors.js';
import { backoffMs, parseRetryAfter } from './governor.js';
import { classify, type RequestScope } from './scope.js';

export interface BatchRequest {
  /** Unique within the call; generated when omitted. */
  id?: string;
  method: string;
  /** Relative to the API version, e.g. `/users/{id}/messages?$top=10`. */
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

export interface BatchResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Graph's limit on requests per `$batch`. */
export const BATCH_LIMIT = 20;
const MAX_ROUNDS = 30;

interface Pending {
  req: BatchRequest & { id: string };
  scope: RequestScope;
}

/**
 * Sends requests through `$batch`, 20 at a time, and returns one answer per request in input
 * order. Sub-requests that were throttled (429/503) or failed transiently (5xx, when safe to
 * repeat) are retried on their own after the longest Retry-After; the rest are final answers.
 * Requests linked by `dependsOn` must fit in one batch of 20.
 */
export async function batch(
  client: GraphClient,
  requests: BatchRequest[],
  opts: { signal?: AbortSignal; apiVersion?: 'v1.0' | 'beta' } = {},
): Promise<BatchResponse[]> {
  const withIds = requests.map((r, i) => ({ ...r, id: r.id ?? String(i + 1) }));
  const ids = new Set(withIds.map((r) => r.id.toLowerCase()));
  if (ids.size !== withIds.length) throw new Error('batch: request ids must be unique (case-insensitively)');
  const results = new Map<string, BatchResponse>();
  let queue: Pending[] = withIds.map((req) => ({
    req,
    scope: classify(req.method, new URL(client.url(req.url))),
  }));
  const version = opts.apiVersion ?? client.config.apiVersion ?? 'v1.0';

  for (let round = 0; queue.length > 0; round++) {
    if (round >= MAX_ROUNDS) {
      const first = queue[0] as Pending;
      throw new ThrottledError(
        429,
        'TooManyRequests',
        `batch sub-requests still throttled after ${MAX_ROUNDS} rounds`,
        undefined,
        first.req.method,
        first.req.url,
      );
    }
    const retry: Pending[] = [];
    let waitMs = 0;
    const chunks = chunk(queue);
    await Promise.all(
      chunks.map(async (group) => {
        const answers = await sendBatch(client, group, version, opts.signal);
        for (const p of group) {
          const a = answers.get(p.req.id.toLowerCase());
          if (!a)
            throw new MalformedResponseError(
              `$batch answer lacks request '${p.req.id}'`,
              200,
              client.url(`/${version}/$batch`),
            );
          const idempotent = ['GET', 'HEAD', 'PUT', 'DELETE'].includes(p.req.method.toUpperCase());
          if (a.status === 429 || a.status === 503) {
            const ms =
              parseRetryAfter(a.headers['retry-after'] ?? a.headers['Retry-After']) ??
              backoffMs(round + 1, client.random, 1000, 30_000);
            client.governor.throttled(p.scope, ms);
            waitMs = Math.max(waitMs, ms);
            retry.push(p);
          } else if ([500, 502, 504].includes(a.status) && idempotent && round < 5) {
            waitMs = Math.max(waitMs, backoffMs(round + 1, client.random));
            retry.push(p);
          } else {
            results.set(p.req.id, a);
          }
        }
      }),
    );
    queue = retry;
    if (queue.length > 0 && waitMs > 0) await client.clock.sleep(waitMs, opts.signal);
  }
  return withIds.map((r) => results.get(r.id) as BatchResponse);
}

/** Teams serves 4 requests per second per channel: more in one batch would only be throttled. */
const PER_CHANNEL_IN_BATCH = 4;

/** Groups of ≤ 20 that keep dependsOn chains together and hold ≤ 4 requests per Teams channel. */
function chunk(queue: Pending[]): Pending[][] {
  const byId = new Map(queue.map((p) => [p.req.id.toLowerCase(), p]));
  const groupOf = new Map<string, Pending[]>();
  const groups: Pending[][] = [];
  const fits = (g: Pending[], p: Pending) =>
    g.length < BATCH_LIMIT &&
    (p.scope.kind !== 'teams' || g.filter((x) => x.scope.key === p.scope.key).length < PER_CHANNEL_IN_BATCH);
  for (const p of queue) {
    const deps = (p.req.dependsOn ?? []).map((d) => d.toLowerCase()).filter((d) => byId.has(d));
    const owner = deps.map((d) => groupOf.get(d)).find((g) => g !== undefined);
    let g = owner ?? groups.find((x) => fits(x, p));
    if (!g) groups.push((g = []));
    if (g.length >= BATCH_LIMIT)
      throw new Error('batch: a dependsOn chain longer than 20 requests cannot be sent');
    g.push(p);
    groupOf.set(p.req.id.toLowerCase(), g);
  }
  return groups;
}

async function sendBatch(
  client: GraphClient,
  group: Pending[],
  version: string,
  signal?: AbortSignal,
): Promise<Map<string, BatchResponse>> {
  // Sub-requests still draw on their own scopes' budgets: hold them for the duration of the batch.
  const scopes = new Map<string, { scope: RequestScope; units: number }>();
  for (const p of group) {
    const s = scopes.get(p.scope.key) ?? { scope: { ...p.scope, cost: 0 }, units: 0 };
    s.units++;
    s.scope.cost += p.scope.cost;
    scopes.set(p.scope.key, s);
  }
  const permits = [];
  for (const { scope, units } of [...scopes.values()].sort((a, b) =>
    a.scope.key.localeCompare(b.scope.key),
  )) {
    permits.push(await client.governor.acquire(scope, signal, units));
  }
  try {
    const payload = {
      requests: group.map(({ req }) => {
        const out: Record<string, unknown> = {
          id: req.id,
          method: req.method.toUpperCase(),
          url: req.url.startsWith('/') ? req.url : `/${req.url}`,
        };
        if (req.body !== undefined) {
          out['body'] = req.body;
          out['headers'] = { 'content-type': 'application/json', ...req.headers };
        } else if (req.headers) out['headers'] = req.headers;
        if (req.dependsOn?.length) out['dependsOn'] = req.dependsOn;
        return out;
      }),
    };
    const allIdempotent = group.every((p) =>
      ['GET', 'HEAD', 'PUT', 'DELETE'].includes(p.req.method.toUpperCase()),
    );
    const res = await client.json<{ responses?: unknown }>('POST', `/${version}/$batch`, {
      json: payload,
      idempotent: allIdempotent,
      governed: false,
      ...(signal ? { signal } : {}),
    });
    if (!Array.isArray(res.responses))
      throw new MalformedResponseError(
        "$batch answer without a 'responses' array",
        200,
        client.url(`/${version}/$batch`),
      );
    const out = new Map<string, BatchResponse>();
    for (const r of res.responses as {
      id?: unknown;
      status?: unknown;
      headers?: Record<string, string>;
      body?: unknown;
    }[]) {
      if (typeof r?.id !== 'string' || typeof r.status !== 'number') continue;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = String(v);
      out.set(r.id.toLowerCase(), { id: r.id, status: r.status, headers, body: r.body });
    }
    return out;
  } finally {
    for (const p of permits) p.release();
  }
}
