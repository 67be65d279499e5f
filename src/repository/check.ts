import { createHash, randomInt } from 'node:crypto';
import { openBlob, type BlobType } from './blob.js';
import { SEAL_OVERHEAD } from './crypto.js';
import { IntegrityError, MissingBlobError, RepositoryError } from './errors.js';
import { decodeIndex } from './index-file.js';
import { parseKeyFile } from './keys.js';
import { recordRefs, type Manifest } from './manifest.js';
import type { ObjectRef } from './objects.js';
import { packPath, parsePack, PACK_TRAILER } from './pack.js';
import type { Repository } from './repository.js';
import { BlobNotFoundError } from './store/types.js';

export interface CheckProblem {
  kind:
    | 'unreadable-key'
    | 'unreadable-index'
    | 'missing-pack'
    | 'bad-listing'
    | 'corrupt-pack'
    | 'corrupt-blob'
    | 'unreadable-manifest'
    | 'missing-blob'
    | 'bad-record';
  message: string;
  file?: string;
  /** Blob ids (hex) this problem is about. */
  blobs?: string[];
}

/** A manifest (restore point) and the records in it that the problems break. */
export interface AffectedManifest {
  manifest: string;
  /** Empty ('' and {}) when the manifest itself cannot be read. */
  created: string;
  meta: Record<string, unknown>;
  /**
   * Identities of the broken records (their `id`, `path` or `name`, else `record <line>`);
   * `(manifest body)` when the record list itself is damaged, `(manifest unreadable)` when the
   * manifest file is.
   */
  records: string[];
  /** Missing or corrupt blobs behind them. */
  blobs: string[];
}

export interface CheckReport {
  ok: boolean;
  problems: CheckProblem[];
  affected: AffectedManifest[];
  stats: {
    indexFiles: number;
    packs: number;
    /** Packs no index file names: left by a writer that stopped before its index (prune's to remove). */
    unindexedPacks: number;
    manifests: number;
    records: number;
    blobsRead: number;
    packsRead: number;
  };
}

export interface CheckOptions {
  /** Read every blob of the packs (or of a sample): decrypt, decompress, verify its id. */
  readData?: boolean;
  /**
   * With readData: the share of packs read, in percent (0–100, default 100). The sample is
   * `ceil(packs × percent / 100)` packs drawn at random anew on every run, so repeated runs cover
   * the whole repository over time.
   */
  subsetPercent?: number;
  onProgress?: (stage: string) => void;
}

function recordName(r: Record<string, unknown>, line: number): string {
  for (const key of ['id', 'path', 'name']) {
    const v = r[key];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
  }
  return `record ${line}`;
}

/** A header of `count` entries takes at least this many bytes in a pack, with the trailer. */
const packTail = (count: number) => count * 45 + SEAL_OVERHEAD + PACK_TRAILER;

