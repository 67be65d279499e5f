import type Database from 'better-sqlite3';

const BATCH = 10_000;

/**
 * A set of blob ids kept in a table of an SQLite database on disk: prune's sets (every live blob
 * of the repository) can outgrow memory. Adds are batched into transactions.
 */
export class BlobSet {
  private readonly addStmt: Database.Statement;
  private readonly hasStmt: Database.Statement;
  private readonly countStmt: Database.Statement;
  private pending: Buffer[] = [];

  constructor(
    private readonly db: Database.Database,
    table: string,
  ) {
    if (!/^[a-z_]+$/.test(table)) throw new RangeError(`invalid table name ${table}`);
    db.exec(`CREATE TABLE ${table} (id BLOB PRIMARY KEY) WITHOUT ROWID`);
    this.addStmt = db.prepare(`INSERT OR IGNORE INTO ${table} (id) VALUES (?)`);
    this.hasStmt = db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`);
    this.countStmt = db.prepare(`SELECT COUNT(*) AS n FROM ${table}`);
  }

  add(id: Buffer): void {
    this.pending.push(id);
    if (this.pending.length >= BATCH) this.commit();
  }

  has(id: Buffer): boolean {
    if (this.pending.length) this.commit();
    return this.hasStmt.get(id) !== undefined;
  }

  get size(): number {
    if (this.pending.length) this.commit();
    return (this.countStmt.get() as { n: number }).n;
  }

  private commit(): void {
    const batch = this.pending;
    this.pending = [];
    this.db.transaction(() => {
      for (const id of batch) this.addStmt.run(id);
    })();
  }
}
