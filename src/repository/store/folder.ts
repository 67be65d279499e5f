import { randomBytes } from 'node:crypto';
import type { Dir, Dirent } from 'node:fs';
import { mkdir, open, opendir, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { checkName, checkPrefix, checkRange, TEMP_PREFIX } from './names.js';
import { BlobNotFoundError, BlobStoreError } from './types.js';
import type { BlobStore, StoredFile } from './types.js';
import { errnoCode, messageOf, SourceFailure, sourceChunks } from './util.js';

export interface FolderStoreOptions {
  /**
   * fsync every written file and the directories whose entries change (default true). Without it a
   * power cut can lose or empty files that were reported written; turn it off only for tests and
   * benchmarks of everything else.
   */
  fsync?: boolean;
}

/** Bytes gathered from a stream before one write system call. */
const WRITE_BATCH = 1 << 20;
/** Bytes per read when streaming a file out. */
const READ_CHUNK = 1 << 20;
/** Largest single read or write handed to the kernel. */
const MAX_IO = 1 << 30;
/** Files stat'ed in parallel while listing. */
const STAT_BATCH = 64;

/** Errors that mean "this name is not a file here". */
const NOT_FOUND = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

/**
 * A blob store in a local (or mounted) folder. A name maps to the path of the same segments under
 * the root (`data/ab/<id>` → `<root>/data/ab/<id>`); directories are created as needed.
 *
 * - `put` writes a temporary file `.safehold-tmp-<random>` next to the target, fsyncs it, renames
 *   it over the target and fsyncs the directory, so readers see the old file or the new one, never
 *   part of one; concurrent puts of one name each rename a whole file (the last rename wins). On any
 *   failure (disk full, a source stream that errors, a size mismatch) the temporary file is removed.
 *   Temporary files are never listed; ones left by a killed process are ignored and can be deleted.
 * - Streams are written in ~1 MiB batches and read in 1 MiB chunks: memory does not grow with size.
 * - `list` walks the directories lazily, one directory handle per level.
 * - File-system errors become {@link BlobStoreError} with the errno code (ENOSPC, EACCES, EROFS, …);
 *   a missing file becomes {@link BlobNotFoundError}; an invalid name, BlobStoreError code EINVAL.
 */
export class FolderStore implements BlobStore {
  readonly root: string;
  readonly location: string;
  private readonly fsync: boolean;
  private readonly creating = new Map<string, Promise<void>>();

  constructor(root: string, options: FolderStoreOptions = {}) {
    this.root = path.resolve(root);
    this.location = `folder ${this.root}`;
    this.fsync = options.fsync ?? true;
  }

  /** The absolute path of a file name; throws EINVAL for names that are invalid or leave the root. */
  pathOf(name: string): string {
    checkName(name, this.location);
    const full = path.join(this.root, ...name.split('/'));
    const relative = path.relative(this.root, full);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new BlobStoreError(
        `invalid file name ${JSON.stringify(name)}: outside the folder`,
        this.location,
        'EINVAL',
      );
    }
    return full;
  }

  async put(name: string, data: Buffer | Readable, size?: number): Promise<void> {
    const target = this.pathOf(name);
    if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) {
      throw new RangeError(`invalid size ${String(size)}`);
    }
    const dir = path.dirname(target);
    const temp = path.join(dir, `${TEMP_PREFIX}${randomBytes(12).toString('hex')}`);
    let handle: FileHandle | undefined;
    try {
      await this.ensureDir(dir);
      handle = await open(temp, 'wx', 0o644);
      const written = Buffer.isBuffer(data)
        ? await writeBuffer(handle, data)
        : await writeStream(handle, data);
      if (size !== undefined && written !== size) {
        throw new BlobStoreError(
          `cannot write ${name}: got ${written} bytes, expected ${size}`,
          this.location,
          'ESIZE',
        );
      }
      if (this.fsync) await handle.sync();
      await handle.close();
      handle = undefined;
      await rename(temp, target);
    } catch (err) {
      if (handle !== undefined) await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      if (!Buffer.isBuffer(data)) data.destroy();
      if (err instanceof SourceFailure) throw err.error;
      throw this.failure(err, `cannot write ${name}`);
    }
    if (this.fsync) {
      try {
        await this.syncDir(dir);
      } catch (err) {
        throw this.failure(err, `cannot write ${name}`);
      }
    }
  }

  async get(name: string, offset?: number, length?: number): Promise<Buffer> {
    const file = this.pathOf(name);
    const start = checkRange(offset, length);
    const handle = await this.openForRead(file, name);
    try {
      const { size } = await handle.stat();
      const end = length === undefined ? size : Math.min(size, start + length);
      const wanted = Math.max(0, end - start);
      const buffer = Buffer.allocUnsafe(wanted);
      let done = 0;
      while (done < wanted) {
        const { bytesRead } = await handle.read(buffer, done, Math.min(wanted - done, MAX_IO), start + done);
        if (bytesRead === 0) break; // the file shrank underneath us
        done += bytesRead;
      }
      return done < wanted ? buffer.subarray(0, done) : buffer;
    } catch (err) {
      throw this.failure(err, `cannot read ${name}`);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  async stream(name: string, offset?: number, length?: number): Promise<Readable> {
    const file = this.pathOf(name);
    const start = checkRange(offset, length);
    const handle = await this.openForRead(file, name);
    let size: number;
    try {
      size = (await handle.stat()).size;
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw this.failure(err, `cannot read ${name}`);
    }
    const end = length === undefined ? size : Math.min(size, start + length);
    const chunks = async function* (store: FolderStore): AsyncGenerator<Buffer> {
      try {
        let position = start;
        while (position < end) {
          const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK, end - position));
          let bytesRead: number;
          try {
            ({ bytesRead } = await handle.read(buffer, 0, buffer.length, position));
          } catch (err) {
            throw store.failure(err, `cannot read ${name}`);
          }
          if (bytesRead === 0) return;
          position += bytesRead;
          yield bytesRead < buffer.length ? buffer.subarray(0, bytesRead) : buffer;
        }
      } finally {
        await handle.close().catch(() => undefined);
      }
    };
    return Readable.from(chunks(this), { objectMode: false });
  }

  async stat(name: string): Promise<StoredFile | undefined> {
    const file = this.pathOf(name);
    try {
      const info = await stat(file);
      return info.isFile() ? { name, size: info.size, modified: info.mtime } : undefined;
    } catch (err) {
      if (NOT_FOUND.has(errnoCode(err) ?? '')) return undefined;
      throw this.failure(err, `cannot stat ${name}`);
    }
  }

  async *list(prefix: string): AsyncGenerator<StoredFile> {
    checkPrefix(prefix, this.location);
    const slash = prefix.lastIndexOf('/');
    yield* this.walk(prefix.slice(0, slash + 1), prefix.slice(slash + 1));
  }

  async delete(name: string): Promise<void> {
    const file = this.pathOf(name);
    try {
      await unlink(file);
    } catch (err) {
      const code = errnoCode(err);
      if (code !== undefined && NOT_FOUND.has(code)) return;
      if (code === 'EPERM' && (await stat(file).catch(() => undefined))?.isDirectory()) return; // macOS: a directory
      throw this.failure(err, `cannot delete ${name}`);
    }
  }

  async close(): Promise<void> {}

  /** Files under `<root>/<dirName>` (dirName is '' or ends with '/') whose entry starts with `startsWith`. */
  private async *walk(dirName: string, startsWith: string): AsyncGenerator<StoredFile> {
    let dir: Dir;
    try {
      dir = await opendir(path.join(this.root, ...dirName.split('/')), { bufferSize: 256 });
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw this.failure(err, `cannot list ${dirName || '/'}`);
    }
    let batch: Dirent[] = [];
    try {
      for await (const entry of dir) {
        if (!entry.name.startsWith(startsWith) || entry.name.startsWith(TEMP_PREFIX)) continue;
        if (entry.isDirectory()) {
          yield* this.walk(`${dirName}${entry.name}/`, '');
        } else if (entry.isFile() || entry.isSymbolicLink()) {
          batch.push(entry);
          if (batch.length >= STAT_BATCH) {
            yield* await this.statBatch(dirName, batch);
            batch = [];
          }
        }
      }
    } catch (err) {
      throw this.failure(err, `cannot list ${dirName || '/'}`);
    }
    yield* await this.statBatch(dirName, batch);
  }

  private async statBatch(dirName: string, entries: Dirent[]): Promise<StoredFile[]> {
    const found = await Promise.all(
      entries.map(async (entry): Promise<StoredFile | undefined> => {
        const name = `${dirName}${entry.name}`;
        try {
          // stat follows symbolic links: a link to a file is listed, a link to a directory is not.
          const info = await stat(path.join(this.root, ...name.split('/')));
          return info.isFile() ? { name, size: info.size, modified: info.mtime } : undefined;
        } catch (err) {
          if (NOT_FOUND.has(errnoCode(err) ?? '')) return undefined; // deleted while we listed
          throw this.failure(err, `cannot list ${name}`);
        }
      }),
    );
    return found.filter((file): file is StoredFile => file !== undefined);
  }

  private async openForRead(file: string, name: string): Promise<FileHandle> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      if (NOT_FOUND.has(errnoCode(err) ?? '')) throw new BlobNotFoundError(name, this.location);
      throw this.failure(err, `cannot read ${name}`);
    }
    let isFile: boolean;
    try {
      isFile = (await handle.stat()).isFile();
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw this.failure(err, `cannot read ${name}`);
    }
    if (!isFile) {
      await handle.close().catch(() => undefined);
      throw new BlobNotFoundError(name, this.location);
    }
    return handle;
  }

  /**
   * Creates `dir` and its missing parents; with fsync, makes each new directory entry durable.
   * (Not `mkdir -p`: Node's recursive mkdir reports ENOENT where the real cause is EROFS or EACCES.)
   */
  private ensureDir(dir: string): Promise<void> {
    // Puts racing to create one directory share the creation, so none of them returns before the
    // new directory's entry is durable.
    let pending = this.creating.get(dir);
    if (pending === undefined) {
      pending = this.createDir(dir).finally(() => this.creating.delete(dir));
      this.creating.set(dir, pending);
    }
    return pending;
  }

  private async createDir(dir: string): Promise<void> {
    try {
      await mkdir(dir);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EEXIST') return;
      if (code !== 'ENOENT' || path.dirname(dir) === dir) throw err;
      await this.ensureDir(path.dirname(dir));
      try {
        await mkdir(dir);
      } catch (again) {
        if (errnoCode(again) === 'EEXIST') return;
        throw again;
      }
    }
    if (this.fsync) await this.syncDir(path.dirname(dir));
  }

  private async syncDir(dir: string): Promise<void> {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } catch (err) {
      // Some file systems (certain network and FUSE mounts) cannot fsync a directory.
      if (!['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EPERM'].includes(errnoCode(err) ?? '')) throw err;
    } finally {
      await handle.close();
    }
  }

  private failure(err: unknown, action: string): Error {
    if (err instanceof BlobStoreError || err instanceof BlobNotFoundError || err instanceof RangeError)
      return err;
    return new BlobStoreError(`${action}: ${messageOf(err)}`, this.location, errnoCode(err), err);
  }
}

