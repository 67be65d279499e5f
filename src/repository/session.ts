import { Readable } from 'node:stream';
import { BLOB_DATA, BLOB_TREE, type BlobType } from './blob.js';
import type { RepoConfig } from './config.js';
import { chunkStream, splitMime } from './content/index.js';
import { contentId, type MasterKeys } from './crypto.js';
import { RepositoryError } from './errors.js';
import type { IndexCache } from './index-cache.js';
import { emptyIndex, encodeIndex, type IndexFile } from './index-file.js';
import { SESSION_SLACK_MS, type SessionLock } from './locks.js';
import { encodeManifest, newManifest } from './manifest.js';
import {
  encodeTree,
  INLINE_IDS,
  isObjectRef,
  TREE_FANOUT,
  type MimeSegmentRef,
  type ObjectRef,
} from './objects.js';
import { PackBuilder, packPath } from './pack.js';
import { SealPool } from './seal-pool.js';
import type { BlobStore } from './store/types.js';

/** What a session wrote, for reports and benchmarks. */
export interface SessionStats {
  /** Plaintext bytes handed to the session. */
  bytesIn: number;
  /** Blobs new to the repository, and their stored (compressed, encrypted) size. */
  newBlobs: number;
  storedBytes: number;
  /** Blobs that were already stored. */
  dedupedBlobs: number;
  packs: number;
}

/**
 * Packs uploading at once. One upload overlaps with filling the next pack, so at most two packs
 * are in memory (the 10 GiB-stream memory budget depends on it).
 */
const UPLOADS_IN_FLIGHT = 1;
/** Write an index file after this many packs, so a crash loses little and memory stays small. */
const PACKS_PER_INDEX = 32;

async function* once(buf: Buffer): AsyncGenerator<Buffer> {
  if (buf.length) yield buf;
}

/**
 * A writer's session: chunk → deduplicate → compress → encrypt → pack → upload, then the index,
 * then the manifest (docs/repository-format.md, write order). Several sessions, in one process
 * or many, may write one repository at once.
 */
export class WriteSession {
  private pack = new PackBuilder();
  /** Uploads not yet known to have succeeded, by pack id (a failed one stays: it failed the session). */
  private readonly uploading = new Map<string, Promise<void>>();
  /** Blobs being sealed on worker threads; each adds itself to the open pack when done. */
  private readonly sealing = new Set<Promise<void>>();
  private readonly maxSealing: number;
  private pending: IndexFile = emptyIndex();
  /** Blobs written by this session that the index cache does not know yet (`type:hex`). */
  private readonly written = new Set<string>();
  private failed: Error | undefined;
  private closed = false;
  readonly stats: SessionStats = { bytesIn: 0, newBlobs: 0, storedBytes: 0, dedupedBlobs: 0, packs: 0 };

  constructor(
    private readonly store: BlobStore,
    private readonly keys: MasterKeys,
    private readonly config: RepoConfig,
    private readonly cache: IndexCache,
    private readonly lock: SessionLock,
    private readonly sealer: SealPool = new SealPool(keys, 0),
  ) {
    // One blob queued per sealing thread besides the ones it works on: enough to keep them busy
    // (measured: more only adds memory, 10 MiB of peak RSS per extra blob).
    this.maxSealing = Math.max(2, sealer.threads + 1);
  }

  get id(): string {
    return this.lock.lockId;
  }

  private check(): void {
    if (this.closed) throw new RepositoryError('the session is closed');
    if (this.failed) throw this.failed;
  }

  /**
   * Remembers the first failure and returns it (the cause, where later failures are often its
   * consequences): after it the session writes nothing more (no index, no manifest).
   */
  private fail(e: unknown): Error {
    this.failed ??= e instanceof Error ? e : new RepositoryError(`session failed: ${JSON.stringify(e)}`);
    return this.failed;
  }

