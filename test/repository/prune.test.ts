import {
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkRepository,
  faults,
  openStore,
  pruneRepository,
  Repository,
  repositoryStats,
} from '../../src/repository/index.js';
import {
  backDate,
  backup,
  copyRepo,
  expectClean,
  expectManifests,
  fingerprint,
  freshCache,
  initRepo,
  InterleavingStore,
  listingsOf,
  MINUTE,
  PASSPHRASE,
  openRepo,
  packBytesOnDisk,
  packFiles,
  packsUploaded,
  planOf,
  pieces,
  reachable,
  removeTemps,
  SMALL,
  tempDir,
  TestClock,
  writeAndClose,
} from './support/prune-fixture.js';
import { startMoto } from '../support/moto.js';
import { GARBAGE, KEPT, buildScenario, type Scenario } from './support/prune-scenario.js';
import {
  buildCrashTemplate,
  openFaulty,
  recoverAndSettle,
  repoIn,
  RULES,
  WINDOW,
} from './support/prune-crash.js';

afterAll(removeTemps);

const prune = (s: Scenario, extra: Parameters<typeof pruneRepository>[1] = {}) =>
  pruneRepository(s.repo, { ...RULES, clock: s.clock.now, ...extra });

describe('prune', () => {
  it('tombstones first, deletes only after the window, repacks above the waste threshold only', async () => {
    const s = await buildScenario(tempDir());
    const { P1, P2, P3, P4 } = s.packs;
    const sizes = Object.fromEntries(
      [P1, P2, P4].map((p) => [p, statSync(join(s.root, 'data', p.slice(0, 2), p)).size]),
    );
    const live = await reachable(s.repo, [s.m2]);
    const allBefore = listingsOf(s.repo).live;
    const garbage = [...allBefore.keys()].filter((id) => !live.has(id));
    expect(garbage.length).toBeGreaterThan(GARBAGE.length); // the pieces and M1's body

    const before = fingerprint(s.root);
    const dry = await prune(s, { dryRun: true });
    expect(fingerprint(s.root)).toEqual(before);
    expect(dry).toMatchObject({
      dryRun: true,
      newTombstones: garbage.length,
      repackedPacks: 1,
      deletedPacks: 0,
    });

    const first = await prune(s);
    expect(planOf(first)).toEqual(planOf(dry));
    expect(first.liveBlobs).toBe(live.size);
    for (const p of [P1, P2, P3, P4]) expect(packFiles(s.root).has(p)).toBe(true);
    const after = listingsOf(s.repo);
    for (const id of garbage) expect([after.live.has(id), after.tombstoned.has(id)]).toEqual([false, true]);
    // k1 was copied out of P2 (75 % garbage); P3 (25 %) was left alone.
    const k1 = s.blob['k1'] as string;
    expect(after.tombstoned.get(k1)).toEqual([P2]);
    expect(after.live.get(k1)).toHaveLength(1);
    expect(after.live.get(k1)?.[0]).not.toBe(P2);
    for (const k of ['k2', 'k3', 'k4']) expect(after.live.get(s.blob[k] as string)).toEqual([P3]);
    await expectClean(s.repo);
    await expectManifests(s.repo, new Map([[s.m2, s.kept]]));
    let stats = await repositoryStats(s.repo);
    expect(stats).toMatchObject({ manifests: 1, blobs: live.size, tombstonedBlobs: garbage.length + 1 });

    // Inside the window nothing goes.
    s.clock.advance(WINDOW / 2);
    expect(await prune(s)).toMatchObject({ newTombstones: 0, deletedPacks: 0, repackedPacks: 0 });
    for (const p of [P1, P2, P4]) expect(packFiles(s.root).has(p)).toBe(true);

    s.clock.advance(WINDOW);
    const before2 = fingerprint(s.root);
    const dry2 = await prune(s, { dryRun: true });
    expect(fingerprint(s.root)).toEqual(before2);
    const expectedBytes = sizes[P1]! + sizes[P2]! + sizes[P4]!;
    expect(dry2).toMatchObject({ deletedPacks: 3, deletedBytes: expectedBytes, orphanPacks: 0 });
    const third = await prune(s);
    expect(planOf(third)).toEqual(planOf(dry2));
    const packs = packFiles(s.root);
    expect([packs.has(P1), packs.has(P2), packs.has(P3), packs.has(P4)]).toEqual([false, false, true, false]);
    await expectClean(s.repo);
    await expectManifests(s.repo, new Map([[s.m2, s.kept]]));
    const m2 = await s.repo.readManifest(s.m2);
    stats = await repositoryStats(s.repo);
    expect(stats).toMatchObject({
      manifests: 1,
      indexFiles: 1,
      packs: packs.size,
      packBytes: packBytesOnDisk(s.root),
      blobs: live.size,
      rawBytes: KEPT.length * 500 + (m2.body?.s ?? 0),
      tombstonedBlobs: 1, // g8, in P3 below the threshold
      tombstonedBytes: 500 + 29,
    });
    expect(stats.storedBytes).toBeLessThan(stats.packBytes);

    // Settled: another prune changes nothing, rewrites nothing.
    s.clock.advance(WINDOW + MINUTE);
    const fp = fingerprint(s.root);
    const idle = await prune(s);
    expect(idle).toMatchObject({
      newTombstones: 0,
      revived: 0,
      repackedPacks: 0,
      deletedPacks: 0,
      indexFilesWritten: 0,
    });
    expect(fingerprint(s.root)).toEqual(fp);
    s.repo.close();
  });

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

  it('follows trees and MIME segments when marking', async () => {
    const dir = tempDir();
    const { repo } = await initRepo(dir);
    const big = pieces(1, 700 * 1024)[0] as Buffer; // ~700 chunks: a tree blob
    const att = pieces(1, 6000)[0]!
      .toString('base64')
      .replace(/(.{76})/g, '$1\r\n');
    const mime = Buffer.from(
      `From: a\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Transfer-Encoding: base64\r\n\r\n${att}\r\n--x--\r\n`,
    );
    const session = await repo.session();
    const bigRef = await session.putBuffer(big);
    const mimeRef = await session.putMime(mime);
    expect('i' in bigRef && 'm' in mimeRef).toBe(true);
    const manifest = await session.writeManifest('test.prune.v1', {}, [{ id: 'x', refs: [bigRef, mimeRef] }]);
    await session.close();
    const report = await pruneRepository(repo, { safetyWindowMs: 0, clock: () => Date.now() + MINUTE });
    expect(report.newTombstones).toBe(0);
    expect(report.liveBlobs).toBe((await reachable(repo, [manifest])).size);
    await expectClean(repo);
    const parts: Buffer[] = [];
    for await (const c of repo.readObject(bigRef)) parts.push(c as Buffer);
    expect(Buffer.concat(parts).equals(big)).toBe(true);
    // Forgotten, all of it is garbage: data, tree and MIME blobs alike.
    unlinkSync(join(dir, 'repo', 'manifests', manifest));
    const listings = [...repo.cache.listings()].length;
    const second = await pruneRepository(repo, { safetyWindowMs: 0, clock: () => Date.now() + 2 * MINUTE });
    expect(second).toMatchObject({ liveBlobs: 0, newTombstones: listings });
    repo.close();
  });

  it('leaves a pack it cannot repack (a blob fails to verify) as it is, and reports it', async () => {
    const s = await buildScenario(tempDir());
    const k1 = [...s.repo.cache.listings()].find((l) => l.id.toString('hex') === s.blob['k1']);
    const file = join(s.root, 'data', s.packs.P2.slice(0, 2), s.packs.P2);
    const bytes = readFileSync(file);
    const { mtime } = statSync(file);
    const at = (k1?.offset ?? 0) + 40;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
    writeFileSync(file, bytes);
    utimesSync(file, mtime, mtime); // still a day old
    const report = await prune(s);
    expect(report).toMatchObject({ damagedPacks: [s.packs.P2], repackedPacks: 0 });
    s.clock.advance(WINDOW + MINUTE);
    await prune(s);
    // k1's only copy stays listed and its pack stays; check names the damage.
    expect(listingsOf(s.repo).live.get(s.blob['k1'] as string)).toEqual([s.packs.P2]);
    expect(packFiles(s.root).has(s.packs.P2)).toBe(true);
    const check = await checkRepository(s.repo, { readData: true });
    expect(check.problems.map((p) => p.kind)).toEqual(['corrupt-blob']);
    s.repo.close();
  });

  it('stops before changing anything when an index file cannot be read', async () => {
    const s = await buildScenario(tempDir());
    const [first] = readdirSync(join(s.root, 'index'));
    writeFileSync(join(s.root, 'index', first as string), 'garbage');
    const repo = await openRepo(s.store, s.dir);
    const before = fingerprint(s.root);
    await expect(pruneRepository(repo, { ...RULES, clock: s.clock.now })).rejects.toThrow(
      /prune stopped before changing anything: index file .* is unreadable/,
    );
    expect(fingerprint(s.root)).toEqual(before);
    repo.close();
    s.repo.close();
  });

  it('an index file another prune supersedes while this one reads it does not make its packs orphans', async () => {
    const s = await buildScenario(tempDir());
    const other = await openRepo(s.store, s.dir);
    const store = new InterleavingStore(s.store, async () => {
      await pruneRepository(other, { ...RULES, clock: s.clock.now });
    });
    const repo = await openRepo(store, s.dir);
    store.arm();
    const report = await pruneRepository(repo, { ...RULES, clock: s.clock.now });
    expect(store.fired).toBe(true);
    expect(report).toMatchObject({ orphanPacks: 0, deletedPacks: 0 });
    for (const p of Object.values(s.packs)) expect(packFiles(s.root).has(p)).toBe(true);
    await expectClean(repo);
    await expectManifests(repo, new Map([[s.m2, s.kept]]));
    other.close();
    repo.close();
    s.repo.close();
  });

  it('stops before changing anything when a manifest cannot be read', async () => {
    const s = await buildScenario(tempDir());
    writeFileSync(join(s.root, 'manifests', s.m2), 'garbage');
    const before = fingerprint(s.root);
    await expect(prune(s)).rejects.toThrow(/prune stopped before changing anything: manifest .* unreadable/);
    expect(fingerprint(s.root)).toEqual(before);
    expect((await checkRepository(s.repo)).ok).toBe(false);
    s.repo.close();
  });
});

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
