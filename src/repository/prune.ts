import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBlob, type BlobType } from './blob.js';
import { IntegrityError, RepositoryError } from './errors.js';
import { emptyIndex, encodeIndex, type IndexFile } from './index-file.js';
import { liveLocks, SESSION_SLACK_MS, SessionLock } from './locks.js';
import { recordRefs } from './manifest.js';
import type { ObjectRef } from './objects.js';
import { packPath } from './pack.js';
import { COPY, NEW_TOMBSTONE, PrunePlan, type PlanSummary } from './prune-plan.js';
import type { Repository } from './repository.js';
import { BlobNotFoundError } from './store/types.js';

export interface PruneOptions {
  dryRun?: boolean;
  /** How long a tombstone (or an unindexed pack) must age before its data may go (default 24 h). */
  safetyWindowMs?: number;
  /** Repack packs whose tombstoned bytes exceed this share of their listed bytes (default 0.25). */
  wasteThreshold?: number;
  /** Where the working set (mark set, planned index) is kept (default: the OS temp dir). */
  workDir?: string;
  /** The time source (default `Date.now`); tests move it forward to age tombstones. */
  clock?: () => number;
  /** Listings per new index file (default 100,000). */
  indexListingsPerFile?: number;
  onProgress?: (stage: string) => void;
}

export interface PruneReport {
  dryRun: boolean;
  /** Tombstones dated before this are final; packs written before it may be judged. */
  cutoff: string;
  /** Sessions of others (backups, checks, prunes) whose data is protected while they run. */
  liveSessions: number;
  liveBlobs: number;
  newTombstones: number;
  revived: number;
  repackedPacks: number;
  /** Packs that could not be repacked because a blob in them failed to decrypt or verify. */
  damagedPacks: string[];
  deletedPacks: number;
  deletedBytes: number;
  orphanPacks: number;
  indexFilesWritten: number;
  indexFilesDeleted: number;
}

const DAY_MS = 24 * 3600_000;
export { SESSION_SLACK_MS };
/** The earliest time a Date can hold: a cutoff there protects everything. */
const EARLIEST = -8.64e15;
const SYNC_ATTEMPTS = 5;
const PACK_NAME = /^data\/([0-9a-f]{2})\/([0-9a-f]{64})$/;

/**
 * Prune (docs/repository-format.md, Prune): mark from every manifest, revive tombstoned blobs that
 * a manifest needs again, tombstone what nothing references, repack wasteful packs, write one new
 * index superseding the old files, then delete packs of final garbage and orphan packs. Never
 * takes an exclusive lock; every step writes before it deletes, so a crash anywhere leaves a
 * consistent repository and the next prune finishes the work.
 */
