import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawGraph } from '../../../test/support/raw-graph.js';
import { startEmulator } from '../../../test/support/raw-graph.js';

/** Writes as the Graph docs describe them: create folder, PUT content, PATCH, DELETE, copy, sharing, quota. */

type Json = any;

describe('drives: writing', () => {
  let raw: RawGraph;
  let stop: () => Promise<void>;
  let drive: string;
  let base: string;

  const folder = (parent: string, name: string, behavior?: string) =>
    raw.graph('POST', `/v1.0/drives/${drive}/items/${parent}/children`, {
      json: { name, folder: {}, ...(behavior ? { '@microsoft.graph.conflictBehavior': behavior } : {}) },
    });
  const put = (parent: string, name: string, body: string | Buffer, behavior?: string) =>
    raw.graph(
      'PUT',
      `/v1.0/drives/${drive}/items/${parent}:/${encodeURIComponent(name)}:/content${behavior ? `?@microsoft.graph.conflictBehavior=${behavior}` : ''}`,
      { body, headers: { 'content-type': 'text/plain' } },
    );
  const download = async (id: string) => {
    const r = await raw.get(`/v1.0/drives/${drive}/items/${id}/content`);
    expect(r.status).toBe(302);
    return (await raw.send('GET', r.headers['location'] as string)).body;
  };

  beforeAll(async () => {
    ({ raw, stop } = await startEmulator());
    drive = (await raw.get('/v1.0/sites/root/drive')).json.id;
    const r = await folder('root', 'Write tests');
    expect(r.status).toBe(201);
    base = r.json.id;
  });
  afterAll(async () => stop());

  it('creates folders with conflictBehavior fail (default), rename and replace', async () => {
    const a = await folder(base, 'Reports');
    expect(a.status).toBe(201);
    expect(a.json.folder).toEqual({ childCount: 0 });
    const clash = await folder(base, 'reports');
    expect(clash.status).toBe(409);
    expect(clash.json.error.code).toBe('nameAlreadyExists');
    const renamed = await folder(base, 'Reports', 'rename');
    expect(renamed.json.name).toBe('Reports 1');
    const renamed2 = await folder(base, 'Reports', 'rename');
    expect(renamed2.json.name).toBe('Reports 2');
    await put(a.json.id, 'keep.txt', 'still here');
    const replaced = await folder(base, 'Reports', 'replace');
    expect(replaced.status).toBe(201);
    expect(replaced.json.id).toBe(a.json.id);
    expect(replaced.json.folder.childCount).toBe(1);
    expect(
      (
        await raw.graph('POST', `/v1.0/drives/${drive}/items/${base}/children`, {
          json: { name: 'no facet' },
        })
      ).status,
    ).toBe(400);
  });

  it('uploads with PUT content: 201 new, 200 replace (new version), conflictBehavior fail and rename', async () => {
    const created = await put(base, 'notes.txt', 'first');
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'notes.txt', size: 5, file: { mimeType: 'text/plain' } });
    const replaced = await put(base, 'notes.txt', 'second version');
    expect(replaced.status).toBe(200);
    expect(replaced.json.id).toBe(created.json.id);
    expect((await download(created.json.id)).toString()).toBe('second version');
    const versions = (await raw.get(`/v1.0/drives/${drive}/items/${created.json.id}/versions`)).json.value;
    expect(versions.map((v: Json) => v.id)).toEqual(['2.0', '1.0']);

    const failed = await put(base, 'notes.txt', 'x', 'fail');
    expect(failed.status).toBe(409);
    expect(failed.json.error.code).toBe('nameAlreadyExists');
    const renamed = await put(base, 'notes.txt', 'third', 'rename');
    expect(renamed.status).toBe(201);
    expect(renamed.json.name).toBe('notes 1.txt');

    const byId = await raw.graph('PUT', `/v1.0/drives/${drive}/items/${created.json.id}/content`, {
      body: 'by id',
    });
    expect(byId.status).toBe(200);
    const stale = await raw.graph('PUT', `/v1.0/drives/${drive}/items/${created.json.id}/content`, {
      body: 'stale',
      headers: { 'if-match': created.json.eTag },
    });
    expect(stale.status).toBe(412);
    // SharePoint eTags hold a comma ("{GUID},3"): the current one must still match.
    const current = await raw.graph('PUT', `/v1.0/drives/${drive}/items/${created.json.id}/content`, {
      body: 'current',
      headers: { 'if-match': byId.json.eTag },
    });
    expect(current.status).toBe(200);
    const restore = await raw.graph(
      'POST',
      `/v1.0/drives/${drive}/items/${created.json.id}/versions/1.0/restoreVersion`,
    );
    expect(restore.status).toBe(204);
    expect((await download(created.json.id)).toString()).toBe('first');
    const empty = await put(base, 'zero.bin', Buffer.alloc(0));
    expect(empty.status).toBe(201);
    expect(empty.json.size).toBe(0);
  });

  it('rejects names SharePoint forbids and paths over 400 characters', async () => {
    for (const bad of [
      'a:b',
      'what?',
      'pipe|name',
      'star*',
      'quote"',
      'lt<',
      'trailing ',
      'dot.',
      'CON',
      'desktop.ini',
      '~$lock.docx',
      'x_vti_y',
    ]) {
      const r = await put(base, bad, 'x');
      expect(r.status, bad).toBe(400);
      expect(r.json.error.code).toBe('invalidRequest');
    }
    const forms = await folder('root', 'forms');
    expect(forms.status).toBe(400);
    const long = 'L'.repeat(120);
    let parent = base;
    for (let i = 0; i < 3; i++) parent = (await folder(parent, `${long}${i}`)).json.id;
    const tooLong = await folder(parent, 'x'.repeat(60));
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.error.code).toBe('invalidRequest');
    expect((await folder(parent, 'short')).status).toBe(201);
  });

  it('renames and moves with PATCH (409 on a clash), and deletes with 204', async () => {
    const src = (await folder(base, 'Move source')).json.id;
    const dst = (await folder(base, 'Move target')).json.id;
    const f = (await put(src, 'moving.txt', 'payload')).json;
    await put(dst, 'taken.txt', 'occupied');

    const renamed = await raw.graph('PATCH', `/v1.0/drives/${drive}/items/${f.id}`, {
      json: { name: 'moved.txt' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.json.name).toBe('moved.txt');
    const moved = await raw.graph('PATCH', `/v1.0/drives/${drive}/items/${f.id}`, {
      json: { parentReference: { id: dst } },
    });
    expect(moved.json.parentReference.id).toBe(dst);
    expect((await raw.get(`/v1.0/drives/${drive}/items/${dst}:/moved.txt`)).json.id).toBe(f.id);
    const clash = await raw.graph('PATCH', `/v1.0/drives/${drive}/items/${f.id}`, {
      json: { name: 'taken.txt' },
    });
    expect(clash.status).toBe(409);
    const intoSelf = await raw.graph('PATCH', `/v1.0/drives/${drive}/items/${src}`, {
      json: { parentReference: { id: src } },
    });
    expect(intoSelf.status).toBe(400);
    const fsi = await raw.graph('PATCH', `/v1.0/drives/${drive}/items/${f.id}`, {
      json: { fileSystemInfo: { lastModifiedDateTime: '2011-03-04T05:06:07Z' } },
    });
    expect(fsi.json.fileSystemInfo.lastModifiedDateTime).toBe('2011-03-04T05:06:07Z');
    expect(
      (await raw.graph('PATCH', `/v1.0/drives/${drive}/items/${f.id}`, { json: { size: 3 } })).status,
    ).toBe(400);

    const del = await raw.graph('DELETE', `/v1.0/drives/${drive}/items/${f.id}`);
    expect(del.status).toBe(204);
    expect((await raw.get(`/v1.0/drives/${drive}/items/${f.id}`)).status).toBe(404);
    expect((await raw.graph('DELETE', `/v1.0/drives/${drive}/items/${f.id}`)).status).toBe(404);
  });

  it('copies a folder tree asynchronously: 202 with a monitor URL that reports completion', async () => {
    const src = (await folder(base, 'Copy me')).json.id;
    const inner = (await folder(src, 'inner')).json.id;
    await put(inner, 'data.txt', 'copied bytes');
    const r = await raw.graph('POST', `/v1.0/drives/${drive}/items/${src}/copy`, {
      json: { parentReference: { driveId: drive, id: base }, name: 'Copy me (copy)' },
    });
    expect(r.status).toBe(202);
    const monitor = await raw.send('GET', r.headers['location'] as string);
    expect(monitor.json).toMatchObject({ status: 'completed', percentageComplete: 100 });
    const copyId = monitor.json.resourceId;
    const copy = await raw.get(`/v1.0/drives/${drive}/items/${copyId}`);
    expect(copy.json.name).toBe('Copy me (copy)');
    const data = await raw.get(`/v1.0/drives/${drive}/items/${copyId}:/inner/data.txt`);
    expect(data.status).toBe(200);
    expect((await download(data.json.id)).toString()).toBe('copied bytes');
    const again = await raw.graph('POST', `/v1.0/drives/${drive}/items/${src}/copy`, {
      json: { parentReference: { driveId: drive, id: base }, name: 'Copy me (copy)' },
    });
    expect(again.status).toBe(409);
    // Across drives, into a user's OneDrive.
    const admin = (await raw.admin('GET', '/users')).json.value;
    const od = (await raw.get(`/v1.0/users/${admin.find((u: Json) => u.hasDrive).id}/drive`)).json.id;
    const cross = await raw.graph('POST', `/v1.0/drives/${drive}/items/${src}/copy`, {
      json: { parentReference: { driveId: od, id: (await raw.get(`/v1.0/drives/${od}/root`)).json.id } },
    });
    expect(cross.status).toBe(202);
    expect((await raw.get(`/v1.0/drives/${od}/root:/Copy me/inner/data.txt`)).status).toBe(200);
  });

  it('shares: invite, createLink (201 new, 200 existing), delete a permission; shared facet follows', async () => {
    const f = (await put(base, 'shared.txt', 'share me')).json;
    const admin = (await raw.admin('GET', '/users')).json.value;
    const someone = admin.find((u: Json) => u.hasDrive);
    const inv = await raw.graph('POST', `/v1.0/drives/${drive}/items/${f.id}/invite`, {
      json: {
        recipients: [{ objectId: someone.id }, { email: 'guest@partner.example' }],
        roles: ['write'],
        requireSignIn: true,
        sendInvitation: false,
      },
    });
    expect(inv.status).toBe(200);
    expect(inv.json.value).toHaveLength(2);
    expect(inv.json.value[0]).toMatchObject({ roles: ['write'], grantedToV2: { user: { id: someone.id } } });
    expect(inv.json.value[1].invitation.email).toBe('guest@partner.example');
    const link = await raw.graph('POST', `/v1.0/drives/${drive}/items/${f.id}/createLink`, {
      json: { type: 'view', scope: 'anonymous' },
    });
    expect(link.status).toBe(201);
    expect(link.json).toMatchObject({ roles: ['read'], link: { type: 'view', scope: 'anonymous' } });
    const same = await raw.graph('POST', `/v1.0/drives/${drive}/items/${f.id}/createLink`, {
      json: { type: 'view', scope: 'anonymous' },
    });
    expect(same.status).toBe(200);
    expect(same.json.id).toBe(link.json.id);
    expect(
      (await raw.graph('POST', `/v1.0/drives/${drive}/items/${f.id}/createLink`, { json: { type: 'bogus' } }))
        .status,
    ).toBe(400);
    const item = (await raw.get(`/v1.0/drives/${drive}/items/${f.id}`)).json;
    expect(item.shared.scope).toBe('anonymous');
    const list = (await raw.get(`/v1.0/drives/${drive}/items/${f.id}/permissions`)).json.value;
    expect(list).toHaveLength(3);
    for (const p of list)
      expect(
        (await raw.graph('DELETE', `/v1.0/drives/${drive}/items/${f.id}/permissions/${p.id}`)).status,
      ).toBe(204);
    expect((await raw.get(`/v1.0/drives/${drive}/items/${f.id}/permissions`)).json.value).toEqual([]);
    expect((await raw.get(`/v1.0/drives/${drive}/items/${f.id}`)).json.shared).toBeUndefined();
  });

  it('answers malformed input with 4xx, never 500', async () => {
    const d = `/v1.0/drives/${drive}`;
    const cases: [string, string, unknown?][] = [
      ['GET', `${d}/root/children?$top=abc`],
      ['GET', `${d}/root/children?$skiptoken=%%%`],
      ['GET', `${d}/root/children?$orderby=bogus`],
      ['GET', `${d}/root/children?$expand=thumbnails`],
      ['GET', `${d}/root/delta?token=2021-09-29T20%3A00%3A00Z`],
      ['GET', `${d}/items/nope/versions/9.0/content`],
      ['POST', `${d}/root/children`, 'not json'],
      ['POST', `${d}/root/children`, { name: 42, folder: {} }],
      [
        'POST',
        `${d}/root/children`,
        { name: 'x', folder: {}, '@microsoft.graph.conflictBehavior': 'explode' },
      ],
      ['PATCH', `${d}/items/${base}`, { parentReference: { path: '/drive/root:/%E0%A4%A' } }],
      ['PATCH', `${d}/items/${base}`, { parentReference: 'up' }],
      ['PATCH', `${d}/items/${base}`, { fileSystemInfo: { lastModifiedDateTime: 'yesterday' } }],
      ['POST', `${d}/items/${base}/invite`, { recipients: ['x'], roles: ['owner'] }],
      ['POST', `${d}/items/${base}/invite`, { recipients: [{ objectId: 'nobody' }], roles: ['read'] }],
      ['POST', `${d}/items/${base}/createLink`, { type: 'view', scope: 'galaxy' }],
      ['POST', `${d}/items/${base}/copy`, { parentReference: { driveId: 'b!nope', id: 'x' } }],
      ['POST', `${d}/items/${base}:/f.bin:/createUploadSession`, { item: { fileSize: -4 } }],
      ['PUT', `${d}/items/${base}/content`, 'folders have no content'],
      ['DELETE', `${d}/root`],
    ];
    for (const [method, path, body] of cases) {
      const opts =
        body === undefined
          ? {}
          : typeof body === 'string'
            ? { body, headers: { 'content-type': 'application/json' } }
            : { json: body };
      const r = await raw.graph(method, path, opts);
      expect(r.status, `${method} ${path} -> ${r.body.toString().slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${method} ${path}`).toBeLessThan(500);
      expect(r.json?.error?.code, `${method} ${path}`).toBeTruthy();
    }
    const url = (await raw.graph('POST', `${d}/items/${base}:/frag.bin:/createUploadSession`, { json: {} }))
      .json.uploadUrl;
    for (const range of ['bytes 5-1/10', 'bytes=0-1/2', 'bytes 0-9/5', 'nonsense']) {
      const r = await raw.send('PUT', url, { body: Buffer.from('ab'), headers: { 'content-range': range } });
      expect(r.status, range).toBeGreaterThanOrEqual(400);
      expect(r.status, range).toBeLessThan(500);
    }
    expect((await raw.send('PUT', url.replace(/tempauth=[^&]+/, 'tempauth=forged'))).status).toBe(404);
  });

  it('answers 507 when the drive quota would be exceeded', async () => {
    const d = (await raw.get(`/v1.0/drives/${drive}`)).json;
    const set = await raw.admin('POST', '/activity', {
      op: 'drive.setQuota',
      args: { drive, total: d.quota.used + 10 },
    });
    expect(set.status).toBe(200);
    const q = (await raw.get(`/v1.0/drives/${drive}`)).json.quota;
    expect(q.remaining).toBe(10);
    const big = await put(base, 'too-big.txt', 'x'.repeat(11));
    expect(big.status).toBe(507);
    expect(big.json.error.code).toBe('quotaLimitReached');
    expect((await put(base, 'fits.txt', 'x'.repeat(10))).status).toBe(201);
    expect((await raw.get(`/v1.0/drives/${drive}`)).json.quota).toMatchObject({
      remaining: 0,
      state: 'exceeded',
    });
    await raw.admin('POST', '/activity', { op: 'drive.setQuota', args: { drive, total: 1024 ** 4 } });
  });
});
