import { afterAll, describe, expect, it } from 'vitest';
import {
  faults,
  openStore,
  pruneRepository,
  Repository,
  repositoryStats,
} from '../../src/repository/index.js';
import {
  backup,
  copyRepo,
  expectClean,
  expectManifests,
  freshCache,
  MINUTE,
  PASSPHRASE,
  pieces,
  removeTemps,
  SMALL,
  tempDir,
  TestClock,
} from './support/prune-fixture.js';
import { startMoto } from '../support/moto.js';
import {
  buildCrashTemplate,
  openFaulty,
  recoverAndSettle,
  repoIn,
  RULES,
  WINDOW,
} from './support/prune-crash.js';

afterAll(removeTemps);

describe('prune on S3 (moto)', () => {
  it('runs both passes against object storage, judging age by its LastModified times', async () => {
    const moto = await startMoto({ listPageSize: 3 });
    try {
      const bucket = await moto.createBucket();
      const location = `s3://${bucket}/r?endpoint=${encodeURIComponent(moto.endpoint)}`;
      const store = await openStore(location, { credentials: moto.credentials });
      const repo = await Repository.init(store, PASSPHRASE, { cacheDir: freshCache(tempDir()), ...SMALL });
      const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
      const gone = await backup(
        repo,
        Object.fromEntries(names.map((n, i) => [n, pieces(1, 500 + i)[0] as Buffer])),
      );
      const keptData = { k: pieces(1, 500)[0] as Buffer };
      const kept = await backup(repo, keptData);
      await store.delete(`manifests/${gone.manifest}`);
      const clock = new TestClock();
      clock.advance(WINDOW + MINUTE); // every pack is older than the window by this clock
      const first = await pruneRepository(repo, { ...RULES, clock: clock.now });
      expect(first).toMatchObject({ deletedPacks: 0 });
      expect(first.newTombstones).toBeGreaterThanOrEqual(names.length);
      clock.advance(WINDOW + MINUTE);
      const second = await pruneRepository(repo, { ...RULES, clock: clock.now });
      expect(second.deletedPacks).toBeGreaterThanOrEqual(2);
      await expectClean(repo);
      await expectManifests(repo, new Map([[kept.manifest, keptData]]));
      expect(await repositoryStats(repo)).toMatchObject({ manifests: 1, tombstonedBlobs: 0 });
      repo.close();
      await store.close();
    } finally {
      await moto.stop();
    }
  });
});

describe('prune after a crash', () => {
  it('a crash at any store write or delete leaves a clean repository, and later prunes finish the job', async () => {
    const t = await buildCrashTemplate(tempDir());
    const opts = { ...RULES, clock: () => t.at, indexListingsPerFile: 6 };
    const refDir = tempDir();
    copyRepo(t.root, repoIn(refDir));
    const ref = await openFaulty(refDir, repoIn(refDir));
    const stages: string[] = [];
    const report = await pruneRepository(ref.repo, { ...opts, onProgress: (stage) => stages.push(stage) });
    ref.repo.close();
    // Every kind of work: P1, P2, P4 (final garbage) and the orphan go, Q1 is repacked.
    expect(report).toMatchObject({ repackedPacks: 1, orphanPacks: 1, deletedPacks: 4, damagedPacks: [] });
    expect(report.indexFilesWritten).toBeGreaterThanOrEqual(2); // the last one supersedes
    const steps = ref.store.calls.filter((c) => c.op === 'put' || c.op === 'delete');
    expect(new Set(steps.map((c) => `${c.op} ${c.name.split('/')[0]}`))).toEqual(
      new Set(['put locks', 'put data', 'put index', 'delete index', 'delete data', 'delete locks']),
    );
    const settled = await recoverAndSettle(refDir, repoIn(refDir), t.expected);

    for (let n = 1; n <= steps.length; n++) {
      const step = `crash at step ${n} of ${steps.length} (${steps[n - 1]?.op} ${steps[n - 1]?.name})`;
      const dir = tempDir();
      copyRepo(t.root, repoIn(dir));
      const { store, repo } = await openFaulty(dir, repoIn(dir));
      const crash = store.inject({ op: ['put', 'delete'], nth: n, fault: faults.crash() });
      await pruneRepository(repo, opts).catch(() => undefined);
      repo.close();
      expect(crash.fired, step).toBe(1);
      const state = await recoverAndSettle(dir, repoIn(dir), t.expected).catch((e: Error) => {
        throw new Error(`${step}: ${e.message}`);
      });
      expect(state, step).toEqual(settled);
    }

    for (const stage of stages) {
      const dir = tempDir();
      copyRepo(t.root, repoIn(dir));
      const { repo } = await openFaulty(dir, repoIn(dir));
      const failing = (s: string) => {
        if (s === stage) throw new Error(`stopped at ${stage}`);
      };
      await expect(pruneRepository(repo, { ...opts, onProgress: failing })).rejects.toThrow(stage);
      repo.close();
      expect(await recoverAndSettle(dir, repoIn(dir), t.expected), stage).toEqual(settled);
    }
  });
});
