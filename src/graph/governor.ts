import type { Clock } from './clock.js';
import type { RequestScope } from './scope.js';

/** Microsoft's documented limits (Graph service-specific throttling limits). */
export const GRAPH_LIMITS = {
  exchangeConcurrency: 4,
  exchangeWindowRequests: 10_000,
  exchangeWindowMs: 600_000,
  teamsPerSecond: 4,
  sharepointRu: [
    { maxLicenses: 1_000, perMinute: 1_200, perDay: 1_200_000 },
    { maxLicenses: 5_000, perMinute: 2_400, perDay: 2_400_000 },
    { maxLicenses: 15_000, perMinute: 3_600, perDay: 3_600_000 },
    { maxLicenses: 50_000, perMinute: 4_800, perDay: 4_800_000 },
    { maxLicenses: Infinity, perMinute: 6_000, perDay: 6_000_000 },
  ],
} as const;

const WINDOW_MARGIN = 1.1;

export interface GovernorOptions {
  /** Requests in flight across all scopes. */
  maxConcurrency: number;
  tenantLicenses: number;
  /**
   * Multiplies every documented time window (10 minutes, 1 minute, 24 hours, 1 second). 1 for
   * Microsoft; an emulator that compresses time (`--time-scale`) needs the same factor here.
   */
  windowScale: number;
}

/** FIFO counting semaphore with weighted acquisition. */
class Semaphore {
  private used = 0;
  private readonly queue: { n: number; resolve: () => void }[] = [];

  constructor(private readonly capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  acquire(n = 1): Promise<void> {
    const need = Math.min(n, this.capacity);
    if (this.queue.length === 0 && this.used + need <= this.capacity) {
      this.used += need;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push({ n: need, resolve }));
  }

  release(n = 1): void {
    this.used -= Math.min(n, this.capacity);
    while (this.queue.length > 0) {
      const head = this.queue[0] as { n: number; resolve: () => void };
      if (this.used + head.n > this.capacity) break;
      this.queue.shift();
      this.used += head.n;
      head.resolve();
    }
  }
}

/** Weighted sliding window: how long until `weight` more fits under `limit`. */
class Window {
  private readonly times: number[] = [];
  private readonly weights: number[] = [];
  private head = 0;
  private total = 0;

  constructor(readonly spanMs: number) {}

  private trim(now: number): void {
    while (this.head < this.times.length && (this.times[this.head] as number) <= now - this.spanMs) {
      this.total -= this.weights[this.head] as number;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.weights.splice(0, this.head);
      this.head = 0;
    }
  }

  waitFor(now: number, weight: number, limit: number): number {
    // More than a whole window's worth (a large $batch) can only wait for an empty window.
    weight = Math.min(weight, limit);
    this.trim(now);
    if (this.total + weight <= limit) return 0;
    let excess = this.total + weight - limit;
    for (let i = this.head; i < this.times.length; i++) {
      excess -= this.weights[i] as number;
      if (excess <= 0) return (this.times[i] as number) + this.spanMs - now + 1;
    }
    return this.spanMs;
  }

  add(now: number, weight: number, limit = Infinity): void {
    weight = Math.min(weight, limit);
    this.times.push(now);
    this.weights.push(weight);
    this.total += weight;
  }
}

export interface Permit {
  release(): void;
}

export interface GovernorStats {
  /** Total time requests spent waiting for a budget or a Retry-After fence, ms. */
  waitedMs: number;
  throttledResponses: number;
  /** Most requests ever in flight at once for one mailbox. */
  maxMailboxConcurrency: number;
}

/**
 * Keeps a client inside Microsoft's limits, per client instance (never process-wide): at most 4
 * requests in flight per mailbox and 10,000 per 10 minutes; the tenant's SharePoint resource-unit
 * budget per minute and per day; 4 requests per second per Teams channel; and after a 429/503
 * with Retry-After, a fence on just the throttled scope until it passes.
 */
export class ThrottleGovernor {
  private readonly global: Semaphore;
  private readonly mailboxes = new Map<string, Semaphore>();
  private readonly windows = new Map<string, Window>();
  private readonly fences = new Map<string, number>();
  private readonly ru: { perMinute: number; perDay: number };
  private readonly stats: GovernorStats = { waitedMs: 0, throttledResponses: 0, maxMailboxConcurrency: 0 };

  constructor(
    private readonly opts: GovernorOptions,
    private readonly clock: Clock,
  ) {
    this.global = new Semaphore(opts.maxConcurrency);
    const row =
      GRAPH_LIMITS.sharepointRu.find((r) => opts.tenantLicenses <= r.maxLicenses) ??
      GRAPH_LIMITS.sharepointRu[0];
    this.ru = { perMinute: row.perMinute, perDay: row.perDay };
  }

  snapshot(): GovernorStats {
    return { ...this.stats };
  }

  private window(key: string, spanMs: number): Window {
    let w = this.windows.get(key);
    // Longer than documented (10%, at least 250 ms): the service counts a request when it gets
    // to it, a little after we send it, so a window that ends exactly on time lets the next
    // request in too early.
    const span = spanMs * this.opts.windowScale;
    if (!w)
      this.windows.set(
        key,
        (w = new Window(Math.max(span * WINDOW_MARGIN, span + 250 * this.opts.windowScale))),
      );
    return w;
  }

