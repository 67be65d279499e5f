import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkRepository,
  type Manifest,
  type ObjectRef,
  type Repository,
} from '../../src/repository/index.js';
import { liveLocks, removeStaleLocks } from '../../src/repository/locks.js';
import { startWriter } from './support/children.js';
import {
  listNames,
  makeRepo,
  MEDIUM_CHUNKER,
  PASSPHRASE,
  pseudoRandom,
  pseudoRandomStream,
  readAll,
  sha256,
  tempDir,
} from './support/repo.js';

/** Every record of every manifest reads back with the sha256 it was written with; returns the count. */
async function verifyAll(repo: Repository): Promise<number> {
  let records = 0;
  for await (const id of repo.manifestIds()) {
    const manifest: Manifest = await repo.readManifest(id);
    for await (const r of repo.manifestRecords(manifest)) {
      const data = await readAll(repo.readObject((r['refs'] as ObjectRef[])[0] as ObjectRef));
      expect(sha256(data), `${id} ${String(r['id'])}`).toBe(r['sha256']);
      records++;
    }
  }
  return records;
}

const MB = 1024 * 1024;

describe('concurrent writers', () => {
  it('four processes write overlapping and distinct data at once; everything reads back and checks clean', async () => {
    const t = await makeRepo({ chunker: MEDIUM_CHUNKER, packTarget: 40 * 1024 });
    const caches = await tempDir('safehold-caches-');
    const writers = [0, 1, 2, 3].map((i) =>
      startWriter({
        repo: t.dir,
        cache: join(caches, `w${i}`),
        passphrase: PASSPHRASE,
        objects: [
          { name: 'shared', size: 1.5 * MB },
          { name: `pair-${i % 2}`, size: MB },
          { name: `own-${i}`, size: MB },
        ],
      }),
    );
    const manifests = await Promise.all(writers.map((w) => w.line('manifest')));
    for (const w of writers) expect((await w.exited).code).toBe(0);
    expect(new Set(manifests.map((m) => m['manifest'])).size).toBe(4);
    // Each process wrote several index files (a checkpoint every 32 packs), interleaved with the others'.
    expect((await listNames(t.store, 'index/')).length).toBeGreaterThanOrEqual(8);

    const reader = await t.reopen();
    expect(await verifyAll(reader)).toBe(12);
    const report = await checkRepository(reader, { readData: true });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(await listNames(t.store, 'locks/')).toEqual([]);

    // A writer that starts afterwards finds the shared data in the index and stores only its manifest body.
    const late = startWriter({
      repo: t.dir,
      cache: join(caches, 'late'),
      passphrase: PASSPHRASE,
      objects: [{ name: 'shared', size: 1.5 * MB }],
    });
    const result = await late.line('manifest');
    expect(result['stats']).toMatchObject({ newBlobs: 1 });
    expect(await verifyAll(await t.reopen())).toBe(13);
  });

  it('two sessions in one process write at once', async () => {
    const { repo, reopen } = await makeRepo({ chunker: MEDIUM_CHUNKER, packTarget: 64 * 1024 });
    const write = async (names: string[]) => {
      const session = await repo.session();
      const records = [];
      for (const name of names) {
        const ref = await session.putStream(pseudoRandomStream(name, 400_000, 16 * 1024));
        records.push({ id: name, sha256: sha256(pseudoRandom(name, 400_000)), refs: [ref] });
      }
      const id = await session.writeManifest('test.same-process.v1', {}, records);
      await session.close();
      return id;
    };
    const ids = await Promise.all([write(['common', 'a1', 'a2']), write(['b1', 'common', 'b2'])]);
    expect(new Set(ids).size).toBe(2);
    expect(await verifyAll(repo)).toBe(6);
    const other = await reopen();
    expect(await verifyAll(other)).toBe(6);
    expect((await checkRepository(other, { readData: true })).problems).toEqual([]);
  });
});

describe('kill -9 in the middle of a write', () => {
  it('leaves a repository that checks clean, keeps earlier manifests, and lets the next writer in', async () => {
    const t = await makeRepo({ chunker: MEDIUM_CHUNKER, packTarget: 64 * 1024 });
    const caches = await tempDir('safehold-caches-');
    const writer = startWriter({
      repo: t.dir,
      cache: join(caches, 'doomed'),
      passphrase: PASSPHRASE,
      objects: [{ name: 'before the crash', size: 300_000 }],
      then: 'endless',
    });
    const { manifest } = await writer.line('manifest');
    const { lock } = await writer.line('streaming');
    const packsBefore = (await listNames(t.store, 'data/')).length;
    // Wait until the endless stream has put several packs (and index files) into the repository.
    while ((await listNames(t.store, 'data/')).length < packsBefore + 40)
      await new Promise((resolve) => setTimeout(resolve, 20));
    writer.child.kill('SIGKILL');
    expect((await writer.exited).signal).toBe('SIGKILL');

    // The dead writer's lock is still there, but stale at once: its process is gone.
    expect(await listNames(t.store, 'locks/')).toEqual([`locks/${String(lock)}`]);
    expect(await liveLocks(t.store)).toEqual([]);

    const after = await t.reopen();
    const report = await checkRepository(after, { readData: true });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    const manifests = await listNames(t.store, 'manifests/');
    expect(manifests).toEqual([`manifests/${String(manifest)}`]);
    expect(await verifyAll(after)).toBe(1);
    // The killed stream's packs are either indexed (a checkpoint) or orphans for prune: both fine.
    expect(report.stats.packs).toBeGreaterThan(packsBefore + 39);

    // A new writer is not held up by anything the dead one left behind.
    const next = startWriter({
      repo: t.dir,
      cache: join(caches, 'next'),
      passphrase: PASSPHRASE,
      objects: [{ name: 'after the crash', size: 300_000 }],
    });
    await next.line('manifest');
    expect((await next.exited).code).toBe(0);
    const final = await t.reopen();
    expect(await verifyAll(final)).toBe(2);
    expect((await checkRepository(final, { readData: true })).problems).toEqual([]);
    // Stale locks are only housekeeping: removing them is allowed at any time.
    expect(await removeStaleLocks(t.store)).toEqual([String(lock)]);
    expect(await readdir(join(t.dir, 'locks'))).toEqual([]);
  });
});
