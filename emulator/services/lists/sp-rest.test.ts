import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RawGraph } from '../../../test/support/raw-graph.js';
import { attachmentFixture, itemApi, literal, names, spRequest } from './sp-test-client.js';

/**
 * Contract tests for the SharePoint REST slice of list item attachments, written from Microsoft's
 * SharePoint REST documentation ("Working with lists and list items with REST", AttachmentFiles,
 * GetFileByServerRelativeUrl/Path, the JSON light formats) and the responses it shows. Here:
 * reading attachments, their bytes, and the errors.
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

describe('AttachmentFiles of a list item', () => {
  it('lists them with no metadata: FileName, FileNameAsPath, ServerRelativePath, ServerRelativeUrl', async () => {
    const r = await get(`${itemApi(list, item.id)}/AttachmentFiles`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json;odata=nometadata/);
    expect(Object.keys(r.json)).toEqual(['value']);
    const sitePath = new URL(site.webUrl).pathname;
    for (const a of r.json.value) {
      expect(Object.keys(a)).toEqual([
        'FileName',
        'FileNameAsPath',
        'ServerRelativePath',
        'ServerRelativeUrl',
      ]);
      expect(a.FileNameAsPath).toEqual({ DecodedUrl: a.FileName });
      expect(a.ServerRelativeUrl).toBe(`${sitePath}/Lists/${list.name}/Attachments/${item.id}/${a.FileName}`);
      expect(a.ServerRelativePath).toEqual({ DecodedUrl: a.ServerRelativeUrl });
    }
    expect(r.json.value.length).toBeGreaterThan(0);
  });

  it('annotates minimal metadata, the default for plain application/json', async () => {
    for (const accept of ['application/json;odata=minimalmetadata', 'application/json']) {
      const r = await get(`${itemApi(list, item.id)}/AttachmentFiles`, accept);
      expect(r.headers['content-type']).toMatch(/^application\/json;odata=minimalmetadata/);
      expect(r.json['odata.metadata']).toMatch(/\/_api\/\$metadata#SP\.ApiData\.Attachments$/);
      const a = r.json.value[0];
      expect(a['odata.type']).toBe('SP.Attachment');
      expect(a['odata.id']).toMatch(
        new RegExp(`/_api/Web/Lists\\(guid'${list.id}'\\)/Items\\(${item.id}\\)/AttachmentFiles\\('`),
      );
      expect(a['odata.editLink']).toMatch(/^Web\/Lists\(guid'/);
      expect(a.FileNameAsPath).toEqual({ DecodedUrl: a.FileName });
    }
  });

  it('answers verbose JSON as d.results with __metadata', async () => {
    const r = await get(`${itemApi(list, item.id)}/AttachmentFiles`, 'application/json;odata=verbose');
    expect(r.headers['content-type']).toMatch(/^application\/json;odata=verbose/);
    const a = r.json.d.results[0];
    expect(a.__metadata.type).toBe('SP.Attachment');
    expect(a.__metadata.uri).toContain(`/Items(${item.id})/AttachmentFiles(`);
    expect(a.FileNameAsPath).toEqual({ __metadata: { type: 'SP.ResourcePath' }, DecodedUrl: a.FileName });
    expect(a.ServerRelativePath.__metadata.type).toBe('SP.ResourcePath');
  });

  it('answers Atom XML when the Accept header asks for no JSON, as SharePoint does', async () => {
    const r = await spRequest(raw, 'GET', site.webUrl, `${itemApi(list, item.id)}/AttachmentFiles`, token, {
      headers: { accept: 'application/atom+xml' },
    });
    expect(r.headers['content-type']).toMatch(/^application\/atom\+xml;type=feed/);
    const xml = r.body.toString('utf8');
    expect(xml).toMatch(/^<\?xml version="1\.0" encoding="utf-8"\?><feed /);
    expect(xml).toContain('<category term="SP.Attachment"');
    expect(xml).toContain('<d:FileNameAsPath m:type="SP.ResourcePath">');
  });

  it('finds the list by title (getbytitle, any case) and by GetList(url), and applies $select', async () => {
    const byId = names(await get(`${itemApi(list, item.id)}/AttachmentFiles`));
    const byTitle = await get(
      `web/lists/GetByTitle('${literal(list.displayName)}')/items(${item.id})/AttachmentFiles?$select=FileName`,
    );
    expect(names(byTitle)).toEqual(byId);
    expect(Object.keys(byTitle.json.value[0])).toEqual(['FileName']);
    const url = `${new URL(site.webUrl).pathname}/Lists/${list.name}`;
    expect(names(await get(`web/GetList('${literal(url)}')/items(${item.id})/AttachmentFiles`))).toEqual(
      byId,
    );
    const one = await get(`${itemApi(list, item.id)}/AttachmentFiles('${literal(byId[0] as string)}')`);
    expect(one.json.FileName).toBe(byId[0]);
    const unknown = await get(`${itemApi(list, item.id)}/AttachmentFiles?$select=Size`);
    expect(unknown.status).toBe(400);
    expect(unknown.json['odata.error'].code).toBe(
      '-1, Microsoft.SharePoint.Client.InvalidClientQueryException',
    );
  });

  it('lists none for an item without attachments', async () => {
    const r = await get(`${itemApi(list, bare.id)}/AttachmentFiles`);
    expect(r.json).toEqual({ value: [] });
  });
});

describe('attachment bytes', () => {
  it('are the same on every read and through both server-relative URL forms', async () => {
    const files = (await get(`${itemApi(list, item.id)}/AttachmentFiles`)).json.value as Json[];
    for (const a of files) {
      const first = await get(`${itemApi(list, item.id)}/AttachmentFiles('${literal(a.FileName)}')/$value`);
      const again = await get(`${itemApi(list, item.id)}/AttachmentFiles('${literal(a.FileName)}')/$value`);
      const byUrl = await get(`web/GetFileByServerRelativeUrl('${literal(a.ServerRelativeUrl)}')/$value`);
      const byPath = await get(
        `web/GetFileByServerRelativePath(decodedurl='${literal(a.ServerRelativeUrl)}')/$value`,
      );
      expect(first.status).toBe(200);
      expect(first.body.length).toBeGreaterThan(0);
      expect(again.body.equals(first.body)).toBe(true);
      expect(byUrl.body.equals(first.body)).toBe(true);
      expect(byPath.body.equals(first.body)).toBe(true);
      const ext = /\.(\w+)$/.exec(a.FileName)?.[1];
      const magic = { pdf: '%PDF', png: '\x89PNG', docx: 'PK' }[ext as 'pdf'];
      if (magic) expect(first.body.subarray(0, magic.length).toString('latin1')).toBe(magic);
    }
  });

  it('serves a Range as 206 with Content-Range', async () => {
    const a = (await get(`${itemApi(list, item.id)}/AttachmentFiles`)).json.value[0] as Json;
    const api = `web/GetFileByServerRelativeUrl('${literal(a.ServerRelativeUrl)}')/$value`;
    const whole = await get(api);
    const part = await get(api, '*/*', { range: 'bytes=10-19' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 10-19/${whole.body.length}`);
    expect(part.body.equals(whole.body.subarray(10, 20))).toBe(true);
    expect((await get(api, '*/*', { range: `bytes=${whole.body.length}-` })).status).toBe(416);
  });
});

