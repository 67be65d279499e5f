import { readFileSync } from 'node:fs';
import { Emulator } from '../emulator/index.js';
import { GraphClient } from '../src/graph/index.js';
import { crawlTenant } from '../src/connectors/inventory/index.js';

/**
 * A full Graph crawl of an emulated tenant under realistic throttling: wall time against the
 * emulator's throttle lower bound (the least time any client could have needed for the same
 * requests), peak concurrency per mailbox, request and 429 counts, and peak RSS of this process
 * (client and emulator together).
 */
export default async function crawl(
  args: Record<string, string | undefined>,
): Promise<Record<string, unknown>> {
  const profile = args['profile'] ?? 'small';
  const timeScale = Number(args['time-scale'] ?? 0.1);
  const emulator = await Emulator.start({
    profile,
    seed: args['seed'] ?? 1,
    throttle: 'realistic',
    timeScale,
  });
  const info = emulator.info;
  const client = new GraphClient({
    tenantId: info.tenantId,
    clientId: info.clientId,
    credential: { kind: 'secret', secret: info.clientSecret },
    graphUrl: info.graphUrl,
    loginUrl: info.loginUrl,
    ca: readFileSync(info.caFile, 'utf8'),
    limitWindowScale: timeScale,
    maxConcurrency: 256,
  });
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  // Sign in first: the identity round trip is not Graph work the lower bound accounts for.
  await client.get('/organization');
  await fetch(`${info.adminUrl}/metrics/reset`, { method: 'POST' }).catch(() => undefined);
  emulator.metrics.reset();
  const started = performance.now();
  const inventory = await crawlTenant(client, { concurrency: 64 });
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  const m = emulator.metrics.snapshot();
  await client.close();
  await emulator.close();
  const maxMailbox = Math.max(0, ...Object.values(m.maxConcurrencyByMailbox));
  return {
    profile,
    timeScale,
    crawlMs: Math.round(wallMs),
    throttleLowerBoundMs: m.throttleLowerBoundMs,
    lowerBoundScope: m.lowerBoundScope,
    ratioToLowerBound: Number((wallMs / Math.max(1, m.throttleLowerBoundMs)).toFixed(3)),
    target: 1.25,
    requests: m.requests,
    throttled429: m.throttled.status429,
    maxConcurrencyPerMailbox: maxMailbox,
    mailboxLimit: 4,
    resourceUnits: m.resourceUnits,
    items: Object.entries(inventory.counts)
      .filter(([k]) => !k.endsWith('bytes'))
      .reduce((n, [, v]) => n + v, 0),
    warnings: inventory.warnings.length,
    peakRssMiB: Math.round(peakRss / 1048576),
  };
}
