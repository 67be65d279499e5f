import type { ScaledClock } from './clock.js';
import type { ThrottleScope } from './types.js';

export type ThrottleMode = 'off' | 'realistic' | 'harsh';

/** Documented service limits (Microsoft Graph service-specific throttling limits). */
export const LIMITS = {
  /** Outlook/Exchange: per app per mailbox. */
  exchangeConcurrency: 4,
  exchangeWindowRequests: 10_000,
  exchangeWindowMs: 10 * 60_000,
  /** Teams: requests per second per app per channel. */
  teamsPerSecond: 4,
  /** SharePoint/OneDrive resource units per app per tenant, by licence count. */
  sharepointRu: [
    { maxLicenses: 1_000, perMinute: 1_200, perDay: 1_200_000 },
    { maxLicenses: 5_000, perMinute: 2_400, perDay: 2_400_000 },
    { maxLicenses: 15_000, perMinute: 3_600, perDay: 3_600_000 },
    { maxLicenses: 50_000, perMinute: 4_800, perDay: 4_800_000 },
    { maxLicenses: Infinity, perMinute: 6_000, perDay: 6_000_000 },
  ],
} as const;

export function sharepointBudget(licenses: number): { perMinute: number; perDay: number } {
  const row = LIMITS.sharepointRu.find((r) => licenses <= r.maxLicenses) ?? LIMITS.sharepointRu[4];
  return { perMinute: row.perMinute, perDay: row.perDay };
}

/** SharePoint's RateLimit-* headers, sent from 80 % use of the app's per-minute budget. */
export interface RateLimitInfo {
  /** The per-minute resource-unit limit (`RateLimit-Limit`). */
  limit: number;
  /** Units left in the current window (`RateLimit-Remaining`), never negative. */
  remaining: number;
  /** Scaled ms until the window resets (`RateLimit-Reset`, sent in seconds). */
  resetMs: number;
}

export type Admission =
  | { admitted: true; release: () => void; concurrency: number; rateLimit?: RateLimitInfo }
  | {
      admitted: false;
      retryAfterMs: number;
      code: string;
      message: string;
      status: 429 | 503;
      concurrency: number;
      /** `innerError.code` of the refusal (SharePoint: `throttledRequest`). */
      innerCode?: string;
      rateLimit?: RateLimitInfo;
    };

/** Share of the per-minute budget from which SharePoint sends RateLimit headers (documented: 80 %). */
export const RATE_LIMIT_HEADER_THRESHOLD = 0.8;
/** Past this many windows, idle ones are dropped (keys come from request paths). */
const MAX_IDLE_WINDOWS = 10_000;

/**
 * A sliding window of timestamps (with weights) for rate limits. Refused requests are added too:
 * Microsoft documents that throttled requests count towards usage.
 */
class SlidingWindow {
  private readonly times: number[] = [];
  private readonly weights: number[] = [];
  private head = 0;
  private total = 0;

  constructor(private readonly windowMs: number) {}

  private trim(now: number): void {
    while (this.head < this.times.length && (this.times[this.head] as number) <= now - this.windowMs) {
      this.total -= this.weights[this.head] as number;
      this.head++;
    }
    if (this.head > 4096 && this.head > this.times.length / 2) {
      this.times.splice(0, this.head);
      this.weights.splice(0, this.head);
      this.head = 0;
    }
  }

  idle(now: number): boolean {
    this.trim(now);
    return this.total === 0;
  }

  /** Counts `weight` without a limit (a request refused for another reason still counts). */
  record(now: number, weight: number): void {
    this.trim(now);
    this.times.push(now);
    this.weights.push(weight);
    this.total += weight;
  }

  /**
   * Counts `weight` and returns 0 if it fitted under `limit`; else (it still counts) the ms until
   * a request of the same weight would fit, counting this refused one.
   */
  add(now: number, weight: number, limit: number): number {
    this.trim(now);
    const fits = this.total + weight <= limit;
    this.record(now, weight);
    if (fits) return 0;
    let excess = this.total + weight - limit;
    for (let i = this.head; i < this.times.length; i++) {
      excess -= this.weights[i] as number;
      if (excess <= 0) return Math.max(1, (this.times[i] as number) + this.windowMs - now);
    }
    return this.windowMs;
  }
}

/**
 * SharePoint's per-minute resource-unit budget as a fixed window that opens with the first request
 * after the previous one closed: `RateLimit-Remaining` is what is left of it and `RateLimit-Reset`
 * (and the Retry-After of a 429) the time until it closes, as in the documented example where
 * both are 31.
 */
class FixedWindow {
  private start = -Infinity;
  used = 0;

  constructor(readonly windowMs: number) {}

  private roll(now: number): void {
    if (now >= this.start + this.windowMs) {
      this.start = now;
      this.used = 0;
    }
  }

  idle(now: number): boolean {
    return now >= this.start + this.windowMs;
  }

  /** Counts `weight` (refused or not); true when it fitted under `limit`. */
  add(now: number, weight: number, limit: number): boolean {
    this.roll(now);
    const fits = this.used + weight <= limit;
    this.used += weight;
    return fits;
  }

  resetMs(now: number): number {
    return Math.max(1, this.start + this.windowMs - now);
  }
}

/**
 * The emulator's side of throttling: admits or refuses each request by its scope, as Exchange,
 * SharePoint and Teams do, per calling app. Windows and Retry-After are in scaled wall time.
 */
export class ThrottleModel {
  private readonly inFlight = new Map<string, number>();
  private readonly windows = new Map<string, SlidingWindow | FixedWindow>();

  constructor(
    readonly mode: ThrottleMode,
    private readonly clock: ScaledClock,
    private readonly licenses: () => number,
    private readonly random: () => number,
  ) {}

