import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { crawlTenant } from '../../connectors/inventory/index.js';
import { CLOUDS, GraphClient, type CloudName, type GraphCredential } from '../../graph/index.js';
import { createOutput, EXIT, UserError } from '../output.js';
import { inventoryTable } from './demo.js';

interface InventoryFlags {
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  certificate?: string;
  certificateKey?: string;
  certificatePassword?: string;
  cloud: string;
  graphUrl?: string;
  loginUrl?: string;
  caFile?: string;
  sharepointOrigin?: string;
  concurrency: string;
  json?: boolean;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read the ${what} ${path}: ${(e as Error).message}`);
  }
}

/** Credentials from flags: a client secret, or a certificate (PEM) with its private key. */
function credential(flags: InventoryFlags): GraphCredential {
  if (flags.clientSecret && flags.certificate)
    throw new UserError('give --client-secret or --certificate, not both', EXIT.usage);
  if (flags.clientSecret) return { kind: 'secret', secret: flags.clientSecret };
  if (!flags.certificate) throw new UserError('give --client-secret or --certificate', EXIT.usage);
  const pem = readText(flags.certificate, 'certificate');
  // One PEM file may hold both the certificate and the key; a separate key file is also fine.
  const keyPem = flags.certificateKey ? readText(flags.certificateKey, 'private key') : pem;
  if (!/PRIVATE KEY-----/.test(keyPem))
    throw new UserError('no private key found: give --certificate-key FILE', EXIT.usage);
  return {
    kind: 'certificate',
    certificatePem: pem,
    privateKeyPem: keyPem,
    ...(flags.certificatePassword ? { password: flags.certificatePassword } : {}),
  };
}

/** `safehold inventory`: count everything in a tenant (real or emulated) through Microsoft Graph. */
export function registerInventory(program: Command): void {
  program
    .command('inventory')
    .description('count what a Microsoft 365 tenant holds, through Microsoft Graph (read-only)')
    .requiredOption('--tenant-id <id>', 'directory (tenant) id or domain')
    .requiredOption('--client-id <id>', 'application (client) id')
    .option('--client-secret <secret>', 'client secret value')
    .option('--certificate <file>', 'certificate (PEM) registered on the app; may also hold the key')
    .option('--certificate-key <file>', 'private key (PEM) when not in the certificate file')
    .option('--certificate-password <password>', 'password of an encrypted private key')
    .option('--cloud <name>', `national cloud: ${Object.keys(CLOUDS).join(', ')}`, 'global')
    .option('--graph-url <url>', 'Graph endpoint (overrides --cloud), e.g. the emulator')
    .option('--login-url <url>', 'sign-in endpoint (overrides --cloud)')
    .option('--ca-file <file>', 'extra CA certificate to trust (PEM)')
    .option(
      '--sharepoint-origin <url>',
      "send SharePoint REST calls here instead of the sites' own hosts (a proxy, the emulator)",
    )
    .option('--concurrency <n>', 'accounts crawled at once', '16')
    .option('--json', 'print one JSON document')
    .action(async (flags: InventoryFlags) => {
      const out = createOutput(!!flags.json);
      if (!(flags.cloud in CLOUDS))
        throw new UserError(`--cloud must be one of ${Object.keys(CLOUDS).join(', ')}`, EXIT.usage);
      const client = new GraphClient({
        tenantId: flags.tenantId,
        clientId: flags.clientId,
        credential: credential(flags),
        cloud: flags.cloud as CloudName,
        ...(flags.graphUrl ? { graphUrl: flags.graphUrl } : {}),
        ...(flags.loginUrl ? { loginUrl: flags.loginUrl } : {}),
        ...(flags.caFile ? { ca: readText(flags.caFile, 'CA file') } : {}),
        ...(flags.sharepointOrigin ? { sharepointOrigin: flags.sharepointOrigin } : {}),
      });
      try {
        const inventory = await crawlTenant(client, {
          concurrency: Number(flags.concurrency) || 16,
          onProgress: (s) => out.info(`  · ${s}`),
        });
        out.result(inventory, () =>
          [
            `Tenant ${flags.tenantId}: crawled in ${(inventory.durationMs / 1000).toFixed(1)} s`,
            inventoryTable(inventory.counts),
            inventory.warnings.length
              ? `Warnings:\n${inventory.warnings.map((w) => `  ${w.scope}: ${w.message}`).join('\n')}`
              : 'No warnings.',
          ].join('\n'),
        );
      } catch (e) {
        if ((e as Error).name === 'AuthenticationError') throw new UserError((e as Error).message);
        throw e;
      } finally {
        await client.close();
      }
    });
}