/** Draws `ceil(n × percent / 100)` of the items at random. */
function sample<T>(items: T[], percent: number): T[] {
  const want = Math.ceil((items.length * percent) / 100);
  const pool = [...items];
  for (let i = 0; i < want; i++) {
    const j = randomInt(i, pool.length);
    [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
  }
  return pool.slice(0, want);
}

/**
 * Verifies a repository (docs/repository-format.md, Check): key and index files parse and decrypt,
 * every listing points into an existing pack of a plausible size, every manifest decrypts and
 * everything its records reference is indexed (following trees); with `readData` every blob of
 * the (sampled) packs decrypts, decompresses and matches its id. Each problem names the files and
 * blobs it concerns, and `affected` names the manifests and records those blobs break. A blob
 * stored twice counts as broken only when no copy is good. Nothing is written to the store.
 */
export async function checkRepository(repo: Repository, opts: CheckOptions = {}): Promise<CheckReport> {
  const percent = opts.subsetPercent ?? 100;
  if (!(percent >= 0 && percent <= 100))
    throw new RangeError(`subset must be a percentage from 0 to 100, got ${String(percent)}`);
  const problems: CheckProblem[] = [];
  const stats: CheckReport['stats'] = {
    indexFiles: 0,
    packs: 0,
    unindexedPacks: 0,
    manifests: 0,
    records: 0,
    blobsRead: 0,
    packsRead: 0,
  };
  const { store, cache } = repo;
  /** (blob, pack) listings found broken: blob hex → packs. */
  const badListings = new Map<string, Set<string>>();
  const markBad = (id: string, pack: string) => {
    const set = badListings.get(id) ?? new Set<string>();
    set.add(pack);
    badListings.set(id, set);
  };

  opts.onProgress?.('keys');
  for await (const f of store.list('keys/')) {
    try {
      parseKeyFile(await store.get(f.name), f.name);
    } catch (e) {
      problems.push({ kind: 'unreadable-key', message: (e as Error).message, file: f.name });
    }
  }

  opts.onProgress?.('index');
  const unreadableIndex: string[] = [];
  for await (const f of store.list('index/')) {
    stats.indexFiles++;
    const name = f.name.slice('index/'.length);
    try {
      decodeIndex(repo.keys, name, await store.get(f.name));
    } catch (e) {
      if (!(e instanceof IntegrityError)) throw e;
      unreadableIndex.push(name);
      problems.push({ kind: 'unreadable-index', message: e.message, file: f.name });
    }
  }
  // The cache must not vouch for an index file that no longer reads back.
  cache.removeFiles(unreadableIndex);
  await repo.syncIndex();

  opts.onProgress?.('packs');
  const sizes = new Map<string, number>();
  for await (const f of store.list('data/')) sizes.set(f.name.slice(f.name.lastIndexOf('/') + 1), f.size);
  stats.packs = sizes.size;
  const indexedPacks = cache.packs();
  const indexed = new Set(indexedPacks);
  for (const pack of sizes.keys()) if (!indexed.has(pack)) stats.unindexedPacks++;
  for (const pack of indexedPacks) {
    // A pack prune already emptied may be gone before its listings are: only live ones count.
    const listings = cache.packListings(pack).filter((l) => !l.tombstoned);
    if (listings.length === 0) continue;
    const size = sizes.get(pack);
    const file = packPath(pack);
    if (size === undefined) {
      const ids = listings.map((l) => l.id.toString('hex'));
      ids.forEach((id) => markBad(id, pack));
      problems.push({
        kind: 'missing-pack',
        message: `pack ${pack} is named by the index but does not exist (${ids.length} blobs)`,
        file,
        blobs: ids,
      });
      continue;
    }
    const beyond = listings.filter((l) => l.offset + l.length > size - PACK_TRAILER);
    if (beyond.length) {
      const ids = beyond.map((l) => l.id.toString('hex'));
      ids.forEach((id) => markBad(id, pack));
      problems.push({
        kind: 'bad-listing',
        message: `pack ${pack} (${size} bytes) is too short for ${ids.length} blobs the index lists in it: truncated?`,
        file,
        blobs: ids,
      });
    } else {
      const end = Math.max(...listings.map((l) => l.offset + l.length));
      if (size < end + packTail(listings.length))
        problems.push({
          kind: 'corrupt-pack',
          message: `pack ${pack} (${size} bytes) is too short to hold its header: truncated? (its blobs still read by their index ranges)`,
          file,
          blobs: [],
        });
    }
  }

  if (opts.readData) {
    opts.onProgress?.('read data');
    for (const pack of sample(
      indexedPacks.filter((p) => sizes.has(p)),
      percent,
    )) {
      stats.packsRead++;
      await readPack(repo, pack, problems, markBad, stats);
    }
  }

  opts.onProgress?.('manifests');
  const affected = await checkManifests(repo, problems, badListings, stats);
  return { ok: problems.length === 0, problems, affected, stats };
}

/** Reads a whole pack: every listed blob verified at its index range, the header against the index. */
async function readPack(
  repo: Repository,
  pack: string,
  problems: CheckProblem[],
  markBad: (id: string, pack: string) => void,
  stats: CheckReport['stats'],
): Promise<void> {
  const file = packPath(pack);
  let bytes: Buffer;
  try {
    bytes = await repo.store.get(file);
  } catch (e) {
    if (e instanceof BlobNotFoundError) return; // deleted by prune since the listing: nothing to read
    throw e;
  }
  const corrupt: string[] = [];
  const listings = repo.cache.packListings(pack);
  for (const l of listings) {
    const id = l.id.toString('hex');
    stats.blobsRead++;
    try {
      if (l.offset + l.length > bytes.length)
        throw new IntegrityError(`blob ${id} lies beyond the end of pack ${pack}`, file);
      openBlob(repo.keys, l.type, l.id, bytes.subarray(l.offset, l.offset + l.length), l.rawLength, file);
    } catch (e) {
      if (!(e instanceof IntegrityError)) throw e;
      if (!l.tombstoned) markBad(id, pack);
      corrupt.push(id);
      problems.push({ kind: 'corrupt-blob', message: `pack ${pack}: ${e.message}`, file, blobs: [id] });
    }
  }
  let header;
  try {
    header = parsePack(repo.keys, pack, bytes);
  } catch (e) {
    if (!(e instanceof IntegrityError)) throw e;
    problems.push({
      kind: 'corrupt-pack',
      message: `${e.message} (the blobs still read by their index ranges)`,
      file,
      blobs: [],
    });
  }
  if (header) {
    const inHeader = new Map(header.map((e) => [`${e.type}:${e.id.toString('hex')}`, e]));
    const disagree = listings
      .filter((l) => {
        const e = inHeader.get(`${l.type}:${l.id.toString('hex')}`);
        return !e || e.offset !== l.offset || e.length !== l.length || e.rawLength !== l.rawLength;
      })
      .map((l) => l.id.toString('hex'));
    if (disagree.length)
      problems.push({
        kind: 'bad-listing',
        message: `pack ${pack}: its header and the index disagree about ${disagree.length} blobs`,
        file,
        blobs: disagree,
      });
  }
  if (!corrupt.length && createHash('sha256').update(bytes).digest('hex') !== pack)
    problems.push({ kind: 'corrupt-pack', message: `pack ${pack} does not match its name`, file, blobs: [] });
}

/** Follows every manifest's references; names the manifests and records that broken blobs affect. */
async function checkManifests(
  repo: Repository,
  problems: CheckProblem[],
  badListings: Map<string, Set<string>>,
  stats: CheckReport['stats'],
): Promise<AffectedManifest[]> {
  const { cache } = repo;
  const reported = new Set<string>();
  const verdicts = new Map<string, boolean>();
  /** Broken: not indexed, or every live copy is in a pack found bad. */
  const broken = (id: Buffer, type: BlobType): boolean => {
    const hex = id.toString('hex');
    const known = verdicts.get(hex);
    if (known !== undefined) return known;
    // A blob tombstoned after a running session deduplicated it is still in its pack, and the
    // next prune revives it: present, not missing.
    let locations: { pack: string }[] = cache.locations(id, type);
    if (locations.length === 0) locations = cache.condemned(id, type);
    const bad = badListings.get(hex);
    const verdict = locations.length === 0 || (!!bad && locations.every((l) => bad.has(l.pack)));
    if (locations.length === 0 && !reported.has(hex)) {
      reported.add(hex);
      problems.push({
        kind: 'missing-blob',
        message: `blob ${hex} is referenced but not indexed`,
        blobs: [hex],
      });
    }
    verdicts.set(hex, verdict);
    return verdict;
  };
  const affected: AffectedManifest[] = [];
  for await (const id of repo.manifestIds()) {
    stats.manifests++;
    let manifest: Manifest;
    try {
      manifest = await repo.readManifest(id);
    } catch (e) {
      if (!(e instanceof IntegrityError)) throw e;
      problems.push({ kind: 'unreadable-manifest', message: e.message, file: `manifests/${id}` });
      affected.push({ manifest: id, created: '', meta: {}, records: ['(manifest unreadable)'], blobs: [] });
      continue;
    }
    const hit = { records: new Set<string>(), blobs: new Set<string>() };
    const visit = async (ref: ObjectRef, name: string) => {
      try {
        for await (const b of repo.reader.blobIds(ref)) {
          if (!broken(b.id, b.type)) continue;
          hit.blobs.add(b.id.toString('hex'));
          hit.records.add(name);
        }
      } catch (e) {
        // A tree blob could not be read, so what lies under it is unknown.
        if (!(e instanceof MissingBlobError || e instanceof IntegrityError)) throw e;
        const hex = e instanceof MissingBlobError ? e.blobId : undefined;
        if (hex) hit.blobs.add(hex);
        hit.records.add(name);
        if (!hex || !reported.has(hex)) {
          if (hex) reported.add(hex);
          problems.push({
            kind: e instanceof MissingBlobError ? 'missing-blob' : 'corrupt-blob',
            message: `manifest ${id}: ${e.message}`,
            ...(e instanceof IntegrityError && e.file ? { file: e.file } : {}),
            ...(hex ? { blobs: [hex] } : {}),
          });
        }
      }
    };
    const BODY = '(manifest body)';
    if (manifest.body) await visit(manifest.body, BODY);
    if (!hit.records.has(BODY)) {
      let line = 0;
      try {
        for await (const record of repo.manifestRecords(manifest)) {
          line++;
          stats.records++;
          let refs;
          try {
            refs = recordRefs(record, `manifest ${id} record ${line}`);
          } catch (e) {
            problems.push({ kind: 'bad-record', message: (e as Error).message, file: `manifests/${id}` });
            hit.records.add(recordName(record, line));
            continue;
          }
          for (const ref of refs) await visit(ref, recordName(record, line));
        }
      } catch (e) {
        if (!(e instanceof RepositoryError)) throw e;
        problems.push({
          kind: 'unreadable-manifest',
          message: `manifest ${id} body: ${e.message}`,
          file: `manifests/${id}`,
        });
        hit.records.add(BODY);
      }
    }
    if (hit.records.size)
      affected.push({
        manifest: id,
        created: manifest.created,
        meta: manifest.meta,
        records: [...hit.records],
        blobs: [...hit.blobs],
      });
  }
  return affected;
}
