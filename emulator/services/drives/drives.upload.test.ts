import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawGraph } from '../../../test/support/raw-graph.js';
import { startEmulator } from '../../../test/support/raw-graph.js';

/** Resumable uploads (driveItem: createUploadSession) as the Graph docs describe them. */

type Json = any;

const UNIT = 327_680;

/** QuickXorHash from the documented description: byte i XORed into a 160-bit register at bit (11*i) mod 160, then the length. */
function documentedQuickXorHash(data: Uint8Array): string {
  const reg = new Uint8Array(20);
  for (let i = 0; i < data.length; i++) {
    const bit = (i * 11) % 160;
    for (let b = 0; b < 8; b++) {
      if (((data[i] as number) >> b) & 1) {
        const pos = (bit + b) % 160;
        reg[pos >> 3] = (reg[pos >> 3] as number) ^ (1 << (pos & 7));
      }
    }
  }
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(data.length));
  for (let i = 0; i < 8; i++) reg[12 + i] = (reg[12 + i] as number) ^ (len[i] as number);
  return Buffer.from(reg).toString('base64');
}

describe('drives: upload sessions', () => {
  let raw: RawGraph;
  let stop: () => Promise<void>;
  let drive: string;
  let folderId: string;

  const session = async (
    name: string,
    item: Record<string, unknown> = {},
    extra: Record<string, unknown> = {},
  ) => {
    const r = await raw.graph(
      'POST',
      `/v1.0/drives/${drive}/items/${folderId}:/${encodeURIComponent(name)}:/createUploadSession`,
      { json: { item, ...extra } },
    );
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.expirationDateTime).toBeDefined();
    return r.json.uploadUrl as string;
  };
  const chunk = (url: string, data: Buffer, start: number, end: number, total: number) =>
    raw.send('PUT', url, {
      body: data.subarray(start, end + 1),
      headers: {
        'content-range': `bytes ${start}-${end}/${total}`,
        'content-length': String(end - start + 1),
      },
    });
  const download = async (id: string) => {
    const r = await raw.get(`/v1.0/drives/${drive}/items/${id}/content`);
    return (await raw.send('GET', r.headers['location'] as string)).body;
  };

  beforeAll(async () => {
    ({ raw, stop } = await startEmulator());
    const admin = (await raw.admin('GET', '/users')).json.value;
    drive = (await raw.get(`/v1.0/users/${admin.find((u: Json) => u.hasDrive).id}/drive`)).json.id;
    folderId = (
      await raw.graph('POST', `/v1.0/drives/${drive}/root/children`, {
        json: { name: 'Uploads', folder: {} },
      })
    ).json.id;
  });
  afterAll(async () => stop());

  it('uploads in 320 KiB multiples, resumes after a dropped fragment, and commits with 201', async () => {
    const data = randomBytes(3 * UNIT + 1234);
    const url = await session('big.bin', {
      '@microsoft.graph.conflictBehavior': 'fail',
      fileSize: data.length,
    });
    const first = await chunk(url, data, 0, UNIT - 1, data.length);
    expect(first.status).toBe(202);
    expect(first.json.nextExpectedRanges).toEqual([`${UNIT}-`]);
    // The second fragment "drops" (never arrives); the client asks where to resume.
    const status = await raw.send('GET', url);
    expect(status.status).toBe(200);
    expect(status.json.nextExpectedRanges).toEqual([`${UNIT}-`]);
    const resumeAt = Number.parseInt(status.json.nextExpectedRanges[0], 10);
    expect((await chunk(url, data, resumeAt, resumeAt + 2 * UNIT - 1, data.length)).status).toBe(202);
    const done = await chunk(url, data, 3 * UNIT, data.length - 1, data.length);
    expect(done.status).toBe(201);
    expect(done.json).toMatchObject({ name: 'big.bin', size: data.length });
    expect(done.json.file.hashes.quickXorHash).toBe(documentedQuickXorHash(data));
    const back = await download(done.json.id);
    expect(createHash('sha256').update(back).digest('hex')).toBe(
      createHash('sha256').update(data).digest('hex'),
    );
    expect((await raw.send('GET', url)).status).toBe(404);
  });

  it('answers 416 for a fragment already received and rejects fragments that are not 320 KiB multiples', async () => {
    const data = randomBytes(2 * UNIT + 10);
    const url = await session('overlap.bin');
    expect((await chunk(url, data, 0, UNIT - 1, data.length)).status).toBe(202);
    const again = await chunk(url, data, 0, UNIT - 1, data.length);
    expect(again.status).toBe(416);
    const partial = await chunk(url, data, UNIT - 10, 2 * UNIT - 11, data.length);
    expect(partial.status).toBe(416);
    const odd = await chunk(url, data, UNIT, UNIT + 1000, data.length);
    expect(odd.status).toBe(400);
    const wrongTotal = await chunk(url, data, UNIT, 2 * UNIT - 1, data.length + 1);
    expect(wrongTotal.status).toBe(400);
    const gap = await chunk(url, data, 2 * UNIT, data.length - 1, data.length);
    expect(gap.status).toBe(416);
    expect((await raw.send('GET', url)).json.nextExpectedRanges).toEqual([`${UNIT}-`]);
    expect((await chunk(url, data, UNIT, data.length - 1, data.length)).status).toBe(201);
  });

  it('cancels with DELETE (204) and refuses an Authorization header on the upload URL', async () => {
    const url = await session('cancelled.bin');
    const withAuth = await raw.send('GET', url, {
      headers: { authorization: `Bearer ${await raw.accessToken()}` },
    });
    expect(withAuth.status).toBe(401);
    expect((await raw.send('DELETE', url)).status).toBe(204);
    expect((await raw.send('GET', url)).status).toBe(404);
    expect((await raw.get(`/v1.0/drives/${drive}/items/${folderId}:/cancelled.bin`)).status).toBe(404);
  });

  it('applies conflictBehavior at commit: fail → 409 nameAlreadyExists, rename → "name 1", replace → 200 same item', async () => {
    const existing = (
      await raw.graph('PUT', `/v1.0/drives/${drive}/items/${folderId}:/clash.txt:/content`, {
        body: 'original',
      })
    ).json;
    const data = Buffer.from('new contents');
    const failUrl = await session('clash.txt', { '@microsoft.graph.conflictBehavior': 'fail' });
    const failed = await chunk(failUrl, data, 0, data.length - 1, data.length);
    expect(failed.status).toBe(409);
    expect(failed.json.error.code).toBe('nameAlreadyExists');
    // The session is kept: after the clash is gone an explicit commit succeeds.
    await raw.graph('DELETE', `/v1.0/drives/${drive}/items/${existing.id}`);
    const commit = await raw.send('POST', failUrl, { headers: { 'content-length': '0' } });
    expect(commit.status).toBe(201);
    expect((await download(commit.json.id)).toString()).toBe('new contents');

    const renameUrl = await session('clash.txt', { '@microsoft.graph.conflictBehavior': 'rename' });
    const renamed = await chunk(renameUrl, data, 0, data.length - 1, data.length);
    expect(renamed.status).toBe(201);
    expect(renamed.json.name).toBe('clash 1.txt');

    const replaceUrl = await session('clash.txt', { '@microsoft.graph.conflictBehavior': 'replace' });
    const replaced = await chunk(replaceUrl, Buffer.from('replaced'), 0, 7, 8);
    expect(replaced.status).toBe(200);
    expect(replaced.json.id).toBe(commit.json.id);
    expect((await download(commit.json.id)).toString()).toBe('replaced');

    // An upload session on an existing item replaces its content.
    const itemUrl = (
      await raw.graph('POST', `/v1.0/drives/${drive}/items/${commit.json.id}/createUploadSession`, {
        json: {},
      })
    ).json.uploadUrl;
    expect((await chunk(itemUrl, Buffer.from('v4'), 0, 1, 2)).status).toBe(200);
    const versions = (await raw.get(`/v1.0/drives/${drive}/items/${commit.json.id}/versions`)).json.value;
    expect(versions.length).toBe(3);
  });

  it('defers the commit when asked, until an empty POST', async () => {
    const url = await session('deferred.txt', {}, { deferCommit: true });
    const last = await chunk(url, Buffer.from('deferred'), 0, 7, 8);
    expect(last.status).toBe(202);
    expect((await raw.get(`/v1.0/drives/${drive}/items/${folderId}:/deferred.txt`)).status).toBe(404);
    const commit = await raw.send('POST', url, { headers: { 'content-length': '0' } });
    expect(commit.status).toBe(201);
    expect(commit.json.name).toBe('deferred.txt');
  });

  it('answers 507 when the drive would exceed its quota, at creation (fileSize) and at the first fragment', async () => {
    const used = (await raw.get(`/v1.0/drives/${drive}`)).json.quota.used;
    await raw.admin('POST', '/activity', { op: 'drive.setQuota', args: { drive, total: used + 100 } });
    const r = await raw.graph(
      'POST',
      `/v1.0/drives/${drive}/items/${folderId}:/huge.bin:/createUploadSession`,
      { json: { item: { fileSize: 101 } } },
    );
    expect(r.status).toBe(507);
    const url = await session('huge.bin');
    const data = randomBytes(150);
    const put = await chunk(url, data, 0, data.length - 1, data.length);
    expect(put.status).toBe(507);
    await raw.admin('POST', '/activity', { op: 'drive.setQuota', args: { drive, total: 1024 ** 4 } });
  });

  it('expires sessions: the upload URL then answers 404', async () => {
    const url = await session('expiring.bin');
    expect((await raw.send('GET', url)).status).toBe(200);
    const r = await raw.admin('POST', '/activity', { op: 'drive.expireUploadSessions', args: {} });
    expect(r.json.result.expired).toBeGreaterThan(0);
    const after = await raw.send('PUT', url, {
      body: Buffer.from('x'),
      headers: { 'content-range': 'bytes 0-0/1' },
    });
    expect(after.status).toBe(404);
    expect(after.json.error.code).toBe('itemNotFound');
  });

  it('rejects invalid names and a body name that differs from the path', async () => {
    const bad = await raw.graph(
      'POST',
      `/v1.0/drives/${drive}/items/${folderId}:/bad%3Fname.bin:/createUploadSession`,
      { json: {} },
    );
    expect(bad.status).toBe(400);
    const mismatch = await raw.graph(
      'POST',
      `/v1.0/drives/${drive}/items/${folderId}:/a.bin:/createUploadSession`,
      { json: { item: { name: 'b.bin' } } },
    );
    expect(mismatch.status).toBe(400);
  });
});
