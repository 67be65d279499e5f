import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawGraph, startEmulator } from '../../../test/support/raw-graph.js';
import { QuickXorHash, quickXorHash } from './quickxor.js';

/**
 * Contract tests for reading drives, written from the Graph docs (driveItem, list children,
 * delta, get content, versions, permissions) with a plain HTTP client.
 */

/**
 * QuickXorHash ported from the C# sample on Microsoft's "QuickXorHash algorithm" page: three
 * 64-bit cells (the last holding 32 bits), each input byte XORed in at a shift advancing 11 bits
 * per byte, then the length XORed into the last 8 bytes of the little-endian 20-byte result.
 */
function referenceQuickXorHash(data: Uint8Array): string {
  const WIDTH = 160;
  const SHIFT = 11;
  const MASK = (1n << 64n) - 1n;
  const cells = [0n, 0n, 0n];
  let index = 0;
  let offset = 0;
  for (let i = 0; i < Math.min(data.length, WIDTH); i++) {
    const isLast = index === cells.length - 1;
    const bits = isLast ? 32 : 64;
    if (offset <= bits - 8) {
      for (let j = i; j < data.length; j += WIDTH)
        cells[index] = (cells[index] as bigint) ^ ((BigInt(data[j] as number) << BigInt(offset)) & MASK);
    } else {
      const index2 = isLast ? 0 : index + 1;
      let x = 0;
      for (let j = i; j < data.length; j += WIDTH) x ^= data[j] as number;
      cells[index] = (cells[index] as bigint) ^ ((BigInt(x) << BigInt(offset)) & MASK);
      cells[index2] = (cells[index2] as bigint) ^ (BigInt(x) >> BigInt(bits - offset));
    }
    offset += SHIFT;
    while (offset >= bits) {
      index = isLast ? 0 : index + 1;
      offset -= bits;
    }
  }
  const out = Buffer.alloc(20);
  out.writeBigUInt64LE(cells[0] as bigint, 0);
  out.writeBigUInt64LE(cells[1] as bigint, 8);
  const last = Buffer.alloc(8);
  last.writeBigUInt64LE((cells[2] as bigint) & MASK);
  last.copy(out, 16, 0, 4);
  const len = Buffer.alloc(8);
  len.writeBigInt64LE(BigInt(data.length));
  for (let i = 0; i < 8; i++) out[12 + i] = (out[12 + i] as number) ^ (len[i] as number);
  return out.toString('base64');
}

type Json = any;

async function crawl(raw: RawGraph, driveId: string): Promise<Map<string, Json>> {
  const root = (await raw.get(`/v1.0/drives/${driveId}/root`)).json;
  const seen = new Map<string, Json>([[root.id, root]]);
  const queue: string[] = [root.id];
  while (queue.length) {
    const id = queue.shift() as string;
    const { items } = await raw.all(`/v1.0/drives/${driveId}/items/${id}/children?$top=7`);
    for (const it of items) {
      expect(seen.has(it.id)).toBe(false);
      seen.set(it.id, it);
      if (it.folder || it.package) queue.push(it.id);
    }
  }
  return seen;
}

