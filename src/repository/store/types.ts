import type { Readable } from 'node:stream';

/** A named file in a blob store. Names are `/`-separated relative paths, e.g. `data/ab/ab12…`. */
export interface StoredFile {
  name: string;
  size: number;
  /** When the file was written (prune's safety windows need it); undefined if the store cannot say. */
  modified?: Date;
}

/**
 * Where a repository keeps its files: a local folder or S3-compatible object storage. Files are
 * written whole and atomically (a reader never sees half a file) and are never modified.
 */
export interface BlobStore {
  /** A description for messages, e.g. `folder /srv/backup` or `s3://bucket/prefix`. */
  readonly location: string;
  /** Writes the file atomically; replaces an existing file of the same name. */
  put(name: string, data: Buffer | Readable, size?: number): Promise<void>;
  /** The whole file, or `length` bytes from `offset`. Missing file → BlobNotFoundError. */
  get(name: string, offset?: number, length?: number): Promise<Buffer>;
  /** A stream of the file (or a range), for large reads. Missing file → BlobNotFoundError. */
  stream(name: string, offset?: number, length?: number): Promise<Readable>;
  /** undefined when the file does not exist. */
  stat(name: string): Promise<StoredFile | undefined>;
  /** Every file whose name starts with `prefix` (e.g. `index/`), in no particular order. */
  list(prefix: string): AsyncIterable<StoredFile>;
  /** Deletes the file; deleting a missing file is not an error. */
  delete(name: string): Promise<void>;
  close(): Promise<void>;
}

export class BlobNotFoundError extends Error {
  override name = 'BlobNotFoundError';
  constructor(
    readonly file: string,
    readonly location: string,
  ) {
    super(`${location}: ${file} does not exist`);
  }
}

/** The store refused or failed an operation after retries (permissions, disk full, network). */
export class BlobStoreError extends Error {
  override name = 'BlobStoreError';
  constructor(
    message: string,
    readonly location: string,
    /** e.g. ENOSPC, EACCES, SlowDown, AccessDenied */
    readonly code: string | undefined,
    override readonly cause?: unknown,
  ) {
    super(`${location}: ${message}`);
  }
}