  private fenceKey(scope: RequestScope): string {
    return scope.kind === 'sharepoint' ? 'spo' : scope.key;
  }

  /** Milliseconds until `units` more requests of this scope fit every rate limit (0 = now). */
  private rateWait(scope: RequestScope, units: number, now: number): number {
    let wait = Math.max(0, (this.fences.get(this.fenceKey(scope)) ?? 0) - now);
    if (scope.kind === 'exchange') {
      wait = Math.max(
        wait,
        this.window(`w:${scope.key}`, GRAPH_LIMITS.exchangeWindowMs).waitFor(
          now,
          units,
          GRAPH_LIMITS.exchangeWindowRequests,
        ),
      );
    } else if (scope.kind === 'sharepoint' && scope.cost > 0) {
      wait = Math.max(
        wait,
        this.window('ru:min', 60_000).waitFor(now, scope.cost, this.ru.perMinute),
        this.window('ru:day', 86_400_000).waitFor(now, scope.cost, this.ru.perDay),
      );
    } else if (scope.kind === 'teams') {
      wait = Math.max(
        wait,
        this.window(`t:${scope.key}`, 1000).waitFor(now, units, GRAPH_LIMITS.teamsPerSecond),
      );
    }
    return wait;
  }

  private record(scope: RequestScope, units: number, now: number): void {
    if (scope.kind === 'exchange')
      this.window(`w:${scope.key}`, GRAPH_LIMITS.exchangeWindowMs).add(now, units);
    else if (scope.kind === 'sharepoint' && scope.cost > 0) {
      this.window('ru:min', 60_000).add(now, scope.cost);
      this.window('ru:day', 86_400_000).add(now, scope.cost);
    } else if (scope.kind === 'teams') this.window(`t:${scope.key}`, 1000).add(now, units);
  }

  /**
   * Waits until a request (or `units` requests of one `$batch` in the same scope) may be sent;
   * the permit holds its concurrency slots until released.
   */
  async acquire(scope: RequestScope, signal?: AbortSignal, units = 1): Promise<Permit> {
    const started = this.clock.now();
    let mailbox: Semaphore | undefined;
    const mailboxUnits = Math.min(units, GRAPH_LIMITS.exchangeConcurrency);
    if (scope.kind === 'exchange') {
      mailbox = this.mailboxes.get(scope.key);
      if (!mailbox)
        this.mailboxes.set(scope.key, (mailbox = new Semaphore(GRAPH_LIMITS.exchangeConcurrency)));
      await mailbox.acquire(mailboxUnits);
    }
    try {
      // The request counts against a rate window from the moment it is sent, so the window is
      // checked again once a global slot is held (waiting for one may take a while).
      for (;;) {
        signal?.throwIfAborted();
        const wait = this.rateWait(scope, units, this.clock.now());
        if (wait > 0) {
          await this.clock.sleep(wait, signal);
          continue;
        }
        await this.global.acquire();
        const now = this.clock.now();
        if (this.rateWait(scope, units, now) <= 0) {
          this.record(scope, units, now);
          break;
        }
        this.global.release();
      }
    } catch (e) {
      mailbox?.release(mailboxUnits);
      throw e;
    }
    if (mailbox) this.stats.maxMailboxConcurrency = Math.max(this.stats.maxMailboxConcurrency, mailbox.inUse);
    this.stats.waitedMs += this.clock.now() - started;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.global.release();
        mailbox?.release(mailboxUnits);
      },
    };
  }

  /** A 429/503 answer: fence the scope until Retry-After (or `fallbackMs`) has passed. */
  throttled(scope: RequestScope, retryAfterMs: number): void {
    this.stats.throttledResponses++;
    const key = this.fenceKey(scope);
    const until = this.clock.now() + retryAfterMs;
    if ((this.fences.get(key) ?? 0) < until) this.fences.set(key, until);
  }

  /**
   * SharePoint's RateLimit-* headers (sent from 80% use of the minute budget): when the budget is
   * nearly gone, hold that scope until the window resets rather than waiting for a 429.
   */
  rateLimitHeaders(scope: RequestScope, headers: Record<string, string>): void {
    const remaining = Number(headers['ratelimit-remaining']);
    const reset = Number(headers['ratelimit-reset']);
    if (!Number.isFinite(remaining) || !Number.isFinite(reset)) return;
    if (remaining <= Math.max(scope.cost, 1)) {
      const key = this.fenceKey(scope);
      const until = this.clock.now() + reset * 1000;
      if ((this.fences.get(key) ?? 0) < until) this.fences.set(key, until);
    }
  }
}

/** Retry-After as delta-seconds (fractions accepted) or an HTTP date; undefined when absent or invalid. */
export function parseRetryAfter(value: string | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Exponential backoff with full jitter: uniform in [0, min(cap, base·2^attempt)]. */
export function backoffMs(attempt: number, random: () => number, baseMs = 500, capMs = 30_000): number {
  return random() * Math.min(capMs, baseMs * 2 ** attempt);
}
