import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { BlobSet } from './blob-set.js';
import type { IndexCache } from './index-cache.js';

/** What becomes of a listing in prune's new index. */
export const AS_IS = 0;
/** Unreferenced: gets a tombstone dated when the new index is written. */
export const NEW_TOMBSTONE = 1;
/** Live, in a pack being repacked: tombstoned once its copy is indexed (left live if the copy fails). */
export const COPY = 2;
export type Fate = typeof AS_IS | typeof NEW_TOMBSTONE | typeof COPY;

/** One listing of the new index. */
export interface PlannedListing {
  seq: number;
  pack: string;
  id: Buffer;
  type: number;
  offset: number;
  length: number;
  rawLength: number;
  /** An earlier tombstone that stays (null when live or revived). */
  tomb: string | null;
  fate: Fate;
  /** A tombstoned listing brought back because a manifest references the blob again. */
  revived: boolean;
}

export interface PlanRules {
  /** Tombstones dated before it are final; packs written before it are old enough to judge. */
  cutoff: number;
  /** Repack a pack when tombstoned bytes exceed this share of its listed bytes. */
  waste: number;
}

export interface PlanSummary {
  /** The index files the plan covers: the new index supersedes exactly these. */
  files: Set<string>;
  newTombstones: number;
  revived: number;
  doomedPacks: number;
  doomedBytes: number;
  /** Listings of missing packs with nothing live in them: left out of the new index. */
  droppedListings: number;
  wastefulPacks: string[];
}

interface StoredPack {
  size: number;
  mtime: number | null;
}

type Listing = ReturnType<IndexCache['listings']> extends Iterable<infer T> ? T : never;

const BATCH = 10_000;

/**
 * Prune's working state, kept in an SQLite file beside the cache rather than on the heap: the
 * mark set, the packs in the store, and the planned new index (docs/repository-format.md, Prune).
 * Planning is synchronous over the index cache, so the plan matches one consistent view of it.
 */
export class PrunePlan {
  private readonly db: Database.Database;
  /** Blobs reachable from a manifest. */
  readonly marked: BlobSet;
  /** Blobs with a live listing in an existing pack (after revivals). */
  private readonly listed: BlobSet;
  private pendingStored: [string, number, number | null][] = [];
  private pendingRows: unknown[][] = [];

  constructor(private readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    rmSync(path, { force: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.exec(`
      CREATE TABLE stored (pack TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime INTEGER) WITHOUT ROWID;
      CREATE TABLE indexed (pack TEXT PRIMARY KEY) WITHOUT ROWID;
      CREATE TABLE doomed (pack TEXT PRIMARY KEY, size INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE planned (seq INTEGER PRIMARY KEY, pack TEXT NOT NULL, id BLOB NOT NULL, type INTEGER NOT NULL,
        offset INTEGER NOT NULL, length INTEGER NOT NULL, raw INTEGER NOT NULL, tomb TEXT, fate INTEGER NOT NULL,
        revived INTEGER NOT NULL);
      CREATE INDEX planned_copies ON planned (pack) WHERE fate = ${COPY};
    `);
    this.marked = new BlobSet(this.db, 'marked');
    this.listed = new BlobSet(this.db, 'listed');
  }

  /** Records a pack file of the store (`data/`), with its size and modification time. */
  addStoredPack(pack: string, size: number, modified: Date | undefined): void {
    this.pendingStored.push([pack, size, modified ? modified.getTime() : null]);
    if (this.pendingStored.length >= BATCH) this.flushStored();
  }

  private flushStored(): void {
    const rows = this.pendingStored;
    this.pendingStored = [];
    const insert = this.db.prepare('INSERT OR REPLACE INTO stored (pack, size, mtime) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const r of rows) insert.run(...r);
    })();
  }

  private flushRows(): void {
    const rows = this.pendingRows;
    this.pendingRows = [];
    const insert = this.db.prepare(
      'INSERT INTO planned (pack, id, type, offset, length, raw, tomb, fate, revived) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const r of rows) insert.run(...r);
    })();
  }

