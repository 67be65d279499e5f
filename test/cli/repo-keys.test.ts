import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyInfo } from '../../src/repository/index.js';
import { json, runCli, TEST_SCRYPT_N, type Env } from './repo-support.js';

const PW = 'first passphrase';
let root: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'safehold-repo-keys-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function initialised() {
  const dir = join(root, `d${++counter}`);
  const env = (extra: Env = {}): Env => ({
    SAFEHOLD_DATA_DIR: dir,
    SAFEHOLD_PASSPHRASE: PW,
    SAFEHOLD_SCRYPT_N: TEST_SCRYPT_N,
    ...extra,
  });
  const r = await runCli(['repo', 'init', '--json'], env());
  expect(r.code, r.stderr).toBe(0);
  return { dir, repoDir: join(dir, 'repository'), env, id: json<{ id: string; keyId: string }>(r) };
}

const keysOf = async (env: Env) =>
  json<{ keys: KeyInfo[] }>(await runCli(['repo', 'key', 'list', '--json'], env)).keys;
const opens = async (env: Env) => (await runCli(['repo', 'info', '--json'], env)).code === 0;

describe('safehold repo key', () => {
  it('adds, lists, changes and removes passphrases', async () => {
    const d = await initialised();
    const firstKey = d.id.keyId;

    // add: the new passphrase from a file, whose trailing newline is not part of it
    const file = join(d.dir, 'second.txt');
    await writeFile(file, 'second passphrase\n', { mode: 0o600 });
    const added = await runCli(
      ['repo', 'key', 'add', '--new-passphrase-file', file, '--name', 'laptop', '--json'],
      d.env(),
    );
    expect(added.code, added.stderr).toBe(0);
    const laptop = json<{ id: string; name: string }>(added);
    expect(laptop.name).toBe('laptop');
    let keys = await keysOf(d.env());
    expect(keys.map((k) => [k.id, k.name, k.current])).toEqual([
      [firstKey, 'default', true],
      [laptop.id, 'laptop', false],
    ]);
    expect(await opens(d.env({ SAFEHOLD_PASSPHRASE: 'second passphrase' }))).toBe(true);
    const human = await runCli(['repo', 'key', 'list'], d.env({ SAFEHOLD_PASSPHRASE: 'second passphrase' }));
    expect(human.stdout).toMatch(new RegExp(`^\\*\\s+${laptop.id.slice(0, 12)}\\s+laptop`, 'm'));

    // passwd: replaces the key it was opened with; the old passphrase stops working
    const changed = await runCli(
      ['repo', 'key', 'passwd', '--json'],
      d.env({ SAFEHOLD_NEW_PASSPHRASE: 'third passphrase' }),
    );
    expect(changed.code, changed.stderr).toBe(0);
    const passwd = json<{ id: string; previous: string }>(changed);
    expect(passwd.previous).toBe(firstKey);
    const wrong = await runCli(['repo', 'info'], d.env());
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^safehold: wrong passphrase: it unlocks none of the repository[^\n]*\n$/);
    const third = d.env({ SAFEHOLD_PASSPHRASE: 'third passphrase' });
    keys = await keysOf(third);
    expect(keys.map((k) => k.id).sort()).toEqual([laptop.id, passwd.id].sort());
    expect(keys.find((k) => k.id === passwd.id)).toMatchObject({ name: 'default', current: true });
    expect((await readdir(join(d.repoDir, 'keys'))).sort()).toEqual([laptop.id, passwd.id].sort());

    // remove: by a unique start of the id
    const removed = await runCli(['repo', 'key', 'remove', laptop.id.slice(0, 8), '--json'], third);
    expect(removed.code, removed.stderr).toBe(0);
    expect(json(removed)).toEqual({ removed: laptop.id });
    expect(await opens(d.env({ SAFEHOLD_PASSPHRASE: 'second passphrase' }))).toBe(false);
    expect((await keysOf(third)).map((k) => k.id)).toEqual([passwd.id]);

    // the key in use, and an unknown key, are refused
    const self = await runCli(['repo', 'key', 'remove', passwd.id], third);
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/^safehold: refusing to remove the key this session was opened with/);
    const unknown = await runCli(['repo', 'key', 'remove', 'ffffffffffff', '--json'], third);
    expect(unknown.code).toBe(1);
    expect(json(unknown)).toEqual({ error: "no key ffffffffffff (see 'safehold repo key list')" });
    expect((await runCli(['repo', 'key', 'remove', ''], third)).code).toBe(2);
    expect(await opens(third)).toBe(true);
  });

  it('refuses an empty new passphrase file and leaves the keys alone', async () => {
    const d = await initialised();
    const file = join(d.dir, 'empty.txt');
    await writeFile(file, '\n');
    const r = await runCli(['repo', 'key', 'add', '--new-passphrase-file', file], d.env());
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`safehold: the new passphrase file ${file} is empty\n`);
    expect(await readdir(join(d.repoDir, 'keys'))).toEqual([d.id.keyId]);
  });
});

