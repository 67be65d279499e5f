import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm, stat, unlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckReport, PruneReport, RepositoryStats } from '../../src/repository/index.js';
import {
  filesUnder,
  folderStore,
  json,
  readsBack,
  runCli,
  snapshot,
  TEST_SCRYPT_N,
  writeBackup,
  type Env,
} from './repo-support.js';

const PW = 'correct horse battery staple';
let root: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'safehold-repo-cli-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh data dir (and so a fresh default repository location) per test. */
function dataDir(): { dir: string; repoDir: string; env: (extra?: Env) => Env } {
  const dir = join(root, `d${++counter}`);
  return {
    dir,
    repoDir: join(dir, 'repository'),
    env: (extra = {}) => ({
      SAFEHOLD_DATA_DIR: dir,
      SAFEHOLD_PASSPHRASE: PW,
      SAFEHOLD_SCRYPT_N: TEST_SCRYPT_N,
      ...extra,
    }),
  };
}

async function initialised() {
  const d = dataDir();
  const r = await runCli(['repo', 'init', '--json'], d.env());
  expect(r.code, r.stderr).toBe(0);
  return { ...d, id: json<{ id: string }>(r).id };
}

const A = randomBytes(5000);
const B = randomBytes(7000);

describe('safehold repo init', () => {
  it('creates the repository under the data dir with its cache beside it, and refuses a second init', async () => {
    const d = dataDir();
    const r = await runCli(['repo', 'init', '--json'], d.env());
    expect(r.code, r.stderr).toBe(0);
    const doc = json<{ id: string; location: string; keyId: string; config: { id: string } }>(r);
    expect(doc.id).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.location).toBe(`folder ${d.repoDir}`);
    const config = JSON.parse(await readFile(join(d.repoDir, 'config'), 'utf8')) as { id: string };
    expect(config.id).toBe(doc.id);
    expect(doc.config.id).toBe(doc.id);
    const keyFiles = await readdir(join(d.repoDir, 'keys'));
    expect(keyFiles).toEqual([doc.keyId]);
    const key = JSON.parse(await readFile(join(d.repoDir, 'keys', doc.keyId), 'utf8')) as {
      kdf: { N: number };
      name: string;
    };
    expect(key.kdf.N).toBe(Number(TEST_SCRYPT_N)); // SAFEHOLD_SCRYPT_N reached the key file
    expect(key.name).toBe('default');
    expect((await readdir(join(d.dir, 'cache', doc.id))).some((f) => f.endsWith('.sqlite'))).toBe(true);

    const again = await runCli(['repo', 'init'], d.env({ SAFEHOLD_PASSPHRASE: 'another' }));
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `safehold: folder ${d.repoDir} already holds a repository; refusing to overwrite it\n`,
    );
    const againJson = await runCli(['repo', 'init', '--json'], d.env());
    expect(againJson.code).toBe(1);
    expect(json(againJson)).toEqual({ error: expect.stringMatching(/already holds a repository/) });
    expect(await readdir(join(d.repoDir, 'keys'))).toEqual([doc.keyId]);
  });

  it('rejects a scrypt cost that is not a power of two (usage error)', async () => {
    const d = dataDir();
    const r = await runCli(['repo', 'init'], d.env({ SAFEHOLD_SCRYPT_N: '1000' }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SAFEHOLD_SCRYPT_N=1000: expected a power of two/);
    expect(existsSync(d.repoDir)).toBe(false);
  });
});