async function writeBuffer(handle: FileHandle, data: Buffer): Promise<number> {
  for (let offset = 0; offset < data.length; offset += MAX_IO) {
    await writeAll(handle, [data.subarray(offset, offset + MAX_IO)]);
  }
  return data.length;
}

/** Copies a stream into the file with backpressure (one batch in memory); source errors are tagged. */
async function writeStream(handle: FileHandle, source: Readable): Promise<number> {
  let total = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  for await (const chunk of sourceChunks(source)) {
    if (chunk.length === 0) continue;
    batch.push(chunk);
    batchBytes += chunk.length;
    total += chunk.length;
    if (batchBytes >= WRITE_BATCH) {
      await writeAll(handle, batch);
      batch = [];
      batchBytes = 0;
    }
  }
  if (batch.length > 0) await writeAll(handle, batch);
  return total;
}

/** Writes every byte of `chunks` at the file position, however many system calls it takes. */
async function writeAll(handle: FileHandle, chunks: Buffer[]): Promise<void> {
  let pending = chunks;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending);
    if (bytesWritten === 0) {
      throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    }
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const chunk of pending) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
      } else {
        rest.push(skip > 0 ? chunk.subarray(skip) : chunk);
        skip = 0;
      }
    }
    pending = rest;
  }
}
