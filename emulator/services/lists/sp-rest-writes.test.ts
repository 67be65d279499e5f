import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RawGraph } from '../../../test/support/raw-graph.js';
import { attachmentFixture, itemApi, literal, names, spRequest } from './sp-test-client.js';

/**
 * Contract tests for the SharePoint REST slice of list item attachments, written from Microsoft's
 * SharePoint REST documentation ("Working with lists and list items with REST", AttachmentFiles,
 * GetFileByServerRelativeUrl/Path, the JSON light formats) and the responses it shows. Here:
 * adding, replacing and deleting attachments; kinds of list; inventory and activity.
 */

type Json = Record<string, any>;

let raw: RawGraph;
let stop: () => Promise<void>;
let fx: Awaited<ReturnType<typeof attachmentFixture>>;
/** The fixture's token, site, list, item with attachments and item without. */
let token: string;
let site: Json;
let list: Json;
let item: Json;
let bare: Json;
const get = (...args: Parameters<typeof fx.get>) => fx.get(...args);

beforeAll(async () => {
  ({ raw, stop } = await startEmulator());
  fx = await attachmentFixture(raw);
  ({ token, site, list, item, bare } = fx);
});
afterAll(() => stop());

describe('adding and deleting attachments', () => {
  const fields = async (id: string) =>
    (await raw.get(`/v1.0/sites/${site.id}/lists/${list.id}/items/${id}/fields`)).json;
  const deltaPath = () =>
    `/v1.0/sites/${site.id}/lists/${list.id}/items/delta?$select=id&$expand=fields($select=Attachments)`;
  const latest = async () => (await raw.all(deltaPath())).last['@odata.deltaLink'] as string;

  it('adds one that Graph shows as fields.Attachments and the item delta as a change', async () => {
    expect((await fields(bare.id)).Attachments).toBe(false);
    const link = await latest();
    const data = Buffer.from('restored attachment — ✓\r\n', 'utf8');
    const name = "Restore 'test' #1.txt";
    const added = await spRequest(
      raw,
      'POST',
      site.webUrl,
      `${itemApi(list, bare.id)}/AttachmentFiles/add(FileName='${literal(name)}')`,
      token,
      { body: data, headers: { 'content-type': 'application/octet-stream' } },
    );
    expect(added.status).toBe(200);
    expect(added.json.FileName).toBe(name);
    const listed = await get(`${itemApi(list, bare.id)}/AttachmentFiles`);
    expect(names(listed)).toEqual([name]);
    const bytes = await get(
      `web/GetFileByServerRelativePath(decodedurl='${literal(added.json.ServerRelativeUrl)}')/$value`,
    );
    expect(bytes.body.equals(data)).toBe(true);
    expect((await fields(bare.id)).Attachments).toBe(true);
    const delta = await raw.all(link);
    expect(delta.items.map((i) => i.id)).toEqual([bare.id]);
    expect(delta.items[0].fields.Attachments).toBe(true);

    const again = await spRequest(
      raw,
      'POST',
      site.webUrl,
      `${itemApi(list, bare.id)}/AttachmentFiles/add(FileName='${literal(name.toUpperCase())}')`,
      token,
      { body: data },
    );
    expect(again.status).toBe(400);
    expect(again.json['odata.error'].code).toBe('-2130575257, Microsoft.SharePoint.SPException');
    expect(again.json['odata.error'].message.value).toMatch(/^The specified name is already in use\./);
  });

  it('deletes one by DELETE or by POST with X-HTTP-Method: DELETE', async () => {
    const add = (name: string) =>
      spRequest(
        raw,
        'POST',
        site.webUrl,
        `${itemApi(list, bare.id)}/AttachmentFiles/add(FileName='${name}')`,
        token,
        {
          body: 'x',
        },
      );
    await add('one.txt');
    await add('two.txt');
    const link = await latest();
    const del = await spRequest(
      raw,
      'DELETE',
      site.webUrl,
      `${itemApi(list, bare.id)}/AttachmentFiles('one.txt')`,
      token,
    );
    expect(del.status).toBe(200);
    expect(del.body.length).toBe(0);
    const tunnelled = await spRequest(
      raw,
      'POST',
      site.webUrl,
      `${itemApi(list, bare.id)}/AttachmentFiles('TWO.txt')`,
      token,
      {
        headers: { 'x-http-method': 'DELETE' },
      },
    );
    expect(tunnelled.status).toBe(200);
    expect(names(await get(`${itemApi(list, bare.id)}/AttachmentFiles`))).not.toContain('two.txt');
    expect((await raw.all(link)).items.map((i) => i.id)).toEqual([bare.id]);
    const gone = await spRequest(
      raw,
      'DELETE',
      site.webUrl,
      `${itemApi(list, bare.id)}/AttachmentFiles('one.txt')`,
      token,
    );
    expect(gone.status).toBe(404);
    expect(gone.json['odata.error'].code).toBe('-2147024894, System.IO.FileNotFoundException');
  });

  it('replaces the content with PUT on $value', async () => {
    await spRequest(
      raw,
      'POST',
      site.webUrl,
      `${itemApi(list, bare.id)}/AttachmentFiles/add(FileName='put.bin')`,
      token,
      {
        body: Buffer.from([1, 2, 3]),
      },
    );
    const put = await spRequest(
      raw,
      'PUT',
      site.webUrl,
      `${itemApi(list, bare.id)}/AttachmentFiles('put.bin')/$value`,
      token,
      {
        body: Buffer.from([9, 8, 7, 6]),
      },
    );
    expect(put.status).toBe(204);
    const r = await get(`${itemApi(list, bare.id)}/AttachmentFiles('put.bin')/$value`);
    expect([...r.body]).toEqual([9, 8, 7, 6]);
  });

  it('refuses names SharePoint does not allow', async () => {
    const r = await spRequest(
      raw,
      'POST',
      site.webUrl,
      `${itemApi(list, bare.id)}/AttachmentFiles/add(FileName='a%3Ab.txt')`,
      token,
      {
        body: 'x',
      },
    );
    expect(r.status).toBe(400);
    expect(r.json['odata.error'].message.value).toMatch(/not permitted/);
  });
});

