import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, writeFileSync, statSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { StreamBody } from '../core/types.js';

/**
 * Content written to the emulator through Graph (uploads, created messages), kept on disk by
 * SHA-256 so large restores cost no memory. Generated content never lands here.
 */
export class BlobFiles {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private pathOf(hash: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`bad blob id ${hash}`);
    return join(this.dir, hash.slice(0, 2), hash);
  }

  put(data: Buffer): string {
    const hash = createHash('sha256').update(data).digest('hex');
    const path = this.pathOf(hash);
    if (!existsSync(path)) {
      mkdirSync(join(this.dir, hash.slice(0, 2)), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, data);
      renameSync(tmp, path);
    }
    return hash;
  }

  /** Moves a finished upload file into the store without reading it into memory. */
  adopt(tempFile: string, hash: string): string {
    const path = this.pathOf(hash);
    mkdirSync(join(this.dir, hash.slice(0, 2)), { recursive: true });
    renameSync(tempFile, path);
    return hash;
  }

  tempPath(name: string): string {
    mkdirSync(join(this.dir, 'tmp'), { recursive: true });
    return join(this.dir, 'tmp', name);
  }

  size(hash: string): number {
    return statSync(this.pathOf(hash)).size;
  }

  read(hash: string, start = 0, endInclusive?: number): Readable {
    return createReadStream(this.pathOf(hash), {
      start,
      ...(endInclusive !== undefined ? { end: endInclusive } : {}),
    });
  }

  async readAll(hash: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of this.read(hash)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  body(hash: string): StreamBody {
    return { length: this.size(hash), open: (s, e) => this.read(hash, s, e) };
  }
}
