import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, runChild, TEST_SCRYPT_N, type CliResult, type Env } from './repo-support.js';

/** Passphrase prompts need a terminal: `script` (util-linux) gives the CLI a pseudo-terminal. */
const SCRIPT_INSTALL = 'apt-get install bsdutils (util-linux, for script)';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'safehold-repo-tty-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/**
 * Runs the CLI in a pseudo-terminal and types each answer once its prompt has appeared. Returns
 * everything the terminal showed (stdout and stderr both go to it).
 */
function inTerminal(
  args: string[],
  env: Env,
  answers: [prompt: string, answer: string][],
): Promise<CliResult> {
  if (spawnSync('script', ['--version']).error)
    throw new Error(`script is missing; install it: ${SCRIPT_INSTALL}`);
  const quoted = ['node', '--import', 'tsx', 'src/cli/main.ts', ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-c', quoted, '/dev/null'], {
      env: childEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let shown = '';
    let next = 0;
    let seen = 0;
    child.stdout.on('data', (d: Buffer) => {
      shown += d.toString();
      const step = answers[next];
      // Answer only after the prompt is on screen: the CLI has turned echo off by then.
      if (step && shown.indexOf(step[0], seen) >= 0) {
        seen = shown.indexOf(step[0], seen) + step[0].length;
        next++;
        child.stdin.write(`${step[1]}\r`);
      }
    });
    child.stderr.on('data', (d: Buffer) => (shown += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout: shown, stderr: '' }));
  });
}

describe('safehold repo passphrases without a terminal', () => {
  // Each child process compiles the CLI from source: seconds apiece on a busy machine.
  it(
    'fails with a clear message when no passphrase is configured (exit 1)',
    { timeout: 180_000 },
    async () => {
      const env = { SAFEHOLD_DATA_DIR: join(root, 'none') };
      const r = await runChild(['repo', 'info'], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        'safehold: no passphrase: set SAFEHOLD_PASSPHRASE or SAFEHOLD_PASSPHRASE_FILE, or give --passphrase-file FILE\n',
      );
      const asJson = await runChild(['repo', 'init', '--json'], env);
      expect(asJson.code).toBe(1);
      expect(JSON.parse(asJson.stdout)).toEqual({ error: expect.stringMatching(/^no passphrase:/) });
    },
  );

  it(
    'fails with a clear message when key add has no new passphrase (exit 1)',
    { timeout: 180_000 },
    async () => {
      const env = {
        SAFEHOLD_DATA_DIR: join(root, 'nonew'),
        SAFEHOLD_PASSPHRASE: 'pw',
        SAFEHOLD_SCRYPT_N: TEST_SCRYPT_N,
      };
      expect((await runChild(['repo', 'init'], env)).code).toBe(0);
      const r = await runChild(['repo', 'key', 'add'], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^safehold: no new passphrase: give --new-passphrase-file FILE or set SAFEHOLD_NEW_PASSPHRASE/,
      );
      const wrong = await runChild(['repo', 'stats', '--json'], { ...env, SAFEHOLD_PASSPHRASE: 'nope' });
      expect(wrong.code).toBe(1);
      expect(JSON.parse(wrong.stdout)).toEqual({
        error: expect.stringMatching(/^wrong passphrase: it unlocks none of the repository/),
      });
    },
  );
});

describe('safehold repo passphrases on a terminal', () => {
  it(
    'asks twice without echo for init and key add, once to open, and refuses a mismatch',
    { timeout: 180_000 },
    async () => {
      const dataDir = join(root, 'tty');
      const env = { SAFEHOLD_DATA_DIR: dataDir, SAFEHOLD_SCRYPT_N: TEST_SCRYPT_N };
      const secret = 'typed secret 1';
      const init = await inTerminal(['repo', 'init', '--json'], env, [
        ['Passphrase for the new repository: ', secret],
        ['Repeat it: ', secret],
      ]);
      expect(init.code, init.stdout).toBe(0);
      expect(init.stdout).not.toContain(secret);
      expect(init.stdout).toMatch(/"id":"[0-9a-f]{64}"/);

      const added = await inTerminal(['repo', 'key', 'add', '--name', 'typed'], env, [
        ['Repository passphrase: ', secret],
        ['New passphrase: ', 'typed secret 2'],
        ['Repeat it: ', 'typed secret 2'],
      ]);
      expect(added.code, added.stdout).toBe(0);
      expect(added.stdout).not.toContain('typed secret');
      expect(added.stdout).toMatch(/Added key [0-9a-f]{64} \("typed"\)/);

      const opened = await runChild(['repo', 'info', '--json'], {
        ...env,
        SAFEHOLD_PASSPHRASE: 'typed secret 2',
      });
      expect(opened.code, opened.stderr).toBe(0);
      const keysBefore = await readdir(join(dataDir, 'repository', 'keys'));
      expect(keysBefore).toHaveLength(2);

      const mismatch = await inTerminal(['repo', 'key', 'add'], env, [
        ['Repository passphrase: ', secret],
        ['New passphrase: ', 'one thing'],
        ['Repeat it: ', 'another'],
      ]);
      expect(mismatch.code).toBe(1);
      expect(mismatch.stdout).toMatch(/the two passphrases differ; nothing was changed/);
      expect((await readdir(join(dataDir, 'repository', 'keys'))).sort()).toEqual(keysBefore.sort());
    },
  );
});
