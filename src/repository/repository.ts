import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { newConfig, parseConfig, type RepoConfig } from './config.js';
import type { ChunkerParams } from './content/types.js';
import { DEFAULT_SCRYPT, newMasterKeys, type MasterKeys, type ScryptParams } from './crypto.js';
import {
  IntegrityError,
  NotARepositoryError,
  RepositoryError,
  RepositoryExistsError,
  WrongPassphraseError,
} from './errors.js';
import { IndexCache } from './index-cache.js';
import { decodeIndex } from './index-file.js';
import { checkScryptParams, parseKeyFile, unwrapKeys, wrapKeys, type KeyFile } from './keys.js';
import { SessionLock, type LockKind } from './locks.js';
import { decodeManifest, type Manifest } from './manifest.js';
import type { ObjectRef } from './objects.js';
import { ObjectReader } from './reader.js';
import { defaultSealThreads, SealPool } from './seal-pool.js';
import { WriteSession } from './session.js';
import { BlobNotFoundError, type BlobStore } from './store/types.js';

export interface OpenOptions {
  /** Where this client keeps its index cache (disposable; rebuilt from the repository). */
  cacheDir: string;
  /**
   * Worker threads that compress and encrypt while the main thread chunks and hashes; default
   * one fewer than the machine's cores (1–4); 0 seals on the main thread.
   */
  sealThreads?: number;
}

export interface InitOptions extends OpenOptions {
  chunker?: ChunkerParams;
  packTarget?: number;
  scrypt?: ScryptParams;
  keyName?: string;
}

export interface KeyInfo {
  id: string;
  name: string;
  host: string;
  created: string;
  current: boolean;
}

/**
 * An open repository: its config, master keys (unlocked by a passphrase), the local index cache,
 * and the ways to write (sessions) and read (objects, manifests).
 */
export class Repository {
  readonly reader: ObjectReader;
  private closed = false;
  /** Started with the first session, shared by all sessions of this repository object. */
  private sealPool: SealPool | undefined;
  private sealThreads: number | undefined;

  private constructor(
    readonly store: BlobStore,
    readonly config: RepoConfig,
    /** @internal used by check, prune and stats */
    readonly keys: MasterKeys,
    readonly cache: IndexCache,
    private keyId: string,
  ) {
    this.reader = new ObjectReader(store, keys, cache, () => this.syncIndex());
  }

  /**
   * Creates a repository; refuses a store that already holds one (a config or key files), and
   * parameters that would make it unusable, before writing anything.
   */
  static async init(store: BlobStore, passphrase: string, opts: InitOptions): Promise<Repository> {
    if (passphrase.length === 0) throw new RepositoryError('the passphrase must not be empty');
    const config = newConfig({
      ...(opts.chunker ? { chunker: opts.chunker } : {}),
      ...(opts.packTarget !== undefined ? { packTarget: opts.packTarget } : {}),
    });
    checkScryptParams(opts.scrypt ?? DEFAULT_SCRYPT);
    if (await store.stat('config'))
      throw new RepositoryExistsError(
        `${store.location} already holds a repository; refusing to overwrite it`,
      );
    for await (const _ of store.list('keys/'))
      throw new RepositoryExistsError(
        `${store.location} already holds repository keys; refusing to overwrite them`,
      );
    const keys = newMasterKeys();
    const keyId = randomBytes(32).toString('hex');
    // Key first, config last: a half-initialised store has no config and is not a repository.
    await store.put(
      `keys/${keyId}`,
      Buffer.from(JSON.stringify(await wrapKeys(keys, passphrase, opts.keyName ?? 'default', opts.scrypt))),
    );
    await store.put('config', Buffer.from(JSON.stringify(config, null, 2)));
    return Repository.connect(store, config, keys, keyId, opts);
  }

  static async open(store: BlobStore, passphrase: string, opts: OpenOptions): Promise<Repository> {
    let raw: Buffer;
    try {
      raw = await store.get('config');
    } catch (e) {
      if (e instanceof BlobNotFoundError)
        throw new NotARepositoryError(
          `${store.location} holds no Safehold repository (no config); create one with 'safehold repo init'`,
        );
      throw e;
    }
    const config = parseConfig(raw, store.location);
    let tried = 0;
    const unreadable: string[] = [];
    for await (const f of store.list('keys/')) {
      let file: KeyFile;
      try {
        file = parseKeyFile(await store.get(f.name), f.name);
      } catch (e) {
        // One damaged key file must not lock out the holders of the others.
        if (e instanceof RepositoryError || e instanceof RangeError || e instanceof BlobNotFoundError) {
          unreadable.push(`${f.name}: ${e.message}`);
          continue;
        }
        throw e;
      }
      tried++;
      const keys = await unwrapKeys(file, passphrase);
      if (keys) return Repository.connect(store, config, keys, f.name.slice('keys/'.length), opts);
    }
    if (tried === 0)
      throw new NotARepositoryError(
        `${store.location} has a config but no usable key files${unreadable.length ? ` (${unreadable.join('; ')})` : ''}`,
      );
    throw new WrongPassphraseError(
      `${store.location}, ${tried} key file${tried === 1 ? '' : 's'} tried` +
        (unreadable.length ? `; unreadable: ${unreadable.join('; ')}` : ''),
    );
  }

  private static async connect(
    store: BlobStore,
    config: RepoConfig,
    keys: MasterKeys,
    keyId: string,
    opts: OpenOptions,
  ): Promise<Repository> {
    const cache = new IndexCache(join(opts.cacheDir, config.id, 'index-cache.sqlite'));
    const repo = new Repository(store, config, keys, cache, keyId);
    repo.sealThreads = opts.sealThreads;
    await repo.syncIndex();
    return repo;
  }

