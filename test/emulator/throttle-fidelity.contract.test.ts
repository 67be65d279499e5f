import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScaledClock } from '../../emulator/core/clock.js';
import { ok } from '../../emulator/core/odata.js';
import { retryAfterHeader } from '../../emulator/core/pipeline.js';
import type { ServiceModule } from '../../emulator/core/service.js';
import { Metrics } from '../../emulator/core/metrics.js';
import { LIMITS, ThrottleModel, type Admission } from '../../emulator/core/throttle.js';
import type { ThrottleScope } from '../../emulator/core/types.js';
import { allServices } from '../../emulator/services/index.js';
import { startEmulator, type RawGraph } from '../support/raw-graph.js';

// Throttling as Microsoft documents it: throttled requests count towards usage (graph/throttling,
// SharePoint "avoid getting throttled"); SharePoint answers 429 activityLimitReached with innerError
// throttledRequest, and from 80 % of the app's minute budget sends RateLimit-Limit/-Remaining/-Reset,
// with Retry-After equal to RateLimit-Reset on a 429 at the limit.

/** A clock the test moves by hand, so windows are exact and no test depends on timing. */
class ManualClock extends ScaledClock {
  t = 0;
  override now(): number {
    return this.t;
  }
}

function model(scale = 1) {
  const clock = new ManualClock(scale);
  // 6 licensed users: the smallest SharePoint tier (1,200 units a minute, 1.2 M a day).
  return {
    clock,
    throttle: new ThrottleModel(
      'realistic',
      clock,
      () => 6,
      () => 0.5,
    ),
  };
}

/** Admits and at once finishes a request (concurrency is not what these tests are about). */
function admit(throttle: ThrottleModel, scope: ThrottleScope): Admission {
  const a = throttle.admit('app', scope);
  if (a.admitted) a.release();
  return a;
}

describe('throttled requests count towards usage', () => {
  it('Teams: refused requests stay in the per-channel window', () => {
    const { clock, throttle } = model();
    const channel: ThrottleScope = { kind: 'teams', channel: 'c1' };
    for (let i = 0; i < LIMITS.teamsPerSecond; i++) expect(admit(throttle, channel).admitted).toBe(true);
    clock.t = 500;
    for (let i = 0; i < 4; i++) expect(admit(throttle, channel).admitted).toBe(false);
    // The admitted four have left the window; the four refused at 500 ms have not.
    clock.t = 1001;
    expect(admit(throttle, channel).admitted).toBe(false);
    clock.t = 1501;
    expect(admit(throttle, channel).admitted).toBe(true);
  });

  it('Exchange: refused requests stay in the 10-minute window', () => {
    const { clock, throttle } = model();
    const mailbox: ThrottleScope = { kind: 'exchange', mailbox: 'm1' };
    const half = LIMITS.exchangeWindowRequests / 2;
    for (let i = 0; i < half; i++) admit(throttle, mailbox);
    clock.t = 1000;
    for (let i = 0; i < half; i++) expect(admit(throttle, mailbox).admitted).toBe(true);
    clock.t = 2000;
    for (let i = 0; i < half; i++) expect(admit(throttle, mailbox).admitted).toBe(false);
    // The first half has left; the second half and the refused half fill the window.
    clock.t = LIMITS.exchangeWindowMs + 1;
    expect(admit(throttle, mailbox).admitted).toBe(false);
  });

  it('SharePoint: a request refused by the minute budget still counts against the day', () => {
    const { clock, throttle } = model();
    const full: ThrottleScope = { kind: 'sharepoint', cost: 1200 };
    // Each minute: one request that fills the minute budget, one refused. 500 minutes of that is
    // 600,000 units admitted and 600,000 refused: the 1.2 M day budget is gone.
    for (let m = 0; m < 500; m++) {
      clock.t = m * 60_001;
      expect(admit(throttle, full).admitted).toBe(true);
      expect(admit(throttle, full).admitted).toBe(false);
    }
    clock.t = 500 * 60_001;
    const refused = admit(throttle, full);
    expect(refused.admitted).toBe(false);
    if (!refused.admitted) expect(refused.retryAfterMs).toBeGreaterThan(60_000);
  });
});