  /**
   * Decides the fate of every listing and pack from one synchronous pass over the cache: revive
   * tombstoned blobs that a manifest needs and that have no other live listing; tombstone
   * unreferenced blobs in packs older than the cutoff; doom packs holding only final garbage;
   * pick wasteful packs for repacking; leave out listings of vanished packs with nothing live.
   */
  plan(cache: IndexCache, rules: PlanRules): PlanSummary {
    this.flushStored();
    const storedStmt = this.db.prepare('SELECT size, mtime FROM stored WHERE pack = ?');
    let lastPack: string | undefined;
    let lastStored: StoredPack | undefined;
    const stored = (pack: string): StoredPack | undefined => {
      if (pack !== lastPack) {
        lastPack = pack;
        lastStored = storedStmt.get(pack) as StoredPack | undefined;
      }
      return lastStored;
    };
    const summary: PlanSummary = {
      files: cache.files(),
      newTombstones: 0,
      revived: 0,
      doomedPacks: 0,
      doomedBytes: 0,
      droppedListings: 0,
      wastefulPacks: [],
    };
    // Which blobs are live somewhere, so that a blob is revived in one pack at most.
    for (const l of cache.listings()) if (!l.tombstoned && stored(l.pack)) this.listed.add(l.id);

    const indexed = this.db.prepare('INSERT OR IGNORE INTO indexed (pack) VALUES (?)');
    const doom = this.db.prepare('INSERT OR IGNORE INTO doomed (pack, size) VALUES (?, ?)');
    const decide = (pack: string, listings: Listing[]): void => {
      indexed.run(pack);
      const file = stored(pack);
      const old = file?.mtime != null && file.mtime < rules.cutoff;
      let live = 0;
      let dead = 0;
      let allFinal = true;
      const planned = listings.map((l) => {
        let tomb = l.tombstonedAt;
        let fate: Fate = AS_IS;
        let revived = false;
        if (tomb !== null) {
          if (file && this.marked.has(l.id) && !this.listed.has(l.id)) {
            this.listed.add(l.id);
            tomb = null;
            revived = true;
          }
        } else if (old && !this.marked.has(l.id)) fate = NEW_TOMBSTONE;
        if (tomb === null && fate === AS_IS) {
          live += l.length;
          allFinal = false;
        } else {
          dead += l.length;
          // A tombstone is final once older than the cutoff; new ones never are.
          if (tomb === null || !(Date.parse(tomb) < rules.cutoff)) allFinal = false;
        }
        return { l, tomb, fate, revived };
      });
      if (!file && live === 0) {
        summary.droppedListings += listings.length;
        return;
      }
      if (file && live === 0 && allFinal) {
        doom.run(pack, file.size);
        summary.doomedPacks++;
        summary.doomedBytes += file.size;
        return;
      }
      const wasteful = file !== undefined && live > 0 && dead / (live + dead) > rules.waste;
      if (wasteful) summary.wastefulPacks.push(pack);
      for (const p of planned) {
        if (p.revived) summary.revived++;
        if (p.fate === NEW_TOMBSTONE) summary.newTombstones++;
        const fate = wasteful && p.tomb === null && p.fate === AS_IS ? COPY : p.fate;
        const { l } = p;
        this.pendingRows.push([
          pack,
          l.id,
          l.type,
          l.offset,
          l.length,
          l.rawLength,
          p.tomb,
          fate,
          p.revived ? 1 : 0,
        ]);
      }
      if (this.pendingRows.length >= BATCH) this.flushRows();
    };

    let pack: string | undefined;
    let group: Listing[] = [];
    for (const l of cache.listings()) {
      if (l.pack !== pack) {
        if (pack !== undefined) decide(pack, group);
        pack = l.pack;
        group = [];
      }
      group.push(l);
    }
    if (pack !== undefined) decide(pack, group);
    this.flushRows();
    return summary;
  }

  /** Pack files no index names, written before the cutoff (a writer died before its index). */
  orphans(cutoff: number): { pack: string; size: number }[] {
    return this.db
      .prepare(
        `SELECT s.pack, s.size FROM stored s WHERE s.mtime IS NOT NULL AND s.mtime < ?
           AND NOT EXISTS (SELECT 1 FROM indexed i WHERE i.pack = s.pack) ORDER BY s.pack`,
      )
      .all(cutoff) as { pack: string; size: number }[];
  }

  /** Whether the store held the pack when prune listed it. */
  isStored(pack: string): boolean {
    return this.db.prepare('SELECT 1 FROM stored WHERE pack = ?').get(pack) !== undefined;
  }

  doomed(): { pack: string; size: number }[] {
    return this.db.prepare('SELECT pack, size FROM doomed ORDER BY pack').all() as {
      pack: string;
      size: number;
    }[];
  }

  /** The live listings of a pack being repacked. */
  copies(pack: string): PlannedListing[] {
    return (
      this.db
        .prepare(`SELECT * FROM planned WHERE pack = ? AND fate = ${COPY} ORDER BY seq`)
        .all(pack) as Row[]
    ).map(toListing);
  }

  /** The planned listings in pack order, a page at a time (safe to await between them). */
  *listings(pageSize = 10_000): Generator<PlannedListing> {
    const page = this.db.prepare('SELECT * FROM planned WHERE seq > ? ORDER BY seq LIMIT ?');
    let after = 0;
    for (;;) {
      const rows = page.all(after, pageSize) as Row[];
      if (rows.length === 0) return;
      for (const r of rows) yield toListing(r);
      after = (rows[rows.length - 1] as Row).seq;
    }
  }

  close(): void {
    this.db.close();
    rmSync(this.path, { force: true });
  }
}

interface Row {
  seq: number;
  pack: string;
  id: Buffer;
  type: number;
  offset: number;
  length: number;
  raw: number;
  tomb: string | null;
  fate: Fate;
  revived: number;
}

const toListing = (r: Row): PlannedListing => ({
  seq: r.seq,
  pack: r.pack,
  id: r.id,
  type: r.type,
  offset: r.offset,
  length: r.length,
  rawLength: r.raw,
  tomb: r.tomb,
  fate: r.fate,
  revived: r.revived === 1,
});
