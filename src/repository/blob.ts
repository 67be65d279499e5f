import { compress, decompress } from 'zstd-napi';
import { contentId, seal, unseal, type MasterKeys } from './crypto.js';
import { IntegrityError } from './errors.js';

export const BLOB_DATA = 0;
export const BLOB_TREE = 1;
export type BlobType = typeof BLOB_DATA | typeof BLOB_TREE;

const RAW = 0;
const ZSTD = 1;
const ZSTD_LEVEL = 3;

function aad(type: BlobType, id: Buffer): Buffer {
  return Buffer.concat([Buffer.of(type), id]);
}

/** A blob ready for a pack: its id and its stored (compressed, encrypted) form. */
export interface SealedBlob {
  type: BlobType;
  id: Buffer;
  sealed: Buffer;
  rawLength: number;
}

/** Bytes per probe window; three windows (start, middle, end) of a large blob are probed. */
const PROBE_WINDOW = 32 * 1024;

/** Whether at least 1/32 is saved, the threshold for storing compressed. */
function pays(compressed: number, plain: number): boolean {
  return compressed <= plain - (plain >> 5);
}

/**
 * For a large blob, a fast compression of three samples first: most large blobs in a Microsoft
 * 365 backup (JPEG, ZIP-based Office files, PDF streams, video) are already compressed, and
 * compressing them whole only to store them raw is most of a backup's CPU time.
 */
function worthCompressing(plaintext: Buffer): boolean {
  if (plaintext.length < 8 * PROBE_WINDOW) return true;
  const middle = (plaintext.length - PROBE_WINDOW) >> 1;
  const sample = Buffer.concat([
    plaintext.subarray(0, PROBE_WINDOW),
    plaintext.subarray(middle, middle + PROBE_WINDOW),
    plaintext.subarray(plaintext.length - PROBE_WINDOW),
  ]);
  return pays(compress(sample, { compressionLevel: 1 }).length, sample.length);
}

/** Compresses when it pays (saves ≥ 1/32) and encrypts with the id bound as associated data. */
export function sealBlob(
  keys: MasterKeys,
  type: BlobType,
  plaintext: Buffer,
  id: Buffer = contentId(keys, plaintext),
): SealedBlob {
  let flag = RAW;
  let payload: Buffer = plaintext;
  if (plaintext.length >= 64 && worthCompressing(plaintext)) {
    const z = compress(plaintext, { compressionLevel: ZSTD_LEVEL });
    if (pays(z.length, plaintext.length)) {
      flag = ZSTD;
      payload = z;
    }
  }
  return {
    type,
    id,
    sealed: seal(keys.encrypt, [Buffer.of(flag), payload], aad(type, id)),
    rawLength: plaintext.length,
  };
}

/** Decrypts, decompresses and verifies a stored blob against its id. */
export function openBlob(
  keys: MasterKeys,
  type: BlobType,
  id: Buffer,
  sealed: Uint8Array,
  rawLength: number,
  file?: string,
): Buffer {
  const body = unseal(keys.encrypt, sealed, aad(type, id), `blob ${id.toString('hex')}`, file);
  const flag = body[0];
  let plaintext: Buffer;
  if (flag === RAW) plaintext = body.subarray(1);
  else if (flag === ZSTD) {
    try {
      plaintext = decompress(body.subarray(1));
    } catch {
      throw new IntegrityError(`blob ${id.toString('hex')}: compressed data is corrupt`, file);
    }
  } else throw new IntegrityError(`blob ${id.toString('hex')}: unknown storage flag ${String(flag)}`, file);
  if (plaintext.length !== rawLength)
    throw new IntegrityError(
      `blob ${id.toString('hex')}: ${plaintext.length} bytes, the index says ${rawLength}`,
      file,
    );
  if (!contentId(keys, plaintext).equals(id))
    throw new IntegrityError(`blob ${id.toString('hex')}: content does not match its id`, file);
  return plaintext;
}
