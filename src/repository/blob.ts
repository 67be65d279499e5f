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

/** Compresses when it pays (saves ≥ 1/32) and encrypts with the id bound as associated data. */
export function sealBlob(
  keys: MasterKeys,
  type: BlobType,
  plaintext: Buffer,
  id: Buffer = contentId(keys, plaintext),
): SealedBlob {
  let flag = RAW;
  let payload: Buffer = plaintext;
  if (plaintext.length >= 64) {
    const z = compress(plaintext, { compressionLevel: ZSTD_LEVEL });
    if (z.length <= plaintext.length - (plaintext.length >> 5)) {
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
