import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../emulator/server.js';
import { RawGraph } from '../support/raw-graph.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('--state DIR', () => {
  it('keeps changes, credentials and delta tokens across a restart', async () => {
    const state = await mkdtemp(join(tmpdir(), 'safehold-state-'));
    dirs.push(state);
    const first = await Emulator.start({ profile: 'small', seed: 3, stateDir: state });
    let raw = new RawGraph(first);
    const round = await raw.all('/v1.0/users/delta');
    const added = (
      await raw.admin('POST', '/activity', { op: 'addUser', args: { displayName: 'Persisted Person' } })
    ).json.result;
    const info = first.info;
    await raw.close();
    await first.close();

    const second = await Emulator.start({ profile: 'small', seed: 3, stateDir: state });
    raw = new RawGraph(second);
    expect(second.info.clientSecret).toBe(info.clientSecret);
    expect(second.info.caFile).toBe(info.caFile);
    const user = await raw.get(`/v1.0/users/${added.id}`);
    expect(user.status).toBe(200);
    expect(user.json.displayName).toBe('Persisted Person');
    // The delta link from before the restart still works and reports exactly the change since
    // (on the new port: without --port a restarted emulator listens elsewhere).
    const link = String(round.last['@odata.deltaLink']).replace(info.graphUrl, second.info.graphUrl);
    const changes = await raw.all(link);
    expect(changes.items.map((u: { id: string }) => u.id)).toEqual([added.id]);
    await raw.close();
    await second.close();
  });
});

describe('safehold emulator --json', () => {
  it('prints one JSON line with the connection details and serves Graph until stopped', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'emulator',
        '--profile',
        'small',
        '--seed',
        '5',
        '--port',
        '0',
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
    });
    const info = JSON.parse(line);
    expect(Object.keys(info).sort()).toEqual([
      'adminUrl',
      'caFile',
      'clientId',
      'clientSecret',
      'graphUrl',
      'loginUrl',
      'tenantId',
    ]);
    const raw = new RawGraph({ info } as unknown as Emulator);
    const users = await raw.get('/v1.0/users?$top=1');
    expect(users.status).toBe(200);
    await raw.close();
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
  });

  it('exits 2 on a usage error', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'emulator', '--throttle', 'sometimes', '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(JSON.parse(out).error).toMatch(/--throttle/);
  });
});