describe('SharePoint errors', () => {
  it('answers an unknown list, item or file in SharePoint’s error shape', async () => {
    const noList = await get(
      `web/lists(guid'00000000-0000-0000-0000-000000000000')/items(1)/AttachmentFiles`,
    );
    expect(noList.status).toBe(404);
    expect(noList.json['odata.error']).toEqual({
      code: '-2130575322, Microsoft.SharePoint.SPException',
      message: { lang: 'en-US', value: expect.stringMatching(/^List does not exist\./) },
    });
    const noTitle = await get(`web/lists/getbytitle('No such list')/items(1)/AttachmentFiles`);
    expect(noTitle.status).toBe(404);
    expect(noTitle.json['odata.error'].code).toBe('-1, System.ArgumentException');
    expect(noTitle.json['odata.error'].message.value).toBe(
      `List 'No such list' does not exist at site with URL '${site.webUrl}'.`,
    );
    const noItem = await get(`${itemApi(list, 999999)}/AttachmentFiles`);
    expect(noItem.status).toBe(404);
    expect(noItem.json['odata.error'].message.value).toBe(
      'Item does not exist. It may have been deleted by another user.',
    );
    const noFile = await get(`${itemApi(list, item.id)}/AttachmentFiles('nope.txt')/$value`);
    expect(noFile.status).toBe(404);
    expect(noFile.json['odata.error']).toEqual({
      code: '-2147024894, System.IO.FileNotFoundException',
      message: { lang: 'en-US', value: 'File Not Found.' },
    });
    const sitePath = new URL(site.webUrl).pathname;
    const noUrl = await get(
      `web/GetFileByServerRelativeUrl('${sitePath}/Lists/${list.name}/Attachments/1/nope.txt')/$value`,
    );
    expect(noUrl.status).toBe(404);
  });

  it('uses {"error":…} for verbose JSON and 400 for a malformed path', async () => {
    const r = await get(`${itemApi(list, 999999)}/AttachmentFiles`, 'application/json;odata=verbose');
    expect(r.json.error.code).toBe('-2147024809, System.ArgumentException');
    expect(r.json.error.message.lang).toBe('en-US');
    const bad = await get(`web/lists(guid'not-a-guid')/items(1)/AttachmentFiles`);
    expect(bad.status).toBe(400);
    expect(bad.json['odata.error'].code).toBe('-1, Microsoft.SharePoint.Client.InvalidClientQueryException');
  });

  it('says plainly which REST resources it does not emulate, and 404s an unknown site', async () => {
    const r = await get('web/lists');
    expect(r.status).toBe(501);
    expect(r.json['odata.error'].message.value).toMatch(/not emulated/);
    const top = await get(`${itemApi(list, item.id)}/AttachmentFiles?$top=1`);
    expect(top.status).toBe(501);
    expect(top.json['odata.error'].message.value).toMatch(/\$top/);
    const nosite = await raw.send('GET', `${raw.info.graphUrl}/sites/no-such-site/_api/web`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(nosite.status).toBe(404);
  });
});
