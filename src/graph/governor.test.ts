import { describe, expect, it } from 'vitest';
import type { Clock } from './clock.js';
import { GRAPH_LIMITS, ThrottleGovernor, backoffMs, parseRetryAfter } from './governor.js';
import type { RequestScope } from './scope.js';
import { classify } from './scope.js';

/** A clock that only moves when every pending sleeper is due: deterministic, no real waiting. */
class FakeClock implements Clock {
  t = 0;
  private sleepers: { until: number; resolve: () => void }[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.sleepers.push({ until: this.t + ms, resolve }));
  }
  /** Advances to the next sleeper's deadline and wakes it. */
  async tick(): Promise<boolean> {
    await new Promise((r) => setImmediate(r));
    this.sleepers.sort((a, b) => a.until - b.until);
    const next = this.sleepers.shift();
    if (!next) return false;
    this.t = Math.max(this.t, next.until);
    next.resolve();
    await new Promise((r) => setImmediate(r));
    return true;
  }
}

const mbx = (id: string): RequestScope => ({ kind: 'exchange', key: `mbx:${id}`, cost: 0 });
const settle = () => new Promise((r) => setImmediate(r));

describe('ThrottleGovernor', () => {
  it('keeps at most 4 requests in flight per mailbox but lets other mailboxes proceed', async () => {
    const g = new ThrottleGovernor(
      { maxConcurrency: 100, tenantLicenses: 10, windowScale: 1 },
      new FakeClock(),
    );
    const held = await Promise.all([1, 2, 3, 4].map(() => g.acquire(mbx('a'))));
    let fifth = false;
    const pending = g.acquire(mbx('a')).then((p) => {
      fifth = true;
      return p;
    });
    const other = await g.acquire(mbx('b'));
    await settle();
    expect(fifth).toBe(false);
    held[0]?.release();
    (await pending).release();
    expect(fifth).toBe(true);
    other.release();
    held.slice(1).forEach((p) => p.release());
    expect(g.snapshot().maxMailboxConcurrency).toBe(4);
  });

  it('paces a mailbox to 10,000 requests per 10 minutes', async () => {
    const clock = new FakeClock();
    const g = new ThrottleGovernor({ maxConcurrency: 100, tenantLicenses: 10, windowScale: 1 }, clock);
    for (let i = 0; i < GRAPH_LIMITS.exchangeWindowRequests; i++) (await g.acquire(mbx('a'))).release();
    let done = false;
    const next = g.acquire(mbx('a')).then((p) => {
      done = true;
      p.release();
    });
    await settle();
    expect(done).toBe(false);
    while (!done && (await clock.tick()));
    await next;
    expect(clock.now()).toBeGreaterThanOrEqual(GRAPH_LIMITS.exchangeWindowMs);
  });

  it('fences only the scope a Retry-After was given for', async () => {
    const clock = new FakeClock();
    const g = new ThrottleGovernor({ maxConcurrency: 100, tenantLicenses: 10, windowScale: 1 }, clock);
    g.throttled(mbx('a'), 5000);
    let aDone = false;
    const a = g.acquire(mbx('a')).then((p) => {
      aDone = true;
      p.release();
    });
    (await g.acquire(mbx('b'))).release();
    (await g.acquire({ kind: 'directory', key: 'dir', cost: 0 })).release();
    await settle();
    expect(aDone).toBe(false);
    while (!aDone && (await clock.tick()));
    await a;
    expect(clock.now()).toBeGreaterThanOrEqual(5000);
  });

  it('spends the SharePoint resource-unit budget per minute by tenant size', async () => {
    const clock = new FakeClock();
    const g = new ThrottleGovernor({ maxConcurrency: 100, tenantLicenses: 10, windowScale: 1 }, clock);
    const spo = (cost: number): RequestScope => ({ kind: 'sharepoint', key: 'spo', cost });
    for (let i = 0; i < 600; i++) (await g.acquire(spo(2))).release();
    let done = false;
    const next = g.acquire(spo(1)).then((p) => {
      done = true;
      p.release();
    });
    await settle();
    expect(done).toBe(false);
    while (!done && (await clock.tick()));
    await next;
    expect(clock.now()).toBeGreaterThanOrEqual(60_000);
  });

  it('scales its windows for an emulator that compresses time', async () => {
    const clock = new FakeClock();
    const g = new ThrottleGovernor({ maxConcurrency: 100, tenantLicenses: 10, windowScale: 0.01 }, clock);
    const chn: RequestScope = { kind: 'teams', key: 'chn:1', cost: 0 };
    for (let i = 0; i < 4; i++) (await g.acquire(chn)).release();
    const next = g.acquire(chn);
    while (await clock.tick());
    (await next).release();
    expect(clock.now()).toBeGreaterThanOrEqual(10);
    expect(clock.now()).toBeLessThan(1000);
  });
});

describe('retry helpers', () => {
  it('parses Retry-After seconds, fractions and HTTP dates', () => {
    expect(parseRetryAfter('10')).toBe(10_000);
    expect(parseRetryAfter('2.128')).toBe(2128);
    expect(parseRetryAfter(new Date(Date.now() + 3000).toUTCString(), Date.now())).toBeGreaterThan(1000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('backs off exponentially with full jitter under a cap', () => {
    expect(backoffMs(0, () => 0.999)).toBeLessThan(500);
    expect(backoffMs(3, () => 0.999)).toBeGreaterThan(3900);
    expect(backoffMs(30, () => 0.999)).toBeLessThanOrEqual(30_000);
  });
});

describe('classify', () => {
  const c = (method: string, url: string) => classify(method, new URL(`https://graph.microsoft.com${url}`));
  it('puts Outlook calls on their mailbox', () => {
    expect(c('GET', '/v1.0/users/ABC/mailFolders/inbox/messages/delta')).toEqual({
      kind: 'exchange',
      key: 'mbx:abc',
      cost: 0,
    });
    expect(c('GET', '/beta/admin/exchange/mailboxes/MBX%3A1%402/folders').key).toBe('mbx:mbx:1@2');
  });
  it('prices SharePoint calls in resource units', () => {
    expect(c('GET', '/v1.0/drives/b!x/items/1').cost).toBe(1);
    expect(c('GET', '/v1.0/drives/b!x/items/1/children').cost).toBe(2);
    expect(c('GET', '/v1.0/drives/b!x/root/delta').cost).toBe(2);
    expect(c('GET', '/v1.0/drives/b!x/root/delta?token=abc').cost).toBe(1);
    expect(c('PUT', '/v1.0/drives/b!x/items/1/content').cost).toBe(2);
    expect(c('GET', '/v1.0/drives/b!x/items/1/permissions').cost).toBe(5);
    expect(c('GET', '/v1.0/users/u/drive/root/children?$expand=permissions').cost).toBe(5);
  });
  it('puts channel calls on the channel', () => {
    expect(c('GET', '/v1.0/teams/t/channels/19:abc@thread.tacv2/messages').key).toBe(
      'chn:19:abc@thread.tacv2',
    );
  });
});
