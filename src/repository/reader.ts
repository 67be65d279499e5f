import { Readable } from 'node:stream';
import { BLOB_DATA, BLOB_TREE, openBlob, type BlobType } from './blob.js';
import type { MasterKeys } from './crypto.js';
import { IntegrityError, MissingBlobError } from './errors.js';
import type { BlobLocation, IndexCache } from './index-cache.js';
import { decodeTree, type ObjectRef } from './objects.js';
import { packPath } from './pack.js';
import { BlobNotFoundError, type BlobStore } from './store/types.js';
import { wrappedBase64Length, wrapBase64 } from './base64-wrap.js';

/** A data blob of an object, with its plaintext length (from the index). */
interface Piece {
  id: Buffer;
  length: number;
}

/** Blobs fetched ahead while streaming: keeps a high-latency store (S3) busy. */
const READ_AHEAD = 4;

/**
 * Checks a byte range against an object's size. The contract: integers with
 * `0 <= start <= size` and `start <= end`; an `end` beyond the size is cut to the size (as an HTTP
 * range is), so `[size, size)` and any range from the size on are empty. Anything else is a
 * RangeError.
 */
export function checkRange(size: number, start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end))
    throw new RangeError(`range ${start}-${end}: offsets must be integers`);
  if (start < 0) throw new RangeError(`range ${start}-${end}: the start must not be negative`);
  if (start > size)
    throw new RangeError(`range ${start}-${end}: starts beyond the end of the object (${size} bytes)`);
  if (end < start) throw new RangeError(`range ${start}-${end}: the end is before the start`);
}

/** Reads blobs and objects: ranged GETs into packs, verified on the way. */
export class ObjectReader {
  constructor(
    private readonly store: BlobStore,
    private readonly keys: MasterKeys,
    private readonly cache: IndexCache,
    /** Brings the index cache up to date (Repository.syncIndex). */
    private readonly resync?: () => Promise<void>,
  ) {}

  /**
   * Reads and verifies one blob. When the index lists it in several packs (concurrent writers
   * stored it twice), a missing pack or corrupt copy is skipped for the next listing. When the
   * blob cannot be found, the index is synced once and the read tried again: a prune may have
   * moved it to a new pack and deleted the old one since this reader's cache was synced.
   */
  async readBlob(id: Buffer, type: BlobType = BLOB_DATA): Promise<Buffer> {
    try {
      return await this.readListed(id, type);
    } catch (e) {
      if (!(e instanceof MissingBlobError) || !this.resync) throw e;
      await this.resync();
      return this.readListed(id, type);
    }
  }

  private async readListed(id: Buffer, type: BlobType): Promise<Buffer> {
    const hex = id.toString('hex');
    let locations: BlobLocation[] = this.cache.locations(id, type);
    // Tombstoned but not yet deleted: still the data (see IndexCache.condemned).
    if (locations.length === 0) locations = this.cache.condemned(id, type);
    if (locations.length === 0) {
      const other = this.cache.find(id);
      throw new MissingBlobError(
        hex,
        other ? `indexed as type ${other.type}, wanted ${type}` : 'not in the index',
      );
    }
    let failure: Error | undefined;
    for (const loc of locations) {
      const file = packPath(loc.pack);
      try {
        const sealed = await this.store.get(file, loc.offset, loc.length);
        return openBlob(this.keys, type, id, sealed, loc.rawLength, file);
      } catch (e) {
        if (e instanceof BlobNotFoundError)
          failure = new MissingBlobError(hex, `its pack ${loc.pack} does not exist`);
        else if (e instanceof IntegrityError) failure = e;
        else throw e; // the store failed (network, permissions): not a verdict on the data
      }
    }
    throw failure as Error;
  }

  private lengthOf(id: Buffer): number {
    const loc = this.cache.find(id, BLOB_DATA) ?? this.cache.condemned(id, BLOB_DATA)[0];
    if (!loc) throw new MissingBlobError(id.toString('hex'), 'not in the index');
    return loc.rawLength;
  }

  /** The data blobs of a chunked object in order, expanding tree blobs lazily. */
  async *pieces(ref: ObjectRef): AsyncGenerator<Piece> {
    if ('c' in ref) {
      for (const hex of ref.c) {
        const id = Buffer.from(hex, 'hex');
        yield { id, length: this.lengthOf(id) };
      }
    } else if ('i' in ref) {
      for await (const b of this.treeLeaves(Buffer.from(ref.i, 'hex'), ref.d ?? 1, false))
        yield { id: b.id, length: this.lengthOf(b.id) };
    }
  }

  /** The ids under a tree blob, depth-first; with `withTrees` the tree blobs too (before their children). */
  private async *treeLeaves(
    treeId: Buffer,
    depth: number,
    withTrees: boolean,
  ): AsyncGenerator<{ id: Buffer; type: BlobType }> {
    if (withTrees) yield { id: treeId, type: BLOB_TREE };
    for (const id of decodeTree(await this.readBlob(treeId, BLOB_TREE), treeId.toString('hex'))) {
      if (depth > 1) yield* this.treeLeaves(id, depth - 1, withTrees);
      else yield { id, type: BLOB_DATA };
    }
  }

