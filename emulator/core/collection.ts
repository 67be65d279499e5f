/**
 * A change-tracked collection: the unit behind every Graph delta query (a mail folder, a drive, a
 * channel, the directory's users). Each write gets the next sequence number of this collection, so
 * a delta token is simply "changes after seq N" and stays valid across emulator restarts when the
 * same journal is replayed. Deletions leave tombstones so a later delta can report `@removed`.
 */
export interface Entry<T> {
  id: string;
  seq: number;
  /** `null` for a tombstone. */
  value: T | null;
  /** Why it left this collection (Graph's `@removed.reason`). */
  removedReason?: 'deleted' | 'changed';
}

export class Collection<T> {
  private readonly byId = new Map<string, Entry<T>>();
  /** Entries in seq order; superseded ones stay until compaction and are skipped by `current`. */
  private log: Entry<T>[] = [];
  private stale = 0;
  private seq = 0;
  /** Tombstones older than this seq were compacted away; older delta tokens must resync. */
  private horizon = 0;
  private liveCount = 0;

  constructor(readonly key: string) {}

  get lastSeq(): number {
    return this.seq;
  }

  get size(): number {
    return this.liveCount;
  }

  /** The oldest seq a delta token may carry and still be served incrementally. */
  get deltaHorizon(): number {
    return this.horizon;
  }

  get(id: string): T | undefined {
    return this.byId.get(id)?.value ?? undefined;
  }

  has(id: string): boolean {
    return this.byId.get(id)?.value != null;
  }

  put(id: string, value: T): Entry<T> {
    return this.write({ id, seq: 0, value });
  }

  /** Marks the item gone, keeping a tombstone; returns false when it was not there. */
  remove(id: string, reason: 'deleted' | 'changed' = 'deleted'): boolean {
    if (!this.has(id)) return false;
    this.write({ id, seq: 0, value: null, removedReason: reason });
    return true;
  }

  private write(entry: Entry<T>): Entry<T> {
    const prev = this.byId.get(entry.id);
    if (prev) this.stale++;
    if (prev?.value != null) this.liveCount--;
    if (entry.value != null) this.liveCount++;
    entry.seq = ++this.seq;
    this.byId.set(entry.id, entry);
    this.log.push(entry);
    if (this.stale > 1024 && this.stale > this.log.length / 2) this.compact();
    return entry;
  }

  private compact(): void {
    this.log = this.log.filter((e) => this.byId.get(e.id) === e);
    this.stale = 0;
  }

  /** Drops tombstones (as Exchange and OneDrive eventually do); tokens from before resync. */
  forgetTombstones(): void {
    for (const [id, e] of this.byId) if (e.value === null) this.byId.delete(id);
    this.compact();
    this.horizon = this.seq;
  }

  /** Current entries (tombstones included) with seq > afterSeq, in seq order. */
  *entriesAfter(afterSeq: number): Generator<Entry<T>> {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.log[mid] as Entry<T>).seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.log.length; i++) {
      const e = this.log[i] as Entry<T>;
      if (this.byId.get(e.id) === e) yield e;
    }
  }

  /** Live items in seq order, optionally resuming after a seq cursor. */
  *live(afterSeq = 0): Generator<Entry<T> & { value: T }> {
    for (const e of this.entriesAfter(afterSeq)) if (e.value !== null) yield e as Entry<T> & { value: T };
  }

  values(): T[] {
    const out: T[] = [];
    for (const e of this.live()) out.push(e.value);
    return out;
  }
}
