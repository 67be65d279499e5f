import { describe, expect, it } from 'vitest';
import {
  BlobStoreError,
  checkRepository,
  FaultyStore,
  faults,
  type FaultRule,
  type ObjectRef,
} from '../../src/repository/index.js';
import {
  listNames,
  makeRepo,
  MEDIUM_CHUNKER,
  pseudoRandom,
  pseudoRandomStream,
  readAll,
} from './support/repo.js';

/** A repository on a FaultyStore holding one good manifest written before the trouble. */
async function repoWithFaults() {
  let faulty: FaultyStore | undefined;
  const t = await makeRepo({
    chunker: MEDIUM_CHUNKER,
    packTarget: 64 * 1024,
    wrap: (store) => (faulty = new FaultyStore(store)),
  });
  const session = await t.repo.session();
  const before = pseudoRandom('before', 200_000);
  const ref = await session.putBuffer(before);
  const manifest = await session.writeManifest('test.faults.v1', {}, [{ id: 'before', refs: [ref] }]);
  await session.close();
  return { ...t, faulty: faulty as FaultyStore, manifest, ref, before };
}

/** Writes 3 MB and a manifest in a new session; returns the error it failed with (or undefined). */
async function writeBig(t: Awaited<ReturnType<typeof repoWithFaults>>, seed: string) {
  const session = await t.repo.session();
  try {
    const ref = await session.putStream(pseudoRandomStream(seed, 3_000_000, 100_000));
    await session.writeManifest('test.faults.v1', {}, [{ id: seed, refs: [ref] }]);
    await session.close();
    return { error: undefined, session };
  } catch (error) {
    // After a failure the session refuses more work, and leaving it releases its lock.
    await expect(session.putBuffer(Buffer.from('more'))).rejects.toBe(error);
    await session.close();
    return { error, session };
  }
}

const diskFull: [string, FaultRule][] = [
  [
    'a pack, after N writes',
    { op: 'put', name: 'data/', nth: 5, times: Infinity, fault: faults.enospc(10_000) },
  ],
  ['an index file', { op: 'put', name: 'index/', times: Infinity, fault: faults.enospc() }],
  ['the manifest', { op: 'put', name: 'manifests/', times: Infinity, fault: faults.enospc(100) }],
];

describe('disk full', () => {
  it.each(diskFull)(
    'while writing %s: a clear error, no manifest, a clean repository, and a retry that works',
    async (_, rule) => {
      const t = await repoWithFaults();
      const handle = t.faulty.inject(rule);
      const { error } = await writeBig(t, 'during');
      expect(handle.fired).toBeGreaterThan(0);
      expect(error).toBeInstanceOf(BlobStoreError);
      expect((error as BlobStoreError).code).toBe('ENOSPC');
      expect((error as Error).message).toMatch(/ENOSPC/);
      expect(await listNames(t.store, 'manifests/')).toEqual([`manifests/${t.manifest}`]);
      expect(await listNames(t.store, 'locks/')).toEqual([]);
      t.faulty.clear();

      const report = await checkRepository(t.repo, { readData: true });
      expect(report.problems).toEqual([]);
      expect((await readAll(t.repo.readObject(t.ref))).equals(t.before)).toBe(true);

      // Space is back: a new session writes the same data and its manifest.
      const retry = await writeBig(t, 'during');
      expect(retry.error).toBeUndefined();
      const other = await t.reopen();
      expect(await listNames(t.store, 'manifests/')).toHaveLength(2);
      for await (const id of other.manifestIds()) {
        for await (const r of other.manifestRecords(await other.readManifest(id))) {
          const data = await readAll(other.readObject((r['refs'] as ObjectRef[])[0] as ObjectRef));
          const expected = r['id'] === 'before' ? t.before : pseudoRandom('during', 3_000_000);
          expect(data.equals(expected)).toBe(true);
        }
      }
      expect((await checkRepository(other, { readData: true })).problems).toEqual([]);
    },
  );

  it('does not crash the process when an upload fails while the session is still busy', async () => {
    // The first pack upload fails at once; the session goes on chunking until it next waits for
    // an upload. The failure must surface as the session's error, not as an unhandled rejection.
    const t = await repoWithFaults();
    t.faulty.inject({ op: 'put', name: 'data/', nth: 2, fault: faults.error('EIO') });
    const { error } = await writeBig(t, 'busy');
    expect((error as BlobStoreError).code).toBe('EIO');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await listNames(t.store, 'manifests/')).toEqual([`manifests/${t.manifest}`]);
  });

  it('fails the session when the store crashes mid-write; after recovery the repository is clean', async () => {
    const t = await repoWithFaults();
    t.faulty.inject({
      op: 'put',
      name: 'data/',
      nth: 3,
      fault: faults.crash({ afterBytes: 5000, keepPartial: true }),
    });
    const { error } = await writeBig(t, 'crash');
    expect((error as BlobStoreError).code).toBe('CRASHED');
    t.faulty.recover();
    t.faulty.clear();
    const other = await t.reopen();
    const report = await checkRepository(other, { readData: true });
    // The torn pack is named by no index: an orphan for prune, not a problem.
    expect(report.problems).toEqual([]);
    expect(report.stats.unindexedPacks).toBeGreaterThan(0);
    expect((await writeBig(t, 'crash')).error).toBeUndefined();
  });
});
