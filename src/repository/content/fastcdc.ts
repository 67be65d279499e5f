import { createHash } from 'node:crypto';
import { DEFAULT_CHUNKER } from './types.js';
import type { ChunkerParams } from './types.js';

/**
 * FastCDC content-defined chunking ("fastcdc-2020" in a repository's config): the gear hash,
 * cut-point skipping below `minSize`, normalized chunking with two masks, and the 2020 paper's
 * rolling of two bytes per step (Xia et al., USENIX ATC 2016; IEEE TPDS 2020).
 *
 * Boundaries are permanent for a repository, so the exact definition matters. For a chunk that
 * starts at byte 0 of the remaining input, with `n = min(remaining, maxSize)`:
 *
 *     h = 0
 *     for i in minSize … n-1:                       (bytes below minSize are not hashed)
 *       h = (h << 1) + GEAR[data[i]]   mod 2^32
 *       mask = i < avgSize ? maskS : maskL
 *       if (h & mask) == 0: the chunk is data[0 … i] (length i + 1)
 *     otherwise the chunk is data[0 … n-1]
 *
 * With `bits = log2(avgSize)` and `nc = normalization`, maskS has `bits + nc` one-bits and maskL
 * `bits - nc`, always the highest bits below bit 31 (`mask = (2^k - 1) << (31 - k)`): the high
 * bits of the gear hash depend on the most bytes (bit b depends on the last b + 1 bytes), and
 * leaving bit 31 clear makes the two-bytes-per-step loop below exactly equivalent to the
 * definition above. A chunk is never shorter than `minSize` (except the last one of an input) nor
 * longer than `maxSize`.
 *
 * The gear table is 256 uint32 values derived from GEAR_SEED_LABEL: the little-endian uint32s of
 * `SHA-256(label ‖ uint32be(0)) ‖ SHA-256(label ‖ uint32be(1)) ‖ … ‖ SHA-256(label ‖ uint32be(31))`.
 * Its SHA-256 is frozen in the tests.
 */

/** The ASCII label the gear table is derived from. Changing it moves every chunk boundary. */
export const GEAR_SEED_LABEL = 'safehold/fastcdc-2020/gear/v1';

function deriveGearTable(): Int32Array {
  const bytes = Buffer.alloc(1024);
  const label = Buffer.from(GEAR_SEED_LABEL, 'ascii');
  const counter = Buffer.alloc(4);
  for (let block = 0; block < 32; block++) {
    counter.writeUInt32BE(block, 0);
    createHash('sha256')
      .update(label)
      .update(counter)
      .digest()
      .copy(bytes, block * 32);
  }
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i++) table[i] = bytes.readInt32LE(i * 4);
  return table;
}

/** GEAR[b] as int32 (same bits as the uint32 of the definition). */
const GEAR = deriveGearTable();
/** GEAR[b] << 1: the first byte of a two-byte step is added pre-shifted. */
const GEAR_LS = GEAR.map((g) => g << 1);

/** A copy of the gear table as unsigned 32-bit values. */
export function gearTable(): Uint32Array {
  return new Uint32Array(GEAR.buffer.slice(0));
}

/** Chunker parameters validated and turned into the masks the scanner uses. */
export interface PreparedChunker {
  readonly minSize: number;
  readonly avgSize: number;
  readonly maxSize: number;
  /** Mask for bytes at chunk offsets below avgSize (more one-bits: cuts are rarer). */
  readonly maskS: number;
  /** Mask for bytes at chunk offsets from avgSize on (fewer one-bits: cuts are likelier). */
  readonly maskL: number;
  /** maskS << 1 and maskL << 1 as int32, for the pre-shifted first byte of a two-byte step. */
  readonly maskSls: number;
  readonly maskLls: number;
}

/** Largest supported maxSize: blob lengths are uint32 in pack headers; stay well inside. */
export const MAX_CHUNK_SIZE_LIMIT = 1 << 30;

/** The mask with `ones` one-bits just below bit 31. */
export function highMask(ones: number): number {
  return (2 ** ones - 1) * 2 ** (31 - ones);
}

/** Validates `params` and computes the masks; throws RangeError on parameters it cannot honour. */
export function prepareChunker(params: ChunkerParams): PreparedChunker {
  const { minSize, avgSize, maxSize, normalization } = params;
  for (const [name, value] of Object.entries({ minSize, avgSize, maxSize, normalization })) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`chunker ${name} must be a non-negative integer, got ${String(value)}`);
    }
  }
  if (avgSize < 2 || (avgSize & (avgSize - 1)) !== 0 || avgSize > MAX_CHUNK_SIZE_LIMIT) {
    throw new RangeError(`chunker avgSize must be a power of two between 2 and 2^30, got ${avgSize}`);
  }
  if (!(minSize <= avgSize && avgSize <= maxSize && maxSize <= MAX_CHUNK_SIZE_LIMIT)) {
    throw new RangeError(
      `chunker sizes must satisfy minSize <= avgSize <= maxSize <= 2^30, got ${minSize}/${avgSize}/${maxSize}`,
    );
  }
  const bits = Math.log2(avgSize);
  if (bits - normalization < 1 || bits + normalization > 31) {
    throw new RangeError(
      `chunker normalization ${normalization} out of range for avgSize 2^${bits} (needs 1 <= ${bits} ± level <= 31)`,
    );
  }
  const maskS = highMask(bits + normalization);
  const maskL = highMask(bits - normalization);
  return { minSize, avgSize, maxSize, maskS, maskL, maskSls: maskS << 1, maskLls: maskL << 1 };
}

/** Where a chunk in progress stands: bytes of it already scanned, and the gear hash so far. */
export interface ScanState {
  offset: number;
  hash: number;
}

