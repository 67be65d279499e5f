import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStoreError, FaultyStore, FolderStore, faults } from '../../../src/repository/store/index.js';
import type { BlobStore } from '../../../src/repository/store/index.js';
import { blobStoreConformance } from './conformance.js';
import { failingStream, names, patternStream } from './pattern.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');
const temps: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safehold-folder-'));
  temps.push(dir);
  return dir;
}

afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

blobStoreConformance('FolderStore', async () => new FolderStore(join(await tempDir(), 'repo')), {
  dispose: async (store: BlobStore) => {
    await rm((store as FolderStore).root, { recursive: true, force: true });
  },
});

/** Every file under `root`, temp files included, as relative paths. */
async function filesUnder(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (entry.isFile()) found.push(join(entry.parentPath, entry.name).slice(root.length + 1));
  }
  return found.sort();
}

describe('FolderStore', () => {
  let root: string;
  let store: FolderStore;

  beforeAll(async () => {
    root = join(await tempDir(), 'repo');
    store = new FolderStore(root);
  });

  it('maps names to paths under the root, one directory per segment', async () => {
    const id = 'ab' + '0'.repeat(62);
    await store.put(`data/ab/${id}`, Buffer.from('pack'));
    expect(await readFile(join(root, 'data', 'ab', id), 'utf8')).toBe('pack');
    expect(store.location).toBe(`folder ${root}`);
    expect(store.pathOf('index/x')).toBe(join(root, 'index', 'x'));
  });

  it('refuses names that escape the root and creates nothing outside it', async () => {
    const outside = dirname(root);
    const before = await readdir(outside);
    for (const name of ['../escaped', 'data/../../escaped', '/tmp/escaped', '..\\escaped', 'x\0y', '..']) {
      const error = await store.put(name, Buffer.from('x')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BlobStoreError);
      expect((error as BlobStoreError).code).toBe('EINVAL');
      expect(() => store.pathOf(name)).toThrow(BlobStoreError);
    }
    expect(await readdir(outside)).toEqual(before);
    await expect(stat(join(outside, 'escaped'))).rejects.toThrow();
  });

  it('a failing stream leaves neither the file nor a temp file', async () => {
    const dir = join(await tempDir(), 'repo');
    const s = new FolderStore(dir);
    const boom = new Error('source failed');
    await expect(s.put('data/cd/cdef', failingStream(3 << 20, boom))).rejects.toBe(boom);
    await expect(s.put('data/cd/cdef', patternStream(1, 1000), 2000)).rejects.toMatchObject({
      code: 'ESIZE',
    });
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('never lists temp files, and refuses names that would collide with them', async () => {
    const dir = join(await tempDir(), 'repo');
    const s = new FolderStore(dir);
    await s.put('index/real', Buffer.from('x'));
    // What a process killed mid-write leaves behind.
    await writeFile(join(dir, 'index', '.safehold-tmp-0123456789abcdef01234567'), 'half a file');
    await mkdir(join(dir, 'data', 'ab'), { recursive: true });
    await writeFile(join(dir, 'data', 'ab', '.safehold-tmp-deadbeef'), 'half a pack');
    expect(await names(s, '')).toEqual(['index/real']);
    expect(await names(s, 'index/')).toEqual(['index/real']);
    await expect(names(s, 'index/.safehold-tmp-')).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(s.put('index/.safehold-tmp-x', Buffer.from('x'))).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('writes through a temp file in the target directory, never the target itself', async () => {
    const dir = join(await tempDir(), 'repo');
    const s = new FolderStore(dir);
    await s.put('index/x', Buffer.from('old'));
    let observed: string[] = [];
    const source = patternStream(3, 2 << 20);
    const spying = (async function* () {
      for await (const chunk of source) {
        yield chunk as Buffer;
        observed = await filesUnder(dir);
      }
    })();
    const { Readable } = await import('node:stream');
    await s.put('index/x', Readable.from(spying));
    expect(observed.some((f) => f.startsWith('index/.safehold-tmp-'))).toBe(true);
    expect(await filesUnder(dir)).toEqual(['index/x']);
    expect((await s.stat('index/x'))?.size).toBe(2 << 20);
  });

  it('lists symbolic links to files, ignores links to directories, survives files vanishing', async () => {
    const dir = join(await tempDir(), 'repo');
    const s = new FolderStore(dir);
    await s.put('a/file', Buffer.from('12345'));
    const { symlink } = await import('node:fs/promises');
    await symlink(join(dir, 'a', 'file'), join(dir, 'a', 'link'));
    await symlink(join(dir, 'a'), join(dir, 'loop'));
    await symlink(join(dir, 'a', 'gone'), join(dir, 'a', 'dangling'));
    expect((await names(s, '')).sort()).toEqual(['a/file', 'a/link']);
  });

  it('ENOSPC through FaultyStore: disk full 1 MiB into a 4 MiB put leaves nothing behind', async () => {
    const dir = join(await tempDir(), 'repo');
    const inner = new FolderStore(dir);
    const s = new FaultyStore(inner);
    await s.put('data/00/before', Buffer.from('fine'));
    const rule = s.inject({ op: 'put', name: 'data/', fault: faults.enospc(1 << 20) });
    for (const data of [Buffer.alloc(4 << 20, 1), patternStream(2, 4 << 20)]) {
      rule.remove();
      s.inject({ op: 'put', name: 'data/', fault: faults.enospc(1 << 20) });
      const error = await s.put('data/ab/full', data).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BlobStoreError);
      expect((error as BlobStoreError).code).toBe('ENOSPC');
      expect(await filesUnder(dir)).toEqual(['data/00/before']);
    }
    await s.put('data/ab/full', Buffer.alloc(10));
    expect(await filesUnder(dir)).toEqual(['data/00/before', 'data/ab/full']);
  });

  describe('on real file systems (needs unprivileged user namespaces)', () => {
    const probe = spawnSync(
      'unshare',
      ['-Urm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt && echo ok'],
      {
        encoding: 'utf8',
      },
    );
    const canMount = probe.status === 0 && probe.stdout.includes('ok');
    if (!canMount) {
      console.warn(
        `FolderStore real-ENOSPC/EROFS tests skipped: cannot mount a tmpfs in a user namespace (${(probe.stderr || probe.error?.message || '').trim()})`,
      );
    }

    function runChild(script: string, mode: string, dir: string): Record<string, unknown> {
      const child = spawnSync(
        'unshare',
        [
          '-Urm',
          'sh',
          '-c',
          `${script} && exec "$0" --import tsx test/repository/store/folder-child.ts ${mode} "$1"`,
          process.execPath,
          dir,
        ],
        { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 },
      );
      const line = child.stdout.trim().split('\n').pop() ?? '';
      expect(line, `child failed: ${child.stderr}`).toMatch(/^\{/);
      return JSON.parse(line) as Record<string, unknown>;
    }

    it.skipIf(!canMount)(
      'ENOSPC on a 2 MiB tmpfs: the error has the code and no partial file stays',
      async () => {
        const dir = await tempDir();
        const result = runChild('mount -t tmpfs -o size=2m tmpfs "$1"', 'enospc', dir);
        expect(result).toEqual({
          small: 'ok',
          bigBuffer: 'BlobStoreError ENOSPC',
          afterBuffer: ['data/00/small'],
          bigStream: 'BlobStoreError ENOSPC',
          afterStream: ['data/00/small'],
          listed: ['data/00/small'],
          smallIntact: true,
          again: 'ok',
        });
      },
    );

    it.skipIf(!canMount)('EROFS on a read-only mount', async () => {
      const dir = await tempDir();
      const result = runChild(
        'mount -t tmpfs -o size=1m tmpfs "$1" && echo config > "$1/config" && mount -o remount,ro "$1"',
        'erofs',
        dir,
      );
      expect(result).toEqual({
        put: 'BlobStoreError EROFS',
        del: 'BlobStoreError EROFS',
        read: 'config\n',
        files: ['config'],
      });
    });
  });

  it('EACCES in a folder this user may not write', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'index'));
    let result: Record<string, unknown>;
    if (process.getuid?.() === 0) {
      // root ignores permissions: run the scenario as nobody.
      await chmod(dir, 0o755);
      await chmod(join(dir, 'index'), 0o755);
      const child = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'test/repository/store/folder-child.ts', 'eacces', dir],
        {
          cwd: repoRoot,
          encoding: 'utf8',
          timeout: 60_000,
          uid: 65534,
          gid: 65534,
          env: { ...process.env, HOME: '/tmp' },
        },
      );
      const line = child.stdout.trim().split('\n').pop() ?? '';
      expect(line, `child failed: ${child.stderr}`).toMatch(/^\{/);
      result = JSON.parse(line) as Record<string, unknown>;
    } else {
      await chmod(join(dir, 'index'), 0o555);
      const s = new FolderStore(dir);
      const outcome = (p: Promise<unknown>) =>
        p.then(
          () => 'ok',
          (e: unknown) =>
            e instanceof BlobStoreError ? `BlobStoreError ${String(e.code)}` : `other ${String(e)}`,
        );
      result = {
        put: await outcome(s.put('index/new', Buffer.from('x'))),
        putStream: await outcome(s.put('index/new2', patternStream(1, 100_000))),
        files: await filesUnder(dir),
      };
      await chmod(join(dir, 'index'), 0o755);
    }
    expect(result).toEqual({ put: 'BlobStoreError EACCES', putStream: 'BlobStoreError EACCES', files: [] });
  });

  it('without fsync it still writes atomically (for tests and benchmarks)', async () => {
    const dir = join(await tempDir(), 'repo');
    const s = new FolderStore(dir, { fsync: false });
    await s.put('a/b', Buffer.from('x'));
    expect((await s.get('a/b')).toString()).toBe('x');
    expect(await filesUnder(dir)).toEqual(['a/b']);
  });
});
