/**
 * Runs FolderStore scenarios that need a real file system condition the test process cannot make
 * for itself: a full disk (a tiny tmpfs in a private mount namespace), a read-only file system and
 * a folder the user may not write. Started by folder.test.ts; prints one JSON line.
 *
 *   node --import tsx folder-child.ts enospc <dir>   (dir: an empty 2 MiB tmpfs)
 *   node --import tsx folder-child.ts erofs <dir>    (dir: a read-only mount holding `config`)
 *   node --import tsx folder-child.ts eacces <dir>   (dir: a folder this user cannot write)
 */
import { readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { FolderStore } from '../../../src/repository/store/folder.js';
import { BlobStoreError } from '../../../src/repository/store/types.js';

const [mode, dir] = process.argv.slice(2);

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return error instanceof BlobStoreError
      ? `BlobStoreError ${String(error.code)}`
      : `other ${String(error)}`;
  }
}

async function everything(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) found.push(`${entry.parentPath ?? entry.path}/${entry.name}`.slice(root.length + 1));
  }
  return found.sort();
}

async function list(store: FolderStore): Promise<string[]> {
  const names: string[] = [];
  for await (const file of store.list('')) names.push(file.name);
  return names.sort();
}

function stream(bytes: number): Readable {
  return Readable.from(
    (function* () {
      for (let sent = 0; sent < bytes; sent += 64 * 1024)
        yield Buffer.alloc(Math.min(64 * 1024, bytes - sent), 7);
    })(),
  );
}

async function main(): Promise<Record<string, unknown>> {
  if (dir === undefined) throw new Error('usage: folder-child.ts enospc|erofs|eacces <dir>');
  const store = new FolderStore(dir);
  if (mode === 'enospc') {
    const small = await outcome(store.put('data/00/small', Buffer.alloc(512 * 1024, 1)));
    const bigBuffer = await outcome(store.put('data/ab/big-buffer', Buffer.alloc(4 << 20, 2)));
    const afterBuffer = await everything(dir);
    const bigStream = await outcome(store.put('data/ab/big-stream', stream(4 << 20)));
    const afterStream = await everything(dir);
    const listed = await list(store);
    const smallIntact = (await store.get('data/00/small')).equals(Buffer.alloc(512 * 1024, 1));
    const again = await outcome(store.put('data/00/again', Buffer.alloc(1000, 3)));
    return { small, bigBuffer, afterBuffer, bigStream, afterStream, listed, smallIntact, again };
  }
  if (mode === 'erofs') {
    const put = await outcome(store.put('index/new', Buffer.from('x')));
    const del = await outcome(store.delete('config'));
    const read = (await store.get('config')).toString();
    return { put, del, read, files: await everything(dir) };
  }
  if (mode === 'eacces') {
    const put = await outcome(store.put('index/new', Buffer.from('x')));
    const putStream = await outcome(store.put('index/new2', stream(100_000)));
    return { put, putStream, files: await everything(dir) };
  }
  throw new Error(`unknown mode ${String(mode)}`);
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  },
  (error: unknown) => {
    process.stdout.write(`${JSON.stringify({ crashed: String(error) })}\n`);
    process.exitCode = 1;
  },
);