/** Hash after a gearRun that found no boundary (avoids allocating a result per call). */
let runHash = 0;

/**
 * Rolls the gear hash over data[from, to), two bytes per step, testing `mask`. Returns the index
 * of the byte after which the hash matched, or -1 (the hash is then left in runHash).
 * `maskLs` is `mask << 1`, for the pre-shifted first byte of each step.
 */
function gearRun(
  data: Uint8Array,
  from: number,
  to: number,
  hash: number,
  mask: number,
  maskLs: number,
): number {
  let h = hash | 0;
  let j = from;
  const last = to - 1;
  while (j < last) {
    // ((h << 1) + G[a]) << 1, i.e. the one-byte hash after data[j], shifted left once.
    h = ((h << 2) + (GEAR_LS[data[j] as number] as number)) | 0;
    if ((h & maskLs) === 0) return j;
    h = (h + (GEAR[data[j + 1] as number] as number)) | 0;
    if ((h & mask) === 0) return j + 1;
    j += 2;
  }
  if (j < to) {
    h = ((h << 1) + (GEAR[data[j] as number] as number)) | 0;
    if ((h & mask) === 0) return j;
  }
  runHash = h;
  return -1;
}

/**
 * Continues the chunk described by `state` over data[from, to). Returns the index just past the
 * chunk's last byte when the chunk ends inside that range (and resets `state` for the next
 * chunk), or -1 when the range is exhausted first (and `state` then describes the chunk so far).
 * Reaching `maxSize` ends a chunk; the end of the input is the caller's business.
 */
export function scan(
  data: Uint8Array,
  from: number,
  to: number,
  c: PreparedChunker,
  state: ScanState,
): number {
  let i = state.offset;
  let j = from;
  let h = state.hash;
  if (i < c.minSize) {
    // Cut-point skipping: nothing below minSize can be a boundary, so it is not even hashed.
    const skip = Math.min(c.minSize - i, to - j);
    i += skip;
    j += skip;
    if (i < c.minSize) {
      state.offset = i;
      return -1;
    }
  }
  if (i < c.avgSize) {
    const end = Math.min(to, j + (c.avgSize - i));
    const r = gearRun(data, j, end, h, c.maskS, c.maskSls);
    if (r >= 0) {
      state.offset = 0;
      state.hash = 0;
      return r + 1;
    }
    h = runHash;
    i += end - j;
    j = end;
  }
  if (i >= c.avgSize && i < c.maxSize) {
    const end = Math.min(to, j + (c.maxSize - i));
    const r = gearRun(data, j, end, h, c.maskL, c.maskLls);
    if (r >= 0) {
      state.offset = 0;
      state.hash = 0;
      return r + 1;
    }
    h = runHash;
    i += end - j;
    j = end;
  }
  if (i >= c.maxSize) {
    state.offset = 0;
    state.hash = 0;
    return j;
  }
  state.offset = i;
  state.hash = h;
  return -1;
}

/**
 * The end (exclusive) of the chunk that starts at `start`, treating `end` as the end of the input:
 * a pure function of data[start, end) and the parameters.
 */
export function cut(data: Uint8Array, start: number, chunker: PreparedChunker, end = data.length): number {
  if (start >= end) return end;
  const p = scan(data, start, end, chunker, { offset: 0, hash: 0 });
  return p < 0 ? end : p;
}

function asBuffer(data: Uint8Array, start: number, end: number): Buffer {
  return Buffer.from(data.buffer, data.byteOffset + start, end - start);
}

/**
 * Cuts a whole in-memory input into chunks. The chunks are views of `buf` (no copy). Empty input
 * gives no chunks.
 */
export function chunkBuffer(buf: Uint8Array, params: ChunkerParams = DEFAULT_CHUNKER): Buffer[] {
  const c = prepareChunker(params);
  const chunks: Buffer[] = [];
  let start = 0;
  while (start < buf.length) {
    const end = cut(buf, start, c);
    chunks.push(asBuffer(buf, start, end));
    start = end;
  }
  return chunks;
}

/**
 * Cuts a stream into chunks, exactly as chunkBuffer would cut the concatenation of its pieces.
 * Memory stays bounded: besides the piece being read, only the unfinished chunk is held (less
 * than maxSize bytes, copied out of pieces larger than maxSize so they are not kept alive). A
 * chunk that lies inside one piece is yielded as a view of it; one that spans pieces is copied
 * together once. Pieces must be bytes (Buffer or Uint8Array), not strings.
 */
export async function* chunkStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  params: ChunkerParams = DEFAULT_CHUNKER,
): AsyncGenerator<Buffer, void, undefined> {
  const c = prepareChunker(params);
  const state: ScanState = { offset: 0, hash: 0 };
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  for await (const piece of source) {
    if (!(piece instanceof Uint8Array)) {
      throw new TypeError(`chunkStream needs byte pieces, got ${typeof piece}`);
    }
    let pos = 0;
    while (pos < piece.length) {
      const end = scan(piece, pos, piece.length, c, state);
      if (end < 0) {
        const tail = piece.length > c.maxSize ? Buffer.from(piece.subarray(pos)) : piece.subarray(pos);
        held.push(tail);
        heldBytes += tail.length;
        break;
      }
      if (heldBytes === 0) {
        yield asBuffer(piece, pos, end);
      } else {
        held.push(piece.subarray(pos, end));
        const chunk = Buffer.concat(held, heldBytes + end - pos);
        held = [];
        heldBytes = 0;
        yield chunk;
      }
      pos = end;
    }
  }
  if (heldBytes > 0) {
    const only = held.length === 1 ? held[0] : undefined;
    yield only ? asBuffer(only, 0, only.length) : Buffer.concat(held, heldBytes);
  }
}
