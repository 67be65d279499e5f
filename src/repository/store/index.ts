import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FolderStore } from './folder.js';
import type { FolderStoreOptions } from './folder.js';
import type { S3Credentials, S3StoreOptions } from './s3.js';
import { BlobStoreError } from './types.js';
import type { BlobStore } from './types.js';

export { BlobNotFoundError, BlobStoreError } from './types.js';
export type { BlobStore, StoredFile } from './types.js';
export { FolderStore } from './folder.js';
export type { FolderStoreOptions } from './folder.js';
// S3Store itself is imported from './s3.js' where needed: the AWS SDK costs ~15 MiB of memory and
// start-up time that folder repositories should not pay.
export type { S3Credentials, S3Store, S3StoreOptions } from './s3.js';
export { FaultyStore, faults } from './faulty.js';
export type { Fault, FaultHandle, FaultRule, FaultyCall, StoreOperation } from './faulty.js';
export {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isRetryableS3Error,
  isThrottlingError,
  withRetry,
} from './retry.js';
export type { RetryEvent, RetryPolicy } from './retry.js';

/** A parsed repository location. */
export type StoreLocation =
  | { kind: 'folder'; path: string }
  | {
      kind: 's3';
      bucket: string;
      prefix: string;
      endpoint?: string;
      region?: string;
      /** Only when the location says (`pathStyle=`); by default true with an endpoint, false without. */
      forcePathStyle?: boolean;
      /** PEM file of an extra trusted CA. */
      caFile?: string;
      checksums?: boolean;
    };

export interface OpenStoreOptions {
  /** S3 credentials; default AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN), then the AWS chain. */
  credentials?: S3Credentials;
  /** Where the AWS_* variables are read (default process.env). */
  env?: Record<string, string | undefined>;
  folder?: FolderStoreOptions;
  /** Overrides for the S3 store (part size, retry policy, …); the location's query wins over these. */
  s3?: Partial<Omit<S3StoreOptions, 'bucket' | 'prefix'>>;
}

const S3_PARAMETERS = new Set(['endpoint', 'region', 'pathStyle', 'ca', 'checksums']);

function invalid(message: string, location: string): BlobStoreError {
  return new BlobStoreError(message, location, 'EINVAL');
}

function parseBoolean(value: string, name: string, location: string): boolean {
  if (['true', '1', 'yes'].includes(value.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(value.toLowerCase())) return false;
  throw invalid(`${name}=${value}: expected true or false`, location);
}

/**
 * Parses a repository location:
 * - `s3://bucket[/prefix…][?endpoint=http://host:9000&region=eu-west-1&pathStyle=true&ca=/ca.pem&checksums=false]`
 *   (path style defaults to true when an endpoint is given, false for AWS; credentials never go in
 *   the location);
 * - `file:///srv/backup` or a plain path (`/srv/backup`, `./repo`), resolved against the working
 *   directory.
 */
export function parseStoreLocation(location: string): StoreLocation {
  if (typeof location !== 'string' || location.trim() === '') throw invalid('empty repository location', '');
  if (/^s3:/i.test(location)) {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw invalid('not a valid s3:// URL', location);
    }
    if (url.username !== '' || url.password !== '') {
      // Do not echo the location: it holds a secret.
      throw invalid(
        'credentials do not belong in the location; use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
        's3://',
      );
    }
    const bucket = decodeURIComponent(url.host);
    if (bucket === '' || url.port !== '') throw invalid('expected s3://bucket/prefix', location);
    const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
    for (const key of url.searchParams.keys()) {
      if (!S3_PARAMETERS.has(key)) {
        throw invalid(`unknown parameter ${key} (known: ${[...S3_PARAMETERS].join(', ')})`, location);
      }
    }
    const query = url.searchParams;
    const endpoint = query.get('endpoint') ?? undefined;
    if (endpoint !== undefined && !/^https?:\/\/[^/]/i.test(endpoint)) {
      throw invalid(`endpoint=${endpoint}: expected an http:// or https:// URL`, location);
    }
    const pathStyle = query.get('pathStyle');
    const checksums = query.get('checksums');
    const region = query.get('region') ?? undefined;
    const caFile = query.get('ca') ?? undefined;
    return {
      kind: 's3',
      bucket,
      prefix,
      ...(pathStyle === null ? {} : { forcePathStyle: parseBoolean(pathStyle, 'pathStyle', location) }),
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(region === undefined ? {} : { region }),
      ...(caFile === undefined ? {} : { caFile }),
      ...(checksums === null ? {} : { checksums: parseBoolean(checksums, 'checksums', location) }),
    };
  }
  if (/^file:/i.test(location)) {
    try {
      return { kind: 'folder', path: fileURLToPath(location) };
    } catch (err) {
      throw invalid(`not a valid file: URL (${err instanceof Error ? err.message : String(err)})`, location);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw invalid('unsupported location; use a folder path, file:///path or s3://bucket/prefix', location);
  }
  return { kind: 'folder', path: path.resolve(location) };
}

/** Opens the blob store a location names (see {@link parseStoreLocation}). Nothing is contacted yet. */
export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<BlobStore> {
  const parsed = parseStoreLocation(location);
  if (parsed.kind === 'folder') return new FolderStore(parsed.path, options.folder);
  const env = options.env ?? process.env;
  let credentials = options.credentials ?? options.s3?.credentials;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (credentials === undefined && accessKeyId && secretAccessKey) {
    const sessionToken = env.AWS_SESSION_TOKEN;
    credentials = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }
  let ca = options.s3?.ca;
  if (parsed.caFile !== undefined) {
    try {
      ca = await readFile(parsed.caFile);
    } catch (err) {
      throw new BlobStoreError(
        `cannot read the CA file ${parsed.caFile}: ${err instanceof Error ? err.message : String(err)}`,
        `s3://${parsed.bucket}`,
        'EINVAL',
        err,
      );
    }
  }
  const region = parsed.region ?? options.s3?.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const { S3Store } = await import('./s3.js');
  return new S3Store({
    ...options.s3,
    bucket: parsed.bucket,
    prefix: parsed.prefix,
    forcePathStyle:
      parsed.forcePathStyle ??
      options.s3?.forcePathStyle ??
      (parsed.endpoint ?? options.s3?.endpoint) !== undefined,
    ...(parsed.endpoint === undefined ? {} : { endpoint: parsed.endpoint }),
    ...(region === undefined ? {} : { region }),
    ...(credentials === undefined ? {} : { credentials }),
    ...(ca === undefined ? {} : { ca }),
    ...(parsed.checksums === undefined ? {} : { checksums: parsed.checksums }),
  });
}
