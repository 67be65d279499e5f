import { readFileSync } from 'node:fs';
import { readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkRepository,
  type CheckReport,
  type ObjectRef,
  type Repository,
} from '../../src/repository/index.js';
import { decodeIndex } from '../../src/repository/index-file.js';
import { encodeManifest, newManifest } from '../../src/repository/manifest.js';
import {
  listNames,
  makeRepo,
  MEDIUM_CHUNKER,
  pseudoRandom,
  readAll,
  SMALL_CHUNKER,
  type TestRepo,
} from './support/repo.js';

interface Blob {
  id: string;
  pack: string;
  offset: number;
  length: number;
}

/** Where the blobs of an object are stored (first listing of each). */
async function locate(repo: Repository, ref: ObjectRef): Promise<Blob[]> {
  const out: Blob[] = [];
  for await (const b of repo.reader.blobIds(ref)) {
    const loc = repo.cache.find(b.id, b.type);
    if (!loc) throw new Error(`blob ${b.id.toString('hex')} not indexed`);
    out.push({ id: b.id.toString('hex'), pack: loc.pack, offset: loc.offset, length: loc.length });
  }
  return out;
}

const packFile = (t: TestRepo, pack: string) => join(t.dir, 'data', pack.slice(0, 2), pack);

async function flipByte(path: string, at: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[at] = (bytes[at] ?? 0) ^ 0x40;
  await writeFile(path, bytes);
}

/**
 * Two restore points: "monday" with records mail/1…mail/6, "tuesday" with mail/1 again (the same
 * blobs, deduplicated) and mail/7. Small packs, so the records spread over several packs.
 */
async function sample() {
  const t = await makeRepo({ chunker: MEDIUM_CHUNKER, packTarget: 48 * 1024 });
  const refs = new Map<string, ObjectRef>();
  const write = async (name: string, records: string[]) => {
    const session = await t.repo.session();
    for (const r of records) refs.set(r, refs.get(r) ?? (await session.putBuffer(pseudoRandom(r, 60_000))));
    await session.flush(); // the data gets an index file of its own, the manifest body another
    const id = await session.writeManifest(
      'test.check.v1',
      { name },
      records.map((r) => ({ id: r, refs: [refs.get(r)] })),
    );
    await session.close();
    return id;
  };
  const monday = await write('monday', ['mail/1', 'mail/2', 'mail/3', 'mail/4', 'mail/5', 'mail/6']);
  const tuesday = await write('tuesday', ['mail/1', 'mail/7']);
  const blobs = new Map<string, Blob[]>();
  for (const [name, ref] of refs) blobs.set(name, await locate(t.repo, ref));
  /** Records whose blobs match the predicate, per manifest. */
  const recordsWith = (match: (b: Blob) => boolean) => {
    const hit = [...blobs].filter(([, bs]) => bs.some(match)).map(([name]) => name);
    const result: Record<string, string[]> = {};
    const inMonday = hit.filter((r) => r !== 'mail/7');
    const inTuesday = hit.filter((r) => r === 'mail/1' || r === 'mail/7');
    if (inMonday.length) result[monday] = inMonday.sort();
    if (inTuesday.length) result[tuesday] = inTuesday.sort();
    return result;
  };
  return { ...t, refs, monday, tuesday, blobs, recordsWith };
}

/** The affected manifests and records of a report, in a comparable form. */
const affectedOf = (r: CheckReport) =>
  Object.fromEntries(r.affected.map((a) => [a.manifest, [...a.records].sort()]));
/** Whether index file `name` (as the store holds it now) lists `pack`. */
function indexListsPack(t: TestRepo, name: string, pack: string): boolean {
  const index = decodeIndex(
    t.repo.keys,
    name.slice('index/'.length),
    readFileSync(join(t.dir, ...name.split('/'))),
  );
  return index.packs.some((p) => p.id === pack);
}

const kinds = (r: CheckReport) => [...new Set(r.problems.map((p) => p.kind))].sort();

