import { createHash } from 'node:crypto';
import { compress, decompress } from 'zstd-napi';
import { seal, unseal, type MasterKeys } from './crypto.js';
import { IntegrityError } from './errors.js';

const AAD = Buffer.from('safehold-index-v1');

/** One index file (see docs/repository-format.md, Index). Ids are hex. */
export interface IndexFile {
  version: 1;
  packs: {
    id: string;
    blobs: { id: string; type: number; offset: number; length: number; rawLength: number }[];
  }[];
  tombstones: { id: string; pack: string; at: string }[];
  revived: { id: string; pack: string; at: string }[];
  supersedes: string[];
}

export const emptyIndex = (): IndexFile => ({
  version: 1,
  packs: [],
  tombstones: [],
  revived: [],
  supersedes: [],
});

export function encodeIndex(keys: MasterKeys, index: IndexFile): { id: string; bytes: Buffer } {
  const bytes = seal(
    keys.encrypt,
    compress(Buffer.from(JSON.stringify(index)), { compressionLevel: 3 }),
    AAD,
  );
  return { id: createHash('sha256').update(bytes).digest('hex'), bytes };
}

export function decodeIndex(keys: MasterKeys, name: string, bytes: Buffer): IndexFile {
  const file = `index/${name}`;
  if (createHash('sha256').update(bytes).digest('hex') !== name)
    throw new IntegrityError(`index file ${name} does not match its name`, file);
  let json: IndexFile;
  try {
    json = JSON.parse(
      decompress(unseal(keys.encrypt, bytes, AAD, `index file ${name}`, file)).toString('utf8'),
    ) as IndexFile;
  } catch (e) {
    if (e instanceof IntegrityError) throw e;
    throw new IntegrityError(`index file ${name} is not valid`, file);
  }
  if (json.version !== 1 || !Array.isArray(json.packs))
    throw new IntegrityError(`index file ${name} has an unknown layout`, file);
  json.tombstones ??= [];
  json.revived ??= [];
  json.supersedes ??= [];
  return json;
}
