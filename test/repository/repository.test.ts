import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FolderStore,
  IntegrityError,
  NotARepositoryError,
  Repository,
  RepositoryError,
  RepositoryExistsError,
  WrongPassphraseError,
  type ObjectRef,
} from '../../src/repository/index.js';
import {
  listNames,
  makeRepo,
  MEDIUM_CHUNKER,
  PASSPHRASE,
  pseudoRandom,
  readAll,
  SMALL_CHUNKER,
  tempDir,
  TEST_SCRYPT,
} from './support/repo.js';

describe('Repository.init and open', () => {
  it('writes a config with the chosen parameters and a key file with its scrypt parameters', async () => {
    const { repo, dir, reopen } = await makeRepo({ chunker: SMALL_CHUNKER, packTarget: 65536 });
    const config = JSON.parse(await readFile(join(dir, 'config'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      version: 1,
      id: repo.id,
      chunker: { algorithm: 'fastcdc-2020', ...SMALL_CHUNKER },
      contentId: 'hmac-sha256',
      compression: 'zstd',
      encryption: 'aes-256-gcm',
      packSize: { target: 65536 },
      kdf: 'scrypt',
    });
    const keys = await listNames(repo.store, 'keys/');
    expect(keys).toHaveLength(1);
    const key = JSON.parse(await readFile(join(dir, ...(keys[0] as string).split('/')), 'utf8')) as {
      kdf: { name: string; N: number; r: number; p: number; salt: string };
      data: string;
    };
    expect(key.kdf).toMatchObject({ name: 'scrypt', ...TEST_SCRYPT });
    expect(Buffer.from(key.kdf.salt, 'base64')).toHaveLength(32);
    // nonce + JSON of two base64 keys + tag: the master keys are in there, but not readable.
    expect(Buffer.from(key.data, 'base64').length).toBeGreaterThan(28 + 64);
    const again = await reopen();
    expect(again.id).toBe(repo.id);
    expect(again.config).toEqual(repo.config);
  });

  it('uses scrypt N=65536, r=8, p=1 by default, and opens with it', async () => {
    const root = await tempDir();
    const store = new FolderStore(join(root, 'repo'), { fsync: false });
    const repo = await Repository.init(store, PASSPHRASE, { cacheDir: join(root, 'c1') });
    repo.close();
    const [name] = await listNames(store, 'keys/');
    const key = JSON.parse((await store.get(name as string)).toString()) as { kdf: unknown };
    expect(key.kdf).toMatchObject({ name: 'scrypt', N: 65536, r: 8, p: 1 });
    const again = await Repository.open(store, PASSPHRASE, { cacheDir: join(root, 'c2') });
    expect(again.id).toBe(repo.id);
    again.close();
  });

  it('refuses a store that already holds a repository, and changes nothing in it', async () => {
    const { store, dir } = await makeRepo();
    const before = await readFile(join(dir, 'config'));
    const keysBefore = await listNames(store, 'keys/');
    const cacheDir = await tempDir();
    await expect(Repository.init(store, 'other', { cacheDir, scrypt: TEST_SCRYPT })).rejects.toThrow(
      RepositoryExistsError,
    );
    expect(await readFile(join(dir, 'config'))).toEqual(before);
    expect(await listNames(store, 'keys/')).toEqual(keysBefore);
  });

  it('refuses a store that holds key files but no config (a half-created repository)', async () => {
    const root = await tempDir();
    const store = new FolderStore(root, { fsync: false });
    await store.put('keys/abc', Buffer.from('{}'));
    const cacheDir = await tempDir();
    const error = await Repository.init(store, PASSPHRASE, { cacheDir, scrypt: TEST_SCRYPT }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RepositoryExistsError);
    expect((error as Error).message).toMatch(/keys/);
    expect(await store.stat('config')).toBeUndefined();
  });

  it('rejects unusable parameters before writing anything', async () => {
    const root = await tempDir();
    const store = new FolderStore(root, { fsync: false });
    const cacheDir = await tempDir();
    const attempts: [Parameters<typeof Repository.init>[2], RegExp][] = [
      [{ cacheDir, chunker: { ...SMALL_CHUNKER, avgSize: 300 } }, /avgSize/],
      [{ cacheDir, chunker: { ...SMALL_CHUNKER, minSize: 4096 } }, /minSize <= avgSize/],
      [{ cacheDir, packTarget: 0 }, /pack target/],
      [{ cacheDir, packTarget: 2 ** 32 }, /4 GiB/],
      [{ cacheDir, scrypt: { N: 1000, r: 8, p: 1 } }, /scrypt N/],
    ];
    for (const [opts, message] of attempts)
      await expect(Repository.init(store, PASSPHRASE, opts)).rejects.toThrow(message);
    await expect(Repository.init(store, '', { cacheDir, scrypt: TEST_SCRYPT })).rejects.toThrow(/empty/);
    expect(await listNames(store, '')).toEqual([]);
  });

  it('says an empty store, or one with a config but no keys, is not a repository', async () => {
    const root = await tempDir();
    const store = new FolderStore(root, { fsync: false });
    const cacheDir = await tempDir();
    const error = await Repository.open(store, PASSPHRASE, { cacheDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotARepositoryError);
    expect((error as Error).message).toMatch(/no config/);

    const { store: other, dir } = await makeRepo();
    await store.put('config', await readFile(join(dir, 'config')));
    await expect(Repository.open(store, PASSPHRASE, { cacheDir })).rejects.toThrow(/no usable key files/);
    await store.put('config', Buffer.from('not json'));
    await expect(Repository.open(store, PASSPHRASE, { cacheDir })).rejects.toThrow(NotARepositoryError);
    await store.put('config', Buffer.from(JSON.stringify({ version: 2 })));
    await expect(Repository.open(store, PASSPHRASE, { cacheDir })).rejects.toThrow(/version 2/);
    await other.close();
  });

  it('rejects a wrong passphrase with a clear WrongPassphraseError', async () => {
    const { reopen } = await makeRepo();
    const error = await reopen('not the passphrase').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongPassphraseError);
    expect((error as Error).message).toMatch(/^wrong passphrase: it unlocks none of the repository's keys/);
    expect((error as Error).message).toMatch(/1 key file tried/);
  });
});

/** Writes `count` objects and a manifest whose records reference them; returns what went in. */
async function writeSample(repo: Repository, count: number) {
  const session = await repo.session();
  const objects: { data: Buffer; ref: ObjectRef }[] = [];
  for (let i = 0; i < count; i++) {
    const data = pseudoRandom(`object ${i}`, 1000 + i * 379);
    objects.push({ data, ref: await session.putBuffer(data) });
  }
  const records = objects.map((o, i) => ({
    id: `item-${i}`,
    // Non-ASCII text: chunk boundaries fall inside multi-byte characters too.
    title: `Grüße, 東京 🎉 #${i} ${'é'.repeat(i * 37)}`,
    refs: [o.ref],
  }));
  const manifestId = await session.writeManifest('test.sample.v1', { run: 7, tenant: 'contoso' }, records);
  await session.close();
  return { objects, records, manifestId, sessionId: session.id };
}

describe('manifests', () => {
  it('stores records and everything needed to restore them, and reads them back', async () => {
    const { repo, store, reopen } = await makeRepo({ chunker: SMALL_CHUNKER });
    const { objects, records, manifestId } = await writeSample(repo, 60);
    const bytes = await store.get(`manifests/${manifestId}`);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(manifestId);
    expect(bytes.includes('contoso')).toBe(false); // encrypted

    const other = await reopen();
    const ids: string[] = [];
    for await (const id of other.manifestIds()) ids.push(id);
    expect(ids).toEqual([manifestId]);
    const manifest = await other.readManifest(manifestId);
    expect(manifest).toMatchObject({
      version: 1,
      schema: 'test.sample.v1',
      meta: { run: 7, tenant: 'contoso' },
    });
    expect(Date.parse(manifest.created)).toBeGreaterThan(Date.now() - 60_000);
    expect(manifest.host.length).toBeGreaterThan(0);
    expect(manifest.session).toMatch(/^[0-9a-f]{32}$/);
    // The body spans many small chunks, so UTF-8 characters straddle chunk boundaries.
    expect(manifest.body?.s).toBeGreaterThan(20 * SMALL_CHUNKER.maxSize);
    const back: Record<string, unknown>[] = [];
    for await (const r of other.manifestRecords(manifest)) back.push(r);
    expect(back).toEqual(records);
    for (const [i, r] of back.entries()) {
      const ref = (r['refs'] as ObjectRef[])[0] as ObjectRef;
      expect((await readAll(other.readObject(ref))).equals((objects[i] as { data: Buffer }).data)).toBe(true);
    }
  });

  it('writes a manifest without records with a null body', async () => {
    const { repo } = await makeRepo();
    const session = await repo.session();
    const id = await session.writeManifest('test.empty.v1', {}, []);
    await session.close();
    const m = await repo.readManifest(id);
    expect(m.body).toBeNull();
    const records: unknown[] = [];
    for await (const r of repo.manifestRecords(m)) records.push(r);
    expect(records).toEqual([]);
  });

  it('refuses records that are not objects or whose refs are malformed or not stored, writing no manifest', async () => {
    const { repo, store } = await makeRepo();
    const session = await repo.session();
    const ref = await session.putBuffer(Buffer.from('kept'));
    const ghost = { s: 10, c: ['ab'.repeat(32)] };
    const cases: [object[], RegExp][] = [
      [[{ id: 'a', refs: [ref] }, 'text' as unknown as object], /record 2 is not a JSON object/],
      [[{ id: 'a', refs: ref }], /refs is not an array/],
      [[{ id: 'a', refs: [{ s: 3 }] }], /is not a reference/],
      [
        [{ id: 'a', refs: [ref, ghost] }],
        new RegExp(`blob ${'ab'.repeat(32)}, which this repository does not hold`),
      ],
    ];
    for (const [records, message] of cases) {
      const error = await session.writeManifest('test.v1', {}, records).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RepositoryError);
      expect((error as Error).message).toMatch(message);
    }
    expect(await listNames(store, 'manifests/')).toEqual([]);
    // The session is still usable: refused input loses nothing.
    const id = await session.writeManifest('test.v1', {}, [{ id: 'a', refs: [ref] }]);
    await session.close();
    expect(await listNames(store, 'manifests/')).toEqual([`manifests/${id}`]);
  });

  it('refuses a ref another session has not flushed yet, and accepts it once flushed', async () => {
    const { repo } = await makeRepo();
    const writer = await repo.session();
    const other = await repo.session();
    const ref = await writer.putBuffer(pseudoRandom('unflushed', 5000));
    await expect(other.writeManifest('test.v1', {}, [{ refs: [ref] }])).rejects.toThrow(/not flushed yet/);
    await writer.flush();
    const id = await other.writeManifest('test.v1', {}, [{ refs: [ref] }]);
    await Promise.all([writer.close(), other.close()]);
    expect((await repo.readManifest(id)).schema).toBe('test.v1');
  });

  it('reports a damaged manifest as an IntegrityError naming it', async () => {
    const { repo, dir } = await makeRepo();
    const { manifestId } = await writeSample(repo, 2);
    const path = join(dir, 'manifests', manifestId);
    const bytes = await readFile(path);
    bytes[40] = (bytes[40] ?? 0) ^ 1;
    await writeFile(path, bytes);
    const error = await repo.readManifest(manifestId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as Error).message).toContain(manifestId);
  });

  it('rejects work on a closed session', async () => {
    const { repo } = await makeRepo({ chunker: MEDIUM_CHUNKER });
    const session = await repo.session();
    await session.close();
    await expect(session.putBuffer(Buffer.from('x'))).rejects.toThrow(/closed/);
    await expect(session.writeManifest('t', {}, [])).rejects.toThrow(/closed/);
    expect(await listNames(repo.store, 'locks/')).toEqual([]);
  });
});
