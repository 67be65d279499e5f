import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type * as FsPromises from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BlobStoreError, FolderStore } from '../../../src/repository/store/index.js';
import { patternRange, patternStream } from './pattern.js';

/**
 * A full disk under the FolderStore, simulated in the file system calls it makes, so the test runs
 * on any machine (folder.test.ts also fills a real tmpfs where user namespaces allow). The disk has
 * `free` bytes: a write gets what fits (a short write, as the kernel gives), the next write fails
 * with ENOSPC; fsync or mkdir can be made to fail with ENOSPC too. What is checked is the store's
 * own cleanup: a clear error, nothing under the final name, the temp file gone, its handle closed.
 */
const disk = vi.hoisted(() => ({
  free: Number.POSITIVE_INFINITY,
  failSync: false,
  failMkdir: false,
  openTemps: 0,
  shortWrites: 0,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  const noSpace = (syscall: string): Error =>
    Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), { code: 'ENOSPC', syscall });

  async function writev(handle: FileHandle, buffers: Buffer[], position?: number) {
    const wanted = buffers.reduce((sum, b) => sum + b.length, 0);
    if (wanted <= disk.free) {
      disk.free -= wanted;
      return handle.writev(buffers, position);
    }
    if (disk.free <= 0) throw noSpace('write');
    const fits: Buffer[] = [];
    let room = disk.free;
    for (const buffer of buffers) {
      if (room === 0) break;
      fits.push(buffer.subarray(0, room));
      room -= Math.min(room, buffer.length);
    }
    disk.free = 0;
    disk.shortWrites += 1;
    return handle.writev(fits, position);
  }

  function onFullDisk(handle: FileHandle): FileHandle {
    disk.openTemps += 1;
    return new Proxy(handle, {
      get(target, property) {
        if (property === 'writev')
          return (buffers: Buffer[], position?: number) => writev(target, buffers, position);
        if (property === 'write') throw new Error('the test expects FolderStore to write with writev');
        if (property === 'sync' && disk.failSync) return () => Promise.reject(noSpace('fsync'));
        if (property === 'close') {
          return async () => {
            disk.openTemps -= 1;
            await target.close();
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  return {
    ...actual,
    open: async (...args: Parameters<typeof actual.open>) => {
      const handle = await actual.open(...args);
      return String(args[0]).includes('.safehold-tmp-') ? onFullDisk(handle) : handle;
    },
    mkdir: async (...args: Parameters<typeof actual.mkdir>) => {
      if (disk.failMkdir) throw noSpace('mkdir');
      return actual.mkdir(...args);
    },
  };
});

const MiB = 1 << 20;
const temps: string[] = [];

afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

/** Every file under `root`, temp files included, as relative paths. */
async function filesUnder(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) found.push(join(entry.parentPath, entry.name).slice(root.length + 1));
  }
  return found.sort();
}

async function failure(promise: Promise<unknown>): Promise<BlobStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected the put to fail').toBeInstanceOf(BlobStoreError);
  return error as BlobStoreError;
}

describe('FolderStore on a full disk (ENOSPC from the file system calls)', () => {
  let root: string;
  let store: FolderStore;

  beforeEach(async () => {
    Object.assign(disk, {
      free: Number.POSITIVE_INFINITY,
      failSync: false,
      failMkdir: false,
      shortWrites: 0,
    });
    root = await mkdtemp(join(tmpdir(), 'safehold-enospc-'));
    temps.push(root);
    store = new FolderStore(root);
    await store.put('data/ab/old', Buffer.from('old pack'));
  });

  it('a Buffer put that fills the disk: ENOSPC, no file, no temp file, handle closed', async () => {
    disk.free = MiB + 123;
    const error = await failure(store.put('data/ab/new', patternRange(1, 4 * MiB, 0, 4 * MiB)));
    expect(error.code).toBe('ENOSPC');
    expect(error.message).toContain('data/ab/new');
    expect(error.message).toContain('no space left on device');
    expect(error.location).toBe(store.location);
    expect(disk.shortWrites).toBe(1);
    expect(await filesUnder(root)).toEqual(['data/ab/old']);
    expect(disk.openTemps).toBe(0);
    expect(await store.stat('data/ab/new')).toBeUndefined();
  });

  it('a streamed put that fills the disk: ENOSPC, the source is released, nothing left', async () => {
    disk.free = 3 * MiB + 5;
    const source = patternStream(2, 8 * MiB);
    const error = await failure(store.put('data/cd/new', source));
    expect(error.code).toBe('ENOSPC');
    expect(source.destroyed).toBe(true);
    expect(await filesUnder(root)).toEqual(['data/ab/old']);
    expect(disk.openTemps).toBe(0);
  });

  it('overwriting a file on a full disk keeps the old file whole', async () => {
    disk.free = 2;
    const error = await failure(store.put('data/ab/old', Buffer.alloc(MiB, 7)));
    expect(error.code).toBe('ENOSPC');
    expect(await readFile(join(root, 'data', 'ab', 'old'), 'utf8')).toBe('old pack');
    expect(await filesUnder(root)).toEqual(['data/ab/old']);
  });

  it('ENOSPC reported by fsync (delayed allocation, network file systems) cleans up too', async () => {
    disk.failSync = true;
    const error = await failure(store.put('index/i1', Buffer.alloc(1000, 1)));
    expect(error.code).toBe('ENOSPC');
    expect(error.message).toContain('fsync');
    expect(await filesUnder(root)).toEqual(['data/ab/old']);
    expect(disk.openTemps).toBe(0);
  });

  it('ENOSPC while creating a shard directory: a clear error, nothing written', async () => {
    disk.failMkdir = true;
    const error = await failure(store.put('data/ef/new', Buffer.from('x')));
    expect(error.code).toBe('ENOSPC');
    expect(error.message).toContain('data/ef/new');
    expect(await filesUnder(root)).toEqual(['data/ab/old']);
  });

  it('works again once there is room', async () => {
    disk.free = 10;
    await failure(store.put('data/ab/later', Buffer.alloc(100)));
    disk.free = Number.POSITIVE_INFINITY;
    await store.put('data/ab/later', Buffer.alloc(100, 9));
    expect((await store.get('data/ab/later')).equals(Buffer.alloc(100, 9))).toBe(true);
    expect(await filesUnder(root)).toEqual(['data/ab/later', 'data/ab/old']);
  });
});
