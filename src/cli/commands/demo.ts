import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  ALL_APP_PERMISSIONS,
  Emulator,
  generateClientCertificate,
  registerApp,
} from '../../../emulator/index.js';
import { crawlTenant, type TenantInventory } from '../../connectors/inventory/index.js';
import { GraphClient } from '../../graph/index.js';
import { createOutput, EXIT, UserError } from '../output.js';
import { untilSignal } from './emulator.js';

interface DemoFlags {
  profile: string;
  seed: string;
  throttle: string;
  timeScale: string;
  exit?: boolean;
  json?: boolean;
}

export function inventoryTable(counts: TenantInventory['counts']): string {
  const groups = new Map<string, [string, number][]>();
  for (const [key, n] of Object.entries(counts)) {
    const [area = '', what = key] = key.split('.');
    groups.set(area, [...(groups.get(area) ?? []), [what, n]]);
  }
  return [...groups]
    .map(
      ([area, rows]) =>
        `  ${area.padEnd(10)} ${rows.map(([w, n]) => `${w} ${n.toLocaleString('en-US')}`).join(' · ')}`,
    )
    .join('\n');
}

interface DemoApp {
  appId: string;
  certPem: string;
  keyPem: string;
}

/** The demo's own app registration with a certificate, kept in the state directory and reused. */
async function demoApp(emulator: Emulator, stateDir: string): Promise<DemoApp> {
  const file = join(stateDir, 'demo-app.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as DemoApp;
    if (emulator.store.apps.get(saved.appId)) return saved;
  }
  const cert = await generateClientCertificate('Safehold demo');
  const { appId } = registerApp(emulator.store, {
    displayName: 'Safehold demo',
    permissions: ALL_APP_PERMISSIONS,
    certificatePem: cert.certPem,
    secret: false,
  });
  const app: DemoApp = { appId, certPem: cert.certPem, keyPem: cert.keyPem };
  writeFileSync(file, JSON.stringify(app), { mode: 0o600 });
  return app;
}

/**
 * `safehold demo` (what `npm start` runs): the built-in tenant emulator, and Safehold's Graph
 * client walking all of it the way the backup engine will — until a real tenant is configured.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('start the tenant emulator and crawl the whole tenant through Microsoft Graph')
    .option('--profile <name|file>', 'emulator profile', 'small')
    .option('--seed <n>', 'emulator seed', '1')
    .option('--throttle <mode>', 'off, realistic or harsh', 'realistic')
    .option('--time-scale <x>', 'emulator time scale', '1')
    .option('--exit', 'stop after the crawl instead of keeping the emulator running')
    .option('--json', 'print one JSON document with the results')
    .action(async (flags: DemoFlags) => {
      const out = createOutput(!!flags.json);
      if (!['off', 'realistic', 'harsh'].includes(flags.throttle))
        throw new UserError('--throttle must be off, realistic or harsh', EXIT.usage);
      const timeScale = Number(flags.timeScale);
      if (!(timeScale > 0)) throw new UserError('--time-scale must be a positive number', EXIT.usage);
      // The demo tenant lives in the data directory, so every `npm start` sees the same one.
      const stateDir = resolve(
        process.env['SAFEHOLD_DATA_DIR'] ?? 'data',
        'emulator',
        `${flags.profile}-${flags.seed}`,
      );
      out.info(
        `Starting the Microsoft 365 tenant emulator (profile ${flags.profile}, seed ${flags.seed}, throttling ${flags.throttle})…`,
      );
      const emulator = await Emulator.start({
        profile: flags.profile,
        seed: flags.seed,
        throttle: flags.throttle as 'off' | 'realistic' | 'harsh',
        timeScale,
        stateDir,
      });
      const info = emulator.info;
      const app = await demoApp(emulator, stateDir);
      const client = new GraphClient({
        tenantId: info.tenantId,
        clientId: app.appId,
        // A certificate, as README recommends for real tenants (SharePoint REST accepts nothing else).
        credential: { kind: 'certificate', certificatePem: app.certPem, privateKeyPem: app.keyPem },
        graphUrl: info.graphUrl,
        loginUrl: info.loginUrl,
        sharepointOrigin: info.graphUrl,
        ca: readFileSync(info.caFile, 'utf8'),
        limitWindowScale: timeScale,
      });
      try {
        out.info(
          `Signing in as app ${app.appId} with its certificate and crawling the tenant through Graph (delta rounds, $batch)…`,
        );
        const inventory = await crawlTenant(client, { onProgress: (stage) => out.info(`  · ${stage}`) });
        const metrics = emulator.metrics.snapshot();
        const governor = client.governor.snapshot();
        const result = {
          emulator: info,
          inventory,
          requests: metrics.requests,
          throttled: metrics.throttled,
          throttleLowerBoundMs: metrics.throttleLowerBoundMs,
          maxConcurrencyPerMailbox: Math.max(0, ...Object.values(metrics.maxConcurrencyByMailbox)),
          governorWaitMs: Math.round(governor.waitedMs),
        };
        out.result(result, () =>
          [
            `Crawled the whole tenant in ${(inventory.durationMs / 1000).toFixed(1)} s with ${metrics.requests} Graph requests (${metrics.throttled.status429} throttled; at most ${result.maxConcurrencyPerMailbox} at once per mailbox):`,
            inventoryTable(inventory.counts),
            inventory.warnings.length
              ? `Warnings:\n${inventory.warnings.map((w) => `  ${w.scope}: ${w.message}`).join('\n')}`
              : 'No warnings.',
            '',
            'Backups, restores and the web portal are not built yet; this demo shows the foundation they stand on.',
            `Emulator: Graph ${info.graphUrl}/v1.0 · tenant ${info.tenantId} · apps ${info.clientId} (secret ${info.clientSecret}) and ${app.appId} (certificate in ${join(stateDir, 'demo-app.json')}) · CA ${info.caFile}`,
            flags.exit
              ? ''
              : 'The emulator keeps running for you to explore (see README). Press Ctrl-C to stop.',
          ].join('\n'),
        );
      } finally {
        await client.close();
      }
      if (!flags.exit) await untilSignal();
      await emulator.close();
    });
}
