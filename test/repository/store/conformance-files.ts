import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { beforeEach, expect, it } from 'vitest';
import type { BlobStore } from '../../../src/repository/store/index.js';
import type { ConformanceContext } from './conformance.js';
import {
  expectBytes,
  expectCode,
  expectNotFound,
  listAll,
  names,
  patternRange,
  patternStream,
  readAll,
} from './pattern.js';

/** The contract for files: put, get (ranges), stat, delete, names, listing by prefix. */
export function fileContract(context: ConformanceContext): void {
  const slow = context.slowTimeoutMs;
  let store: BlobStore;

  beforeEach(() => {
    store = context.store();
  });

  it('puts, gets, stats, lists and deletes a file', async () => {
    const data = Buffer.from('hello, repository\n');
    const before = Date.now();
    await store.put('config', data);
    expect(await store.get('config')).toEqual(data);
    const stat = await store.stat('config');
    expect(stat).toMatchObject({ name: 'config', size: data.length });
    expect(stat?.modified).toBeInstanceOf(Date);
    expect(Math.abs((stat?.modified?.getTime() ?? 0) - before)).toBeLessThan(5 * 60_000);
    const listed = await listAll(store, '');
    expect(listed.map((f) => [f.name, f.size])).toEqual([['config', data.length]]);
    expect(listed[0]?.modified).toBeInstanceOf(Date);
    await store.delete('config');
    expect(await store.stat('config')).toBeUndefined();
    expect(await names(store, '')).toEqual([]);
    expect(typeof store.location).toBe('string');
  });

  it('puts sharded names under directories and lists them with their sizes', async () => {
    const id = 'ab' + 'c'.repeat(62);
    await store.put(`data/ab/${id}`, Buffer.alloc(1000, 1));
    await store.put('data/cd/cd00', Buffer.alloc(10, 2));
    expect((await listAll(store, 'data/')).map((f) => [f.name, f.size])).toEqual([
      [`data/ab/${id}`, 1000],
      ['data/cd/cd00', 10],
    ]);
    expect(await names(store, 'data/ab/')).toEqual([`data/ab/${id}`]);
    expect(await names(store, 'data/c')).toEqual(['data/cd/cd00']);
  });

  it('overwrites a file with a whole new one (larger, then smaller)', async () => {
    await store.put('locks/l1', Buffer.alloc(100, 'a'));
    await store.put('locks/l1', Buffer.alloc(5000, 'b'));
    expect(await store.get('locks/l1')).toEqual(Buffer.alloc(5000, 'b'));
    await store.put('locks/l1', patternStream(3, 10));
    expect(await store.get('locks/l1')).toEqual(patternRange(3, 10, 0, 10));
    expect((await store.stat('locks/l1'))?.size).toBe(10);
    expect(await names(store, 'locks/')).toEqual(['locks/l1']);
  });

  it('stores an empty file, from a buffer and from a stream', async () => {
    await store.put('empty', Buffer.alloc(0));
    expect(await store.get('empty')).toEqual(Buffer.alloc(0));
    expect(await store.stat('empty')).toMatchObject({ size: 0 });
    expect(await readAll(await store.stream('empty'))).toEqual(Buffer.alloc(0));
    await store.put('empty2', Readable.from([]));
    expect((await store.stat('empty2'))?.size).toBe(0);
    expect(await store.get('empty2', 0, 10)).toEqual(Buffer.alloc(0));
    expect(await store.get('empty2', 5)).toEqual(Buffer.alloc(0));
  });

  it('reads ranges with get and stream, clipped at the end of the file', async () => {
    const data = patternRange(11, 1000, 0, 1000);
    await store.put('r', data);
    const cases: [number | undefined, number | undefined, Buffer][] = [
      [undefined, undefined, data],
      [0, 10, data.subarray(0, 10)],
      [17, 100, data.subarray(17, 117)],
      [990, undefined, data.subarray(990)],
      [999, 1, data.subarray(999)],
      [1000, undefined, Buffer.alloc(0)], // start at the end
      [1000, 5, Buffer.alloc(0)],
      [5000, 5, Buffer.alloc(0)], // start beyond the end
      [900, 500, data.subarray(900)], // length beyond the end
      [0, 5000, data],
      [10, 0, Buffer.alloc(0)], // zero length
    ];
    for (const [offset, length, expected] of cases) {
      const label = `offset ${String(offset)}, length ${String(length)}`;
      expectBytes(await store.get('r', offset, length), expected, `get ${label}`);
      expectBytes(await readAll(await store.stream('r', offset, length)), expected, `stream ${label}`);
    }
    await expect(store.get('r', -1)).rejects.toThrow(RangeError);
    await expect(store.get('r', 0, -5)).rejects.toThrow(RangeError);
    await expect(store.get('r', 1.5)).rejects.toThrow(RangeError);
  });

  it('reports missing files: get and stream reject, stat is undefined, delete is fine', async () => {
    await expectNotFound(store.get('index/missing'), 'index/missing', store);
    await expectNotFound(store.get('index/missing', 5, 10), 'index/missing', store);
    await expectNotFound(store.get('index/missing', 0, 0), 'index/missing', store);
    await expectNotFound(store.stream('index/missing'), 'index/missing', store);
    await expectNotFound(store.stream('index/missing', 3, 0), 'index/missing', store);
    expect(await store.stat('index/missing')).toBeUndefined();
    await store.delete('index/missing');
    await store.delete('no/such/dir/file');
    expect(await names(store, 'index/')).toEqual([]);
    expect(await names(store, 'nothing/here/')).toEqual([]);
    const error = await store.get('index/missing').catch((e: unknown) => e);
    expect(String((error as Error).message)).toContain('index/missing');
  });

  it('does not take a directory-like prefix for a file', async () => {
    await store.put('dir/file', Buffer.from('x'));
    expect(await store.stat('dir')).toBeUndefined();
    await expectNotFound(store.get('dir'), 'dir', store);
    await expectNotFound(store.get('dir/file/deeper'), 'dir/file/deeper', store);
    expect(await store.stat('dir/file/deeper')).toBeUndefined();
    await store.delete('dir');
    expect(await store.get('dir/file')).toEqual(Buffer.from('x'));
  });

  it('refuses invalid names with EINVAL', async () => {
    const bad = [
      '',
      '/etc/passwd',
      '../escape',
      'a/../../escape',
      'data/..',
      './config',
      'a//b',
      'trailing/',
      'back\\slash',
      '..\\..\\escape',
      'nul\0byte',
      'line\nbreak',
      '.',
      '..',
    ];
    for (const name of bad) {
      await expectCode(store.put(name, Buffer.from('x')), 'EINVAL');
      await expectCode(store.get(name), 'EINVAL');
      await expectCode(store.stream(name), 'EINVAL');
      await expectCode(store.stat(name), 'EINVAL');
      await expectCode(store.delete(name), 'EINVAL');
    }
    for (const prefix of ['../', '/abs', 'a//', 'x\\', '..']) {
      await expectCode(listAll(store, prefix), 'EINVAL');
    }
    expect(await names(store, '')).toEqual([]);
  });

  it('keeps names with unicode and spaces exactly', async () => {
    const odd = [
      'notes/été 2026 ✓/файл 名前.txt',
      'spaces/a b  c',
      'symbols/plus+equals=amp&percent%25hash#q?.txt',
      'emoji/📦 pack',
      'quote/it\'s "quoted"',
    ];
    for (const [i, name] of odd.entries()) await store.put(name, Buffer.from(`content ${i}`));
    expect(await names(store, '')).toEqual([...odd].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    for (const [i, name] of odd.entries()) {
      expect((await store.get(name)).toString()).toBe(`content ${i}`);
      expect(await store.stat(name)).toMatchObject({ name, size: Buffer.byteLength(`content ${i}`) });
    }
    expect(await names(store, 'notes/été')).toEqual([odd[0]]);
    for (const name of odd) await store.delete(name);
    expect(await names(store, '')).toEqual([]);
  });

  it('lists by prefix: index/ is not index2/, and a bare prefix matches both', async () => {
    const files = ['index/a1', 'index/b2', 'index2/c3', 'indexfile', 'ind/x', 'manifests/m1'];
    await Promise.all(files.map((name) => store.put(name, Buffer.from(name))));
    expect(await names(store, 'index/')).toEqual(['index/a1', 'index/b2']);
    expect(await names(store, 'index2/')).toEqual(['index2/c3']);
    expect(await names(store, 'index')).toEqual(['index/a1', 'index/b2', 'index2/c3', 'indexfile']);
    expect(await names(store, 'ind')).toEqual(['ind/x', 'index/a1', 'index/b2', 'index2/c3', 'indexfile']);
    expect(await names(store, 'index/a')).toEqual(['index/a1']);
    expect(await names(store, 'index/a1')).toEqual(['index/a1']);
    expect(await names(store, 'indexfile')).toEqual(['indexfile']);
    expect(await names(store, 'manifests/')).toEqual(['manifests/m1']);
    expect(await names(store, '')).toEqual([...files].sort());
    expect(await names(store, 'nope/')).toEqual([]);
    expect(await names(store, 'index/a1/')).toEqual([]);
  });

  it(
    'lists 5,000 files lazily and completely',
    async () => {
      const all = Array.from({ length: 5000 }, (_, i) => {
        const hex = createHash('sha256').update(String(i)).digest('hex');
        return `many/${hex.slice(0, 2)}/${hex}`;
      });
      const queue = [...all];
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
            await store.put(name, Buffer.from(name.slice(-7)));
          }
        }),
      );
      await store.put('many-not/x', Buffer.from('x'));
      const listed = await listAll(store, 'many/');
      expect(listed.length).toBe(5000);
      expect(listed.map((f) => f.name)).toEqual([...all].sort());
      expect(listed.every((f) => f.size === 7)).toBe(true);
      const shard = all.filter((n) => n.startsWith('many/0a/')).sort();
      expect(await names(store, 'many/0a/')).toEqual(shard);
      // Stopping early is fine: the listing is an iterator, not an array.
      let seen = 0;
      for await (const _ of store.list('many/')) if (++seen === 10) break;
      expect(seen).toBe(10);
    },
    slow,
  );
}