export async function pruneRepository(repo: Repository, opts: PruneOptions = {}): Promise<PruneReport> {
  const clock = opts.clock ?? Date.now;
  const safety = opts.safetyWindowMs ?? DAY_MS;
  const waste = opts.wasteThreshold ?? 0.25;
  const perFile = opts.indexListingsPerFile ?? 100_000;
  if (!(safety >= 0)) throw new RangeError(`safety window must be ≥ 0 ms, got ${safety}`);
  if (!(waste >= 0 && waste < 1)) throw new RangeError(`waste threshold must be in [0, 1), got ${waste}`);
  if (!(perFile >= 1)) throw new RangeError(`listings per index file must be ≥ 1, got ${perFile}`);
  const dry = opts.dryRun ?? false;
  const plan = new PrunePlan(
    join(opts.workDir ?? tmpdir(), `safehold-prune-${randomBytes(6).toString('hex')}.sqlite`),
  );
  let lock: SessionLock | undefined;
  try {
    if (!dry) lock = await SessionLock.acquire(repo.store, 'prune');
    const start = clock();
    // Sessions before the index: a session gone by now wrote its index before this read, so the
    // sync below sees it; one still running protects everything since (before) its start.
    const sessions = (await liveLocks(repo.store, start)).filter((l) => l.id !== lock?.lockId);
    const cutoff = Math.max(
      EARLIEST,
      Math.min(
        start - safety,
        ...sessions.map((s) => {
          const started = Date.parse(s.lock.started);
          return Number.isNaN(started) ? EARLIEST : started - SESSION_SLACK_MS;
        }),
      ),
    );
    await syncCompletely(repo);

    opts.onProgress?.('mark');
    await markLive(repo, plan);

    opts.onProgress?.('plan');
    for await (const f of repo.store.list('data/')) {
      const m = PACK_NAME.exec(f.name);
      // Never judge a file prune does not understand.
      if (m && (m[2] as string).startsWith(m[1] as string))
        plan.addStoredPack(m[2] as string, f.size, f.modified);
    }
    const summary = plan.plan(repo.cache, { cutoff, waste });
    const doomed = plan.doomed();
    const orphans = plan.orphans(cutoff);
    const report: PruneReport = {
      dryRun: dry,
      cutoff: new Date(cutoff).toISOString(),
      liveSessions: sessions.length,
      liveBlobs: plan.marked.size,
      newTombstones: summary.newTombstones,
      revived: summary.revived,
      repackedPacks: summary.wastefulPacks.length,
      damagedPacks: [],
      deletedPacks: doomed.length + orphans.length,
      deletedBytes: [...doomed, ...orphans].reduce((n, p) => n + p.size, 0),
      orphanPacks: orphans.length,
      indexFilesWritten: 0,
      indexFilesDeleted: 0,
    };
    if (dry) return report;

    const damaged = await repack(repo, plan, summary.wastefulPacks, opts);
    report.damagedPacks = [...damaged];
    report.repackedPacks -= damaged.size;

    const changes =
      summary.newTombstones +
      summary.revived +
      summary.doomedPacks +
      summary.droppedListings +
      report.repackedPacks;
    if (changes > 0 || summary.files.size > 1) {
      opts.onProgress?.('index');
      const written = await writeIndex(repo, plan, summary, damaged, clock, perFile);
      report.indexFilesWritten = written.size;
      for (const f of summary.files) {
        if (written.has(f)) continue;
        await repo.store.delete(`index/${f}`);
        report.indexFilesDeleted++;
      }
    }

    // Only now, with no index naming them, do packs go.
    opts.onProgress?.('delete');
    for (const p of doomed) await repo.store.delete(packPath(p.pack));
    for (const p of orphans) await repo.store.delete(packPath(p.pack));
    await repo.syncIndex();
    return report;
  } finally {
    plan.close();
    // After a crash the lock stays behind and goes stale; it protects, it never blocks.
    await lock?.release().catch(() => undefined);
  }
}

/** Prune refused to go on: it could not read what keeps data alive. Nothing was changed. */
export class PruneStoppedError extends RepositoryError {
  override name = 'PruneStoppedError';
}

/**
 * Syncs the index cache until it holds every index file that was in the store when the sync
 * began. A file that vanished meanwhile was superseded by another prune, whose replacement the
 * next round picks up; without it, the packs the file names would look like orphans.
 */
async function syncCompletely(repo: Repository): Promise<void> {
  for (let attempt = 0; attempt < SYNC_ATTEMPTS; attempt++) {
    const listed: string[] = [];
    for await (const f of repo.store.list('index/')) listed.push(f.name.slice('index/'.length));
    await repo.syncIndex();
    const [unreadable] = repo.unreadableIndexFiles;
    if (unreadable)
      throw new PruneStoppedError(
        `prune stopped before changing anything: index file ${unreadable[0]} is unreadable (${unreadable[1]}); ` +
          `the packs it names would look unused. Run 'safehold repo check'`,
      );
    const known = repo.cache.files();
    if (listed.every((name) => known.has(name))) return;
  }
  throw new PruneStoppedError(
    'prune stopped before changing anything: index files kept vanishing while it read them ' +
      '(another prune finishing?); run prune again',
  );
}

