import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pruneRepository } from '../../src/repository/index.js';
import {
  backDate,
  backup,
  expectClean,
  expectManifests,
  initRepo,
  listingsOf,
  MINUTE,
  openRepo,
  packFiles,
  packsUploaded,
  pieces,
  removeTemps,
  tempDir,
  writeAndClose,
} from './support/prune-fixture.js';
import { buildScenario, type Scenario } from './support/prune-scenario.js';
import { RULES, WINDOW } from './support/prune-crash.js';

afterAll(removeTemps);

const prune = (s: Scenario, extra: Parameters<typeof pruneRepository>[1] = {}) =>
  pruneRepository(s.repo, { ...RULES, clock: s.clock.now, ...extra });

describe('prune beside running backups and stale clients', () => {
  it('a backup that needs a tombstoned blob again stores it again', async () => {
    const s = await buildScenario(tempDir());
    await prune(s);
    const session = await s.repo.session();
    const m3 = await writeAndClose(session, { again: s.data['g1'] as Buffer });
    expect(session.stats.newBlobs).toBeGreaterThanOrEqual(1);
    s.clock.advance(WINDOW + MINUTE);
    expect((await prune(s)).deletedPacks).toBeGreaterThanOrEqual(3);
    expect(packFiles(s.root).has(s.packs.P1)).toBe(false);
    await expectClean(s.repo);
    await expectManifests(
      s.repo,
      new Map([
        [s.m2, s.kept],
        [m3, { again: s.data['g1'] as Buffer }],
      ]),
    );
    s.repo.close();
  });

  it('a backup that deduplicated a blob before prune tombstoned it keeps it (revived)', async () => {
    const s = await buildScenario(tempDir());
    const other = await openRepo(s.store, s.dir); // another process, its own cache
    const session = await other.session();
    const ref = await session.putBuffer(s.data['g1'] as Buffer);
    expect(session.stats).toMatchObject({ dedupedBlobs: 1, newBlobs: 0 });

    const first = await prune(s);
    expect(first.liveSessions).toBe(1);
    expect(listingsOf(s.repo).tombstoned.get(s.blob['g1'] as string)).toEqual([s.packs.P1]);
    // Past the window, but the session started before the tombstone: nothing of it may go.
    s.clock.advance(WINDOW + MINUTE);
    expect(await prune(s)).toMatchObject({ deletedPacks: 0 });
    expect(packFiles(s.root).has(s.packs.P1)).toBe(true);

    const m3 = await session.writeManifest('test.prune.v1', {}, [{ id: 'deduped', refs: [ref] }]);
    await session.close();
    other.close();
    const expected = new Map([
      [s.m2, s.kept],
      [m3, { deduped: s.data['g1'] as Buffer }],
    ]);
    // Before the prune that revives g1, its tombstoned listing still serves reads, and check
    // counts it as present (it is in its pack, which the session's lock kept).
    const between = await openRepo(s.store, s.dir);
    await expectClean(between);
    await expectManifests(between, expected);
    between.close();
    s.clock.advance(WINDOW + MINUTE);
    const third = await prune(s);
    expect(third.revived).toBe(1);
    await expectClean(s.repo);
    await expectManifests(s.repo, expected);
    // P1 (g1 live, the rest final garbage) was repacked; the next prune deletes it, g1 stays.
    s.clock.advance(WINDOW + MINUTE);
    await prune(s);
    expect(packFiles(s.root).has(s.packs.P1)).toBe(false);
    const fresh = await openRepo(s.store, s.dir);
    await expectClean(fresh);
    await expectManifests(fresh, expected);
    fresh.close();
    s.repo.close();
  });

  it('a session in the process that prunes may reference a blob tombstoned after it started', async () => {
    const s = await buildScenario(tempDir());
    const session = await s.repo.session(); // shares the index cache prune updates
    const ref = await session.putBuffer(s.data['g1'] as Buffer);
    expect(session.stats).toMatchObject({ dedupedBlobs: 1, newBlobs: 0 });
    await prune(s);
    expect(listingsOf(s.repo).tombstoned.get(s.blob['g1'] as string)).toEqual([s.packs.P1]);
    const m3 = await session.writeManifest('test.prune.v1', {}, [{ id: 'deduped', refs: [ref] }]);
    await session.close();
    const expected = new Map([
      [s.m2, s.kept],
      [m3, { deduped: s.data['g1'] as Buffer }],
    ]);
    await expectClean(s.repo);
    await expectManifests(s.repo, expected);
    s.clock.advance(WINDOW + MINUTE);
    expect(await prune(s)).toMatchObject({ revived: 1 });
    await expectClean(s.repo);
    await expectManifests(s.repo, expected);
    s.repo.close();
  });

  it('never touches the packs of a running backup, and its data reads back once it finishes', async () => {
    const s = await buildScenario(tempDir());
    const before = packFiles(s.root);
    const session = await s.repo.session();
    const objects = Object.fromEntries(pieces(16, 500).map((b, i) => [`n${i}`, b]));
    const records = [];
    for (const [id, data] of Object.entries(objects)) {
      records.push({ id, refs: [await session.putBuffer(data)] });
      if (records.length === 8) await session.flush(); // a checkpoint: indexed, no manifest yet
    }
    const running = await packsUploaded(s.root, before, 4); // two indexed, two that no index names yet

    // No safety window at all: only the session's lock protects its packs.
    const first = await prune(s, { safetyWindowMs: 0 });
    expect(first).toMatchObject({ liveSessions: 1, orphanPacks: 0, newTombstones: expect.any(Number) });
    expect(first.newTombstones).toBeGreaterThan(0); // old garbage is still marked meanwhile
    s.clock.advance(MINUTE);
    expect(await prune(s, { safetyWindowMs: 0 })).toMatchObject({ deletedPacks: 0 });
    for (const p of running) expect(packFiles(s.root).has(p)).toBe(true);
    const { tombstoned } = listingsOf(s.repo);
    for (const p of running) expect([...tombstoned.values()].flat()).not.toContain(p);

    const m3 = await session.writeManifest('test.prune.v1', {}, records);
    await session.close();
    const expected = new Map([
      [s.m2, s.kept],
      [m3, objects],
    ]);
    await expectClean(s.repo);
    await expectManifests(s.repo, expected);

    s.clock.advance(MINUTE);
    const last = await prune(s, { safetyWindowMs: 0 });
    expect(last.deletedPacks).toBeGreaterThanOrEqual(3);
    for (const p of running) expect(packFiles(s.root).has(p)).toBe(true);
    await expectClean(s.repo);
    await expectManifests(s.repo, expected);
    s.repo.close();
  });

  it('deletes orphan packs only once older than the window, and never files it does not know', async () => {
    const dir = tempDir();
    const { store, repo } = await initRepo(dir);
    const kept = { a: pieces(1, 500)[0] as Buffer };
    const { manifest } = await backup(repo, kept);
    const before = packFiles(store.root);
    const aborted = await repo.session();
    for (const p of pieces(8, 500)) await aborted.putBuffer(p);
    await aborted.abort();
    const orphans = new Set([...packFiles(store.root)].filter((p) => !before.has(p)));
    // How many packs an aborted session leaves depends on how far its uploads got.
    expect(orphans.size).toBeGreaterThan(0);
    // Files prune does not recognise as packs, however old, are never its business.
    const strangers = [`data/ab/${'c'.repeat(64)}`, 'data/ab/notes.txt'];
    for (const name of strangers) await store.put(name, Buffer.from('not a pack'));

    expect(await pruneRepository(repo, { safetyWindowMs: WINDOW })).toMatchObject({ orphanPacks: 0 });
    expect(packFiles(store.root)).toEqual(new Set([...before, ...orphans, 'c'.repeat(64)]));

    backDate(store.root, 'data', WINDOW + MINUTE);
    const report = await pruneRepository(repo, { safetyWindowMs: WINDOW });
    expect(report).toMatchObject({ orphanPacks: orphans.size, deletedPacks: orphans.size });
    expect(packFiles(store.root)).toEqual(new Set([...before, 'c'.repeat(64)]));
    for (const name of strangers) expect(existsSync(join(store.root, name))).toBe(true);
    await expectManifests(repo, new Map([[manifest, kept]]));
    await expectClean(repo);
    repo.close();
  });

  it('a client whose cache predates the deletion stores the data again instead of deduplicating', async () => {
    const s = await buildScenario(tempDir());
    const stale = await openRepo(s.store, s.dir); // synced now, before any prune
    await prune(s);
    s.clock.advance(WINDOW + MINUTE);
    await prune(s);
    expect(packFiles(s.root).has(s.packs.P1)).toBe(false);
    const m3 = await writeAndClose(await stale.session(), { back: s.data['g2'] as Buffer });
    stale.close();
    await expectClean(s.repo);
    await expectManifests(
      s.repo,
      new Map([
        [s.m2, s.kept],
        [m3, { back: s.data['g2'] as Buffer }],
      ]),
    );
    s.repo.close();
  });

  it('a reader whose index predates a repack finds the moved blob after one resync', async () => {
    const s = await buildScenario(tempDir());
    const reader = await openRepo(s.store, s.dir); // synced before any prune: k1 is in P2
    await prune(s);
    s.clock.advance(WINDOW + MINUTE);
    await prune(s);
    expect(packFiles(s.root).has(s.packs.P2)).toBe(false);
    await expectManifests(reader, new Map([[s.m2, s.kept]]));
    reader.close();
    s.repo.close();
  });
});
