import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BlobNotFoundError, BlobStoreError } from '../../../src/repository/store/index.js';
import type { RetryEvent, S3Store } from '../../../src/repository/store/index.js';
import { expectBytes, names, patternHash, patternRange, patternStream, readAll, sha256 } from './pattern.js';
import { S3FaultProxy } from './s3-fault-proxy.js';
import { useMotoBucket } from './s3-setup.js';

/**
 * Retries against moto_server through a proxy that answers chosen requests with S3 errors (5xx,
 * SlowDown, 429, 4xx), resets connections or cuts answers short. Backoff is shortened to
 * milliseconds; what is checked is which requests were repeated, and what was stored.
 */

const MiB = 1 << 20;
// Small list pages, so that listing a few dozen files takes several pages.
const s3 = useMotoBucket({ listPageSize: 7 });

describe('S3Store retries through a faulty proxy', () => {
  let proxy: S3FaultProxy;
  let store: S3Store;
  let retries: RetryEvent[];

  beforeAll(async () => {
    proxy = await S3FaultProxy.start(s3.moto.endpoint);
  });
  afterAll(async () => {
    await proxy.close();
  });
  beforeEach(() => {
    proxy.clear();
    retries = [];
    store = s3.s3Store({
      endpoint: proxy.url,
      partSize: 5 * MiB,
      retry: { baseDelayMs: 1, throttleBaseDelayMs: 2, maxAttempts: 4, onRetry: (e) => retries.push(e) },
    });
  });
  afterEach(async () => {
    await store.close();
  });

  const codes = () =>
    retries.map(
      (r) =>
        (r.error as { Code?: string; code?: string; name?: string }).Code ??
        (r.error as { code?: string }).code ??
        (r.error as Error).name,
    );

  it('retries PutObject answered 503 SlowDown twice', async () => {
    proxy.add({ kind: 'status', method: 'PUT', status: 503, code: 'SlowDown', count: 2 });
    await store.put('index/a', Buffer.from('after two SlowDowns'));
    expect(proxy.count('PUT')).toBe(3);
    expect(codes()).toEqual(['SlowDown', 'SlowDown']);
    expect((await store.get('index/a')).toString()).toBe('after two SlowDowns');
  });

  it('retries 500 on GET, 503 on HEAD, 503 on a list page and 429 on DELETE', async () => {
    await store.put('index/b', Buffer.from('b'));
    proxy.clear();
    proxy.add({ kind: 'status', method: 'GET', path: /index\/b/, status: 500, code: 'InternalError' });
    expect((await store.get('index/b')).toString()).toBe('b');
    proxy.add({ kind: 'status', method: 'HEAD', status: 503, code: 'ServiceUnavailable', count: 2 });
    expect(await store.stat('index/b')).toMatchObject({ size: 1 });
    proxy.add({ kind: 'status', method: 'GET', path: /list-type=2/, status: 503, code: 'SlowDown' });
    expect(await names(store, 'index/')).toEqual(['index/b']);
    proxy.add({ kind: 'status', method: 'DELETE', status: 429, code: 'TooManyRequests' });
    await store.delete('index/b');
    expect(await store.stat('index/b')).toBeUndefined();
    expect(retries.length).toBe(5);
    expect(proxy.count('GET', /index\/b/)).toBe(2);
    expect(proxy.count('HEAD')).toBe(4);
  });

  it('retries connections reset before any answer', async () => {
    proxy.add({ kind: 'reset', method: 'PUT', count: 2 });
    await store.put('index/c', Buffer.from('c'));
    expect(proxy.count('PUT')).toBe(3);
    expect(retries.length).toBe(2);
  });

  it('does not retry 4xx answers other than throttling', async () => {
    proxy.add({ kind: 'status', method: 'PUT', status: 403, code: 'AccessDenied' });
    const denied = await store.put('index/d', Buffer.from('d')).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(BlobStoreError);
    expect((denied as BlobStoreError).code).toBe('AccessDenied');
    expect((denied as BlobStoreError).message).toContain('HTTP 403');
    expect(proxy.count('PUT')).toBe(1);

    proxy.add({ kind: 'status', method: 'GET', status: 404, code: 'NoSuchBucket' });
    const noBucket = await store.get('index/d').catch((e: unknown) => e);
    expect(noBucket).toBeInstanceOf(BlobStoreError);
    expect(noBucket).not.toBeInstanceOf(BlobNotFoundError);
    expect((noBucket as BlobStoreError).code).toBe('NoSuchBucket');

    proxy.add({ kind: 'status', method: 'PUT', status: 400, code: 'InvalidArgument' });
    await expect(store.put('index/e', Buffer.from('e'))).rejects.toMatchObject({ code: 'InvalidArgument' });
    expect(proxy.count('PUT')).toBe(2);
    expect(proxy.count('GET')).toBe(1);
    expect(retries).toEqual([]);
  });

  it('gives up after maxAttempts with the last error', async () => {
    proxy.add({ kind: 'status', method: 'PUT', status: 503, code: 'SlowDown', count: 100 });
    const error = await store.put('index/f', Buffer.from('f')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobStoreError);
    expect((error as BlobStoreError).code).toBe('SlowDown');
    expect(proxy.count('PUT')).toBe(4);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3]);
  });

  it('retries a failed part of a multipart upload, and aborts on a refused one', async () => {
    proxy.add({ kind: 'status', method: 'PUT', path: /partNumber=2/, status: 503, code: 'SlowDown' });
    await store.put('data/aa/multi', patternStream(8, 11 * MiB));
    expect(proxy.count('PUT', /partNumber=2/)).toBe(2);
    expect(sha256(await store.get('data/aa/multi'))).toBe(patternHash(8, 11 * MiB));

    proxy.add({ kind: 'status', method: 'PUT', path: /partNumber=2/, status: 403, code: 'AccessDenied' });
    await expect(store.put('data/aa/refused', patternStream(9, 11 * MiB))).rejects.toMatchObject({
      code: 'AccessDenied',
    });
    expect(proxy.count('DELETE', /uploadId=/)).toBe(1);
    expect(await s3.pendingUploads(store.keyPrefix)).toBe(0);
    expect(await store.stat('data/aa/refused')).toBeUndefined();
  });

  it('resumes a download cut mid-body, pinned to the same object version', async () => {
    const total = 3 * MiB;
    const data = patternRange(10, total, 0, total);
    await store.put('data/bb/cut', data);
    proxy.clear();
    proxy.add({ kind: 'cut-body', method: 'GET', path: /data\/bb\/cut/, afterBytes: MiB });
    expectBytes(await readAll(await store.stream('data/bb/cut')), data, 'resumed stream');
    const gets = proxy.exchanges.filter((e) => e.method === 'GET');
    expect(gets.length).toBe(2);
    expect(gets[1]?.headers.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/bytes=(\d+)-/.exec(String(gets[1]?.headers.range))?.[1])).toBeGreaterThan(0);
    expect(gets[1]?.headers['if-match']).toBeTruthy();

    proxy.clear();
    proxy.add({ kind: 'cut-body', method: 'GET', path: /data\/bb\/cut/, afterBytes: 500_000 });
    expectBytes(
      await store.get('data/bb/cut', 100, 2 * MiB),
      data.subarray(100, 100 + 2 * MiB),
      'resumed range',
    );
    const ranged = proxy.exchanges.filter((e) => e.method === 'GET');
    expect(ranged[0]?.headers.range).toBe(`bytes=100-${100 + 2 * MiB - 1}`);
    expect(ranged[1]?.headers.range).toMatch(new RegExp(`^bytes=\\d+-${100 + 2 * MiB - 1}$`));
  });

  it('resumes as long as each answer brings bytes, and gives up on answers that bring none', async () => {
    const total = 3 * MiB;
    const data = patternRange(19, total, 0, total);
    await store.put('data/bb/patchy', data);
    // Five cuts, more than maxAttempts (4), but every answer moves the download on.
    proxy.clear();
    proxy.add({ kind: 'cut-body', method: 'GET', path: /data\/bb\/patchy/, afterBytes: 300_000, count: 5 });
    expectBytes(await readAll(await store.stream('data/bb/patchy')), data, 'patchy download');
    expect(proxy.count('GET', /data\/bb\/patchy/)).toBe(6);

    // Then answers cut before their first byte: with maxAttempts 4, the answer that brought bytes
    // and three empty resumes, then the store gives up.
    proxy.clear();
    retries.length = 0;
    proxy.add({ kind: 'cut-body', method: 'GET', path: /data\/bb\/patchy/, afterBytes: 400_000 });
    proxy.add({ kind: 'cut-body', method: 'GET', path: /data\/bb\/patchy/, afterBytes: 0, count: 100 });
    const error = await readAll(await store.stream('data/bb/patchy')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobStoreError);
    expect((error as BlobStoreError).message).toContain('cannot read data/bb/patchy');
    expect(proxy.count('GET', /data\/bb\/patchy/)).toBe(4);
  });

  it('fails a resumed download if the object was replaced meanwhile', async () => {
    const total = 3 * MiB;
    await store.put('data/bb/replaced', patternRange(11, total, 0, total));
    proxy.clear();
    proxy.add({ kind: 'cut-body', method: 'GET', path: /data\/bb\/replaced/, afterBytes: MiB });
    const stream = await store.stream('data/bb/replaced');
    const other = s3.s3Store({ prefix: store.keyPrefix.slice(0, -1) });
    await other.put('data/bb/replaced', patternRange(12, total, 0, total));
    await other.close();
    const error = await readAll(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobStoreError);
    expect((error as BlobStoreError).message).toContain('changed while it was being read');
  });

  it('retries the multipart calls: CreateMultipartUpload SlowDown, CompleteMultipartUpload 500', async () => {
    proxy.add({ kind: 'status', method: 'POST', path: /[?&]uploads/, status: 503, code: 'SlowDown' });
    proxy.add({ kind: 'status', method: 'POST', path: /uploadId=/, status: 500, code: 'InternalError' });
    await store.put('data/cc/multi', patternStream(13, 11 * MiB));
    expect(codes()).toEqual(['SlowDown', 'InternalError']);
    expect(proxy.count('POST', /[?&]uploads/)).toBe(2);
    expect(proxy.count('POST', /uploadId=/)).toBe(2);
    expect(sha256(await store.get('data/cc/multi'))).toBe(patternHash(13, 11 * MiB));
    expect(await s3.pendingUploads(store.keyPrefix)).toBe(0);
  });

  it('accepts a completed multipart upload whose answer was lost', async () => {
    // moto completes the upload and the proxy drops the answer. moto (like S3, mostly) accepts the
    // repeated CompleteMultipartUpload.
    proxy.add({ kind: 'cut-body', method: 'POST', path: /uploadId=/, afterBytes: 0 });
    await store.put('data/cc/lost-answer', patternStream(14, 11 * MiB));
    expect(proxy.count('POST', /uploadId=/)).toBe(2);
    expect(retries.length).toBe(1);
    expect(sha256(await store.get('data/cc/lost-answer'))).toBe(patternHash(14, 11 * MiB));

    // S3 may also answer the repeat NoSuchUpload: the store then checks the object's size rather
    // than fail a write that happened.
    proxy.clear();
    retries.length = 0;
    proxy.add({ kind: 'cut-body', method: 'POST', path: /uploadId=/, afterBytes: 0 });
    proxy.add({ kind: 'status', method: 'POST', path: /uploadId=/, status: 404, code: 'NoSuchUpload' });
    await store.put('data/cc/lost-again', patternStream(17, 11 * MiB));
    expect(proxy.count('POST', /uploadId=/)).toBe(2);
    expect(proxy.count('HEAD')).toBe(1);
    expect(sha256(await store.get('data/cc/lost-again'))).toBe(patternHash(17, 11 * MiB));
  });

  it('reports NoSuchUpload when a multipart upload vanished before it was completed', async () => {
    // The upload was aborted behind the store's back (a lifecycle rule, another process): the
    // object does not exist, so the NoSuchUpload after a retry is an error, not success.
    proxy.add({ kind: 'status', method: 'POST', path: /uploadId=/, status: 500, code: 'InternalError' });
    proxy.add({ kind: 'status', method: 'POST', path: /uploadId=/, status: 404, code: 'NoSuchUpload' });
    const error = await store.put('data/cc/vanished', patternStream(18, 11 * MiB)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobStoreError);
    expect((error as BlobStoreError).code).toBe('NoSuchUpload');
    expect(await store.stat('data/cc/vanished')).toBeUndefined();
  });

  it('aborts a multipart upload whose part is throttled past maxAttempts', async () => {
    proxy.add({
      kind: 'status',
      method: 'PUT',
      path: /partNumber=2/,
      status: 503,
      code: 'SlowDown',
      count: 100,
    });
    const error = await store.put('data/cc/throttled', patternStream(15, 11 * MiB)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobStoreError);
    expect((error as BlobStoreError).code).toBe('SlowDown');
    expect(proxy.count('PUT', /partNumber=2/)).toBe(4);
    expect(proxy.count('DELETE', /uploadId=/)).toBe(1);
    expect(await s3.pendingUploads(store.keyPrefix)).toBe(0);
    expect(await store.stat('data/cc/throttled')).toBeUndefined();
  });

  it('lists every page, retrying a SlowDown on a continuation page', async () => {
    const all = Array.from({ length: 23 }, (_, i) => `index/${String(i).padStart(2, '0')}`);
    for (const name of all) await store.put(name, Buffer.from(name));
    await store.put('other/x', Buffer.from('x'));
    proxy.clear();
    proxy.add({ kind: 'status', method: 'GET', path: /continuation-token=/, status: 503, code: 'SlowDown' });
    expect(await names(store, 'index/')).toEqual(all);
    // Pages of 7, 7, 7 and 2 keys, and the one retried.
    expect(proxy.count('GET', /list-type=2/)).toBe(5);
    expect(codes()).toEqual(['SlowDown']);
  });
});
