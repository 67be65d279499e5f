import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import type { GetObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { checkName, checkPrefix, checkRange } from './names.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, errorCodeOf, httpStatusOf, withRetry } from './retry.js';
import type { RetryPolicy } from './retry.js';
import { buildS3Client, DEFAULT_PART_SIZE, MIN_PART_SIZE } from './s3-client.js';
import type { S3StoreOptions } from './s3-client.js';
import { uploadObject } from './s3-upload.js';
import type { UploadContext } from './s3-upload.js';
import { BlobNotFoundError, BlobStoreError } from './types.js';
import type { BlobStore, StoredFile } from './types.js';
import { messageOf, SourceFailure, toBuffer } from './util.js';

export { DEFAULT_PART_SIZE } from './s3-client.js';
export type { S3Credentials, S3StoreOptions } from './s3-client.js';

interface OpenBody {
  body: Readable;
  etag: string | undefined;
  length: number | undefined;
}

function isNotFound(err: unknown): boolean {
  const code = errorCodeOf(err);
  return httpStatusOf(err) === 404 || code === 'NoSuchKey' || code === 'NotFound';
}

/**
 * A blob store in an S3 bucket (AWS or S3-compatible), under a key prefix: file `index/ab` of a
 * store with prefix `backups/site1` is key `backups/site1/index/ab`.
 *
 * - `put` of a Buffer up to the part size, or of a stream that ends within one part, is one
 *   PutObject; anything larger is a multipart upload of `partSize` parts, `uploadConcurrency` at a
 *   time, aborted if anything fails (the source stream included). Either way the object appears
 *   whole or not at all.
 * - `get`/`stream` are ranged GetObjects; a download cut mid-body resumes from where it stopped,
 *   pinned to the first answer's ETag so a replaced object is never spliced into the old one.
 * - Every request is retried by {@link withRetry}: 5xx, throttling (SlowDown, 429, …), RequestTimeout
 *   and network errors, with exponential backoff and full jitter; other 4xx fail at once. The SDK's
 *   own retries are switched off so the two never multiply.
 * - Errors become {@link BlobStoreError} with the S3 code (AccessDenied, NoSuchBucket, SlowDown) or
 *   the network code (ECONNREFUSED); a missing file becomes {@link BlobNotFoundError}.
 */
export class S3Store implements BlobStore {
  readonly location: string;
  readonly bucket: string;
  /** '' or the prefix followed by `/`. */
  readonly keyPrefix: string;
  readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly retry: RetryPolicy;
  /** What puts need: the client, part size, concurrency, checksums, retries. */
  private readonly uploads: UploadContext;

  constructor(options: S3StoreOptions) {
    if (typeof options.bucket !== 'string' || options.bucket === '' || options.bucket.includes('/')) {
      throw new BlobStoreError(`invalid bucket name ${JSON.stringify(options.bucket)}`, 's3://', 'EINVAL');
    }
    this.bucket = options.bucket;
    const prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (prefix !== '') checkName(prefix, `s3://${this.bucket}`);
    this.keyPrefix = prefix === '' ? '' : `${prefix}/`;
    this.location = `s3://${this.bucket}${prefix === '' ? '' : `/${prefix}`}`;
    const partSize = options.partSize ?? DEFAULT_PART_SIZE;
    if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE) {
      throw new RangeError(`partSize must be an integer of at least ${MIN_PART_SIZE} bytes`);
    }
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const checksums = options.checksums ?? true;
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? buildS3Client(options, checksums);
    this.uploads = {
      client: this.client,
      bucket: this.bucket,
      location: this.location,
      partSize,
      concurrency: Math.max(1, Math.floor(options.uploadConcurrency ?? 2)),
      checksums,
      call: (operation, send) => this.call(operation, send),
      sizeOf: async (name) => (await this.stat(name))?.size,
    };
  }

  /** The object key of a file name (validated). */
  keyOf(name: string): string {
    checkName(name, this.location);
    return this.keyPrefix + name;
  }

  async put(name: string, data: Buffer | Readable, size?: number): Promise<void> {
    const key = this.keyOf(name);
    if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) {
      throw new RangeError(`invalid size ${String(size)}`);
    }
    try {
      await uploadObject(this.uploads, name, key, data, size);
    } catch (err) {
      if (!Buffer.isBuffer(data)) data.destroy();
      if (err instanceof SourceFailure) throw err.error;
      throw this.failure(err, `cannot write ${name}`);
    }
  }

  async get(name: string, offset?: number, length?: number): Promise<Buffer> {
    const start = checkRange(offset, length);
    const key = this.keyOf(name);
    if (length === 0) return this.emptyRead(name);
    const opened = await this.openRead(name, key, start, length === undefined ? undefined : start + length);
    if (opened === undefined) return Buffer.alloc(0);
    const expected = opened.length;
    const chunks: Buffer[] = [];
    let buffer = expected === undefined ? undefined : Buffer.allocUnsafe(expected);
    let filled = 0;
    for await (const chunk of this.readFrom(name, key, start, length, opened)) {
      if (buffer !== undefined && filled + chunk.length <= buffer.length) {
        chunk.copy(buffer, filled);
      } else {
        if (buffer !== undefined) chunks.push(buffer.subarray(0, filled));
        buffer = undefined;
        chunks.push(chunk);
      }
      filled += chunk.length;
    }
    if (buffer !== undefined) return filled === buffer.length ? buffer : buffer.subarray(0, filled);
    return Buffer.concat(chunks, filled);
  }

  async stream(name: string, offset?: number, length?: number): Promise<Readable> {
    const start = checkRange(offset, length);
    const key = this.keyOf(name);
    if (length === 0) {
      await this.emptyRead(name);
      return Readable.from([]);
    }
    const opened = await this.openRead(name, key, start, length === undefined ? undefined : start + length);
    if (opened === undefined) return Readable.from([]);
    return Readable.from(this.readFrom(name, key, start, length, opened), { objectMode: false });
  }

  async stat(name: string): Promise<StoredFile | undefined> {
    const key = this.keyOf(name);
    try {
      const head = await this.call(`HeadObject ${name}`, () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })),
      );
      return {
        name,
        size: head.ContentLength ?? 0,
        ...(head.LastModified === undefined ? {} : { modified: head.LastModified }),
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.failure(err, `cannot stat ${name}`);
    }
  }

  async *list(prefix: string): AsyncGenerator<StoredFile> {
    checkPrefix(prefix, this.location);
    let token: string | undefined;
    do {
      const continuation = token;
      let page;
      try {
        page = await this.call(`ListObjectsV2 ${prefix}`, () =>
          this.client.send(
            new ListObjectsV2Command({
              Bucket: this.bucket,
              Prefix: this.keyPrefix + prefix,
              ...(continuation === undefined ? {} : { ContinuationToken: continuation }),
            }),
          ),
        );
      } catch (err) {
        throw this.failure(err, `cannot list ${prefix}`);
      }
      for (const object of page.Contents ?? []) {
        const key = object.Key;
        // Keys ending in `/` are "folder" markers some tools create; they are not files.
        if (key === undefined || !key.startsWith(this.keyPrefix) || key.endsWith('/')) continue;
        yield {
          name: key.slice(this.keyPrefix.length),
          size: object.Size ?? 0,
          ...(object.LastModified === undefined ? {} : { modified: object.LastModified }),
        };
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async delete(name: string): Promise<void> {
    const key = this.keyOf(name);
    try {
      await this.call(`DeleteObject ${name}`, () =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
      );
    } catch (err) {
      if (isNotFound(err) && errorCodeOf(err) !== 'NoSuchBucket') return;
      throw this.failure(err, `cannot delete ${name}`);
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  private call<T>(operation: string, send: (attempt: number) => Promise<T>): Promise<T> {
    return withRetry(operation, this.retry, send);
  }

  /** Answer for a zero-length read: empty if the file exists. */
  private async emptyRead(name: string): Promise<Buffer> {
    if ((await this.stat(name)) === undefined) throw new BlobNotFoundError(name, this.location);
    return Buffer.alloc(0);
  }

  /**
   * One GetObject of bytes [start, end) (end undefined: to the end of the file). undefined when the
   * range starts at or after the end of the file.
   */
  private async openRead(
    name: string,
    key: string,
    start: number,
    end: number | undefined,
    etag?: string,
  ): Promise<OpenBody | undefined> {
    const range =
      start === 0 && end === undefined ? undefined : `bytes=${start}-${end === undefined ? '' : end - 1}`;
    let answer: GetObjectCommandOutput;
    try {
      answer = await this.call(`GetObject ${name}`, () =>
        this.client.send(
          new GetObjectCommand({
            Bucket: this.bucket,
            Key: key,
            ...(range === undefined ? {} : { Range: range }),
            ...(etag === undefined ? {} : { IfMatch: etag }),
          }),
        ),
      );
    } catch (err) {
      const code = errorCodeOf(err);
      if (httpStatusOf(err) === 416 || code === 'InvalidRange') return undefined;
      if (
        etag !== undefined &&
        (httpStatusOf(err) === 412 || code === 'PreconditionFailed' || isNotFound(err))
      ) {
        throw new BlobStoreError(`${name} changed while it was being read`, this.location, code, err);
      }
      if (isNotFound(err) && code !== 'NoSuchBucket') throw new BlobNotFoundError(name, this.location);
      throw this.failure(err, `cannot read ${name}`);
    }
    const body = answer.Body instanceof Readable ? answer.Body : Readable.from([]);
    return { body, etag: answer.ETag, length: answer.ContentLength };
  }

  /**
   * The bytes of an opened read. A body cut short (a retryable error, or an end before its
   * Content-Length) resumes where it stopped; the attempt count starts again whenever a body made
   * progress, so a long download survives occasional cuts but not a server that never delivers.
   */
  private async *readFrom(
    name: string,
    key: string,
    start: number,
    length: number | undefined,
    opened: OpenBody,
  ): AsyncGenerator<Buffer> {
    const end = length === undefined ? undefined : start + length;
    let current: OpenBody = opened;
    let position = start;
    for (let failures = 0; ;) {
      const bodyStart = position;
      const iterator = current.body[Symbol.asyncIterator]() as AsyncIterator<unknown>;
      let failed: { error: unknown } | undefined;
      try {
        while (true) {
          let next: IteratorResult<unknown>;
          try {
            next = await iterator.next();
          } catch (error) {
            failed = { error };
            break;
          }
          if (next.done === true) {
            if (current.length !== undefined && position - bodyStart < current.length) {
              failed = { error: prematureEnd(position - bodyStart, current.length) };
            }
            break;
          }
          const chunk = toBuffer(next.value);
          position += chunk.length;
          if (chunk.length > 0) yield chunk;
        }
      } finally {
        current.body.destroy();
      }
      if (failed === undefined) return;
      if (end !== undefined && position >= end) return;
      failures = position > bodyStart ? 1 : failures + 1;
      if (failures >= this.retry.maxAttempts || !this.retry.isRetryable(failed.error)) {
        throw this.failure(failed.error, `cannot read ${name}`);
      }
      const delayMs = backoffDelay(failures, failed.error, this.retry);
      this.retry.onRetry?.({
        operation: `GetObject ${name} (resume)`,
        attempt: failures,
        delayMs,
        error: failed.error,
      });
      await this.retry.sleep(delayMs);
      const resumed = await this.openRead(name, key, position, end, current.etag);
      if (resumed === undefined) return;
      current = resumed;
    }
  }

  private failure(err: unknown, action: string): Error {
    if (err instanceof BlobStoreError || err instanceof BlobNotFoundError || err instanceof RangeError)
      return err;
    const status = httpStatusOf(err);
    const code = errorCodeOf(err);
    const detail = messageOf(err);
    const text = [code !== undefined && !detail.startsWith(code) ? `${code}: ${detail}` : detail];
    if (status !== undefined) text.push(`(HTTP ${status})`);
    return new BlobStoreError(`${action}: ${text.join(' ')}`, this.location, code, err);
  }
}

/** A body that ended cleanly but short of its Content-Length (retryable, like a reset). */
function prematureEnd(got: number, expected: number): Error {
  return Object.assign(new Error(`the answer ended after ${got} of ${expected} bytes`), {
    code: 'ERR_STREAM_PREMATURE_CLOSE',
  });
}