describe('checkRepository', () => {
  it('passes a clean repository, structurally and reading every pack', async () => {
    const { repo, store } = await sample();
    const packs = (await listNames(store, 'data/')).length;
    expect(packs).toBeGreaterThan(4);
    const structural = await checkRepository(repo);
    expect(structural).toMatchObject({ ok: true, problems: [], affected: [] });
    expect(structural.stats).toMatchObject({
      manifests: 2,
      records: 8,
      packs,
      packsRead: 0,
      unindexedPacks: 0,
    });
    const full = await checkRepository(repo, { readData: true });
    expect(full).toMatchObject({ ok: true, problems: [], affected: [] });
    expect(full.stats.packsRead).toBe(packs);
    expect(full.stats.blobsRead).toBeGreaterThan(8);
  });

  it('finds a flipped byte inside a pack with --read-data and names the record it breaks', async () => {
    const s = await sample();
    const blob = (s.blobs.get('mail/3') as Blob[])[1] as Blob;
    await flipByte(packFile(s, blob.pack), blob.offset + 20);
    const report = await checkRepository(s.repo, { readData: true });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({
        kind: 'corrupt-blob',
        blobs: [blob.id],
        file: `data/${blob.pack.slice(0, 2)}/${blob.pack}`,
      }),
    ]);
    expect(affectedOf(report)).toEqual({ [s.monday]: ['mail/3'] });
    expect(report.affected[0]?.blobs).toEqual([blob.id]);
  });

  it('names both restore points when the broken blob is shared', async () => {
    const s = await sample();
    const blob = (s.blobs.get('mail/1') as Blob[])[0] as Blob;
    await flipByte(packFile(s, blob.pack), blob.offset + blob.length - 3);
    const report = await checkRepository(s.repo, { readData: true });
    expect(affectedOf(report)).toEqual({ [s.monday]: ['mail/1'], [s.tuesday]: ['mail/1'] });
  });

  it('finds a pack truncated into its blobs without reading data', async () => {
    const s = await sample();
    const pack = ((s.blobs.get('mail/4') as Blob[])[0] as Blob).pack;
    const size = (await readFile(packFile(s, pack))).length;
    const cut = Math.floor(size / 2);
    await truncate(packFile(s, pack), cut);
    const report = await checkRepository(s.repo);
    expect(kinds(report)).toEqual(['bad-listing']);
    const expected = s.recordsWith((b) => b.pack === pack && b.offset + b.length > cut - 9);
    expect(Object.keys(expected).length).toBeGreaterThan(0);
    expect(affectedOf(report)).toEqual(expected);
  });

  it('reports a pack that lost only its header, while its blobs still read', async () => {
    const s = await sample();
    const pack = ((s.blobs.get('mail/2') as Blob[])[0] as Blob).pack;
    const size = (await readFile(packFile(s, pack))).length;
    await truncate(packFile(s, pack), size - 4);
    const structural = await checkRepository(s.repo);
    expect(kinds(structural)).toEqual(['corrupt-pack']);
    expect(structural.affected).toEqual([]);
    const full = await checkRepository(s.repo, { readData: true });
    expect(kinds(full)).toEqual(['corrupt-pack']);
    expect(full.problems.every((p) => p.file === `data/${pack.slice(0, 2)}/${pack}`)).toBe(true);
    expect(full.affected).toEqual([]);
    const data = await readAll(s.repo.readObject(s.refs.get('mail/2') as ObjectRef));
    expect(data.equals(pseudoRandom('mail/2', 60_000))).toBe(true);
  });

  it('finds a missing pack and names every record with a blob in it', async () => {
    const s = await sample();
    const pack = ((s.blobs.get('mail/5') as Blob[])[0] as Blob).pack;
    await unlink(packFile(s, pack));
    const report = await checkRepository(s.repo);
    expect(kinds(report)).toEqual(['missing-pack']);
    expect(report.problems[0]?.message).toContain(pack);
    expect(affectedOf(report)).toEqual(s.recordsWith((b) => b.pack === pack));
  });

  it.each(['deleted', 'corrupt'])('names what depends on an index file that is %s', async (how) => {
    const s = await sample();
    const indexFiles = await listNames(s.store, 'index/');
    expect(indexFiles).toHaveLength(4);
    // Monday's data index: every blob of monday's records, mail/1 of tuesday deduplicated against it.
    const packsOfMonday = new Set(
      [...s.blobs].filter(([r]) => r !== 'mail/7').flatMap(([, bs]) => bs.map((b) => b.pack)),
    );
    const mondayIndex = indexFiles.find((name) =>
      s.repo.cache.packs().some((p) => packsOfMonday.has(p) && indexListsPack(s, name, p)),
    ) as string;
    const path = join(s.dir, ...mondayIndex.split('/'));
    if (how === 'deleted') await unlink(path);
    else await flipByte(path, 30);
    for (const repo of [s.repo, await s.reopen()]) {
      const report = await checkRepository(repo);
      expect(kinds(report)).toEqual(
        how === 'deleted' ? ['missing-blob'] : ['missing-blob', 'unreadable-index'],
      );
      if (how === 'corrupt')
        expect(report.problems.find((p) => p.kind === 'unreadable-index')?.file).toBe(mondayIndex);
      expect(affectedOf(report)).toEqual({
        [s.monday]: ['mail/1', 'mail/2', 'mail/3', 'mail/4', 'mail/5', 'mail/6'],
        [s.tuesday]: ['mail/1'],
      });
      expect(report.stats.unindexedPacks).toBe(packsOfMonday.size);
    }
    if (how === 'corrupt') {
      const reopened = await s.reopen();
      expect([...reopened.unreadableIndexFiles.keys()]).toEqual([mondayIndex.slice('index/'.length)]);
    }
  });

  it('names the manifest whose record list is in a lost index file', async () => {
    const s = await sample();
    const manifest = await s.repo.readManifest(s.monday);
    const bodyPack = (await locate(s.repo, manifest.body as ObjectRef))[0]?.pack as string;
    const bodyIndex = (await listNames(s.store, 'index/')).find((name) => indexListsPack(s, name, bodyPack));
    await unlink(join(s.dir, ...(bodyIndex as string).split('/')));
    const report = await checkRepository(s.repo);
    expect(kinds(report)).toEqual(['missing-blob']);
    expect(affectedOf(report)).toEqual({ [s.monday]: ['(manifest body)'] });
  });

  it('names a record that references a blob the repository never had', async () => {
    const s = await sample();
    const ghost = 'cd'.repeat(32);
    const session = await s.repo.session();
    const good = s.refs.get('mail/2') as ObjectRef;
    const lines = [
      { id: 'fine', refs: [good] },
      { id: 'ghost-record', refs: [good, { s: 5, c: [ghost] }] },
    ];
    const body = await session.putBuffer(Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n')));
    await session.flush();
    const { id, bytes } = encodeManifest(s.repo.keys, newManifest('test.check.v1', session.id, {}, body));
    await s.store.put(`manifests/${id}`, bytes);
    await session.close();
    const report = await checkRepository(s.repo);
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'missing-blob', blobs: [ghost] })]);
    expect(affectedOf(report)).toEqual({ [id]: ['ghost-record'] });
  });

  it('names a damaged manifest', async () => {
    const s = await sample();
    await flipByte(join(s.dir, 'manifests', s.tuesday), 50);
    const report = await checkRepository(s.repo, { readData: true });
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'unreadable-manifest', file: `manifests/${s.tuesday}` }),
    ]);
    expect(affectedOf(report)).toEqual({ [s.tuesday]: ['(manifest unreadable)'] });
  });

  it('names the manifest whose record list itself is gone', async () => {
    const s = await sample();
    const manifest = await s.repo.readManifest(s.tuesday);
    const bodyPack = (await locate(s.repo, manifest.body as ObjectRef))[0]?.pack as string;
    await unlink(packFile(s, bodyPack));
    const report = await checkRepository(s.repo);
    expect(report.ok).toBe(false);
    expect(affectedOf(report)[s.tuesday]).toContain('(manifest body)');
  });

  it('finds a damaged tree blob even without --read-data', async () => {
    const t = await makeRepo({ chunker: SMALL_CHUNKER });
    const session = await t.repo.session();
    const ref = await session.putBuffer(pseudoRandom('big', 250_000));
    await session.writeManifest('test.check.v1', {}, [{ path: 'docs/big.bin', refs: [ref] }]);
    await session.close();
    const tree = (await locate(t.repo, ref))[0] as Blob; // blobIds yields the tree first
    expect(tree.id).toBe((ref as { i: string }).i);
    await flipByte(packFile(t, tree.pack), tree.offset + 40);
    const report = await checkRepository(t.repo);
    expect(kinds(report)).toEqual(['corrupt-blob']);
    expect(Object.values(affectedOf(report))).toEqual([['docs/big.bin']]);
  });

  it('does not count a blob as lost while another copy of it is good', async () => {
    const t = await makeRepo({ chunker: MEDIUM_CHUNKER });
    const data = pseudoRandom('twice', 30_000);
    const [a, b] = [await t.repo.session(), await t.repo.session()];
    const ref = await a.putBuffer(data);
    await b.putBuffer(data);
    await a.writeManifest('test.check.v1', {}, [{ id: 'x', refs: [ref] }]);
    await Promise.all([a.close(), b.close()]);
    const [first] = await listNames(t.store, 'data/');
    await flipByte(join(t.dir, ...(first as string).split('/')), 10);
    const report = await checkRepository(t.repo, { readData: true });
    expect(kinds(report)).toEqual(['corrupt-blob']);
    expect(report.affected).toEqual([]);
    expect((await readAll(t.repo.readObject(ref))).equals(data)).toBe(true);
  });

  it('reads ceil(percent) of the packs with a subset, at random', async () => {
    const s = await sample();
    const packs = (await listNames(s.store, 'data/')).length;
    for (const percent of [0, 25, 50, 100]) {
      const report = await checkRepository(s.repo, { readData: true, subsetPercent: percent });
      expect(report.stats.packsRead).toBe(Math.ceil((packs * percent) / 100));
    }
    await expect(checkRepository(s.repo, { readData: true, subsetPercent: 101 })).rejects.toThrow(RangeError);
    // Every pack is drawn sooner or later: 40 draws of one pack from a handful leave none out.
    const seen = new Set<number>();
    const pct = 100 / packs;
    for (let i = 0; i < 40; i++) {
      const r = await checkRepository(s.repo, { readData: true, subsetPercent: pct });
      seen.add(r.stats.blobsRead);
    }
    expect(seen.size).toBeGreaterThan(1);
  });
});