/** Marks every blob reachable from any manifest; anything unreadable stops prune before it changes anything. */
async function markLive(repo: Repository, plan: PrunePlan): Promise<void> {
  const stop = (what: string, e: unknown) =>
    new PruneStoppedError(
      `prune stopped before changing anything: ${what}: ${(e as Error).message}; run 'safehold repo check'`,
    );
  const mark = async (ref: ObjectRef, what: string) => {
    try {
      for await (const b of repo.reader.blobIds(ref)) plan.marked.add(b.id);
    } catch (e) {
      throw stop(what, e);
    }
  };
  for await (const id of repo.manifestIds()) {
    let manifest;
    try {
      manifest = await repo.readManifest(id);
    } catch (e) {
      if (e instanceof BlobNotFoundError) continue; // forgotten meanwhile: nothing to keep for it
      throw stop(`manifest ${id} is unreadable`, e);
    }
    if (!manifest.body) continue;
    await mark(manifest.body, `manifest ${id}`);
    let line = 0;
    try {
      for await (const record of repo.manifestRecords(manifest)) {
        const where = `manifest ${id} record ${++line}`;
        for (const ref of recordRefs(record, where)) await mark(ref, where);
      }
    } catch (e) {
      if (e instanceof PruneStoppedError) throw e;
      throw stop(`manifest ${id} body`, e);
    }
  }
}

/**
 * Copies the live blobs of wasteful packs into new packs, indexed by a session of its own before
 * anything tombstones the old listings. Returns the packs left as they were because a blob in
 * them did not verify (check reports those).
 */
async function repack(
  repo: Repository,
  plan: PrunePlan,
  packs: string[],
  opts: PruneOptions,
): Promise<Set<string>> {
  const damaged = new Set<string>();
  if (packs.length === 0) return damaged;
  opts.onProgress?.('repack');
  const session = await repo.session('prune');
  const leaving = new Set(packs);
  // A live listing elsewhere (a copy an interrupted prune made, a concurrent writer's duplicate) will do.
  const keptElsewhere = (id: Buffer, type: BlobType) =>
    repo.cache.locations(id, type).some((loc) => !leaving.has(loc.pack) && plan.isStored(loc.pack));
  try {
    for (const pack of packs) {
      const file = packPath(pack);
      const bytes = await repo.store.get(file);
      for (const l of plan.copies(pack)) {
        if (keptElsewhere(l.id, l.type as BlobType)) continue;
        let plaintext: Buffer;
        try {
          plaintext = openBlob(
            repo.keys,
            l.type as BlobType,
            l.id,
            bytes.subarray(l.offset, l.offset + l.length),
            l.rawLength,
            file,
          );
        } catch (e) {
          if (!(e instanceof IntegrityError)) throw e;
          damaged.add(pack);
          break;
        }
        await session.copyBlob(l.type as BlobType, plaintext);
      }
    }
    await session.flush();
  } catch (e) {
    await session.abort();
    throw e;
  }
  await session.close();
  return damaged;
}

/**
 * Writes the planned index as one or more files; the last one supersedes every file the plan
 * covers, so until it exists the old files still count and nothing is lost in between.
 * Tombstones made by this run are dated now, after the repack, as late as they can be.
 */
async function writeIndex(
  repo: Repository,
  plan: PrunePlan,
  summary: PlanSummary,
  damaged: Set<string>,
  clock: () => number,
  perFile: number,
): Promise<Set<string>> {
  const stamp = new Date(clock()).toISOString();
  const written = new Set<string>();
  const revived: IndexFile['revived'] = [];
  let current = emptyIndex();
  let count = 0;
  let pack: IndexFile['packs'][number] | undefined;
  const put = async (index: IndexFile) => {
    const { id, bytes } = encodeIndex(repo.keys, index);
    await repo.store.put(`index/${id}`, bytes);
    written.add(id);
  };
  for (const l of plan.listings()) {
    if (pack?.id !== l.pack) {
      if (count >= perFile) {
        await put(current);
        current = emptyIndex();
        count = 0;
      }
      pack = { id: l.pack, blobs: [] };
      current.packs.push(pack);
    }
    const id = l.id.toString('hex');
    pack.blobs.push({ id, type: l.type, offset: l.offset, length: l.length, rawLength: l.rawLength });
    count++;
    const at = l.fate === NEW_TOMBSTONE || (l.fate === COPY && !damaged.has(l.pack)) ? stamp : l.tomb;
    if (at !== null) current.tombstones.push({ id, pack: l.pack, at });
    if (l.revived && at === null) revived.push({ id, pack: l.pack, at: stamp });
  }
  current.revived = revived;
  current.supersedes = [...summary.files].sort();
  await put(current);
  return written;
}
