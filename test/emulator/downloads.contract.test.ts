import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RawGraph } from '../support/raw-graph.js';

// Pre-authenticated download URLs (@microsoft.graph.downloadUrl): Range, ETag, expiry, faults.
let raw: RawGraph;
let stop: () => Promise<void>;
let file: { id: string; size: number; eTag: string; url: string };

beforeAll(async () => {
  ({ raw, stop } = await startEmulator({ seed: 31 }));
  const users = (await raw.all('/v1.0/users?$select=id')).items as { id: string }[];
  for (const u of users) {
    const r = await raw.get(
      `/v1.0/users/${u.id}/drive/root/children?$select=id,size,file,eTag,@microsoft.graph.downloadUrl`,
    );
    const f = r.status === 200 ? (r.json.value as any[]).find((i) => i.file && i.size > 1000) : undefined;
    if (f) {
      file = { id: f.id, size: f.size, eTag: f.eTag, url: f['@microsoft.graph.downloadUrl'] };
      break;
    }
  }
});
afterAll(() => stop());

const metricsFor = async () =>
  (await raw.admin('GET', '/metrics')).json.byEndpoint['GET /_layouts/15/download.aspx'] ?? {};

describe('download URLs', () => {
  it('serves ranges with 206, counted as 206, and an ETag of the item version', async () => {
    const before = (await metricsFor())['206'] ?? 0;
    const r = await raw.send('GET', file.url, { headers: { range: 'bytes=10-19' } });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 10-19/${file.size}`);
    expect(r.body.length).toBe(10);
    expect(r.headers['etag']).toBe(file.eTag);
    expect((await metricsFor())['206']).toBe(before + 1);
    const whole = await raw.send('GET', file.url);
    expect(whole.body.subarray(10, 20)).toEqual(r.body);
  });

  it('is reached by scripted faults (a reset mid-body)', async () => {
    await raw.admin('POST', '/faults', { path: '^/_layouts/15/download\\.aspx', kind: 'reset' });
    const broken = await raw.send('GET', file.url).then(
      (r) => r.body.length,
      () => -1,
    );
    expect(broken).not.toBe(file.size);
    const ok = await raw.send('GET', file.url);
    expect(ok.body.length).toBe(file.size);
  });

  it('stops working when expired, and a fresh URL from /content works', async () => {
    await raw.admin('POST', '/downloads/expire');
    expect((await raw.send('GET', file.url)).status).toBe(401);
    const users = (await raw.all('/v1.0/users?$select=id')).items as { id: string }[];
    let fresh: string | undefined;
    for (const u of users) {
      const r = await raw.get(`/v1.0/users/${u.id}/drive/items/${file.id}/content`);
      if (r.status === 302) fresh = r.headers['location'];
    }
    expect(fresh).toBeDefined();
    expect((await raw.send('GET', fresh as string)).body.length).toBe(file.size);
  });

  it('refuses a tampered URL', async () => {
    const tampered = file.url.replace(
      /tempauth=([^.]+)\./,
      (_m, d: string) => `tempauth=${d.slice(0, -2)}AA.`,
    );
    expect((await raw.send('GET', tampered)).status).toBe(401);
  });
});
