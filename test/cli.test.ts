import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateClientCertificate } from '../emulator/tls.js';
import { startEmulator, type RawGraph } from './support/raw-graph.js';
import type { Emulator } from '../emulator/server.js';

let emulator: Emulator;
let raw: RawGraph;
let stop: () => Promise<void>;
let dir: string;

beforeAll(async () => {
  ({ emulator, raw, stop } = await startEmulator({ seed: 21 }));
  dir = await mkdtemp(join(tmpdir(), 'safehold-cli-'));
});
afterAll(async () => {
  await stop();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI from source; resolves with exit code and output. */
function safehold(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const target = () => [
  '--tenant-id',
  emulator.info.tenantId,
  '--graph-url',
  emulator.info.graphUrl,
  '--login-url',
  emulator.info.loginUrl,
  '--ca-file',
  emulator.info.caFile,
  // SharePoint REST (list item attachments) goes to the emulator, not the sites' real hosts.
  '--sharepoint-origin',
  emulator.info.graphUrl,
];

describe('safehold inventory', () => {
  it('counts the tenant through Graph with a client secret, as JSON', async () => {
    const r = await safehold([
      'inventory',
      ...target(),
      '--client-id',
      emulator.info.clientId,
      '--client-secret',
      emulator.info.clientSecret,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const generated = (await raw.admin('GET', '/inventory')).json;
    expect(doc.counts['mail.messages']).toBe(generated.mail.messages);
    expect(doc.counts['drives.files']).toBe(generated.drives.files);
    // SharePoint REST refuses secret sign-ins, so list item attachments are reported, not counted.
    expect(doc.warnings).toHaveLength(1);
    expect(doc.warnings[0].message).toMatch(/certificate/);
  });

  it('signs in with a password-protected certificate', async () => {
    const cert = await generateClientCertificate('cli', { password: 'pw' });
    const app = (
      await raw.admin('POST', '/apps', {
        permissions: ['User.Read.All', 'Group.Read.All', 'Sites.Read.All'],
        certificatePem: cert.certPem,
        secret: false,
      })
    ).json;
    await writeFile(join(dir, 'cert.pem'), cert.certPem);
    await writeFile(join(dir, 'key.pem'), cert.keyPem);
    const r = await safehold([
      'inventory',
      ...target(),
      '--client-id',
      app.appId,
      '--certificate',
      join(dir, 'cert.pem'),
      '--certificate-key',
      join(dir, 'key.pem'),
      '--certificate-password',
      'pw',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.counts['directory.users']).toBeGreaterThan(0);
    // This app may not read mail: the crawl says so per mailbox and goes on.
    expect(doc.warnings.length).toBeGreaterThan(0);
    expect(doc.warnings[0].message).toMatch(/403/);
  });

  it('fails with exit 1 and Entra ID’s reason on a wrong secret', async () => {
    const r = await safehold([
      'inventory',
      ...target(),
      '--client-id',
      emulator.info.clientId,
      '--client-secret',
      'wrong',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/AADSTS7000215/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('exits 2 without a credential', async () => {
    const r = await safehold(['inventory', ...target(), '--client-id', emulator.info.clientId, '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatch(/--client-secret or --certificate/);
  });
});

describe('safehold demo (npm start)', () => {
  it('starts the emulator, crawls it and reports, then exits with --exit', async () => {
    const r = await safehold(['demo', '--exit', '--json', '--throttle', 'off'], { SAFEHOLD_DATA_DIR: dir });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.inventory.counts['mail.messages']).toBeGreaterThan(0);
    expect(doc.inventory.warnings).toEqual([]);
    expect(doc.emulator.caFile.startsWith(dir)).toBe(true);
  });
});
