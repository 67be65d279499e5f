import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  checkRepository,
  FolderStore,
  Repository,
  type BlobStore,
  type ObjectRef,
  type PruneReport,
  type StoredFile,
  type WriteSession,
} from '../../../src/repository/index.js';

/** Small everything: 1 KiB chunks, 4 blobs of 500 random bytes per pack, cheap scrypt. */
export const SMALL = {
  chunker: { minSize: 512, avgSize: 1024, maxSize: 4096, normalization: 2 },
  packTarget: 2048,
  scrypt: { N: 1024, r: 8, p: 1 },
};
export const PASSPHRASE = 'prune test';
export const MINUTE = 60_000;
export const DAY = 24 * 60 * MINUTE;

const temps: string[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'safehold-prune-'));
  temps.push(dir);
  return dir;
}

export function removeTemps(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

let caches = 0;
/** A fresh cache directory: each one stands for another process (or a restarted one). */
export const freshCache = (dir: string) => join(dir, `cache-${++caches}`);

export async function initRepo(dir: string): Promise<{ store: FolderStore; repo: Repository }> {
  const store = new FolderStore(join(dir, 'repo'), { fsync: false });
  const repo = await Repository.init(store, PASSPHRASE, { cacheDir: freshCache(dir), ...SMALL });
  return { store, repo };
}

export const openRepo = (store: BlobStore, dir: string) =>
  Repository.open(store, PASSPHRASE, { cacheDir: freshCache(dir) });

/** A clock tests move by hand (starts at the real time: lock files carry real times). */
export class TestClock {
  t = Date.now();
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Pieces of random (incompressible) data, each one chunk, i.e. one blob. */
export const pieces = (n: number, size = 1000): Buffer[] =>
  Array.from({ length: n }, () => randomBytes(size));

/**
 * One backup: stores each object and writes a manifest with one record per object
 * (`{id: name, refs: [ref]}`). Returns the manifest id and the references.
 */
export async function backup(
  repo: Repository,
  objects: Record<string, Buffer>,
): Promise<{ manifest: string; refs: Record<string, ObjectRef> }> {
  const session = await repo.session();
  const refs: Record<string, ObjectRef> = {};
  for (const [name, data] of Object.entries(objects)) refs[name] = await session.putBuffer(data);
  const manifest = await session.writeManifest(
    'test.prune.v1',
    {},
    Object.entries(refs).map(([id, ref]) => ({ id, refs: [ref] })),
  );
  await session.close();
  return { manifest, refs };
}

/** Reads every record of every manifest back: manifest → record id → bytes. */
export async function readEverything(repo: Repository): Promise<Map<string, Map<string, Buffer>>> {
  const out = new Map<string, Map<string, Buffer>>();
  for await (const id of repo.manifestIds()) {
    const objects = new Map<string, Buffer>();
    for await (const record of repo.manifestRecords(await repo.readManifest(id))) {
      const parts: Buffer[] = [];
      for (const ref of record['refs'] as ObjectRef[])
        for await (const chunk of repo.readObject(ref)) parts.push(chunk as Buffer);
      objects.set(record['id'] as string, Buffer.concat(parts));
    }
    out.set(id, objects);
  }
  return out;
}

/** Throws unless every manifest holds exactly `expected` (manifest → record id → bytes), no more, no less. */
export async function expectManifests(
  repo: Repository,
  expected: Map<string, Record<string, Buffer>>,
): Promise<void> {
  const got = await readEverything(repo);
  const names = (m: Iterable<string>) => [...m].sort().join(',');
  if (names(got.keys()) !== names(expected.keys()))
    throw new Error(`manifests: got ${names(got.keys())}, expected ${names(expected.keys())}`);
  for (const [id, objects] of expected) {
    const have = got.get(id) as Map<string, Buffer>;
    if (names(have.keys()) !== names(Object.keys(objects))) throw new Error(`manifest ${id}: other records`);
    for (const [name, data] of Object.entries(objects))
      if (!have.get(name)?.equals(data))
        throw new Error(`manifest ${id} record ${name} reads back different bytes`);
  }
}

/** Throws with the problems unless `check --read-data` is clean. */
export async function expectClean(repo: Repository): Promise<void> {
  const report = await checkRepository(repo, { readData: true });
  if (!report.ok) throw new Error(`check found problems: ${JSON.stringify(report.problems, null, 1)}`);
}

/** Every file under a folder (relative path → size and SHA-256), for "nothing changed". */
export function fingerprint(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    const bytes = readFileSync(path);
    out.set(
      path.slice(root.length + 1),
      `${bytes.length}:${createHash('sha256').update(bytes).digest('hex')}`,
    );
  }
  return out;
}

/** Pack ids present in the store folder. */
export function packFiles(root: string): Set<string> {
  const out = new Set<string>();
  for (const e of readdirSync(join(root, 'data'), { recursive: true, withFileTypes: true }))
    if (e.isFile() && /^[0-9a-f]{64}$/.test(e.name)) out.add(e.name); // not temp files of uploads in flight
  return out;
}

export const packBytesOnDisk = (root: string) =>
  [...packFiles(root)].reduce((n, p) => n + statSync(join(root, 'data', p.slice(0, 2), p)).size, 0);

/** Makes files under `prefix` look `ms` older (what prune sees as a pack's age). */
export function backDate(root: string, prefix: string, ms: number, only?: Set<string>): void {
  const dir = join(root, prefix);
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || (only && !only.has(e.name))) continue;
    const path = join(e.parentPath, e.name);
    const when = new Date(statSync(path).mtimeMs - ms);
    utimesSync(path, when, when);
  }
}

