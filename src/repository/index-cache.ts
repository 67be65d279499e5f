import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { BlobType } from './blob.js';
import type { IndexFile } from './index-file.js';

/** Where a blob lives: enough to read it with one ranged GET. */
export interface BlobLocation {
  pack: string;
  type: BlobType;
  offset: number;
  length: number;
  rawLength: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS files (n INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, supersedes TEXT NOT NULL DEFAULT '[]', dead INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS packs (n INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS blobs (id BLOB NOT NULL, pack INTEGER NOT NULL, file INTEGER NOT NULL, type INTEGER NOT NULL,
  offset INTEGER NOT NULL, length INTEGER NOT NULL, raw INTEGER NOT NULL, PRIMARY KEY (id, pack, file)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS marks (id BLOB NOT NULL, pack INTEGER NOT NULL, file INTEGER NOT NULL, kind INTEGER NOT NULL,
  at TEXT NOT NULL, PRIMARY KEY (id, pack, file, kind)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blobs_pack ON blobs (pack);
`;
interface LocationRow {
  pack: Buffer;
  type: BlobType;
  offset: number;
  length: number;
  raw: number;
}

const toLocation = (r: LocationRow): BlobLocation => ({
  pack: r.pack.toString('hex'),
  type: r.type,
  offset: r.offset,
  length: r.length,
  rawLength: r.raw,
});

const TOMBSTONE = 0;
const REVIVED = 1;

/**
 * The local, disposable copy of the repository index: every index file's listings in SQLite, so
 * a lookup is one indexed query and 100 million blobs cost disk, not heap. It mirrors a set of
 * index file names; `sync` adds new files and drops vanished or superseded ones.
 */
export class IndexCache {
  private readonly db: Database.Database;
  private readonly findStmt: Database.Statement;
  private readonly condemnedStmt: Database.Statement;
  private readonly locationsStmt: Database.Statement;
  private readonly packIdStmt: Database.Statement;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    // A listing counts unless it is tombstoned by a file and not revived by a later one. The type
    // matters: a tree blob and a data blob with the same plaintext share an id but not a stored form.
    const live = `SELECT DISTINCT p.id AS pack, b.type, b.offset, b.length, b.raw FROM blobs b JOIN packs p ON p.n = b.pack
      WHERE b.id = @id AND (@type IS NULL OR b.type = @type) AND NOT EXISTS (
        SELECT 1 FROM marks t WHERE t.id = b.id AND t.pack = b.pack AND t.kind = ${TOMBSTONE}
          AND NOT EXISTS (SELECT 1 FROM marks r WHERE r.id = t.id AND r.pack = t.pack AND r.kind = ${REVIVED} AND r.at >= t.at))`;
    this.findStmt = this.db.prepare(`${live} LIMIT 1`);
    this.condemnedStmt = this.db.prepare(
      `SELECT p.id AS pack, b.type, b.offset, b.length, b.raw, MAX(t.at) AS at FROM blobs b
         JOIN packs p ON p.n = b.pack
         JOIN marks t ON t.id = b.id AND t.pack = b.pack AND t.kind = ${TOMBSTONE}
       WHERE b.id = @id AND (@type IS NULL OR b.type = @type)
         AND NOT EXISTS (SELECT 1 FROM marks r WHERE r.id = t.id AND r.pack = t.pack AND r.kind = ${REVIVED} AND r.at >= t.at)
       GROUP BY p.id, b.type, b.offset, b.length, b.raw`,
    );
    this.locationsStmt = this.db.prepare(live);
    this.packIdStmt = this.db.prepare(
      'INSERT INTO packs (id) VALUES (?) ON CONFLICT (id) DO UPDATE SET id = id RETURNING n',
    );
  }

  /** Names of the index files mirrored. */
  files(): Set<string> {
    return new Set(
      (this.db.prepare('SELECT name FROM files').all() as { name: string }[]).map((r) => r.name),
    );
  }

  /** Adds an index file's listings (idempotent for a name already present). */
  addFile(name: string, index: IndexFile): void {
    const insertFile = this.db.prepare('INSERT OR IGNORE INTO files (name, supersedes) VALUES (?, ?)');
    const fileN = this.db.prepare('SELECT n FROM files WHERE name = ?');
    const insertBlob = this.db.prepare(
      'INSERT OR IGNORE INTO blobs (id, pack, file, type, offset, length, raw) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const insertMark = this.db.prepare(
      'INSERT OR IGNORE INTO marks (id, pack, file, kind, at) VALUES (?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      if (insertFile.run(name, JSON.stringify(index.supersedes)).changes === 0) return;
      const f = (fileN.get(name) as { n: number }).n;
      for (const p of index.packs) {
        const pack = this.packN(p.id);
        for (const b of p.blobs)
          insertBlob.run(Buffer.from(b.id, 'hex'), pack, f, b.type, b.offset, b.length, b.rawLength);
      }
      for (const t of index.tombstones)
        insertMark.run(Buffer.from(t.id, 'hex'), this.packN(t.pack), f, TOMBSTONE, t.at);
      for (const r of index.revived)
        insertMark.run(Buffer.from(r.id, 'hex'), this.packN(r.pack), f, REVIVED, r.at);
    })();
  }

  /** Drops index files (vanished from the store or superseded). */
  removeFiles(names: Iterable<string>): void {
    const fileN = this.db.prepare('SELECT n FROM files WHERE name = ?');
    this.db.transaction(() => {
      for (const name of names) {
        const row = fileN.get(name) as { n: number } | undefined;
        if (!row) continue;
        this.db.prepare('DELETE FROM blobs WHERE file = ?').run(row.n);
        this.db.prepare('DELETE FROM marks WHERE file = ?').run(row.n);
        this.db.prepare('DELETE FROM files WHERE n = ?').run(row.n);
      }
    })();
  }

  /**
   * Retires files that another mirrored file supersedes: their listings go, their names stay
   * (marked dead) so a later sync does not load them again.
   */
  applySupersedes(): void {
    const rows = this.db.prepare('SELECT supersedes FROM files').all() as { supersedes: string }[];
    const targets = new Set(rows.flatMap((r) => JSON.parse(r.supersedes) as string[]));
    const live = this.db.prepare('SELECT n, name FROM files WHERE dead = 0').all() as {
      n: number;
      name: string;
    }[];
    this.db.transaction(() => {
      for (const f of live) {
        if (!targets.has(f.name)) continue;
        this.db.prepare('DELETE FROM blobs WHERE file = ?').run(f.n);
        this.db.prepare('DELETE FROM marks WHERE file = ?').run(f.n);
        this.db.prepare('UPDATE files SET dead = 1 WHERE n = ?').run(f.n);
      }
    })();
  }

  private packN(id: string): number {
    return (this.packIdStmt.get(Buffer.from(id, 'hex')) as { n: number }).n;
  }

  /** A live location of the blob (of that type, if given), or undefined (absent or tombstoned). */
  find(id: Buffer, type?: BlobType): BlobLocation | undefined {
    const r = this.findStmt.get({ id, type: type ?? null }) as LocationRow | undefined;
    return r ? toLocation(r) : undefined;
  }

  /** Every live location of the blob: concurrent writers may have stored it in several packs. */
  locations(id: Buffer, type?: BlobType): BlobLocation[] {
    return (this.locationsStmt.all({ id, type: type ?? null }) as LocationRow[]).map(toLocation);
  }

  has(id: Buffer, type?: BlobType): boolean {
    return this.find(id, type) !== undefined;
  }

  /**
   * Tombstoned listings of the blob, with the latest tombstone's time. Their packs stay readable
   * until a prune after the safety window deletes them; a blob a running session deduplicated
   * just before prune tombstoned it is found here until the next prune revives it.
   */
  condemned(id: Buffer, type?: BlobType): (BlobLocation & { tombstoned: string })[] {
    return (this.condemnedStmt.all({ id, type: type ?? null }) as (LocationRow & { at: string })[]).map(
      (r) => ({ ...toLocation(r), tombstoned: r.at }),
    );
  }

  /** The listings of one pack (tombstoned ones included), distinct by blob id and type. */
  packListings(pack: string): {
    id: Buffer;
    type: BlobType;
    offset: number;
    length: number;
    rawLength: number;
    tombstoned: boolean;
  }[] {
    const rows = this.db
      .prepare(
        `SELECT b.id, b.type, MIN(b.offset) AS offset, MIN(b.length) AS length, MIN(b.raw) AS raw,
           EXISTS (SELECT 1 FROM marks t WHERE t.id = b.id AND t.pack = b.pack AND t.kind = ${TOMBSTONE}
              AND NOT EXISTS (SELECT 1 FROM marks r WHERE r.id = t.id AND r.pack = t.pack AND r.kind = ${REVIVED} AND r.at >= t.at)) AS tomb
         FROM blobs b JOIN packs p ON p.n = b.pack WHERE p.id = ? GROUP BY b.id, b.type`,
      )
      .all(Buffer.from(pack, 'hex')) as (LocationRow & { id: Buffer; tomb: number })[];
    return rows.map((r) => ({
      id: r.id,
      type: r.type,
      offset: r.offset,
      length: r.length,
      rawLength: r.raw,
      tombstoned: r.tomb !== 0,
    }));
  }

  /** Every listing of every pack (tombstoned ones included), pack by pack — for check and prune. */
  *listings(): Generator<{
    id: Buffer;
    pack: string;
    type: BlobType;
    offset: number;
    length: number;
    rawLength: number;
    tombstoned: boolean;
    tombstonedAt: string | null;
  }> {
    const rows = this.db
      .prepare(
        `SELECT b.id, p.id AS pack, b.type, b.offset, b.length, b.raw,
           (SELECT MAX(t.at) FROM marks t WHERE t.id = b.id AND t.pack = b.pack AND t.kind = ${TOMBSTONE}
              AND NOT EXISTS (SELECT 1 FROM marks r WHERE r.id = t.id AND r.pack = t.pack AND r.kind = ${REVIVED} AND r.at >= t.at)) AS tomb
         FROM blobs b JOIN packs p ON p.n = b.pack GROUP BY b.id, b.pack ORDER BY b.pack`,
      )
      .iterate() as IterableIterator<{
      id: Buffer;
      pack: Buffer;
      type: BlobType;
      offset: number;
      length: number;
      raw: number;
      tomb: string | null;
    }>;
    for (const r of rows) {
      yield {
        id: r.id,
        pack: r.pack.toString('hex'),
        type: r.type,
        offset: r.offset,
        length: r.length,
        rawLength: r.raw,
        tombstoned: r.tomb !== null,
        tombstonedAt: r.tomb,
      };
    }
  }

  /** Distinct packs named by the index. */
  packs(): string[] {
    return (
      this.db.prepare('SELECT DISTINCT p.id FROM blobs b JOIN packs p ON p.n = b.pack').all() as {
        id: Buffer;
      }[]
    ).map((r) => r.id.toString('hex'));
  }

  /** Distinct live blobs, their plaintext and stored bytes, and tombstoned listings — in SQL, not the heap. */
  liveTotals(): { blobs: number; rawBytes: number; storedBytes: number; tombstoned: number } {
    const live = this.db
      .prepare(
        `SELECT COUNT(*) AS n, COALESCE(SUM(raw), 0) AS raw, COALESCE(SUM(len), 0) AS len FROM (
           SELECT b.id, MIN(b.raw) AS raw, MIN(b.length) AS len FROM blobs b
           WHERE NOT EXISTS (SELECT 1 FROM marks t WHERE t.id = b.id AND t.pack = b.pack AND t.kind = ${TOMBSTONE}
             AND NOT EXISTS (SELECT 1 FROM marks r WHERE r.id = t.id AND r.pack = t.pack AND r.kind = ${REVIVED} AND r.at >= t.at))
           GROUP BY b.id)`,
      )
      .get() as { n: number; raw: number; len: number };
    const tomb = this.db
      .prepare(`SELECT COUNT(DISTINCT id || pack) AS n FROM marks WHERE kind = ${TOMBSTONE}`)
      .get() as { n: number };
    return { blobs: live.n, rawBytes: live.raw, storedBytes: live.len, tombstoned: tomb.n };
  }

  counts(): { files: number; packs: number; blobs: number } {
    const one = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    return {
      files: one('SELECT COUNT(*) AS n FROM files'),
      packs: one('SELECT COUNT(DISTINCT pack) AS n FROM blobs'),
      blobs: one('SELECT COUNT(DISTINCT id) AS n FROM blobs'),
    };
  }

  close(): void {
    this.db.close();
  }
}
