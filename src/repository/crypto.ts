import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  scrypt as scryptCb,
  type ScryptOptions,
} from 'node:crypto';
import { IntegrityError } from './errors.js';

/** The repository's master keys (see docs/repository-format.md, Keys). */
export interface MasterKeys {
  /** AES-256-GCM key for every encrypted unit. */
  encrypt: Buffer;
  /** HMAC-SHA-256 key for content ids. */
  contentId: Buffer;
}

const NONCE = 12;
const TAG = 16;
/** Bytes an encrypted unit adds to its plaintext. */
export const SEAL_OVERHEAD = NONCE + TAG;

export function newMasterKeys(): MasterKeys {
  return { encrypt: randomBytes(32), contentId: randomBytes(32) };
}

/** `nonce ‖ AES-256-GCM(plaintext, aad) ‖ tag`. */
export function seal(key: Buffer, plaintext: Uint8Array | Uint8Array[], aad: Uint8Array): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const parts = Array.isArray(plaintext) ? plaintext : [plaintext];
  const out = [nonce, ...parts.map((p) => cipher.update(p)), cipher.final(), cipher.getAuthTag()];
  return Buffer.concat(out);
}

/** Decrypts a sealed unit; any tampering or a wrong key raises IntegrityError. */
export function unseal(
  key: Buffer,
  sealed: Uint8Array,
  aad: Uint8Array,
  what = 'data',
  file?: string,
): Buffer {
  if (sealed.length < SEAL_OVERHEAD)
    throw new IntegrityError(`${what} is too short to be encrypted data (${sealed.length} bytes)`, file);
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(0, NONCE));
  decipher.setAAD(aad);
  decipher.setAuthTag(buf.subarray(buf.length - TAG));
  try {
    return Buffer.concat([decipher.update(buf.subarray(NONCE, buf.length - TAG)), decipher.final()]);
  } catch {
    throw new IntegrityError(
      `${what} failed authentication (corrupt, tampered with, or another repository's)`,
      file,
    );
  }
}

/** Keyed content id: HMAC-SHA-256 with the repository's content-id key. */
export function contentId(keys: MasterKeys, data: Uint8Array): Buffer {
  return createHmac('sha256', keys.contentId).update(data).digest();
}

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** 64 MiB of memory and a few hundred milliseconds: the default for new keys. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 65536, r: 8, p: 1 };

export function deriveKey(passphrase: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const opts: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.N * params.r + 16 * 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scryptCb(passphrase.normalize('NFC'), salt, 32, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}
