/** Shared helpers for the repository tests: temp folders, small fast repositories, data. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach } from 'vitest';
import type { ChunkerParams } from '../../../src/repository/content/types.js';
import type { ScryptParams } from '../../../src/repository/crypto.js';
import { FolderStore, Repository, type BlobStore, type InitOptions } from '../../../src/repository/index.js';

export const PASSPHRASE = 'correct horse battery staple';
/** Cheap scrypt so tests open repositories in milliseconds (the defaults get a test of their own). */
export const TEST_SCRYPT: ScryptParams = { N: 1024, r: 8, p: 1 };
/** Tiny chunks: a few hundred kilobytes make objects of more than 512 chunks (tree blobs). */
export const SMALL_CHUNKER: ChunkerParams = { minSize: 64, avgSize: 256, maxSize: 1024, normalization: 2 };
/** Chunks of about 16 KiB: quick to write, still several per object. */
export const MEDIUM_CHUNKER: ChunkerParams = {
  minSize: 4096,
  avgSize: 16384,
  maxSize: 65536,
  normalization: 2,
};

export { pseudoRandom, pseudoRandomStream, sha256 } from './data.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A fresh temp folder, removed after the test. */
export async function tempDir(prefix = 'safehold-repo-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `fn` after the current test (repositories to close, children to kill). */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(async () => {
    await fn();
  });
}

export interface TestRepo {
  repo: Repository;
  store: BlobStore;
  /** The repository folder. */
  dir: string;
  cacheDir: string;
  /** Opens the repository again with a cache of its own (as another client would). */
  reopen: (passphrase?: string) => Promise<Repository>;
}

/** A new folder repository with cheap scrypt; `wrap` puts a store (e.g. FaultyStore) around the folder. */
export async function makeRepo(
  options: Partial<InitOptions> & { wrap?: (store: FolderStore) => BlobStore } = {},
): Promise<TestRepo> {
  const root = await tempDir();
  const dir = join(root, 'repo');
  const folder = new FolderStore(dir, { fsync: false });
  const store = options.wrap ? options.wrap(folder) : folder;
  const { wrap: _wrap, ...init } = options;
  const cacheDir = join(root, 'cache');
  const repo = await Repository.init(store, PASSPHRASE, { scrypt: TEST_SCRYPT, cacheDir, ...init });
  onCleanup(() => repo.close());
  let n = 0;
  return {
    repo,
    store,
    dir,
    cacheDir,
    reopen: async (passphrase = PASSPHRASE) => {
      const again = await Repository.open(store, passphrase, { cacheDir: join(root, `cache-${++n}`) });
      onCleanup(() => again.close());
      return again;
    },
  };
}

export async function readAll(stream: Readable | AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Names of files under a prefix of the store, sorted. */
export async function listNames(store: BlobStore, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const f of store.list(prefix)) names.push(f.name);
  return names.sort();
}
