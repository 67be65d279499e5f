import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { CompletedPart, S3Client } from '@aws-sdk/client-s3';
import { errorCodeOf } from './retry.js';
import { BlobStoreError } from './types.js';
import { sourceChunks } from './util.js';

const MiB = 1 << 20;
const MAX_PARTS = 10_000;
/** A streamed put gathers chunks up to this size before it commits to a part-sized buffer. */
const SMALL_PUT = MiB;

/** What an upload needs of the S3Store that runs it. */
export interface UploadContext {
  readonly client: S3Client;
  readonly bucket: string;
  readonly location: string;
  readonly partSize: number;
  /** Parts uploaded at once. */
  readonly concurrency: number;
  readonly checksums: boolean;
  /** Runs one request with the store's retry policy. */
  call<T>(operation: string, send: (attempt: number) => Promise<T>): Promise<T>;
  /** The stored size of a file, or undefined if it does not exist. */
  sizeOf(name: string): Promise<number | undefined>;
}

/** One upload: a file name, its key and where it goes. */
interface Upload {
  readonly context: UploadContext;
  readonly name: string;
  readonly key: string;
}

/**
 * Writes `data` as the object `key` (file `name`): one PutObject when it fits in a part, else a
 * multipart upload that is aborted if anything fails. Source stream errors come out wrapped in
 * {@link SourceFailure}; S3 errors come out as the SDK threw them.
 *
 * Memory: a Buffer is sent in slices without copies. A stream is cut into part-sized buffers, and
 * the next part is read only while fewer than `concurrency` parts are in flight, so at most
 * max(2, `concurrency`) parts are alive at once (the one being filled included; nothing here keeps
 * a reference to a part once it is uploaded), plus under 1 MiB of chunks gathered before a part is
 * allocated.
 */
export async function uploadObject(
  context: UploadContext,
  name: string,
  key: string,
  data: Buffer | Readable,
  size: number | undefined,
): Promise<void> {
  const upload: Upload = { context, name, key };
  if (Buffer.isBuffer(data)) {
    if (size !== undefined && size !== data.length) throw sizeMismatch(upload, data.length, size);
    if (data.length <= context.partSize) return putObject(upload, data);
    return multipart(upload, slicesOf(data, partSizeFor(context, data.length)), data.length);
  }
  const partSize = partSizeFor(context, size);
  const parts = readParts(data, partSize);
  try {
    const head = await readHead(parts, partSize);
    if (head.length < 2) {
      const whole = head.pop() ?? Buffer.alloc(0);
      if (size !== undefined && size !== whole.length) throw sizeMismatch(upload, whole.length, size);
      return await putObject(upload, whole);
    }
    return await multipart(upload, partsOf(head, parts), size);
  } finally {
    await parts.return();
  }
}

/**
 * The first part, and the second if the first is whole: enough to choose between one PutObject and
 * a multipart upload. They come in an array the upload empties as it goes, so no variable pins
 * them for the duration of the upload.
 */
async function readHead(parts: AsyncIterator<Buffer>, partSize: number): Promise<Buffer[]> {
  const head: Buffer[] = [];
  const first = await parts.next();
  if (first.done === true) return head;
  head.push(first.value);
  if (first.value.length < partSize) return head;
  const second = await parts.next();
  if (second.done !== true) head.push(second.value);
  return head;
}

/** A part size that fits `size` bytes into S3's 10,000 parts. */
function partSizeFor(context: UploadContext, size: number | undefined): number {
  if (size === undefined) return context.partSize;
  return Math.max(context.partSize, Math.ceil(size / MAX_PARTS / MiB) * MiB);
}

/** Hands out the next part, or undefined at the end. */
type PartSource = () => Promise<Buffer | undefined>;

/** The slices of a Buffer, `partSize` bytes each (views, no copies). */
function slicesOf(data: Buffer, partSize: number): PartSource {
  let offset = 0;
  return async () => {
    if (offset >= data.length) return undefined;
    const slice = data.subarray(offset, offset + partSize);
    offset += slice.length;
    return slice;
  };
}

/** The parts of `head` (removed as they are handed out), then those of `rest`. */
function partsOf(head: Buffer[], rest: AsyncIterator<Buffer>): PartSource {
  return async () => {
    const early = head.shift();
    if (early !== undefined) return early;
    const next = await rest.next();
    return next.done === true ? undefined : next.value;
  };
}

function sizeMismatch(upload: Upload, got: number, expected: number): BlobStoreError {
  return new BlobStoreError(
    `cannot write ${upload.name}: got ${got} bytes, expected ${expected}`,
    upload.context.location,
    'ESIZE',
  );
}

