import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DEFAULT_SCRYPT, deriveKey, seal, unseal, type MasterKeys, type ScryptParams } from './crypto.js';
import { IntegrityError, RepositoryError } from './errors.js';

const KEY_AAD = Buffer.from('safehold-key-v1');

/** `keys/<keyId>` as stored (see docs/repository-format.md, Keys). */
export interface KeyFile {
  version: 1;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  created: string;
  name: string;
  host: string;
  data: string;
}

/** Rejects scrypt parameters Node would refuse or that would make a key unusable elsewhere. */
export function checkScryptParams(params: ScryptParams): void {
  const { N, r, p } = params;
  if (!Number.isSafeInteger(N) || N < 2 || (N & (N - 1)) !== 0 || N > 2 ** 24)
    throw new RangeError(`scrypt N must be a power of two between 2 and 2^24, got ${String(N)}`);
  if (!Number.isSafeInteger(r) || r < 1 || r > 64)
    throw new RangeError(`scrypt r must be an integer from 1 to 64, got ${String(r)}`);
  if (!Number.isSafeInteger(p) || p < 1 || p > 16)
    throw new RangeError(`scrypt p must be an integer from 1 to 16, got ${String(p)}`);
}

/** Parses `keys/<keyId>`; anything that is not a version-1 key file is a RepositoryError naming it. */
export function parseKeyFile(raw: Buffer, name: string): KeyFile {
  let k: KeyFile;
  try {
    k = JSON.parse(raw.toString('utf8')) as KeyFile;
  } catch {
    throw new RepositoryError(`key file ${name} is not JSON`);
  }
  if (
    k?.version !== 1 ||
    k.kdf?.name !== 'scrypt' ||
    typeof k.kdf.salt !== 'string' ||
    typeof k.data !== 'string'
  )
    throw new RepositoryError(`key file ${name} is not a version 1 scrypt key file`);
  checkScryptParams(k.kdf);
  return k;
}

/** Wraps the master keys with a passphrase. */
export async function wrapKeys(
  keys: MasterKeys,
  passphrase: string,
  name: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<KeyFile> {
  if (passphrase.length === 0) throw new RepositoryError('the passphrase must not be empty');
  checkScryptParams(params);
  const salt = randomBytes(32);
  const kek = await deriveKey(passphrase, salt, params);
  const plaintext = Buffer.from(
    JSON.stringify({
      encrypt: keys.encrypt.toString('base64'),
      contentId: keys.contentId.toString('base64'),
    }),
  );
  return {
    version: 1,
    kdf: { name: 'scrypt', N: params.N, r: params.r, p: params.p, salt: salt.toString('base64') },
    created: new Date().toISOString(),
    name,
    host: hostname(),
    data: seal(kek, plaintext, KEY_AAD).toString('base64'),
  };
}

/** The master keys, or undefined when the passphrase is not this key file's. */
export async function unwrapKeys(file: KeyFile, passphrase: string): Promise<MasterKeys | undefined> {
  if (file.version !== 1 || file.kdf?.name !== 'scrypt')
    throw new RepositoryError(`unsupported key file (version ${file.version}, kdf ${file.kdf?.name})`);
  const kek = await deriveKey(passphrase, Buffer.from(file.kdf.salt, 'base64'), file.kdf);
  let plaintext: Buffer;
  try {
    plaintext = unseal(kek, Buffer.from(file.data, 'base64'), KEY_AAD, 'key file');
  } catch (e) {
    if (e instanceof IntegrityError) return undefined;
    throw e;
  }
  const k = JSON.parse(plaintext.toString('utf8')) as { encrypt: string; contentId: string };
  return { encrypt: Buffer.from(k.encrypt, 'base64'), contentId: Buffer.from(k.contentId, 'base64') };
}