  /** Runs a store write; a failure fails the session. */
  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      throw this.fail(e);
    }
  }

  /** Stores one blob unless the repository already has it; returns its id. */
  putBlob(type: BlobType, plaintext: Buffer): Promise<Buffer> {
    return this.store1(type, plaintext, true);
  }

  /** Stores a blob even though the index lists it elsewhere (prune moves it out of a pack). */
  copyBlob(type: BlobType, plaintext: Buffer): Promise<Buffer> {
    return this.store1(type, plaintext, false);
  }

  private async store1(type: BlobType, plaintext: Buffer, dedupe: boolean): Promise<Buffer> {
    this.check();
    this.stats.bytesIn += type === BLOB_DATA ? plaintext.length : 0;
    const id = contentId(this.keys, plaintext);
    const key = `${type}:${id.toString('hex')}`;
    if (this.written.has(key) || (dedupe && this.cache.has(id, type))) {
      this.stats.dedupedBlobs++;
      return id;
    }
    this.written.add(key);
    this.stats.newBlobs++;
    const job = this.sealer
      .seal(type, plaintext, id)
      .then(async (sealed) => {
        this.stats.storedBytes += sealed.sealed.length;
        this.pack.add(sealed);
        if (this.pack.size >= this.config.packSize.target) await this.closePack();
      })
      .catch((e: unknown) => {
        throw this.fail(e);
      });
    const done = () => this.sealing.delete(job);
    job.then(done, done);
    this.sealing.add(job);
    while (this.sealing.size >= this.maxSealing) await Promise.race(this.sealing).catch(() => undefined);
    this.check();
    return id;
  }

  /** Waits until every blob handed over so far is in a pack (or the session has failed). */
  private async drainSealing(): Promise<void> {
    while (this.sealing.size > 0) await Promise.allSettled([...this.sealing]);
  }

  /** Finishes the open pack and uploads it, once fewer than UPLOADS_IN_FLIGHT are uploading. */
  private async closePack(): Promise<void> {
    if (this.pack.count === 0) return;
    const { id, parts, size, entries } = this.pack.finish(this.keys);
    this.pack = new PackBuilder();
    while (this.uploading.size >= UPLOADS_IN_FLIGHT) {
      await Promise.race(this.uploading.values()).catch(() => undefined);
      this.check();
    }
    // The pack joins the pending index in the same step its upload starts: writeIndex waits for
    // exactly the uploads of the packs it names (write order: packs, then index).
    this.stats.packs++;
    this.pending.packs.push({
      id,
      blobs: entries.map((e) => ({
        id: e.id.toString('hex'),
        type: e.type,
        offset: e.offset,
        length: e.length,
        rawLength: e.rawLength,
      })),
    });
    const upload = this.store.put(packPath(id), Readable.from(parts, { objectMode: false }), size).then(
      () => {
        this.uploading.delete(id);
      },
      (e: unknown) => {
        throw this.fail(e);
      },
    );
    // Awaited later; until then a failure must not count as an unhandled rejection.
    upload.catch(() => undefined);
    this.uploading.set(id, upload);
    if (this.pending.packs.length >= PACKS_PER_INDEX) await this.writeIndex();
  }

  /**
   * Writes an index file naming the packs closed so far, once their uploads are done (write
   * order: packs, then index). A pack closed meanwhile waits for the next index file.
   */
  private async writeIndex(): Promise<void> {
    const index = this.pending;
    this.pending = emptyIndex();
    const uploads = index.packs.flatMap((p) => {
      const upload = this.uploading.get(p.id);
      return upload ? [upload] : [];
    });
    await Promise.all(uploads);
    if (index.packs.length === 0) return;
    const { id, bytes } = encodeIndex(this.keys, index);
    await this.guarded(() => this.store.put(`index/${id}`, bytes));
    this.cache.addFile(id, index);
    for (const p of index.packs) for (const b of p.blobs) this.written.delete(`${b.type}:${b.id}`);
  }

  /** Makes everything written so far durable and indexed (a checkpoint). */
  async flush(): Promise<void> {
    this.check();
    await this.drainSealing();
    this.check();
    await this.closePack();
    await this.writeIndex();
  }

  /** Stores a stream of any size as an object. */
  async putStream(source: AsyncIterable<Buffer> | Readable): Promise<ObjectRef> {
    this.check();
    const ids: Buffer[] = [];
    let size = 0;
    for await (const chunk of chunkStream(source as AsyncIterable<Buffer>, this.config.chunker)) {
      size += chunk.length;
      ids.push(await this.putBlob(BLOB_DATA, chunk));
    }
    if (size === 0) return { s: 0 };
    if (ids.length <= INLINE_IDS) return { s: size, c: ids.map((id) => id.toString('hex')) };
    // Long lists go to tree blobs, nested as deep as needed.
    let level = ids;
    let depth = 0;
    while (level.length > 1 || depth === 0) {
      const next: Buffer[] = [];
      for (let i = 0; i < level.length; i += TREE_FANOUT)
        next.push(await this.putBlob(BLOB_TREE, encodeTree(level.slice(i, i + TREE_FANOUT))));
      level = next;
      depth++;
    }
    return { s: size, i: (level[0] as Buffer).toString('hex'), ...(depth > 1 ? { d: depth } : {}) };
  }

  putBuffer(data: Buffer): Promise<ObjectRef> {
    return this.putStream(once(data));
  }

  /**
   * Stores a MIME message so its base64 attachments deduplicate across messages: each decoded
   * attachment is an object of its own, the rest stays verbatim; reading renders the exact bytes.
   */
  async putMime(message: Buffer): Promise<ObjectRef> {
    this.check();
    const segments = splitMime(message);
    if (!segments.some((s) => s.kind === 'base64')) return this.putBuffer(message);
    const out: MimeSegmentRef[] = [];
    for (const seg of segments) {
      if (seg.kind === 'raw') out.push({ r: await this.putBuffer(seg.bytes) });
      else out.push({ b: await this.putBuffer(seg.decoded), w: seg.width, e: seg.eol, t: seg.finalEol });
    }
    return { s: message.length, m: out };
  }

  /**
   * A blob tombstoned by a prune that ran while this session did (it deduplicated the blob while
   * it was live): the tombstone is younger than the session's start, so the session's lock keeps
   * the pack until the manifest exists, and the next prune revives the blob.
   */
  private protectedByLock(id: Buffer, type: BlobType): boolean {
    const since = Date.parse(this.lock.started) - SESSION_SLACK_MS;
    return this.cache.condemned(id, type).some((loc) => Date.parse(loc.tombstoned) >= since);
  }

  /** Throws unless every blob the reference names at its top is stored (indexed or in this session). */
  private assertStored(ref: ObjectRef, where: string): void {
    const known = (hex: string, type: BlobType) =>
      this.written.has(`${type}:${hex}`) ||
      this.cache.has(Buffer.from(hex, 'hex'), type) ||
      this.protectedByLock(Buffer.from(hex, 'hex'), type);
    const missing = (hex: string) =>
      new RepositoryError(
        `${where} references blob ${hex}, which this repository does not hold ` +
          `(or the session that wrote it has not flushed yet)`,
      );
    if ('c' in ref) {
      for (const hex of ref.c) if (!known(hex, BLOB_DATA)) throw missing(hex);
    } else if ('i' in ref) {
      if (!known(ref.i, BLOB_TREE)) throw missing(ref.i);
    } else if ('m' in ref) {
      for (const seg of ref.m) this.assertStored('r' in seg ? seg.r : seg.b, where);
    }
  }

  /**
   * Writes the session's manifest: the records (objects, one JSON line each, listing in `refs`
   * every object they depend on) become the body object; then packs and index are flushed, and
   * only then is the manifest stored. A record whose refs are malformed or name blobs the
   * repository does not hold is refused, and nothing is written. Returns the manifest id.
   */
  async writeManifest(
    schema: string,
    meta: Record<string, unknown>,
    records: AsyncIterable<object> | Iterable<object>,
  ): Promise<string> {
    this.check();
    if (typeof schema !== 'string' || schema.length === 0)
      throw new RepositoryError('a manifest needs a schema name');
    const checkRecord = (r: unknown, n: number): string => {
      const where = `manifest record ${n}`;
      if (r === null || typeof r !== 'object' || Array.isArray(r))
        throw new RepositoryError(`${where} is not a JSON object`);
      const refs = (r as { refs?: unknown }).refs;
      if (refs !== undefined) {
        if (!Array.isArray(refs)) throw new RepositoryError(`${where}: refs is not an array`);
        for (const ref of refs) {
          if (!isObjectRef(ref))
            throw new RepositoryError(`${where}: ${JSON.stringify(ref)} is not a reference`);
          this.assertStored(ref, where);
        }
      }
      return JSON.stringify(r);
    };
    async function* lines(): AsyncGenerator<Buffer> {
      let batch: string[] = [];
      let n = 0;
      for await (const r of records as AsyncIterable<unknown>) {
        batch.push(checkRecord(r, ++n));
        if (batch.length >= 1000) {
          yield Buffer.from(`${batch.join('\n')}\n`);
          batch = [];
        }
      }
      if (batch.length) yield Buffer.from(`${batch.join('\n')}\n`);
    }
    const body = await this.putStream(lines());
    await this.flush();
    const manifest = newManifest(schema, this.lock.lockId, meta, body.s === 0 ? null : body);
    const { id, bytes } = encodeManifest(this.keys, manifest);
    await this.guarded(() => this.store.put(`manifests/${id}`, bytes));
    return id;
  }

  /** Flushes and leaves; the session's data stays (unreferenced data is prune's business). */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.failed) await this.flush();
    } finally {
      this.closed = true;
      await this.drainSealing();
      await Promise.allSettled(this.uploading.values());
      await this.lock.release().catch(() => undefined);
    }
  }

  /** Stops without flushing: uploaded packs become orphans for prune to collect. */
  async abort(): Promise<void> {
    this.closed = true;
    await this.drainSealing();
    await Promise.allSettled(this.uploading.values());
    await this.lock.release().catch(() => undefined);
  }
}