  get id(): string {
    return this.config.id;
  }

  /**
   * Index files that failed to decrypt or parse at the last sync (name → reason). They are left
   * out of the cache, so their blobs count as absent: writers store them again, readers and check
   * report what depends on them.
   */
  readonly unreadableIndexFiles = new Map<string, string>();

  /** Brings the index cache in line with the index files in the store. */
  async syncIndex(): Promise<void> {
    // What the cache knew before listing: a file a session in this process indexes meanwhile is
    // either listed or not in this snapshot, so it is never taken for vanished.
    const known = this.cache.files();
    const present = new Set<string>();
    for await (const f of this.store.list('index/')) present.add(f.name.slice('index/'.length));
    this.unreadableIndexFiles.clear();
    this.cache.removeFiles([...known].filter((n) => !present.has(n)));
    for (const name of present) {
      if (known.has(name)) continue;
      let bytes: Buffer;
      try {
        bytes = await this.store.get(`index/${name}`);
      } catch (e) {
        if (e instanceof BlobNotFoundError) continue; // superseded and deleted meanwhile
        throw e;
      }
      try {
        this.cache.addFile(name, decodeIndex(this.keys, name, bytes));
      } catch (e) {
        if (!(e instanceof IntegrityError)) throw e;
        this.unreadableIndexFiles.set(name, e.message);
      }
    }
    this.cache.applySupersedes();
  }

  /**
   * Starts a writing session. The lock comes first, then the index is synced: the session then
   * sees every tombstone written before it started, and prune (which keeps everything tombstoned
   * after the start of a live session) cannot delete a blob the session deduplicates against.
   */
  async session(kind: LockKind = 'backup'): Promise<WriteSession> {
    const lock = await SessionLock.acquire(this.store, kind);
    try {
      await this.syncIndex();
    } catch (e) {
      await lock.release().catch(() => undefined);
      throw e;
    }
    this.sealPool ??= new SealPool(this.keys, this.sealThreads ?? defaultSealThreads());
    return new WriteSession(this.store, this.keys, this.config, this.cache, lock, this.sealPool);
  }

  /**
   * An object's bytes, or the range `[start, end)`: `end` is cut to the object's size, a start
   * beyond the size or a range that is not one throws RangeError at once (see checkRange).
   */
  readObject(ref: ObjectRef, start?: number, end?: number): Readable {
    return this.reader.stream(ref, start, end);
  }

  async *manifestIds(): AsyncGenerator<string> {
    for await (const f of this.store.list('manifests/')) yield f.name.slice('manifests/'.length);
  }

  async readManifest(id: string): Promise<Manifest> {
    return decodeManifest(this.keys, id, await this.store.get(`manifests/${id}`));
  }

  /** The body records of a manifest, parsed, in the order written. */
  async *manifestRecords(manifest: Manifest): AsyncGenerator<Record<string, unknown>> {
    if (!manifest.body) return;
    // Chunk boundaries fall anywhere, also inside a multi-byte character: decode across them.
    const decoder = new StringDecoder('utf8');
    let carry = '';
    let line = 0;
    const parse = (text: string): Record<string, unknown> => {
      line++;
      try {
        return JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new IntegrityError(`manifest (session ${manifest.session}) body line ${line} is not JSON`);
      }
    };
    for await (const chunk of this.readObject(manifest.body)) {
      const lines = (carry + decoder.write(chunk as Buffer)).split('\n');
      carry = lines.pop() ?? '';
      for (const text of lines) if (text) yield parse(text);
    }
    carry += decoder.end();
    if (carry) yield parse(carry);
  }

  // Keys ------------------------------------------------------------------------------------

  async listKeys(): Promise<KeyInfo[]> {
    const out: KeyInfo[] = [];
    for await (const f of this.store.list('keys/')) {
      const k = parseKeyFile(await this.store.get(f.name), f.name);
      const id = f.name.slice('keys/'.length);
      out.push({ id, name: k.name, host: k.host, created: k.created, current: id === this.keyId });
    }
    return out.sort((a, b) => a.created.localeCompare(b.created));
  }

  /** Another passphrase for the same master keys. */
  async addKey(passphrase: string, name = 'added', params?: ScryptParams): Promise<string> {
    const id = randomBytes(32).toString('hex');
    await this.store.put(
      `keys/${id}`,
      Buffer.from(JSON.stringify(await wrapKeys(this.keys, passphrase, name, params))),
    );
    return id;
  }

  async removeKey(id: string): Promise<void> {
    if (id === this.keyId)
      throw new RepositoryError(
        'refusing to remove the key this session was opened with; open with another passphrase first',
      );
    const keys = await this.listKeys();
    if (!keys.some((k) => k.id === id)) throw new RepositoryError(`no key ${id}`);
    if (keys.length <= 1) throw new RepositoryError('refusing to remove the last key');
    await this.store.delete(`keys/${id}`);
  }

  /** Replaces the current key's passphrase: the new key file is written before the old one goes. */
  async changePassphrase(passphrase: string, params?: ScryptParams): Promise<string> {
    const current = (await this.listKeys()).find((k) => k.current);
    const id = await this.addKey(passphrase, current?.name ?? 'default', params);
    await this.store.delete(`keys/${this.keyId}`);
    this.keyId = id;
    return id;
  }

  /** Closes the index cache (the store belongs to the caller). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cache.close();
    // Threads are unreferenced and idle once sessions are done; nothing to wait for.
    this.sealPool?.close().catch(() => undefined);
  }
}
