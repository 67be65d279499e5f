import { appendFileSync, existsSync, mkdirSync, readFileSync, openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';

/** One persisted write: the emulator's state is the seeded base plus these, replayed in order. */
export type JournalOp =
  | { op: 'put'; c: string; id: string; v: unknown }
  | { op: 'del'; c: string; id: string; r?: 'deleted' | 'changed' }
  | { op: 'forget'; c: string };

/** Append-only JSON-lines journal of writes; absent when the emulator runs without `--state`. */
export class Journal {
  private fd: number | undefined;

  constructor(private readonly path: string | undefined) {
    if (path) {
      mkdirSync(dirname(path), { recursive: true });
      this.fd = openSync(path, 'a');
    }
  }

  /** Ops written by earlier runs against the same state directory. */
  static read(path: string): JournalOp[] {
    if (!existsSync(path)) return [];
    const lines = readFileSync(path, 'utf8').split('\n');
    const ops: JournalOp[] = [];
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        ops.push(JSON.parse(line) as JournalOp);
      } catch {
        // A torn last line after a crash: everything before it is intact.
        break;
      }
    }
    return ops;
  }

  append(op: JournalOp): void {
    if (this.fd !== undefined) appendFileSync(this.fd, JSON.stringify(op) + '\n');
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  get enabled(): boolean {
    return this.path !== undefined;
  }
}
