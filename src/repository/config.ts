import { randomBytes } from 'node:crypto';
import { prepareChunker } from './content/fastcdc.js';
import { DEFAULT_CHUNKER, type ChunkerParams } from './content/types.js';
import { NotARepositoryError } from './errors.js';

/** `config` as stored (see docs/repository-format.md). */
export interface RepoConfig {
  version: 1;
  id: string;
  created: string;
  chunker: { algorithm: 'fastcdc-2020' } & ChunkerParams;
  contentId: 'hmac-sha256';
  compression: 'zstd';
  encryption: 'aes-256-gcm';
  packSize: { target: number; max: number };
  kdf: 'scrypt';
}

/** Pack offsets and lengths are uint32: a pack must stay below 4 GiB. */
const PACK_LIMIT = 2 ** 32 - 1;
/** Room for one blob's encryption and flag bytes, the pack header entries and trailer. */
const PACK_SLACK = 1024 * 1024;

/** Validates chunker and pack sizes before they become permanent; throws RangeError. */
function checkParams(chunker: ChunkerParams, packSize: { target: number; max: number }): void {
  prepareChunker(chunker);
  const { target, max } = packSize;
  if (!Number.isSafeInteger(target) || target < 1)
    throw new RangeError(`pack target size must be a positive integer, got ${String(target)}`);
  // A pack closes once it reaches the target, so it may exceed it by up to one chunk.
  if (!Number.isSafeInteger(max) || max < target + chunker.maxSize + PACK_SLACK || max > PACK_LIMIT)
    throw new RangeError(
      `pack sizes target ${target} / max ${String(max)} do not fit chunks of up to ${chunker.maxSize} bytes in packs below 4 GiB`,
    );
}

export function newConfig(overrides: { chunker?: ChunkerParams; packTarget?: number } = {}): RepoConfig {
  // restic's size: big enough for few files and requests, small enough to keep memory low.
  const target = overrides.packTarget ?? 16 * 1024 * 1024;
  const chunker = overrides.chunker ?? DEFAULT_CHUNKER;
  const packSize = {
    target,
    max: Math.max(target * 2, target + chunker.maxSize + PACK_SLACK, 64 * 1024 * 1024),
  };
  checkParams(chunker, packSize);
  return {
    version: 1,
    id: randomBytes(32).toString('hex'),
    created: new Date().toISOString(),
    chunker: {
      algorithm: 'fastcdc-2020',
      minSize: chunker.minSize,
      avgSize: chunker.avgSize,
      maxSize: chunker.maxSize,
      normalization: chunker.normalization,
    },
    contentId: 'hmac-sha256',
    compression: 'zstd',
    encryption: 'aes-256-gcm',
    packSize,
    kdf: 'scrypt',
  };
}

export function parseConfig(raw: Buffer, location: string): RepoConfig {
  let c: RepoConfig;
  try {
    c = JSON.parse(raw.toString('utf8')) as RepoConfig;
  } catch {
    throw new NotARepositoryError(`${location}: config is not JSON — not a Safehold repository`);
  }
  if (!c || typeof c !== 'object')
    throw new NotARepositoryError(`${location}: config is not an object — not a Safehold repository`);
  if (c.version !== 1)
    throw new NotARepositoryError(
      `${location}: repository version ${String(c.version)} is not supported by this Safehold`,
    );
  if (
    c.chunker?.algorithm !== 'fastcdc-2020' ||
    c.contentId !== 'hmac-sha256' ||
    c.compression !== 'zstd' ||
    c.encryption !== 'aes-256-gcm'
  ) {
    throw new NotARepositoryError(`${location}: unknown algorithms in config`);
  }
  try {
    checkParams(c.chunker, c.packSize ?? { target: NaN, max: NaN });
  } catch (e) {
    throw new NotARepositoryError(`${location}: invalid config: ${(e as Error).message}`);
  }
  return c;
}