describe('safehold repo configuration and errors', () => {
  it('reads the passphrase from --passphrase-file or SAFEHOLD_PASSPHRASE_FILE', async () => {
    const d = await initialised();
    const file = join(d.dir, 'pass.txt');
    await writeFile(file, `${PW}\r\n`, { mode: 0o600 });
    const noEnv = { SAFEHOLD_PASSPHRASE: undefined };
    expect((await runCli(['repo', 'info', '--passphrase-file', file], d.env(noEnv))).code).toBe(0);
    expect((await runCli(['repo', 'info'], d.env({ ...noEnv, SAFEHOLD_PASSPHRASE_FILE: file }))).code).toBe(
      0,
    );
    // the option wins over the variables
    const wrongFile = join(d.dir, 'wrong.txt');
    await writeFile(wrongFile, 'nope');
    expect((await runCli(['repo', 'info', '--passphrase-file', wrongFile], d.env())).code).toBe(1);
    const missing = await runCli(['repo', 'info', '--passphrase-file', join(d.dir, 'absent')], d.env());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^safehold: cannot read the passphrase file .*absent: ENOENT/);
  });

  it('takes the location from --repository over SAFEHOLD_REPOSITORY over the data dir', async () => {
    const d = await initialised();
    const elsewhere = join(root, 'elsewhere');
    const viaEnv = await runCli(['repo', 'init', '--json'], d.env({ SAFEHOLD_REPOSITORY: elsewhere }));
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(json(viaEnv).location).toBe(`folder ${elsewhere}`);
    const info = await runCli(
      ['repo', 'info', '--repository', d.repoDir, '--json'],
      d.env({ SAFEHOLD_REPOSITORY: elsewhere }),
    );
    expect(json(info)).toMatchObject({ id: d.id.id, location: `folder ${d.repoDir}` });
    const url = await runCli(['repo', 'info', '--repository', `file://${d.repoDir}`, '--json'], d.env());
    expect(json(url).id).toBe(d.id.id);
  });

  it('says clearly when there is no repository, and when the location is not one it knows', async () => {
    const dir = join(root, 'empty');
    const env = { SAFEHOLD_DATA_DIR: dir, SAFEHOLD_PASSPHRASE: PW };
    const none = await runCli(['repo', 'check'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      `safehold: folder ${join(dir, 'repository')} holds no Safehold repository (no config); create one with 'safehold repo init'\n`,
    );
    const bad = await runCli(['repo', 'info', '--repository', 'ftp://host/x', '--json'], env);
    expect(bad.code).toBe(2);
    expect(json<{ error: string }>(bad).error).toMatch(/^invalid repository location \(--repository\)/);
    const badEnv = await runCli(['repo', 'stats'], { ...env, SAFEHOLD_REPOSITORY: 's3://' });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/invalid repository location \(SAFEHOLD_REPOSITORY\)/);
  });

  it('rejects a bad --subset as a usage error', async () => {
    const d = await initialised();
    for (const args of [
      ['--read-data', '--subset', '0%'],
      ['--read-data', '--subset', '101%'],
      ['--read-data', '--subset', '10'],
      ['--read-data', '--subset', 'ten%'],
      ['--subset', '10%'],
    ]) {
      const r = await runCli(['repo', 'check', ...args, '--json'], d.env());
      expect(r.code, args.join(' ')).toBe(2);
      expect(json<{ error: string }>(r).error).toMatch(/--subset/);
    }
    expect((await runCli(['repo', 'check', '--read-data', '--subset', '12.5%'], d.env())).code).toBe(0);
    expect((await runCli(['repo', 'check', '--no-such-option'], d.env())).code).toBe(2);
  });
});