async function putObject({ context, name, key }: Upload, data: Buffer): Promise<void> {
  await context.call(`PutObject ${name}`, () =>
    context.client.send(
      new PutObjectCommand({ Bucket: context.bucket, Key: key, Body: data, ContentLength: data.length }),
    ),
  );
}

async function multipart(upload: Upload, nextPart: PartSource, size: number | undefined): Promise<void> {
  const { context, name, key } = upload;
  const { client, bucket } = context;
  const algorithm = context.checksums ? ({ ChecksumAlgorithm: 'CRC32' } as const) : {};
  const created = await context.call(`CreateMultipartUpload ${name}`, () =>
    client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...algorithm })),
  );
  const uploadId = created.UploadId;
  if (uploadId === undefined) {
    throw new BlobStoreError(`cannot write ${name}: no UploadId in the answer`, context.location, undefined);
  }
  const completed: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let total = 0;
  let count = 0;
  const send = (part: Buffer, partNumber: number): Promise<void> =>
    context
      .call(`UploadPart ${name} #${partNumber}`, () =>
        client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: part,
            ContentLength: part.length,
            ...algorithm,
          }),
        ),
      )
      .then(
        (out) => {
          completed[partNumber - 1] = {
            PartNumber: partNumber,
            ETag: out.ETag,
            ...(out.ChecksumCRC32 === undefined ? {} : { ChecksumCRC32: out.ChecksumCRC32 }),
          };
        },
        (error: unknown) => {
          failure ??= { error };
        },
      );
  // Pulls one part and starts its upload; false at the end. A function of its own, so that when it
  // returns no variable of the loop below still refers to a part: an uploaded part is garbage.
  const startNext = async (): Promise<boolean> => {
    const part = await nextPart();
    if (part === undefined) return false;
    count += 1;
    total += part.length;
    if (count > MAX_PARTS) {
      throw new BlobStoreError(
        `cannot write ${name}: more than ${MAX_PARTS} parts`,
        context.location,
        'EFBIG',
      );
    }
    const task: Promise<void> = send(part, count).finally(() => inFlight.delete(task));
    inFlight.add(task);
    return true;
  };
  try {
    while (failure === undefined && (await startNext())) {
      while (inFlight.size >= context.concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure.error;
    if (size !== undefined && total !== size) throw sizeMismatch(upload, total, size);
    await context.call(`CompleteMultipartUpload ${name}`, async (attempt) => {
      try {
        await client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: completed },
          }),
        );
      } catch (err) {
        // A retry after a lost answer finds the upload already completed: check the object.
        if (attempt > 1 && errorCodeOf(err) === 'NoSuchUpload' && (await context.sizeOf(name)) === total)
          return;
        throw err;
      }
    });
  } catch (err) {
    await Promise.all(inFlight);
    await context
      .call(`AbortMultipartUpload ${name}`, () =>
        client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })),
      )
      .catch(() => undefined);
    throw err;
  }
}

/**
 * Cuts a stream into parts of exactly `partSize` bytes (the last one shorter, never empty; an empty
 * stream yields nothing). Small streams stay as the chunks they came in; a part-sized buffer is
 * allocated only once a stream passes {@link SMALL_PUT}. Errors of the source are wrapped in
 * SourceFailure.
 */
export async function* readParts(
  source: Readable,
  partSize: number,
): AsyncGenerator<Buffer, void, undefined> {
  let small: Buffer[] = [];
  let smallBytes = 0;
  let part: Buffer | undefined;
  let filled = 0;
  for await (const chunk of sourceChunks(source)) {
    if (part === undefined && smallBytes + chunk.length <= SMALL_PUT) {
      small.push(chunk);
      smallBytes += chunk.length;
      continue;
    }
    if (part === undefined) {
      part = Buffer.allocUnsafe(partSize);
      filled = 0;
      for (const piece of small) {
        piece.copy(part, filled);
        filled += piece.length;
      }
      small = [];
      smallBytes = 0;
    }
    for (let offset = 0; offset < chunk.length;) {
      part ??= Buffer.allocUnsafe(partSize);
      const n = Math.min(chunk.length - offset, partSize - filled);
      chunk.copy(part, filled, offset, offset + n);
      filled += n;
      offset += n;
      if (filled === partSize) {
        const full = part;
        part = undefined;
        filled = 0;
        yield full;
      }
    }
  }
  if (part !== undefined) yield part.subarray(0, filled);
  else if (smallBytes > 0) yield Buffer.concat(small, smallBytes);
}