/** Copies a repository folder, keeping modification times (a template for fault runs). */
export function copyRepo(from: string, to: string): void {
  cpSync(from, to, { recursive: true, preserveTimestamps: true });
}

/** Where each data blob lives: blob id (hex) → pack ids with a listing, live or tombstoned. */
export function listingsOf(repo: Repository): {
  live: Map<string, string[]>;
  tombstoned: Map<string, string[]>;
} {
  const live = new Map<string, string[]>();
  const tombstoned = new Map<string, string[]>();
  for (const l of repo.cache.listings()) {
    const m = l.tombstoned ? tombstoned : live;
    const id = l.id.toString('hex');
    m.set(id, [...(m.get(id) ?? []), l.pack]);
  }
  return { live, tombstoned };
}

/** The id of a one-blob object's blob. */
export function blobOf(ref: ObjectRef): string {
  if (!('c' in ref) || ref.c.length !== 1) throw new Error(`not a one-blob object: ${JSON.stringify(ref)}`);
  return ref.c[0] as string;
}

/** Every blob id (hex) reachable from the given manifests: the oracle for "what is live". */
export async function reachable(repo: Repository, manifests: Iterable<string>): Promise<Set<string>> {
  const out = new Set<string>();
  for (const id of manifests) {
    const m = await repo.readManifest(id);
    if (m.body) for await (const b of repo.reader.blobIds(m.body)) out.add(b.id.toString('hex'));
    for await (const record of repo.manifestRecords(m))
      for (const ref of record['refs'] as ObjectRef[])
        for await (const b of repo.reader.blobIds(ref)) out.add(b.id.toString('hex'));
  }
  return out;
}

/**
 * A store for interleavings: until `arm()`, listing `index/` shows nothing (a client that opened
 * the repository before those files existed); once armed, the first read of an index file first
 * runs `meanwhile` (what another process does at that moment).
 */
export class InterleavingStore implements BlobStore {
  readonly location: string;
  private armed = false;
  fired = false;

  constructor(
    readonly inner: BlobStore,
    private readonly meanwhile: () => Promise<void>,
  ) {
    this.location = inner.location;
  }

  arm(): void {
    this.armed = true;
  }

  async get(name: string, offset?: number, length?: number): Promise<Buffer> {
    if (this.armed && !this.fired && name.startsWith('index/')) {
      this.fired = true;
      await this.meanwhile();
    }
    return this.inner.get(name, offset, length);
  }

  async *list(prefix: string): AsyncGenerator<StoredFile> {
    if (!this.armed && prefix === 'index/') return;
    yield* this.inner.list(prefix);
  }

  put = (name: string, data: Buffer | Readable, size?: number) => this.inner.put(name, data, size);
  stream = (name: string, offset?: number, length?: number) => this.inner.stream(name, offset, length);
  stat = (name: string) => this.inner.stat(name);
  delete = (name: string) => this.inner.delete(name);
  close = () => this.inner.close();
}

/** The parts of a report a dry run must predict. */
export const planOf = (r: PruneReport) => ({
  liveBlobs: r.liveBlobs,
  newTombstones: r.newTombstones,
  revived: r.revived,
  repackedPacks: r.repackedPacks,
  deletedPacks: r.deletedPacks,
  deletedBytes: r.deletedBytes,
  orphanPacks: r.orphanPacks,
});

/** Waits until the store folder holds `n` more packs than `before` (a session's uploads in flight). */
export async function packsUploaded(root: string, before: Set<string>, n: number): Promise<Set<string>> {
  for (let i = 0; i < 500; i++) {
    const added = new Set([...packFiles(root)].filter((p) => !before.has(p)));
    if (added.size >= n) return added;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the session did not upload ${n} packs`);
}

export async function writeAndClose(session: WriteSession, objects: Record<string, Buffer>): Promise<string> {
  const records = [];
  for (const [id, data] of Object.entries(objects))
    records.push({ id, refs: [await session.putBuffer(data)] });
  const manifest = await session.writeManifest('test.prune.v1', {}, records);
  await session.close();
  return manifest;
}
