import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BLOB_DATA, BLOB_TREE, openBlob } from './blob.js';
import { contentId, newMasterKeys } from './crypto.js';
import { SealPool } from './seal-pool.js';

describe('SealPool', () => {
  const keys = newMasterKeys();
  const pool = new SealPool(keys, 2);
  afterAll(() => pool.close());

  it('seals on worker threads what openBlob opens, compressible or not, views of larger buffers too', async () => {
    const big = Buffer.concat([randomBytes(3000), Buffer.alloc(200_000, 'mail text '), randomBytes(5000)]);
    const inputs = [
      Buffer.alloc(0),
      Buffer.from('short'),
      randomBytes(1 << 20),
      big.subarray(2000, 150_000),
      big.subarray(190_000),
    ];
    const sealed = await Promise.all(
      inputs.map((data, i) => pool.seal(i % 2 ? BLOB_TREE : BLOB_DATA, data, contentId(keys, data))),
    );
    sealed.forEach((blob, i) => {
      const data = inputs[i] as Buffer;
      expect(blob.rawLength).toBe(data.length);
      expect(openBlob(keys, blob.type, blob.id, blob.sealed, blob.rawLength).equals(data)).toBe(true);
    });
    // The compressible view was compressed; the random megabyte was stored as is (+ flag and seal).
    expect(sealed[3]!.sealed.length).toBeLessThan(20_000);
    expect(sealed[2]!.sealed.length).toBe((1 << 20) + 1 + 28);
    // The caller's buffers are untouched (the pool copies before transferring).
    expect(big.subarray(2000, 150_000).equals(inputs[3] as Buffer)).toBe(true);
  });

  it('seals inline with no threads, identically readable', async () => {
    const inline = new SealPool(keys, 0);
    const data = Buffer.alloc(10_000, 'x');
    const blob = await inline.seal(BLOB_DATA, data, contentId(keys, data));
    expect(openBlob(keys, BLOB_DATA, blob.id, blob.sealed, data.length).equals(data)).toBe(true);
    await inline.close();
  });

  it('fails waiting and later seals with a clear error once closed', async () => {
    const doomed = new SealPool(keys, 1);
    const data = randomBytes(4 << 20);
    const outcome = doomed.seal(BLOB_DATA, data, contentId(keys, data)).then(
      () => 'sealed',
      (e: Error) => e.message,
    );
    await doomed.close();
    expect(await outcome).toMatch(/sealing pool is closed/);
    await expect(doomed.seal(BLOB_DATA, data, contentId(keys, data))).rejects.toThrow(
      /sealing pool is closed/,
    );
  });

  it('lets a process that never closes its repository exit once sealing is done', () => {
    const dir = mkdtempSync(join(tmpdir(), 'safehold-seal-exit-'));
    try {
      const script = join(import.meta.dirname, '../../test/repository/support/exit-without-close.ts');
      // A hang is the failure: the child is killed after a minute.
      const child = spawnSync(process.execPath, ['--import', 'tsx', script, dir], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(child.stderr).toBe('');
      expect(child.stdout).toBe('written\n');
      expect(child.signal).toBeNull();
      expect(child.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
