import type { ScaledClock } from './clock.js';
import { LIMITS, scopeKey, sharepointBudget, type ThrottleMode } from './throttle.js';
import type { ThrottleScope } from './types.js';

interface ScopeWork {
  kind: ThrottleScope['kind'];
  requests: number;
  serviceMs: number;
  maxServiceMs: number;
  resourceUnits: number;
}

export interface MetricsSnapshot {
  since: string;
  requests: number;
  byEndpoint: Record<string, Record<string, number>>;
  throttled: { status429: number; status503: number };
  faultsInjected: Record<string, number>;
  maxConcurrencyByMailbox: Record<string, number>;
  maxConcurrencyOverall: number;
  resourceUnits: number;
  /** User-Agent headers seen on Graph requests, with counts. */
  userAgents: Record<string, number>;
  /** The least wall time (ms) any client could have needed for the work served, under the limits. */
  throttleLowerBoundMs: number;
  lowerBoundScope: string | null;
}

/** Past this many distinct keys per map, new ones are counted together under `<other>`. */
const MAX_KEYS = 10_000;
const capped = (map: Map<string, unknown>, key: string): string =>
  map.has(key) || map.size < MAX_KEYS ? key : '<other>';

/**
 * What the emulator served and the least time any client could have taken for it. The lower
 * bound is the maximum over throttling scopes of what that scope's limits force: a mailbox serves
 * at most 4 requests at a time and 10,000 per 10 minutes, a channel 4 per second, the tenant's
 * SharePoint budget so many resource units per minute; scopes are independent, so the slowest
 * one bounds the whole run.
 */
export class Metrics {
  private since = new Date();
  private requests = 0;
  private byEndpoint = new Map<string, Map<number, number>>();
  private status429 = 0;
  private status503 = 0;
  private faults = new Map<string, number>();
  private maxConcurrency = new Map<string, number>();
  private inFlight = 0;
  private maxInFlight = 0;
  private work = new Map<string, ScopeWork>();
  private agents = new Map<string, number>();

  constructor(
    private readonly clock: ScaledClock,
    private readonly mode: ThrottleMode,
    private readonly licenses: () => number,
  ) {}

  reset(): void {
    this.since = new Date();
    this.requests = 0;
    this.byEndpoint.clear();
    this.status429 = this.status503 = 0;
    this.faults.clear();
    this.maxConcurrency.clear();
    this.maxInFlight = this.inFlight;
    this.work.clear();
    this.agents.clear();
  }

  userAgent(ua: string | undefined): void {
    const key = ua ?? '(none)';
    if (this.agents.size < 100 || this.agents.has(key)) this.agents.set(key, (this.agents.get(key) ?? 0) + 1);
  }

  started(): void {
    this.inFlight++;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
  }

  finished(): void {
    this.inFlight--;
  }

  /** Concurrency a mailbox saw at a request's arrival, whether or not it was admitted. */
  concurrency(scope: ThrottleScope, concurrency: number): void {
    if (scope.kind !== 'exchange') return;
    const key = capped(this.maxConcurrency, scope.mailbox.toLowerCase());
    if (concurrency > (this.maxConcurrency.get(key) ?? 0)) this.maxConcurrency.set(key, concurrency);
  }

  fault(kind: string): void {
    kind = capped(this.faults, kind);
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }

  /** One finished request; `serviceMs` is wall time spent serving it when it was admitted. */
  record(
    endpoint: string,
    status: number,
    appId: string,
    scope: ThrottleScope,
    serviceMs: number | null,
  ): void {
    this.requests++;
    const endpointKey = capped(this.byEndpoint, endpoint);
    let m = this.byEndpoint.get(endpointKey);
    if (!m) this.byEndpoint.set(endpointKey, (m = new Map<number, number>()));
    m.set(status, (m.get(status) ?? 0) + 1);
    if (status === 429) this.status429++;
    if (status === 503) this.status503++;
    if (serviceMs === null) return;
    const key = capped(this.work, scopeKey(appId, scope) || scope.kind);
    let w = this.work.get(key);
    if (!w)
      this.work.set(
        key,
        (w = { kind: scope.kind, requests: 0, serviceMs: 0, maxServiceMs: 0, resourceUnits: 0 }),
      );
    w.requests++;
    w.serviceMs += serviceMs;
    w.maxServiceMs = Math.max(w.maxServiceMs, serviceMs);
    if (scope.kind === 'sharepoint') w.resourceUnits += scope.cost;
  }

  private scopeBound(w: ScopeWork): number {
    let bound = w.maxServiceMs;
    if (this.mode === 'off') return bound;
    if (w.kind === 'exchange') {
      const windows = Math.floor((w.requests - 1) / LIMITS.exchangeWindowRequests);
      bound = Math.max(
        bound,
        w.serviceMs / LIMITS.exchangeConcurrency,
        windows * this.clock.ms(LIMITS.exchangeWindowMs),
      );
    } else if (w.kind === 'teams') {
      bound = Math.max(bound, ((w.requests - 1) / LIMITS.teamsPerSecond) * this.clock.ms(1000));
    } else if (w.kind === 'sharepoint') {
      const factor = this.mode === 'harsh' ? 0.25 : 1;
      const budget = sharepointBudget(this.licenses());
      const minutes = Math.ceil(w.resourceUnits / (budget.perMinute * factor)) - 1;
      const days = Math.ceil(w.resourceUnits / (budget.perDay * factor)) - 1;
      bound = Math.max(bound, minutes * this.clock.ms(60_000), days * this.clock.ms(86_400_000));
    }
    return bound;
  }

  snapshot(): MetricsSnapshot {
    const byEndpoint: MetricsSnapshot['byEndpoint'] = {};
    for (const [k, m] of [...this.byEndpoint].sort((a, b) => a[0].localeCompare(b[0]))) {
      byEndpoint[k] = Object.fromEntries([...m].map(([s, n]) => [String(s), n]));
    }
    let bound = 0;
    let boundScope: string | null = null;
    let ru = 0;
    for (const [key, w] of this.work) {
      ru += w.resourceUnits;
      const b = this.scopeBound(w);
      if (b > bound) [bound, boundScope] = [b, key];
    }
    return {
      since: this.since.toISOString(),
      requests: this.requests,
      byEndpoint,
      throttled: { status429: this.status429, status503: this.status503 },
      faultsInjected: Object.fromEntries(this.faults),
      maxConcurrencyByMailbox: Object.fromEntries(this.maxConcurrency),
      maxConcurrencyOverall: this.maxInFlight,
      resourceUnits: ru,
      userAgents: Object.fromEntries(this.agents),
      throttleLowerBoundMs: Math.round(bound),
      lowerBoundScope: boundScope,
    };
  }
}
