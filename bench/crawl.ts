import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { ALL_APP_PERMISSIONS, generateClientCertificate, type MetricsSnapshot } from '../emulator/index.js';
import { GraphClient } from '../src/graph/index.js';
import { crawlTenant } from '../src/connectors/inventory/index.js';
import { spawnEmulator } from './spawn-emulator.js';

/**
 * A full Graph crawl of an emulated tenant under realistic throttling: wall time against the
 * emulator's throttle lower bound (the least time any client could have needed for the same
 * requests), peak concurrency per mailbox, request and 429 counts, and the client's peak RSS. The
 * emulator runs in its own process.
 */
export default async function crawl(
  args: Record<string, string | undefined>,
): Promise<Record<string, unknown>> {
  const profile = args['profile'] ?? 'small';
  const timeScale = Number(args['time-scale'] ?? 1);
  const emulator = await spawnEmulator([
    '--profile',
    profile,
    '--seed',
    args['seed'] ?? '1',
    '--throttle',
    'realistic',
    '--time-scale',
    String(timeScale),
  ]);
  const { info } = emulator;
  const ca = readFileSync(info.caFile, 'utf8');
  const admin = new Agent({ connect: { ca } });
  const adminCall = async (method: string, path: string, json?: unknown) =>
    (await (
      await request(`${info.adminUrl}${path}`, {
        method: method as 'GET',
        dispatcher: admin,
        ...(json ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) } : {}),
      })
    ).body.json()) as MetricsSnapshot & { appId: string };
  // Sign in by certificate, as recommended (and as SharePoint REST requires).
  const cert = await generateClientCertificate('bench');
  const { appId } = await adminCall('POST', '/apps', {
    permissions: ALL_APP_PERMISSIONS,
    certificatePem: cert.certPem,
    secret: false,
  });
  const client = new GraphClient({
    tenantId: info.tenantId,
    clientId: appId,
    credential: { kind: 'certificate', certificatePem: cert.certPem, privateKeyPem: cert.keyPem },
    sharepointOrigin: info.graphUrl,
    graphUrl: info.graphUrl,
    loginUrl: info.loginUrl,
    ca,
    limitWindowScale: timeScale,
    maxConcurrency: 256,
  });
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  try {
    // Sign in first: the identity round trip is not Graph work the lower bound accounts for.
    await client.get('/organization');
    await adminCall('POST', '/metrics/reset');
    const started = performance.now();
    const inventory = await crawlTenant(client, { concurrency: Number(args['concurrency'] ?? 64) });
    const wallMs = performance.now() - started;
    const m = await adminCall('GET', '/metrics');
    return {
      profile,
      timeScale,
      crawlMs: Math.round(wallMs),
      throttleLowerBoundMs: m.throttleLowerBoundMs,
      lowerBoundScope: m.lowerBoundScope,
      ratioToLowerBound: Number((wallMs / Math.max(1, m.throttleLowerBoundMs)).toFixed(3)),
      requests: m.requests,
      throttled429: m.throttled.status429,
      maxConcurrencyPerMailbox: Math.max(0, ...Object.values(m.maxConcurrencyByMailbox)),
      mailboxLimit: 4,
      resourceUnits: m.resourceUnits,
      items: Object.entries(inventory.counts)
        .filter(([k]) => !k.endsWith('bytes'))
        .reduce((n, [, v]) => n + v, 0),
      warnings: inventory.warnings.length,
      firstWarnings: inventory.warnings.slice(0, 3),
      clientPeakRssMiB: Math.round(peakRss / 1048576),
    };
  } finally {
    clearInterval(sampler);
    await client.close();
    await admin.close();
    await emulator.stop();
  }
}