describe('drives: reading', () => {
  let raw: RawGraph;
  let stop: () => Promise<void>;
  let showcaseUser: Json;
  let showcaseDrive: string;

  beforeAll(async () => {
    ({ raw, stop } = await startEmulator());
    const users = (await raw.all('/v1.0/users')).items;
    for (const u of users) {
      const r = await raw.get(`/v1.0/users/${u.id}/drive/root:/permission`);
      if (r.status === 200) {
        showcaseUser = u;
        showcaseDrive = r.json.parentReference.driveId;
        break;
      }
    }
    expect(showcaseUser).toBeDefined();
  });
  afterAll(async () => stop());

  it('serves drives of users, sites and groups, and 404s a user without OneDrive', async () => {
    const d = await raw.get(`/v1.0/users/${encodeURIComponent(showcaseUser.userPrincipalName)}/drive`);
    expect(d.status).toBe(200);
    expect(d.json).toMatchObject({
      id: showcaseDrive,
      driveType: 'business',
      quota: { used: expect.any(Number), total: expect.any(Number) },
    });
    expect((await raw.get(`/v1.0/drives/${showcaseDrive}`)).json.id).toBe(showcaseDrive);
    expect(
      (await raw.get(`/v1.0/users/${showcaseUser.id}/drives`)).json.value.map((x: Json) => x.id),
    ).toEqual([showcaseDrive]);

    const root = await raw.get('/v1.0/sites/root/drive');
    expect(root.json.driveType).toBe('documentLibrary');
    const groups = (await raw.get('/v1.0/groups')).json.value.filter((g: Json) =>
      g.groupTypes.includes('Unified'),
    );
    const gd = await raw.get(`/v1.0/groups/${groups[0].id}/drive`);
    expect(gd.status).toBe(200);
    expect(gd.json.owner.group.id).toBe(groups[0].id);

    const admin = (await raw.admin('GET', '/users')).json.value;
    const noDrive = admin.find((u: Json) => !u.hasDrive && u.userType === 'Member');
    const nd = await raw.get(`/v1.0/users/${noDrive.id}/drive`);
    expect(nd.status).toBe(404);
    expect((await raw.get('/v1.0/drives/b!doesnotexist')).status).toBe(404);
  });

  it('a full crawl through children equals a full delta enumeration', async () => {
    const crawled = await crawl(raw, showcaseDrive);
    const delta = await raw.all(`/v1.0/drives/${showcaseDrive}/root/delta?$top=13`);
    expect(delta.last['@odata.deltaLink']).toContain('token=');
    const ids = delta.items.map((i: Json) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(crawled.keys()));
    for (const it of delta.items) {
      expect(it.parentReference?.path).toBeUndefined();
      const c = crawled.get(it.id);
      expect(it.name).toBe(c.name);
      expect(it.size).toBe(c.size);
      expect(it.file?.hashes).toEqual(c.file?.hashes);
    }
    // The drive's quota counts the bytes of every current file version.
    const used = [...crawled.values()].reduce((sum, i) => sum + (i.file ? i.size : 0), 0);
    expect((await raw.get(`/v1.0/drives/${showcaseDrive}`)).json.quota.used).toBe(used);
    // Another library: a site drive also crawls to its delta.
    const site = (await raw.get('/v1.0/sites/root/drive')).json.id;
    const c2 = await crawl(raw, site);
    const d2 = await raw.all(`/v1.0/sites/root/drive/root/delta`);
    expect(new Set(d2.items.map((i: Json) => i.id))).toEqual(new Set(c2.keys()));
  });

  it('holds the awkward cases: `permission`, a path over 400 characters, deep nesting, unicode, notebooks, empty files', async () => {
    const items = [...(await crawl(raw, showcaseDrive)).values()];
    const byId = new Map(items.map((i) => [i.id, i]));
    const pathOf = (i: Json): string => (i.root ? '' : `${pathOf(byId.get(i.parentReference.id))}/${i.name}`);
    const perm = items.find((i) => i.name === 'permission');
    expect(perm?.file).toBeDefined();
    const long = items.filter((i) => pathOf(i).length > 400);
    expect(long.length).toBeGreaterThan(0);
    const deepest = Math.max(...items.map((i) => pathOf(i).split('/').length - 1));
    expect(deepest).toBeGreaterThanOrEqual(9);
    expect(items.some((i) => /[\u0590-\u06ff]/.test(i.name))).toBe(true); // Hebrew or Arabic
    expect(items.some((i) => /\p{Extended_Pictographic}/u.test(i.name))).toBe(true);
    const nb = items.find((i) => i.package?.type === 'oneNote');
    expect(nb).toBeDefined();
    expect(nb.folder).toBeUndefined();
    expect(items.some((i) => i.parentReference?.id === nb.id && i.name.endsWith('.one'))).toBe(true);
    expect(items.some((i) => i.file && i.size === 0)).toBe(true);

    // Path addressing with percent-encoded unicode segments reaches the same items.
    const target = long[0];
    const encoded = pathOf(target).split('/').filter(Boolean).map(encodeURIComponent).join('/');
    const byPath = await raw.get(`/v1.0/drives/${showcaseDrive}/root:/${encoded}`);
    expect(byPath.status).toBe(200);
    expect(byPath.json.id).toBe(target.id);
    const kids = await raw.get(
      `/v1.0/drives/${showcaseDrive}/root:/${encoded.split('/').slice(0, -1).join('/')}:/children`,
    );
    expect(kids.json.value.map((k: Json) => k.id)).toContain(target.id);
    expect((await raw.get(`/v1.0/drives/${showcaseDrive}/root:/no/such/file.txt`)).status).toBe(404);
  });

  it('downloads through a 302 to a pre-authenticated URL; bytes are stable and match quickXorHash', async () => {
    const items = [...(await crawl(raw, showcaseDrive)).values()].filter((i) => i.file);
    const sample = [...new Map(items.map((i) => [i.file.mimeType, i])).values()];
    expect(sample.length).toBeGreaterThan(5);
    for (const it of sample) {
      const r = await raw.get(`/v1.0/drives/${showcaseDrive}/items/${it.id}/content`);
      expect(r.status).toBe(302);
      const a = await raw.send('GET', r.headers['location'] as string);
      const b = await raw.send('GET', it['@microsoft.graph.downloadUrl']);
      expect(a.status).toBe(200);
      expect(a.body.equals(b.body)).toBe(true);
      expect(a.body.length).toBe(it.size);
      expect(referenceQuickXorHash(a.body)).toBe(it.file.hashes.quickXorHash);
    }
    const pdf = sample.find((i) => i.file.mimeType === 'application/pdf');
    const bytes = (await raw.send('GET', pdf['@microsoft.graph.downloadUrl'])).body;
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');

    const expired = sample[0]['@microsoft.graph.downloadUrl'];
    await raw.admin('POST', '/downloads/expire');
    expect((await raw.send('GET', expired)).status).toBe(401);
  });

  it('lists versions, newest first, whose content differs', async () => {
    const items = [...(await crawl(raw, showcaseDrive)).values()].filter((i) => i.file);
    let found = false;
    for (const it of items) {
      const v = await raw.get(`/v1.0/drives/${showcaseDrive}/items/${it.id}/versions`);
      expect(v.status).toBe(200);
      if (v.json.value.length < 2) continue;
      found = true;
      const [cur, old] = v.json.value;
      expect(Number.parseFloat(cur.id)).toBeGreaterThan(Number.parseFloat(old.id));
      expect(cur.size).toBe(it.size);
      const oldContent = await raw.get(
        `/v1.0/drives/${showcaseDrive}/items/${it.id}/versions/${old.id}/content`,
      );
      expect(oldContent.status).toBe(302);
      const oldBytes = (await raw.send('GET', oldContent.headers['location'] as string)).body;
      const curBytes = (
        await raw.send(
          'GET',
          (await raw.get(`/v1.0/drives/${showcaseDrive}/items/${it.id}/content`)).headers[
            'location'
          ] as string,
        )
      ).body;
      expect(oldBytes.length).toBe(old.size);
      expect(oldBytes.equals(curBytes)).toBe(false);
      break;
    }
    expect(found).toBe(true);
  });

  it('lists sharing permissions, with $expand=permissions on children', async () => {
    const crawled = [...(await crawl(raw, showcaseDrive)).values()];
    const shared = crawled.filter((i) => i.shared);
    expect(shared.length).toBeGreaterThan(0);
    const scopes = new Set<string>();
    for (const it of shared) {
      const p = await raw.get(`/v1.0/drives/${showcaseDrive}/items/${it.id}/permissions`);
      expect(p.status).toBe(200);
      const own = p.json.value.filter((x: Json) => !x.inheritedFrom);
      expect(own.length).toBeGreaterThan(0);
      for (const x of own) scopes.add(x.link?.scope ?? 'users');
    }
    expect(scopes).toEqual(new Set(['users', 'organization', 'anonymous']));
    const parent = shared[0].parentReference.id;
    const page = await raw.get(`/v1.0/drives/${showcaseDrive}/items/${parent}/children?$expand=permissions`);
    const withPerms = page.json.value.find((i: Json) => i.id === shared[0].id);
    expect(withPerms.permissions.length).toBeGreaterThan(0);
  });

  it('honours $select and pages children with $top', async () => {
    const r = await raw.get(`/v1.0/drives/${showcaseDrive}/root/children?$top=2&$select=id,name`);
    expect(r.json.value).toHaveLength(2);
    expect(Object.keys(r.json.value[0]).sort()).toEqual(['id', 'name']);
    expect(r.json['@odata.nextLink']).toContain('$skiptoken=');
    const all = await raw.all(`/v1.0/drives/${showcaseDrive}/root/children?$top=2`);
    const one = await raw.all(`/v1.0/drives/${showcaseDrive}/root/children`);
    expect(all.items.map((i: Json) => i.id)).toEqual(one.items.map((i: Json) => i.id));
    const sel = await raw.get(
      `/v1.0/drives/${showcaseDrive}/root/children?$select=id,@microsoft.graph.downloadUrl`,
    );
    expect(sel.json.value.some((i: Json) => i['@microsoft.graph.downloadUrl'])).toBe(true);
  });

  it('pages children so that one added or renamed mid-listing arrives once, and none is lost', async () => {
    const base = `/v1.0/drives/${showcaseDrive}/root/children`;
    const before = (await raw.all(base)).items.map((i: Json) => i.id);
    const first = (await raw.get(`${base}?$top=3`)).json;
    const added = await raw.graph('POST', base, { json: { name: 'Added mid-listing', folder: {} } });
    expect(added.status).toBe(201);
    // An item already sent, changed: it comes again (the docs allow repeats), after the others.
    const renamed = first.value[0];
    await raw.graph('PATCH', `/v1.0/drives/${showcaseDrive}/items/${renamed.id}`, {
      json: { name: `${renamed.name} (renamed)` },
    });
    const rest = (await raw.all(first['@odata.nextLink'])).items;
    const ids = [...first.value, ...rest].map((i: Json) => i.id);
    expect(new Set(ids)).toEqual(new Set([...before, added.json.id]));
    expect(rest.filter((i: Json) => i.id === added.json.id)).toHaveLength(1);
    expect(rest[rest.length - 1].name).toBe(`${renamed.name} (renamed)`);
    expect(new Set(rest.map((i: Json) => i.id)).size).toBe(rest.length);
  });

  it('charges the documented SharePoint resource units', async () => {
    const item = (await raw.get(`/v1.0/drives/${showcaseDrive}/root:/permission`)).json;
    const link = (await raw.get(`/v1.0/drives/${showcaseDrive}/root/delta?token=latest`)).json[
      '@odata.deltaLink'
    ];
    const cost = async (fn: () => Promise<unknown>) => {
      await raw.admin('POST', '/metrics/reset');
      await fn();
      return (await raw.admin('GET', '/metrics')).json.resourceUnits as number;
    };
    expect(await cost(() => raw.get(`/v1.0/drives/${showcaseDrive}/items/${item.id}`))).toBe(1);
    expect(await cost(() => raw.get(`/v1.0/drives/${showcaseDrive}/items/${item.id}/content`))).toBe(1);
    expect(await cost(() => raw.get(`/v1.0/drives/${showcaseDrive}/root/children`))).toBe(2);
    expect(await cost(() => raw.get(`/v1.0/drives/${showcaseDrive}/root/children?$expand=permissions`))).toBe(
      5,
    );
    expect(await cost(() => raw.get(`/v1.0/drives/${showcaseDrive}/items/${item.id}/permissions`))).toBe(5);
    expect(await cost(() => raw.get(`/v1.0/drives/${showcaseDrive}/root/delta?$top=999`))).toBe(2);
    expect(await cost(() => raw.get(link))).toBe(1);
    expect(
      await cost(() =>
        raw.graph('PUT', `/v1.0/drives/${showcaseDrive}/root:/ru.txt:/content`, { body: 'x' }),
      ),
    ).toBe(2);
  });

  it('answers 403 accessDenied without Files or Sites permissions', async () => {
    const noFiles = (await raw.admin('POST', '/apps', { permissions: ['User.Read.All'] })).json;
    const limited = new RawGraph(raw.emulator, {
      clientId: noFiles.appId,
      clientSecret: noFiles.clientSecret,
    });
    const r = await limited.get(`/v1.0/drives/${showcaseDrive}/root/children`);
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('accessDenied');
    await limited.close();

    const readOnly = (await raw.admin('POST', '/apps', { permissions: ['Sites.Read.All'] })).json;
    const reader = new RawGraph(raw.emulator, {
      clientId: readOnly.appId,
      clientSecret: readOnly.clientSecret,
    });
    expect((await reader.get(`/v1.0/drives/${showcaseDrive}/root/children`)).status).toBe(200);
    const w = await reader.graph('POST', `/v1.0/drives/${showcaseDrive}/root/children`, {
      json: { name: 'x', folder: {} },
    });
    expect(w.status).toBe(403);
    await reader.close();
  });

  it('the emulator QuickXorHash agrees with the reference port, in any chunking', () => {
    // Published value for "hello world" (python quickxorhash package README).
    expect(referenceQuickXorHash(Buffer.from('hello world'))).toBe('aCgDG9jwBhDc4Q1yawMZAAAAAAA=');
    for (const n of [0, 1, 7, 19, 20, 159, 160, 161, 320, 1000, 65_537]) {
      const data = randomBytes(n);
      expect(quickXorHash(data)).toBe(referenceQuickXorHash(data));
      const h = new QuickXorHash();
      for (let o = 0; o < n; o += 37) h.update(data.subarray(o, o + 37));
      expect(h.digestBase64()).toBe(referenceQuickXorHash(data));
    }
  });
});
