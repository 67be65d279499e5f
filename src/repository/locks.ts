import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { BlobStore } from './store/types.js';

export type LockKind = 'backup' | 'prune' | 'check';

/** `locks/<lockId>` (see docs/repository-format.md, Locks). */
export interface LockFile {
  version: 1;
  kind: LockKind;
  host: string;
  pid: number;
  started: string;
  refreshed: string;
}

export const LOCK_REFRESH_MS = 5 * 60_000;
export const LOCK_STALE_MS = 30 * 60_000;

/**
 * How much earlier than its recorded start a live session is assumed to have read the index:
 * covers clock skew between hosts and the time prune takes to write its new index (a session that
 * starts while the index is being written may not see the tombstones in it).
 */
export const SESSION_SLACK_MS = 3600_000;

/**
 * A session's presence in the repository. Locks exclude nobody; they tell prune since when a
 * session it cannot see may depend on data. Refreshed by rewriting under a new id.
 */
export class SessionLock {
  private id: string;
  private timer: NodeJS.Timeout | undefined;
  private readonly file: LockFile;

  private constructor(
    private readonly store: BlobStore,
    kind: LockKind,
  ) {
    const now = new Date().toISOString();
    this.id = randomBytes(16).toString('hex');
    this.file = { version: 1, kind, host: hostname(), pid: process.pid, started: now, refreshed: now };
  }

  static async acquire(store: BlobStore, kind: LockKind): Promise<SessionLock> {
    const lock = new SessionLock(store, kind);
    await store.put(`locks/${lock.id}`, Buffer.from(JSON.stringify(lock.file)));
    lock.timer = setInterval(() => void lock.refresh().catch(() => undefined), LOCK_REFRESH_MS);
    lock.timer.unref();
    return lock;
  }

  get lockId(): string {
    return this.id;
  }

  get started(): string {
    return this.file.started;
  }

  async refresh(): Promise<void> {
    const old = this.id;
    this.id = randomBytes(16).toString('hex');
    this.file.refreshed = new Date().toISOString();
    await this.store.put(`locks/${this.id}`, Buffer.from(JSON.stringify(this.file)));
    await this.store.delete(`locks/${old}`);
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.store.delete(`locks/${this.id}`);
  }
}

/** Whether process `pid` exists on this machine (EPERM: it does, as another user's). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The stale rule (after restic): a lock is stale when it was not refreshed for LOCK_STALE_MS, or
 * at once when it names this host and a process that no longer runs (killed, crashed, rebooted).
 * Locks never block writers; a stale lock only stops holding prune back, and anybody may delete it.
 */
export function isStale(lock: LockFile, now = Date.now(), host = hostname()): boolean {
  const refreshed = Date.parse(lock.refreshed);
  if (!Number.isFinite(refreshed) || now - refreshed >= LOCK_STALE_MS) return true;
  return lock.host === host && Number.isSafeInteger(lock.pid) && lock.pid > 0 && !processExists(lock.pid);
}

/** Live (not stale) locks; a lock file that vanished or is torn meanwhile is skipped. */
export async function liveLocks(
  store: BlobStore,
  now = Date.now(),
): Promise<{ id: string; lock: LockFile }[]> {
  const out: { id: string; lock: LockFile }[] = [];
  for await (const f of store.list('locks/')) {
    const id = f.name.slice('locks/'.length);
    let lock: LockFile;
    try {
      lock = JSON.parse((await store.get(f.name)).toString('utf8')) as LockFile;
    } catch {
      // Gone meanwhile (refreshed or released) or torn: a refreshed lock shows up under its new id.
      continue;
    }
    if (!isStale(lock, now)) out.push({ id, lock });
  }
  return out;
}

/** Deletes stale lock files (housekeeping only: nothing waits on them); returns their ids. */
export async function removeStaleLocks(store: BlobStore, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for await (const f of store.list('locks/')) {
    let lock: LockFile;
    try {
      lock = JSON.parse((await store.get(f.name)).toString('utf8')) as LockFile;
    } catch {
      continue; // vanished or torn: not ours to judge
    }
    if (!isStale(lock, now)) continue;
    await store.delete(f.name);
    removed.push(f.name.slice('locks/'.length));
  }
  return removed;
}
