import { Collection } from '../core/collection.js';
import type { BlobFiles } from './blobs.js';
import type { Journal } from './journal.js';
import { type JournalOp } from './journal.js';
import type { ProfileSpec } from './profile.js';
import type { AppRecord, GroupRecord, SiteRecord, UserRecord } from './records.js';

/** Fills a collection with its seeded base content the first time it is touched. */
export type Materializer = (store: TenantStore, key: string, collection: Collection<unknown>) => void;

export interface TenantIdentity {
  tenantId: string;
  /** e.g. `contoso.onmicrosoft.com` */
  domain: string;
  /** e.g. `contoso` — SharePoint host is `<name>.sharepoint.com`. */
  name: string;
}

/**
 * The emulated tenant's state: every collection, materialized lazily from the seed, with writes
 * journaled so `--state DIR` survives restarts. Collections are named `kind:rest`; the part before
 * the first colon selects the materializer.
 */
export class TenantStore {
  private readonly collections = new Map<string, Collection<unknown>>();
  private readonly materializers = new Map<string, Materializer>();
  private replaying = false;

  constructor(
    readonly seed: string,
    readonly profile: ProfileSpec,
    readonly identity: TenantIdentity,
    readonly blobs: BlobFiles,
    private readonly journal: Journal,
  ) {}

  get sharepointHost(): string {
    return `${this.identity.name}.sharepoint.com`;
  }

  registerMaterializer(kind: string, fn: Materializer): void {
    this.materializers.set(kind, fn);
  }

  /** The collection named `key`, generated from the seed on first use. */
  collection<T>(key: string): Collection<T> {
    let c = this.collections.get(key);
    if (!c) {
      c = new Collection<unknown>(key);
      this.collections.set(key, c);
      const kind = key.slice(0, key.indexOf(':') >>> 0);
      this.materializers.get(kind)?.(this, key, c);
    }
    return c as Collection<T>;
  }

  /** Keys of every collection generated so far. */
  materializedKeys(): string[] {
    return [...this.collections.keys()];
  }

  /** Whether the collection exists already (without generating it). */
  isMaterialized(key: string): boolean {
    return this.collections.has(key);
  }

  /** Journaled write. */
  put<T>(key: string, id: string, value: T): void {
    this.collection<T>(key).put(id, value);
    this.log({ op: 'put', c: key, id, v: value });
  }

  /** Journaled removal; false if the item was not there. */
  remove(key: string, id: string, reason: 'deleted' | 'changed' = 'deleted'): boolean {
    const removed = this.collection(key).remove(id, reason);
    if (removed) this.log({ op: 'del', c: key, id, r: reason });
    return removed;
  }

  /** Forgets tombstones so older delta tokens of this collection must resync. */
  expireDeltaTokens(key: string): void {
    this.collection(key).forgetTombstones();
    this.log({ op: 'forget', c: key });
  }

  private log(op: JournalOp): void {
    if (!this.replaying) this.journal.append(op);
  }

  replay(ops: JournalOp[]): void {
    this.replaying = true;
    try {
      for (const op of ops) {
        if (op.op === 'put') this.put(op.c, op.id, op.v);
        else if (op.op === 'del') this.remove(op.c, op.id, op.r);
        else this.expireDeltaTokens(op.c);
      }
    } finally {
      this.replaying = false;
    }
  }

  close(): void {
    this.journal.close();
  }

  // Directory shortcuts: the directory is three collections like any other.
  get users(): Collection<UserRecord> {
    return this.collection<UserRecord>('directory:users');
  }
  get groups(): Collection<GroupRecord> {
    return this.collection<GroupRecord>('directory:groups');
  }
  get sites(): Collection<SiteRecord> {
    return this.collection<SiteRecord>('directory:sites');
  }
  get apps(): Collection<AppRecord> {
    return this.collection<AppRecord>('directory:apps');
  }

  /** A user by object id or user principal name (case-insensitive), as Graph resolves `/users/{id}`. */
  findUser(idOrUpn: string): UserRecord | undefined {
    const byId = this.users.get(idOrUpn);
    if (byId) return byId;
    const lower = idOrUpn.toLowerCase();
    for (const u of this.users.values()) if (u.userPrincipalName.toLowerCase() === lower) return u;
    return undefined;
  }
}
