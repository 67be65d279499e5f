import type { Repository } from './repository.js';

export interface RepositoryStats {
  id: string;
  location: string;
  manifests: number;
  /** Index files in the store (superseded ones a crashed prune left behind included). */
  indexFiles: number;
  /** Pack files in the store, and their total size. */
  packs: number;
  packBytes: number;
  /** Distinct live blobs; their plaintext bytes, and what they take stored (one copy each). */
  blobs: number;
  rawBytes: number;
  storedBytes: number;
  /** Listings tombstoned and not revived (garbage a later prune frees), and their stored bytes. */
  tombstonedBlobs: number;
  tombstonedBytes: number;
}

/** Sizes and counts of a repository (from the store's listing and the index; nothing else is decrypted). */
export async function repositoryStats(repo: Repository): Promise<RepositoryStats> {
  await repo.syncIndex();
  let manifests = 0;
  for await (const _ of repo.manifestIds()) manifests++;
  let indexFiles = 0;
  for await (const _ of repo.store.list('index/')) indexFiles++;
  let packs = 0;
  let packBytes = 0;
  for await (const f of repo.store.list('data/')) {
    packs++;
    packBytes += f.size;
  }
  const totals = repo.cache.liveTotals();
  let tombstonedBlobs = 0;
  let tombstonedBytes = 0;
  for (const l of repo.cache.listings()) {
    if (!l.tombstoned) continue;
    tombstonedBlobs++;
    tombstonedBytes += l.length;
  }
  return {
    id: repo.id,
    location: repo.store.location,
    manifests,
    indexFiles,
    packs,
    packBytes,
    blobs: totals.blobs,
    rawBytes: totals.rawBytes,
    storedBytes: totals.storedBytes,
    tombstonedBlobs,
    tombstonedBytes,
  };
}