describe('safehold repo info and stats', () => {
  it('describe the repository, as JSON and for a person', async () => {
    const d = await initialised();
    await writeBackup(folderStore(d.repoDir), PW, join(d.dir, 'lib-cache'), { 'mail/a': A, 'mail/b': B });

    const info = await runCli(['repo', 'info', '--json'], d.env());
    expect(info.code, info.stderr).toBe(0);
    const doc = json<{
      id: string;
      location: string;
      config: { chunker: { algorithm: string }; encryption: string };
      keys: number;
      currentKey: { name: string };
    }>(info);
    expect(doc).toMatchObject({ id: d.id, location: `folder ${d.repoDir}`, keys: 1 });
    expect(doc.config.chunker.algorithm).toBe('fastcdc-2020');
    expect(doc.currentKey.name).toBe('default');
    const human = await runCli(['repo', 'info'], d.env());
    expect(human.stdout).toContain(`Repository ${d.id}`);
    expect(human.stdout).toContain(`folder ${d.repoDir}`);

    const stats = await runCli(['repo', 'stats', '--json'], d.env());
    expect(stats.code, stats.stderr).toBe(0);
    const s = json<RepositoryStats>(stats);
    const packs = await filesUnder(join(d.repoDir, 'data'));
    const sizes = await Promise.all(packs.map(async (p) => (await stat(p)).size));
    // Two objects of one chunk each, plus the manifest body.
    expect(s).toMatchObject({ id: d.id, manifests: 1, blobs: 3, tombstonedBlobs: 0, packs: packs.length });
    expect(s.packBytes).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(s.rawBytes).toBeGreaterThan(A.length + B.length);
    const humanStats = await runCli(['repo', 'stats'], d.env());
    expect(humanStats.stdout).toMatch(/restore points: 1\n/);
  });
});

describe('safehold repo check', () => {
  it('passes a sound repository; --read-data reads every blob, --subset 100% every pack', async () => {
    const d = await initialised();
    await writeBackup(folderStore(d.repoDir), PW, join(d.dir, 'lib-cache'), { 'mail/a': A, 'mail/b': B });
    const packs = (await filesUnder(join(d.repoDir, 'data'))).length;

    const plain = await runCli(['repo', 'check', '--json'], d.env());
    expect(plain.code, plain.stdout).toBe(0);
    const report = json<CheckReport>(plain);
    expect(report).toMatchObject({ ok: true, problems: [], affected: [] });
    expect(report.stats).toMatchObject({ manifests: 1, records: 2, packsRead: 0 });

    const full = json<CheckReport>(await runCli(['repo', 'check', '--read-data', '--json'], d.env()));
    expect(full.ok).toBe(true);
    expect(full.stats).toMatchObject({ packsRead: packs, blobsRead: 3 });
    const sample = await runCli(['repo', 'check', '--read-data', '--subset', '100%', '--json'], d.env());
    expect(json<CheckReport>(sample).stats.packsRead).toBe(packs);
    const human = await runCli(['repo', 'check'], d.env());
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/No problems found/);
  });

  it('finds a flipped byte in a pack with --read-data, names the restore point and record, and exits 1', async () => {
    const d = await initialised();
    const store = folderStore(d.repoDir);
    const backup = await writeBackup(store, PW, join(d.dir, 'lib-cache'), { 'mail/a': A, 'mail/b': B });
    const packs = await filesUnder(join(d.repoDir, 'data'));
    expect(packs).toHaveLength(1);
    const pack = packs[0] as string;
    const fh = await open(pack, 'r+');
    const byte = Buffer.alloc(1);
    await fh.read(byte, 0, 1, 20);
    byte[0] = (byte[0] as number) ^ 0xff;
    await fh.write(byte, 0, 1, 20);
    await fh.close();

    // Which record the damage breaks, found independently of check: read every object back.
    const objects: Record<string, Buffer> = { 'mail/a': A, 'mail/b': B };
    const broken: string[] = [];
    for (const [id, ref] of backup.records)
      if (!(await readsBack(store, PW, join(d.dir, 'oracle-cache'), ref, objects[id] as Buffer)))
        broken.push(id);
    expect(broken).toHaveLength(1);

    const r = await runCli(['repo', 'check', '--read-data', '--json'], d.env());
    expect(r.code).toBe(1);
    const report = json<CheckReport>(r);
    expect(report.ok).toBe(false);
    const packFile = `data/${pack.slice(pack.length - 64 - 3)}`;
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'corrupt-blob', file: packFile, blobs: [expect.any(String)] }),
    ]);
    expect(report.affected).toHaveLength(1);
    expect(report.affected[0]).toMatchObject({ manifest: backup.manifest, records: broken });

    const human = await runCli(['repo', 'check', '--read-data'], d.env());
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`corrupt-blob ${packFile}`);
    expect(human.stdout).toContain(`manifest ${backup.manifest}`);
    expect(human.stdout).toContain(`    ${broken[0]}\n`);
    expect(human.stdout).not.toContain(broken[0] === 'mail/a' ? 'mail/b' : 'mail/a');
  });

  it('finds a missing pack without reading data (exit 1)', async () => {
    const d = await initialised();
    const backup = await writeBackup(folderStore(d.repoDir), PW, join(d.dir, 'lib-cache'), { 'mail/a': A });
    const [pack] = await filesUnder(join(d.repoDir, 'data'));
    await unlink(pack as string);
    const r = await runCli(['repo', 'check', '--json'], d.env());
    expect(r.code).toBe(1);
    const report = json<CheckReport>(r);
    expect(report.problems.map((p) => p.kind)).toContain('missing-pack');
    expect(report.affected.map((a) => a.manifest)).toEqual([backup.manifest]);
  });
});

