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

export type Admission =
  | { admitted: true; release: () => void; concurrency: number }
  | {
      admitted: false;
      retryAfterMs: number;
      code: string;
      message: string;
      status: 429 | 503;
      concurrency: number;
    };

/** A sliding window of timestamps (with weights) for rate limits. */
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

  /** Adds `weight` if it fits under `limit`; else returns ms until enough has left the window. */
  tryAdd(now: number, weight: number, limit: number): number {
    this.trim(now);
    if (this.total + weight <= limit) {
      this.times.push(now);
      this.weights.push(weight);
      this.total += weight;
      return 0;
    }
    let excess = this.total + weight - limit;
    for (let i = this.head; i < this.times.length; i++) {
      excess -= this.weights[i] as number;
      if (excess <= 0) return Math.max(1, (this.times[i] as number) + this.windowMs - now);
    }
    return this.windowMs;
  }
}

/**
 * The emulator's side of throttling: admits or refuses each request by its scope, as Exchange,
 * SharePoint and Teams do, per calling app. Windows and Retry-After are in scaled wall time.
 */
export class ThrottleModel {
  private readonly inFlight = new Map<string, number>();
  private readonly windows = new Map<string, SlidingWindow>();

  constructor(
    readonly mode: ThrottleMode,
    private readonly clock: ScaledClock,
    private readonly licenses: () => number,
    private readonly random: () => number,
  ) {}

  private window(key: string, modelledMs: number): SlidingWindow {
    let w = this.windows.get(key);
    if (!w) this.windows.set(key, (w = new SlidingWindow(this.clock.ms(modelledMs))));
    return w;
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
    const refuse = (
      retryAfterMs: number,
      code: string,
      message: string,
      status: 429 | 503 = 429,
    ): Admission => {
      release();
      return { admitted: false, retryAfterMs, code, message, status, concurrency: current };
    };
    if (this.mode === 'off') return { admitted: true, release, concurrency: current };
    const now = this.clock.now();

    if (scope.kind === 'exchange') {
      if (current > LIMITS.exchangeConcurrency) {
        return refuse(
          this.clock.ms(1000 + this.random() * 1000),
          'ApplicationThrottled',
          'Application is over its MailboxConcurrency limit.',
        );
      }
      const wait = this.window(key, LIMITS.exchangeWindowMs).tryAdd(now, 1, LIMITS.exchangeWindowRequests);
      if (wait > 0) return refuse(wait, 'ApplicationThrottled', 'Application is over its resource limit.');
    } else if (scope.kind === 'sharepoint') {
      const budget = sharepointBudget(this.licenses());
      const factor = this.mode === 'harsh' ? 0.25 : 1;
      const perMinute = this.window(`${key}|m`, 60_000).tryAdd(now, scope.cost, budget.perMinute * factor);
      if (perMinute > 0)
        return refuse(
          Math.ceil(perMinute / 1000) * 1000,
          'activityLimitReached',
          'The request has been throttled',
        );
      const perDay = this.window(`${key}|d`, 86_400_000).tryAdd(now, scope.cost, budget.perDay * factor);
      if (perDay > 0) return refuse(perDay, 'activityLimitReached', 'The request has been throttled');
    } else if (scope.kind === 'teams') {
      const wait = this.window(key, 1000).tryAdd(now, 1, LIMITS.teamsPerSecond);
      if (wait > 0) return refuse(wait, 'TooManyRequests', 'Too many requests.');
    }
    if (this.mode === 'harsh' && scope.kind !== 'none' && this.random() < 0.05) {
      return refuse(
        this.clock.ms(2000 + this.random() * 3000),
        'TooManyRequests',
        'Too many requests.',
        this.random() < 0.5 ? 429 : 503,
      );
    }
    return { admitted: true, release, concurrency: current };
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
