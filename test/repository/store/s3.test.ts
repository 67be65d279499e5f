import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { generateTls } from '../../../emulator/tls.js';
import { BlobStoreError, openStore } from '../../../src/repository/store/index.js';
import { S3Store } from '../../../src/repository/store/s3.js';
import { startMoto } from '../../support/moto.js';
import { measureLivePeak } from './memory.js';
import {
  expectBytes,
  failingStream,
  names,
  patternHash,
  patternRange,
  patternStream,
  sha256,
} from './pattern.js';
import { useMotoBucket } from './s3-setup.js';

// S3Store specifics against moto_server: multipart uploads, memory, prefixes, locations, TLS. The
// BlobStore contract runs in s3-conformance.test.ts, retries in s3-retry.test.ts.

const MiB = 1 << 20;
const s3 = useMotoBucket();

describe('S3Store', () => {
  describe('multipart uploads (5 MiB parts)', () => {
    let store: S3Store;
    beforeEach(() => {
      store = s3.s3Store({ partSize: 5 * MiB });
    });
    afterEach(async () => {
      await store.close();
    });

    it('uploads a stream larger than a part in parts, and a small one in one PUT', async () => {
      const total = 12 * MiB + 3;
      await store.put('data/ab/stream', patternStream(1, total));
      expect(await s3.etagOf(store.keyOf('data/ab/stream'))).toMatch(/-3"$/);
      expect(sha256(await store.get('data/ab/stream'))).toBe(patternHash(1, total));

      await store.put('data/ab/exact', patternStream(2, 5 * MiB));
      expect(await s3.etagOf(store.keyOf('data/ab/exact'))).not.toContain('-');
      expect((await store.stat('data/ab/exact'))?.size).toBe(5 * MiB);

      await store.put('data/ab/one-more', patternStream(3, 5 * MiB + 1), 5 * MiB + 1);
      expect(await s3.etagOf(store.keyOf('data/ab/one-more'))).toMatch(/-2"$/);
      expectBytes(
        await store.get('data/ab/one-more', 5 * MiB - 2),
        patternRange(3, 5 * MiB + 1, 5 * MiB - 2, 3),
      );
    });

    it('holds no more than uploadConcurrency parts of a streamed put in memory', async () => {
      // Two 5 MiB parts at a time. Besides them there are chunks under 1 MiB, and now and then
      // the SDK or the socket still refers to an uploaded part for a moment: four parts is a bound
      // a correct store keeps with room to spare. A store that kept uploaded parts (or all 40 MiB)
      // would exceed it.
      const total = 40 * MiB;
      const bound = 4 * 5 * MiB;
      const put = await measureLivePeak(() => store.put('data/ab/memory', patternStream(16, total)), {
        collectAbove: bound / 2,
      });
      expect(put.samples).toBeGreaterThan(2);
      expect(put.peakGrowth, `${(put.peakGrowth / MiB).toFixed(1)} MiB more live`).toBeLessThan(bound);
      expect(await s3.etagOf(store.keyOf('data/ab/memory'))).toMatch(/-8"$/);
      expect(sha256(await store.get('data/ab/memory'))).toBe(patternHash(16, total));
    });

    it('uploads a Buffer larger than a part in parts, without copying it', async () => {
      const data = patternRange(4, 11 * MiB, 0, 11 * MiB);
      await store.put('data/cd/buffer', data);
      expect(await s3.etagOf(store.keyOf('data/cd/buffer'))).toMatch(/-3"$/);
      expect(sha256(await store.get('data/cd/buffer'))).toBe(sha256(data));
      await store.put('data/cd/small', data.subarray(0, 5 * MiB));
      expect(await s3.etagOf(store.keyOf('data/cd/small'))).not.toContain('-');
    });

    it('aborts the upload when the source fails or the size is wrong: no object, no pending parts', async () => {
      const boom = new Error('source failed at 7 MiB');
      await expect(store.put('data/ef/failing', failingStream(7 * MiB, boom))).rejects.toBe(boom);
      await expect(
        store.put('data/ef/short', patternStream(5, 11 * MiB), 11 * MiB + 1),
      ).rejects.toMatchObject({
        code: 'ESIZE',
      });
      expect(await store.stat('data/ef/failing')).toBeUndefined();
      expect(await store.stat('data/ef/short')).toBeUndefined();
      expect(await s3.pendingUploads(store.keyPrefix)).toBe(0);
      expect(await names(store, '')).toEqual([]);
    });
  });

  it('keeps stores with different prefixes in one bucket apart (a, ab, and the bucket root)', async () => {
    const base = s3.uniquePrefix('iso');
    const a = s3.s3Store({ prefix: `${base}/a` });
    const ab = s3.s3Store({ prefix: `${base}/ab` });
    const root = s3.s3Store({ prefix: '' });
    try {
      await a.put('index/one', Buffer.from('from a'));
      await ab.put('index/one', Buffer.from('from ab'));
      await ab.put('index/two', Buffer.from('only ab'));
      expect(await names(a, '')).toEqual(['index/one']);
      expect(await names(ab, '')).toEqual(['index/one', 'index/two']);
      expect((await a.get('index/one')).toString()).toBe('from a');
      expect(await a.stat('index/two')).toBeUndefined();
      expect(await names(root, `${base}/`)).toEqual([
        `${base}/a/index/one`,
        `${base}/ab/index/one`,
        `${base}/ab/index/two`,
      ]);
      await a.delete('index/one');
      expect((await ab.get('index/one')).toString()).toBe('from ab');
      expect(a.location).toBe(`s3://${s3.bucket}/${base}/a`);
      expect(root.location).toBe(`s3://${s3.bucket}`);
    } finally {
      await Promise.all([a.close(), ab.close(), root.close()]);
    }
  });

  it('normalises the prefix and refuses a bad one', () => {
    const store = new S3Store({ bucket: 'b-1', prefix: '/backups/site1/', region: 'us-east-1' });
    expect(store.location).toBe('s3://b-1/backups/site1');
    expect(store.keyOf('data/ab/x')).toBe('backups/site1/data/ab/x');
    expect(() => new S3Store({ bucket: 'b-1', prefix: 'a/../b' })).toThrow(BlobStoreError);
    expect(() => new S3Store({ bucket: '' })).toThrow(BlobStoreError);
    expect(() => new S3Store({ bucket: 'b-1', partSize: MiB })).toThrow(RangeError);
    void store.close();
  });

  it('opens from an s3:// location with credentials from the environment', async () => {
    const prefix = s3.uniquePrefix('url');
    const store = await openStore(
      `s3://${s3.bucket}/${prefix}?endpoint=${s3.moto.endpoint}&region=${s3.moto.region}`,
      {
        env: { AWS_ACCESS_KEY_ID: 'from-env', AWS_SECRET_ACCESS_KEY: 'secret-from-env' },
      },
    );
    try {
      expect(store).toBeInstanceOf(S3Store);
      expect(store.location).toBe(`s3://${s3.bucket}/${prefix}`);
      await store.put('config', Buffer.from('{}'));
      expect((await store.get('config')).toString()).toBe('{}');
      const credentials = await (store as S3Store).client.config.credentials();
      expect(credentials.accessKeyId).toBe('from-env');
      expect((store as S3Store).client.config.forcePathStyle).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('without credentials in the options, takes them from the AWS chain (a shared credentials file)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safehold-aws-'));
    const file = join(dir, 'credentials');
    await writeFile(
      file,
      '[safehold-test]\naws_access_key_id = from-profile\naws_secret_access_key = secret\n',
    );
    for (const name of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_CONFIG_FILE',
    ]) {
      vi.stubEnv(name, undefined);
    }
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', file);
    vi.stubEnv('AWS_PROFILE', 'safehold-test');
    // Nothing answers here: the chain must not fall through to the instance metadata service.
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    const prefix = s3.uniquePrefix('chain');
    const store = await openStore(`s3://${s3.bucket}/${prefix}?endpoint=${s3.moto.endpoint}`, { env: {} });
    try {
      await store.put('config', Buffer.from('{}'));
      expect((await store.get('config')).toString()).toBe('{}');
      const credentials = await (store as S3Store).client.config.credentials();
      expect(credentials.accessKeyId).toBe('from-profile');
    } finally {
      await store.close();
      vi.unstubAllEnvs();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a missing bucket as NoSuchBucket, not as a missing file', async () => {
    const store = s3.s3Store({ bucket: 'no-such-bucket-here' });
    try {
      await expect(store.put('x', Buffer.from('x'))).rejects.toMatchObject({ code: 'NoSuchBucket' });
      await expect(store.get('x')).rejects.toMatchObject({ code: 'NoSuchBucket' });
      await expect(names(store, '')).rejects.toMatchObject({ code: 'NoSuchBucket' });
    } finally {
      await store.close();
    }
  });

  it('retries a refused connection, then reports ECONNREFUSED', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 1));
      });
    });
    const attempts: number[] = [];
    const store = s3.s3Store({
      endpoint: `http://127.0.0.1:${port}`,
      retry: { maxAttempts: 3, baseDelayMs: 1, onRetry: (e) => attempts.push(e.attempt) },
    });
    try {
      const error = await store.stat('x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BlobStoreError);
      expect((error as BlobStoreError).code).toBe('ECONNREFUSED');
      expect(attempts).toEqual([1, 2]);
    } finally {
      await store.close();
    }
  });

  it('trusts a private CA given as an option, and only then', async () => {
    const tls = await generateTls();
    const secure = await startMoto({
      tls: { certPem: tls.certPem, keyPem: tls.keyPem, caPem: tls.caCertPem },
    });
    try {
      const tlsBucket = await (async () => {
        const name = `safehold-tls-${process.pid}`;
        const store = new S3Store({
          bucket: name,
          endpoint: secure.endpoint,
          region: secure.region,
          forcePathStyle: true,
          credentials: secure.credentials,
          ca: tls.caCertPem,
        });
        const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
        await store.client.send(new CreateBucketCommand({ Bucket: name }));
        await store.close();
        return name;
      })();
      const options = {
        bucket: tlsBucket,
        endpoint: secure.endpoint,
        region: secure.region,
        forcePathStyle: true,
        credentials: secure.credentials,
        retry: { maxAttempts: 3, baseDelayMs: 1 },
      };
      const trusting = new S3Store({ ...options, ca: tls.caCertPem });
      await trusting.put('config', Buffer.from('over TLS'));
      expect((await trusting.get('config')).toString()).toBe('over TLS');
      await trusting.close();

      const attempts: number[] = [];
      const doubting = new S3Store({
        ...options,
        retry: { ...options.retry, onRetry: (e) => attempts.push(e.attempt) },
      });
      const error = await doubting.get('config').catch((e: unknown) => e);
      await doubting.close();
      expect(error).toBeInstanceOf(BlobStoreError);
      expect(String((error as BlobStoreError).code)).toMatch(/CERT|SIGNATURE|ISSUER/);
      expect(attempts).toEqual([]);
    } finally {
      await secure.stop();
    }
  }, 90_000);
});
