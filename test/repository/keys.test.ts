import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkRepository,
  RepositoryError,
  WrongPassphraseError,
  type ObjectRef,
} from '../../src/repository/index.js';
import { listNames, makeRepo, pseudoRandom, readAll, TEST_SCRYPT } from './support/repo.js';

/** A repository holding one object, and a way to check it reads back through another client. */
async function repoWithData() {
  const t = await makeRepo();
  const data = pseudoRandom('keys test', 300_000);
  const session = await t.repo.session();
  const ref: ObjectRef = await session.putBuffer(data);
  await session.writeManifest('test.keys.v1', {}, [{ id: 'file', refs: [ref] }]);
  await session.close();
  const readsBack = async (passphrase: string) => {
    const other = await t.reopen(passphrase);
    return (await readAll(other.readObject(ref))).equals(data);
  };
  return { ...t, readsBack };
}

describe('keys', () => {
  it('adds keys: each passphrase opens the repository and reads the same data', async () => {
    const { repo, readsBack } = await repoWithData();
    const second = await repo.addKey('second passphrase', 'laptop', TEST_SCRYPT);
    const third = await repo.addKey('third passphrase', 'server', TEST_SCRYPT);
    const keys = await repo.listKeys();
    expect(keys).toHaveLength(3);
    expect(keys.filter((k) => k.current)).toHaveLength(1);
    expect(keys.find((k) => k.id === second)).toMatchObject({ name: 'laptop', current: false });
    expect(keys.find((k) => k.id === third)).toMatchObject({ name: 'server', current: false });
    for (const k of keys) expect(k.id).toMatch(/^[0-9a-f]{64}$/);
    expect(await readsBack('correct horse battery staple')).toBe(true);
    expect(await readsBack('second passphrase')).toBe(true);
    expect(await readsBack('third passphrase')).toBe(true);
    await expect(readsBack('fourth passphrase')).rejects.toThrow(WrongPassphraseError);
  });

  it('stores the scrypt parameters of each key in its key file', async () => {
    const { repo, store } = await repoWithData();
    const id = await repo.addKey('other', 'other', { N: 2048, r: 4, p: 2 });
    const file = JSON.parse((await store.get(`keys/${id}`)).toString()) as { kdf: unknown; name: string };
    expect(file.kdf).toMatchObject({ name: 'scrypt', N: 2048, r: 4, p: 2 });
    expect(file.name).toBe('other');
  });

  it('removes a key: its passphrase stops working, the others keep working', async () => {
    const { repo, readsBack } = await repoWithData();
    const second = await repo.addKey('second passphrase', 'second', TEST_SCRYPT);
    await repo.removeKey(second);
    expect((await repo.listKeys()).map((k) => k.id)).not.toContain(second);
    await expect(readsBack('second passphrase')).rejects.toThrow(WrongPassphraseError);
    expect(await readsBack('correct horse battery staple')).toBe(true);
  });

  it('refuses to remove the current key, the last key, or a key that does not exist', async () => {
    const { repo, reopen, store } = await repoWithData();
    const current = (await repo.listKeys()).find((k) => k.current)?.id as string;
    await expect(repo.removeKey(current)).rejects.toThrow(/opened with/);
    await expect(repo.removeKey('ab'.repeat(32))).rejects.toThrow(/no key/);
    // Another client opened with a second key removes the first; then only its own key is left.
    const second = await repo.addKey('second passphrase', 'second', TEST_SCRYPT);
    const other = await reopen('second passphrase');
    await other.removeKey(current);
    await expect(other.removeKey(second)).rejects.toThrow(RepositoryError);
    expect(await listNames(store, 'keys/')).toEqual([`keys/${second}`]);
  });

  it('changes the passphrase: the old one stops working, the new one opens, the data stays readable', async () => {
    const { repo, readsBack, store } = await repoWithData();
    const before = await repo.listKeys();
    const id = await repo.changePassphrase('a new passphrase', TEST_SCRYPT);
    const after = await repo.listKeys();
    expect(after).toHaveLength(before.length);
    expect(after.find((k) => k.current)).toMatchObject({ id, name: 'default' });
    await expect(readsBack('correct horse battery staple')).rejects.toThrow(WrongPassphraseError);
    expect(await readsBack('a new passphrase')).toBe(true);
    // The repository stays writable through the instance that changed it.
    const session = await repo.session();
    await session.writeManifest('test.keys.v1', {}, [{ refs: [await session.putBuffer(Buffer.from('x'))] }]);
    await session.close();
    expect(await listNames(store, 'manifests/')).toHaveLength(2);
  });

  it('refuses an empty passphrase and bad scrypt parameters for a new key', async () => {
    const { repo, store } = await repoWithData();
    await expect(repo.addKey('', 'x', TEST_SCRYPT)).rejects.toThrow(/empty/);
    await expect(repo.addKey('p', 'x', { N: 1024, r: 0, p: 1 })).rejects.toThrow(/scrypt r/);
    expect(await listNames(store, 'keys/')).toHaveLength(1);
  });

  it('opens with a good key when another key file is damaged, and names the damage otherwise', async () => {
    const { repo, dir, readsBack } = await repoWithData();
    await repo.addKey('second passphrase', 'second', TEST_SCRYPT);
    const first = (await repo.listKeys()).find((k) => k.current)?.id as string;
    const path = join(dir, 'keys', first);
    await writeFile(path, (await readFile(path)).subarray(0, 20));
    expect(await readsBack('second passphrase')).toBe(true);
    const error = await readsBack('correct horse battery staple').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongPassphraseError);
    expect((error as Error).message).toContain(`keys/${first}: key file keys/${first} is not JSON`);
    const report = await checkRepository(repo);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'unreadable-key', file: `keys/${first}` }),
    ]);
  });
});
