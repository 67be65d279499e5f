import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { S3Client } from '@aws-sdk/client-s3';
import type { RetryPolicy } from './retry.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix under which the repository lives (`backups/site1`); '' or absent for the bucket root. */
  prefix?: string;
  /** S3-compatible endpoint, e.g. `http://localhost:9000`; absent for AWS. */
  endpoint?: string;
  /** Default: AWS_REGION, AWS_DEFAULT_REGION, then us-east-1 (with region redirects followed). */
  region?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible servers need. Default false. */
  forcePathStyle?: boolean;
  /** Default: the AWS SDK's credential chain (environment, shared config, SSO, instance role, …). */
  credentials?: S3Credentials;
  /** PEM certificate(s) trusted for HTTPS in addition to Node's bundled roots (a private CA). */
  ca?: string | Buffer | (string | Buffer)[];
  /** Multipart part size in bytes (default 16 MiB, at least 5 MiB); also the single-PUT limit. */
  partSize?: number;
  /**
   * Parts uploaded at once per put (default 2). A streamed put holds at most this many part-sized
   * buffers at once, and at least two (it reads two parts before it starts a multipart upload); a
   * Buffer put holds no copies.
   */
  uploadConcurrency?: number;
  /** Retry policy for every request (merged over {@link DEFAULT_RETRY_POLICY}). */
  retry?: Partial<RetryPolicy>;
  /**
   * `true` (default): the SDK's flexible checksums (CRC32 on uploads, validated on downloads).
   * `false`: only where the API requires them, for S3-compatible servers that reject them.
   */
  checksums?: boolean;
  /** Sockets per protocol (default 50). */
  maxSockets?: number;
  /** Connect timeout in ms (default 10 000); idle socket timeout in ms (default 120 000). */
  connectTimeoutMs?: number;
  socketTimeoutMs?: number;
  /**
   * A ready client to use instead of building one (tests, exotic set-ups). The store does not
   * destroy it on close. Give it `maxAttempts: 1`: the store retries by itself.
   */
  client?: S3Client;
}

const MiB = 1 << 20;
export const DEFAULT_PART_SIZE = 16 * MiB;
export const MIN_PART_SIZE = 5 * MiB;

/**
 * The SDK client for a store: the SDK's own retries off (the store retries, so the two never
 * multiply), keep-alive agents, an extra CA if given, flexible checksums unless switched off.
 * Without credentials the SDK's default chain finds them.
 */
export function buildS3Client(options: S3StoreOptions, checksums: boolean): S3Client {
  const maxSockets = options.maxSockets ?? 50;
  const extraCa = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const checksumMode = checksums ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED';
  return new S3Client({
    region: region ?? 'us-east-1',
    followRegionRedirects: region === undefined && options.endpoint === undefined,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: 1,
    requestChecksumCalculation: checksumMode,
    responseChecksumValidation: checksumMode,
    requestHandler: {
      connectionTimeout: options.connectTimeoutMs ?? 10_000,
      socketTimeout: options.socketTimeoutMs ?? 120_000,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets }),
      httpsAgent: new https.Agent({
        keepAlive: true,
        maxSockets,
        ...(extraCa.length === 0 ? {} : { ca: [...rootCertificates, ...extraCa] }),
      }),
    },
  });
}