describe('sites and kinds of list', () => {
  const firstItem = async (s: Json, pick: (l: Json) => boolean, select = '') => {
    const l = (await raw.all(`/v1.0/sites/${s.id}/lists${select}`)).items.find(pick) as Json;
    const i = (await raw.all(`/v1.0/sites/${s.id}/lists/${l.id}/items`)).items[0] as Json;
    return { l, i };
  };

  it('serves the root site at /_api and a personal site at /personal/{user}/_api', async () => {
    const sites = (await raw.all('/v1.0/sites/getAllSites')).items;
    const root = sites.find((s) => s.root) as Json;
    expect(new URL(root.webUrl).pathname).toBe('/');
    const r = await firstItem(root, (l) => l.list.template === 'genericList');
    const atRoot = await spRequest(raw, 'GET', root.webUrl, `${itemApi(r.l, r.i.id)}/AttachmentFiles`, token);
    expect(atRoot.status).toBe(200);
    const personal = sites.find((s) => s.webUrl.includes('-my.sharepoint.com/personal/')) as Json;
    const p = await firstItem(
      personal,
      (l) => l.list.template === 'userInformation',
      '?$select=id,list,system',
    );
    const url = `${raw.info.graphUrl}${new URL(personal.webUrl).pathname}/_api/web/lists(guid'${p.l.id}')/items(${p.i.id})/AttachmentFiles`;
    const atPersonal = await raw.send('GET', url, {
      headers: { accept: 'application/json;odata=nometadata', authorization: `Bearer ${token}` },
    });
    expect(atPersonal.status).toBe(200);
    expect(atPersonal.json).toEqual({ value: [] });
    // A hidden system list takes no attachments.
    const refused = await spRequest(
      raw,
      'POST',
      personal.webUrl,
      `${itemApi(p.l, p.i.id)}/AttachmentFiles/add(FileName='a.txt')`,
      token,
      {
        body: 'x',
      },
    );
    expect(refused.status).toBe(400);
  });

  it('shows no attachments on a document library item and takes none', async () => {
    const { l, i } = await firstItem(site, (x) => x.list.template === 'documentLibrary');
    expect((await get(`${itemApi(l, i.id)}/AttachmentFiles`)).json).toEqual({ value: [] });
    const add = await spRequest(
      raw,
      'POST',
      site.webUrl,
      `${itemApi(l, i.id)}/AttachmentFiles/add(FileName='a.txt')`,
      token,
      {
        body: 'x',
      },
    );
    expect(add.status).toBe(400);
    expect((await get(`${itemApi(l, 999999)}/AttachmentFiles`)).status).toBe(404);
  });
});

describe('inventory', () => {
  it('counts exactly the attachments SharePoint REST lists over every list', async () => {
    let total = 0;
    const sites = (await raw.all('/v1.0/sites/getAllSites')).items;
    for (const s of sites) {
      for (const l of (await raw.all(`/v1.0/sites/${s.id}/lists?$select=id,displayName,list,system`)).items) {
        if (l.list.template === 'documentLibrary') continue;
        const items = (
          await raw.all(`/v1.0/sites/${s.id}/lists/${l.id}/items?$expand=fields($select=Attachments)`)
        ).items;
        for (const i of items) {
          const r = await spRequest(raw, 'GET', s.webUrl, `${itemApi(l, i.id)}/AttachmentFiles`, token);
          expect(r.status).toBe(200);
          expect(r.json.value.length > 0).toBe(i.fields.Attachments);
          total += r.json.value.length;
        }
      }
    }
    const inventory = (await raw.admin('GET', '/inventory')).json;
    expect(total).toBe(inventory.lists.listItemAttachments);
  });

  it('follows activity: lists.addAttachment and lists.deleteAttachment', async () => {
    const before = (await raw.admin('GET', '/inventory')).json.lists.listItemAttachments;
    const added = await raw.admin('POST', '/activity', {
      op: 'lists.addAttachment',
      args: { site: site.id, list: list.id, id: item.id, fileName: 'activity.bin', size: 4096 },
    });
    expect(added.status).toBe(200);
    expect(added.json.result).toMatchObject({ fileName: 'activity.bin', size: 4096, itemId: item.id });
    const bytes = await get(`${itemApi(list, item.id)}/AttachmentFiles('activity.bin')/$value`);
    expect(bytes.body.length).toBe(4096);
    expect((await raw.admin('GET', '/inventory')).json.lists.listItemAttachments).toBe(before + 1);
    const removed = await raw.admin('POST', '/activity', {
      op: 'lists.deleteAttachment',
      args: { site: site.id, list: list.id, id: item.id, fileName: 'activity.bin' },
    });
    expect(removed.status).toBe(200);
    expect((await raw.admin('GET', '/inventory')).json.lists.listItemAttachments).toBe(before);
    const dup = await raw.admin('POST', '/activity', {
      op: 'lists.addAttachment',
      args: {
        site: site.id,
        list: list.id,
        id: item.id,
        fileName: names(await get(`${itemApi(list, item.id)}/AttachmentFiles`))[0],
      },
    });
    expect(dup.status).toBe(400);
  });
});
