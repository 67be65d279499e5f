import { readdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRepository, pruneRepository, repositoryStats } from '../../src/repository/index.js';
import {
  expectClean,
  expectManifests,
  fingerprint,
  initRepo,
  InterleavingStore,
  listingsOf,
  MINUTE,
  openRepo,
  packBytesOnDisk,
  packFiles,
  planOf,
  pieces,
  reachable,
  removeTemps,
  tempDir,
} from './support/prune-fixture.js';
import { GARBAGE, KEPT, buildScenario, type Scenario } from './support/prune-scenario.js';
import { RULES, WINDOW } from './support/prune-crash.js';

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