describe('bounded state', () => {
  it('drops idle throttle windows once many keys were seen', () => {
    const { clock, throttle } = model();
    for (let i = 0; i < 10_000; i++) admit(throttle, { kind: 'teams', channel: `typo-${i}` });
    expect(throttle.windowCount).toBe(10_000);
    clock.t = 2000;
    admit(throttle, { kind: 'teams', channel: 'another' });
    expect(throttle.windowCount).toBe(1);
  });

  it('caps metrics keys, counting the rest under <other>', () => {
    const metrics = new Metrics(new ManualClock(1), 'realistic', () => 6);
    for (let i = 0; i < 10_005; i++) {
      const scope: ThrottleScope = { kind: 'exchange', mailbox: `m-${i}` };
      metrics.concurrency(scope, 1);
      metrics.record(`GET /e${i}`, 200, 'app', scope, 1);
    }
    const snap = metrics.snapshot();
    expect(Object.keys(snap.byEndpoint)).toHaveLength(10_001); // 10,000 and <other>
    expect(snap.byEndpoint['<other>']).toEqual({ '200': 5 });
    expect(Object.keys(snap.maxConcurrencyByMailbox)).toHaveLength(10_001);
    expect(snap.requests).toBe(10_005);
  });
});

describe('SharePoint Retry-After', () => {
  it('is not rounded up to whole seconds when time is scaled down', () => {
    const { clock, throttle } = model(0.01);
    const scope: ThrottleScope = { kind: 'sharepoint', cost: 1200 };
    expect(admit(throttle, scope).admitted).toBe(true);
    clock.t = 1; // 1 ms into a 600 ms (scaled) minute
    const refused = admit(throttle, scope);
    expect(refused.admitted).toBe(false);
    if (refused.admitted) return;
    expect(refused.retryAfterMs).toBe(599);
    expect(retryAfterHeader(refused.retryAfterMs, 0.01)).toBe('0.599');
    expect(refused.code).toBe('activityLimitReached');
    expect(refused.innerCode).toBe('throttledRequest');
  });
});

/** A SharePoint-scoped test route that costs 100 units: 12 of them use up the minute. */
const spoModule: ServiceModule = {
  name: 'spo-test',
  routes: () => [
    {
      method: 'GET',
      path: '/_test/spo',
      permissions: [],
      scope: () => ({ kind: 'sharepoint', cost: 100 }),
      handler: () => ok({ ok: true }),
    },
  ],
};

describe('through Graph', () => {
  let raw: RawGraph;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ raw, stop } = await startEmulator({
      throttle: 'realistic',
      timeScale: 0.5,
      services: [...allServices(), spoModule],
    }));
  });
  afterAll(() => stop());

  it('sends RateLimit headers from 80 % of the minute budget and a SharePoint 429 at the limit', async () => {
    const seen: Record<string, string | undefined>[] = [];
    for (let i = 0; i < 13; i++) {
      const r = await raw.get('/v1.0/_test/spo');
      seen.push({
        status: String(r.status),
        limit: r.headers['ratelimit-limit'],
        remaining: r.headers['ratelimit-remaining'],
        reset: r.headers['ratelimit-reset'],
        retryAfter: r.headers['retry-after'],
        code: r.json?.error?.code,
        inner: r.json?.error?.innerError?.code,
      });
    }
    // 9 × 100 = 900 < 960 (80 % of 1,200): no headers.
    for (const s of seen.slice(0, 9)) expect(s).toMatchObject({ status: '200', limit: undefined });
    expect(seen.slice(9, 12).map((s) => [s.status, s.limit, s.remaining])).toEqual([
      ['200', '1200', '200'],
      ['200', '1200', '100'],
      ['200', '1200', '0'],
    ]);
    const throttled = seen[12] as Record<string, string | undefined>;
    expect(throttled).toMatchObject({
      status: '429',
      code: 'activityLimitReached',
      inner: 'throttledRequest',
      limit: '1200',
      remaining: '0',
    });
    expect(throttled.retryAfter).toBe(throttled.reset);
    // At time scale 0.5 the 60 s window is 30 s of wall time, sent with fractions.
    const reset = Number(throttled.reset);
    expect(reset).toBeGreaterThan(0);
    expect(reset).toBeLessThanOrEqual(30);
  });
});