  /** Every blob id an object depends on (data and tree), for check and prune. */
  async *blobIds(ref: ObjectRef): AsyncGenerator<{ id: Buffer; type: BlobType }> {
    if ('m' in ref) {
      for (const seg of ref.m) yield* this.blobIds('r' in seg ? seg.r : seg.b);
    } else if ('c' in ref) {
      for (const hex of ref.c) yield { id: Buffer.from(hex, 'hex'), type: BLOB_DATA };
    } else if ('i' in ref) {
      yield* this.treeLeaves(Buffer.from(ref.i, 'hex'), ref.d ?? 1, true);
    }
  }

  /**
   * The object's bytes from `start` to `end` (exclusive), streamed and verified: every blob
   * against its id, and the object against the size its reference states. See {@link checkRange}
   * for the range contract; a bad range throws at once, before anything is read.
   */
  stream(ref: ObjectRef, start = 0, end = ref.s): Readable {
    checkRange(ref.s, start, end);
    return Readable.from(this.bytes(ref, start, Math.min(end, ref.s)), {
      objectMode: false,
      highWaterMark: 1,
    });
  }

  private async *bytes(ref: ObjectRef, start: number, end: number): AsyncGenerator<Buffer> {
    if ('m' in ref) {
      yield* this.mimeBytes(ref, start, end);
      return;
    }
    if (end <= start && end < ref.s) return;
    // Which pieces, and which part of each, the range needs. Reading to the end walks every piece,
    // so the object's length is checked against its reference.
    let at = 0;
    const wanted: { piece: Piece; from: number; to: number }[] = [];
    for await (const piece of this.pieces(ref)) {
      const from = Math.max(start, at);
      const to = Math.min(end, at + piece.length);
      if (from < to) wanted.push({ piece, from: from - at, to: to - at });
      at += piece.length;
      if (at >= end && end < ref.s) break;
    }
    if (end === ref.s ? at !== ref.s : at < end)
      throw new IntegrityError(`object of ${ref.s} bytes: its blobs hold ${at} bytes`);
    const ahead: Promise<Buffer>[] = [];
    let next = 0;
    const fill = () => {
      while (ahead.length < READ_AHEAD && next < wanted.length) {
        const p = this.readBlob((wanted[next++] as (typeof wanted)[number]).piece.id);
        p.catch(() => undefined); // awaited below; a reader that stops early must not crash the process
        ahead.push(p);
      }
    };
    fill();
    for (const w of wanted) {
      const data = await (ahead.shift() as Promise<Buffer>);
      fill();
      yield w.from === 0 && w.to === data.length ? data : data.subarray(w.from, w.to);
    }
  }

  private async *mimeBytes(
    ref: Extract<ObjectRef, { m: unknown }>,
    start: number,
    end: number,
  ): AsyncGenerator<Buffer> {
    const sizes = ref.m.map((seg) =>
      'r' in seg ? seg.r.s : wrappedBase64Length(seg.b.s, seg.w, seg.e, seg.t),
    );
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== ref.s)
      throw new IntegrityError(`MIME object of ${ref.s} bytes: its segments make ${total} bytes`);
    let at = 0;
    for (const [i, seg] of ref.m.entries()) {
      const size = sizes[i] as number;
      const from = Math.max(start, at);
      const to = Math.min(end, at + size);
      if (from < to) {
        if ('r' in seg) yield* this.bytes(seg.r, from - at, to - at);
        else {
          // Base64 turns 3 bytes into 4 characters: skip the whole groups of the whole lines before
          // `from` without reading them. Only full groups are skipped, so the char after them is real
          // and preceded by exactly one line ending per full line.
          const line = Math.floor((from - at) / (seg.w + seg.e.length));
          const groups = Math.min(Math.floor((line * seg.w) / 4), Math.floor(seg.b.s / 3));
          const chars = groups * 4;
          const skipped = chars + Math.floor(chars / seg.w) * seg.e.length;
          yield* skipTake(
            wrapBase64(this.bytes(seg.b, groups * 3, seg.b.s), seg.w, seg.e, seg.t, chars % seg.w),
            from - at - skipped,
            to - from,
          );
        }
      }
      at += size;
      if (at >= end) return;
    }
  }
}

async function* skipTake(source: AsyncIterable<Buffer>, skip: number, take: number): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    if (take <= 0) return;
    let c = chunk;
    if (skip > 0) {
      if (c.length <= skip) {
        skip -= c.length;
        continue;
      }
      c = c.subarray(skip);
      skip = 0;
    }
    if (c.length > take) c = c.subarray(0, take);
    take -= c.length;
    yield c;
  }
}