describe('safehold repo prune', () => {
  it('--dry-run reports unreferenced data and changes nothing; prune marks it and keeps live data', async () => {
    const d = await initialised();
    const store = folderStore(d.repoDir);
    const backup = await writeBackup(store, PW, join(d.dir, 'lib-cache'), { 'mail/a': A }, [
      randomBytes(3000),
      randomBytes(4000),
    ]);
    // Prune judges only data older than its safety window (24 h): age the pack as if written two days ago.
    const twoDaysAgo = new Date(Date.now() - 48 * 3600_000);
    for (const pack of await filesUnder(join(d.repoDir, 'data'))) await utimes(pack, twoDaysAgo, twoDaysAgo);
    const before = await snapshot(d.repoDir);
    const dry = await runCli(['repo', 'prune', '--dry-run', '--json'], d.env());
    expect(dry.code, dry.stderr).toBe(0);
    expect(json<PruneReport>(dry)).toMatchObject({
      dryRun: true,
      liveBlobs: 2, // the object and the manifest body
      newTombstones: 2,
      deletedPacks: 0, // nothing has aged past the safety window yet
      indexFilesWritten: 0,
    });
    expect(await snapshot(d.repoDir)).toEqual(before);
    const human = await runCli(['repo', 'prune', '--dry-run'], d.env());
    expect(human.stdout).toMatch(/dry run: nothing was changed/);
    expect(human.stdout).toMatch(/newly tombstoned: +2 unreferenced blobs would be marked/);

    const real = await runCli(['repo', 'prune', '--json'], d.env());
    expect(real.code, real.stderr).toBe(0);
    expect(json<PruneReport>(real)).toMatchObject({ dryRun: false, newTombstones: 2, deletedPacks: 0 });
    const stats = json<RepositoryStats>(await runCli(['repo', 'stats', '--json'], d.env()));
    // (a repacked pack's old copies of live blobs are tombstoned too)
    expect(stats.blobs).toBe(2);
    expect(stats.tombstonedBlobs).toBeGreaterThanOrEqual(2);
    expect(
      json<PruneReport>(await runCli(['repo', 'prune', '--dry-run', '--json'], d.env())).newTombstones,
    ).toBe(0);
    expect((await runCli(['repo', 'check', '--read-data'], d.env())).code).toBe(0);
    const ref = backup.records.get('mail/a');
    expect(ref && (await readsBack(store, PW, join(d.dir, 'oracle-cache'), ref, A))).toBe(true);
  });
});