  private window<W extends SlidingWindow | FixedWindow>(key: string, make: () => W): W {
    let w = this.windows.get(key) as W | undefined;
    if (!w) {
      if (this.windows.size >= MAX_IDLE_WINDOWS) this.prune();
      this.windows.set(key, (w = make()));
    }
    return w;
  }

  private sliding(key: string, modelledMs: number): SlidingWindow {
    return this.window(key, () => new SlidingWindow(this.clock.ms(modelledMs)));
  }

  /** Drops windows that hold nothing any more, so keys from mistyped paths do not pile up. */
  private prune(): void {
    const now = this.clock.now();
    for (const [k, w] of this.windows) if (w.idle(now)) this.windows.delete(k);
  }

  /** Windows currently kept (for tests of the bound). */
  get windowCount(): number {
    return this.windows.size;
  }

  /** Concurrency currently held in a scope (for metrics even when throttling is off). */
  admit(appId: string, scope: ThrottleScope): Admission {
    const key = scopeKey(appId, scope);
    const current = (this.inFlight.get(key) ?? 0) + 1;
    const release = () => {
      const n = (this.inFlight.get(key) ?? 1) - 1;
      if (n <= 0) this.inFlight.delete(key);
      else this.inFlight.set(key, n);
    };
    if (key) this.inFlight.set(key, current);
    let rateLimit: RateLimitInfo | undefined;
    const refuse = (
      retryAfterMs: number,
      code: string,
      message: string,
      status: 429 | 503 = 429,
      innerCode?: string,
    ): Admission => {
      release();
      return {
        admitted: false,
        retryAfterMs,
        code,
        message,
        status,
        concurrency: current,
        ...(innerCode ? { innerCode } : {}),
        ...(rateLimit ? { rateLimit } : {}),
      };
    };
    if (this.mode === 'off') return { admitted: true, release, concurrency: current };
    const now = this.clock.now();

    if (scope.kind === 'exchange') {
      const window = this.sliding(key, LIMITS.exchangeWindowMs);
      if (current > LIMITS.exchangeConcurrency) {
        window.record(now, 1);
        return refuse(
          this.clock.ms(1000 + this.random() * 1000),
          'ApplicationThrottled',
          'Application is over its MailboxConcurrency limit.',
        );
      }
      const wait = window.add(now, 1, LIMITS.exchangeWindowRequests);
      if (wait > 0) return refuse(wait, 'ApplicationThrottled', 'Application is over its resource limit.');
    } else if (scope.kind === 'sharepoint') {
      const budget = sharepointBudget(this.licenses());
      const factor = this.mode === 'harsh' ? 0.25 : 1;
      const limit = budget.perMinute * factor;
      const minute = this.window(`${key}|m`, () => new FixedWindow(this.clock.ms(60_000)));
      const fitsMinute = minute.add(now, scope.cost, limit);
      const day = this.sliding(`${key}|d`, 86_400_000);
      if (minute.used >= RATE_LIMIT_HEADER_THRESHOLD * limit)
        rateLimit = { limit, remaining: Math.max(0, limit - minute.used), resetMs: minute.resetMs(now) };
      if (!fitsMinute) {
        day.record(now, scope.cost);
        return refuse(
          minute.resetMs(now),
          'activityLimitReached',
          'The request has been throttled',
          429,
          'throttledRequest',
        );
      }
      const perDay = day.add(now, scope.cost, budget.perDay * factor);
      if (perDay > 0)
        return refuse(
          perDay,
          'activityLimitReached',
          'The request has been throttled',
          429,
          'throttledRequest',
        );
    } else if (scope.kind === 'teams') {
      const wait = this.sliding(key, 1000).add(now, 1, LIMITS.teamsPerSecond);
      if (wait > 0) return refuse(wait, 'TooManyRequests', 'Too many requests.');
    }
    if (this.mode === 'harsh' && scope.kind !== 'none' && this.random() < 0.05) {
      const status = this.random() < 0.5 ? 429 : 503;
      const sharepoint = scope.kind === 'sharepoint';
      return refuse(
        this.clock.ms(2000 + this.random() * 3000),
        sharepoint ? (status === 429 ? 'activityLimitReached' : 'serviceNotAvailable') : 'TooManyRequests',
        sharepoint && status === 503 ? 'Server Too Busy' : 'Too many requests.',
        status,
        sharepoint && status === 429 ? 'throttledRequest' : undefined,
      );
    }
    return { admitted: true, release, concurrency: current, ...(rateLimit ? { rateLimit } : {}) };
  }
}

/** Throttle bucket of a request; '' for scopes without limits. */
export function scopeKey(appId: string, scope: ThrottleScope): string {
  switch (scope.kind) {
    case 'exchange':
      return `${appId}|mbx|${scope.mailbox.toLowerCase()}`;
    case 'sharepoint':
      return `${appId}|spo`;
    case 'teams':
      return `${appId}|chn|${scope.channel}`;
    default:
      return '';
  }
}

/** Modelled service time in ms (before scaling) for a response of `bytes` in a scope. */
export function serviceTimeMs(
  mode: ThrottleMode,
  scope: ThrottleScope,
  bytes: number,
  random: () => number,
): number {
  if (mode === 'off') return 0;
  const base =
    scope.kind === 'exchange'
      ? 60
      : scope.kind === 'sharepoint'
        ? 80
        : scope.kind === 'teams'
          ? 90
          : scope.kind === 'directory'
            ? 50
            : 20;
  // Payload cost: ~10 MB/s of server-side work before the first byte; large streams pay only latency.
  const payload = Math.min(bytes, 4 * 1024 * 1024) / 10_000;
  const t = base + random() * base * 0.8 + payload;
  return mode === 'harsh' ? t * 2 : t;
}
