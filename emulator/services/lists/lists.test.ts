import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawGraph, startEmulator } from '../../../test/support/raw-graph.js';

let raw: RawGraph;
let stop: () => Promise<void>;
let siteId: string;
let sites: any[];

const lists = (site: string) => `/v1.0/sites/${site}/lists`;

beforeAll(async () => {
  ({ raw, stop } = await startEmulator());
  sites = (await raw.all('/v1.0/sites/getAllSites')).items;
  const group = (await raw.all('/v1.0/groups')).items.find((g) => g.groupTypes.includes('Unified'));
  siteId = (await raw.get(`/v1.0/groups/${group.id}/sites/root`)).json.id;
});
afterAll(async () => stop());

describe('lists of a site', () => {
  it('lists visible lists only, system lists only when $select names system', async () => {
    const visible = (await raw.all(lists(siteId))).items;
    const templates = visible.map((l) => l.list.template);
    expect(templates).toContain('genericList');
    expect(templates).toContain('events');
    expect(templates).toContain('tasks');
    expect(visible.every((l) => l.list.hidden === false && l.system === undefined)).toBe(true);

    const everything = (await raw.all(`${lists(siteId)}?$select=id,displayName,list,system`)).items;
    const system = everything.filter((l) => l.system);
    expect(system.length).toBeGreaterThan(0);
    expect(system.every((l) => l.list.hidden === true)).toBe(true);
    expect(system.map((l) => l.list.template)).toEqual(
      expect.arrayContaining([
        'userInformation',
        'webPartCatalog',
        'masterPageCatalog',
        'solutionCatalog',
        'themeCatalog',
        'appDataCatalog',
      ]),
    );
    expect(everything.length).toBe(visible.length + system.length);
    expect(Object.keys(everything[0]).sort()).toEqual(expect.arrayContaining(['displayName', 'id', 'list']));
    expect(everything[0].webUrl).toBeUndefined();
  });

  it("shows the site's document library as a documentLibrary list whose items are the drive's", async () => {
    const library = (await raw.all(lists(siteId))).items.find((l) => l.list.template === 'documentLibrary');
    expect(library).toBeDefined();
    const drives = (await raw.all(`/v1.0/sites/${siteId}/drives`)).items;
    expect(drives.map((d) => d.webUrl)).toContain(library.webUrl);
    expect((await raw.get(`${lists(siteId)}/${library.id}`)).json.displayName).toBe(library.displayName);
    expect((await raw.get(`${lists(siteId)}/${library.id}/items`)).status).toBe(200);
  });

  it('filters lists and finds a list by its title', async () => {
    const tasks = (await raw.all(`${lists(siteId)}?$filter=list/template eq 'tasks'`)).items;
    expect(tasks).toHaveLength(1);
    const byTitle = await raw.get(`${lists(siteId)}/${encodeURIComponent(tasks[0].displayName)}`);
    expect(byTitle.status).toBe(200);
    expect(byTitle.json.id).toBe(tasks[0].id);
    expect((await raw.get(`${lists(siteId)}/No Such List`)).status).toBe(404);
  });

  it('expands columns with their type facets, and lists content types', async () => {
    const l = (await raw.all(`${lists(siteId)}?$expand=columns`)).items.find(
      (x) => x.list.template === 'genericList',
    );
    const byName = Object.fromEntries(l.columns.map((c: any) => [c.name, c]));
    expect(byName['Title'].text).toBeDefined();
    expect(l.columns.some((c: any) => c.personOrGroup)).toBe(true);
    expect(l.columns.some((c: any) => c.hyperlinkOrPicture)).toBe(true);
    expect(l.columns.some((c: any) => c.text?.allowMultipleLines)).toBe(true);
    const cts = (await raw.get(`${lists(siteId)}/${l.id}/contentTypes`)).json.value;
    expect(cts.map((c: any) => c.name)).toContain('Item');
  });
});

describe('list items', () => {
  let listId: string;
  beforeAll(async () => {
    listId = (await raw.all(lists(siteId))).items.find((x) => x.list.template === 'genericList').id;
  });

  it('pages every item exactly once', async () => {
    const paged = (await raw.all(`${lists(siteId)}/${listId}/items?$top=3`)).items;
    const whole = (await raw.get(`${lists(siteId)}/${listId}/items?$top=1000`)).json.value;
    expect(paged.map((i) => i.id)).toEqual(whole.map((i: any) => i.id));
    expect(new Set(paged.map((i) => i.id)).size).toBe(paged.length);
    expect(paged[0].fields).toBeUndefined();
  });

  it('expands fields, with $select inside the expand', async () => {
    const items = (await raw.get(`${lists(siteId)}/${listId}/items?$expand=fields`)).json.value;
    expect(items[0].fields.Title).toBeTypeOf('string');
    expect(items[0].fields.AuthorLookupId).toMatch(/^\d+$/);
    const only = (await raw.get(`${lists(siteId)}/${listId}/items?expand=fields(select=Title)`)).json.value;
    expect(Object.keys(only[0].fields).sort()).toEqual(['@odata.etag', 'Title']);
    const fields = await raw.get(`${lists(siteId)}/${listId}/items/${items[0].id}/fields`);
    expect(fields.json.Title).toBe(items[0].fields.Title);
  });

  it('resolves person lookups against the hidden User Information List', async () => {
    const item = (await raw.get(`${lists(siteId)}/${listId}/items?$expand=fields&$top=1`)).json.value[0];
    const uil = (await raw.all(`${lists(siteId)}?$select=id,list,system`)).items.find(
      (l) => l.list.template === 'userInformation',
    );
    const person = await raw.get(
      `${lists(siteId)}/${uil.id}/items/${item.fields.AuthorLookupId}?$expand=fields`,
    );
    expect(person.status).toBe(200);
    expect(person.json.fields.Name).toMatch(/^i:0#\.f\|membership\|/);
  });

  it('needs the Prefer header to filter on a non-indexed field', async () => {
    const path = `${lists(siteId)}/${listId}/items?$expand=fields&$filter=fields/Title eq 'nothing-like-this'`;
    const refused = await raw.get(path);
    expect(refused.status).toBe(400);
    const allowed = await raw.get(path, { prefer: 'HonorNonIndexedQueriesWarningMayFailRandomly' });
    expect(allowed.status).toBe(200);
    expect(allowed.json.value).toEqual([]);
  });

  it('delta reports a new item and a deleted one (deleted facet)', async () => {
    let link: string | undefined = `${lists(siteId)}/${listId}/items/delta?$top=4`;
    let page: any;
    const seen: string[] = [];
    while (link) {
      page = (await raw.get(link)).json;
      seen.push(...page.value.map((i: any) => i.id));
      link = page['@odata.nextLink'];
    }
    const whole = (await raw.all(`${lists(siteId)}/${listId}/items`)).items;
    expect(seen.sort()).toEqual(whole.map((i) => i.id).sort());
    const deltaLink = page['@odata.deltaLink'] as string;
    expect(deltaLink).toContain('token=');
    const created = await raw.graph('POST', `${lists(siteId)}/${listId}/items`, {
      json: { fields: { Title: 'Added by test' } },
    });
    expect(created.status).toBe(201);
    const victim = whole[0].id;
    expect((await raw.graph('DELETE', `${lists(siteId)}/${listId}/items/${victim}`)).status).toBe(204);
    const changes = (await raw.get(deltaLink)).json.value;
    expect(changes).toHaveLength(2);
    const removed = changes.find((c: any) => c.id === victim);
    expect(removed.deleted).toEqual({ state: 'deleted' });
    expect(changes.find((c: any) => c.id === created.json.id).deleted).toBeUndefined();
    expect((await raw.get(`${lists(siteId)}/${listId}/items/${victim}`)).status).toBe(404);
  });

  it('answers token=latest with only a deltaLink, and a bad token with 410 + Location', async () => {
    const latest = await raw.get(`${lists(siteId)}/${listId}/items/delta?token=latest`);
    expect(latest.json.value).toEqual([]);
    expect(latest.json['@odata.deltaLink']).toBeDefined();
    const gone = await raw.get(`${lists(siteId)}/${listId}/items/delta?token=bogus`);
    expect(gone.status).toBe(410);
    expect(gone.json.error.code).toBe('resyncChangesApplyDifferences');
    expect(gone.headers['location']).toContain('/items/delta');
  });
});

describe('writes', () => {
  it('creates a list, adds an item, patches its fields and refuses unknown fields', async () => {
    const created = await raw.graph('POST', lists(siteId), {
      json: {
        displayName: 'Books',
        columns: [
          { name: 'Author', text: {} },
          { name: 'Pages', number: {} },
          { name: 'Done', boolean: {} },
        ],
        list: { template: 'genericList' },
      },
    });
    expect(created.status).toBe(400);
    const ok = await raw.graph('POST', lists(siteId), {
      json: {
        displayName: 'Books',
        columns: [
          { name: 'Writer', text: {} },
          { name: 'Pages', number: {} },
          { name: 'Done', boolean: {} },
        ],
        list: { template: 'genericList' },
      },
    });
    expect(ok.status).toBe(201);
    expect((await raw.graph('POST', lists(siteId), { json: { displayName: 'books' } })).status).toBe(409);
    const base = `${lists(siteId)}/${ok.json.id}/items`;
    const item = await raw.graph('POST', base, {
      json: { fields: { Title: 'Dune', Writer: 'Herbert', Pages: 412 } },
    });
    expect(item.status).toBe(201);
    expect(item.json.id).toBe('1');
    expect(item.json.fields.Pages).toBe(412);
    const patched = await raw.graph('PATCH', `${base}/1/fields`, { json: { Done: true } });
    expect(patched.status).toBe(200);
    expect(patched.json.Done).toBe(true);
    expect(patched.json._UIVersionString).toBe('2.0');
    expect((await raw.graph('PATCH', `${base}/1/fields`, { json: { Nope: 1 } })).status).toBe(400);
    expect(
      (await raw.graph('PATCH', `${base}/1/fields`, { json: { Created: '2020-01-01T00:00:00Z' } })).status,
    ).toBe(400);
    expect(
      (
        await raw.graph('PATCH', `${base}/1/fields`, {
          headers: { 'if-match': '"stale,1"' },
          json: { Done: false },
        })
      ).status,
    ).toBe(412);
    expect((await raw.graph('DELETE', `${base}/1`)).status).toBe(204);
    const again = await raw.graph('POST', base, { json: { fields: { Title: 'Emma' } } });
    expect(again.json.id).toBe('2');
  });

  it('refuses without permissions: reads need Sites.*, list creation needs Sites.Manage.All', async () => {
    const none = await raw.admin('POST', '/apps', { permissions: ['User.Read.All'] });
    const rw = await raw.admin('POST', '/apps', { permissions: ['Sites.ReadWrite.All'] });
    const a = new RawGraph(raw.emulator, { clientId: none.json.appId, clientSecret: none.json.clientSecret });
    const b = new RawGraph(raw.emulator, { clientId: rw.json.appId, clientSecret: rw.json.clientSecret });
    try {
      expect((await a.get(lists(siteId))).status).toBe(403);
      expect((await b.get(lists(siteId))).status).toBe(200);
      expect((await b.graph('POST', lists(siteId), { json: { displayName: 'Nope' } })).status).toBe(403);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('activity', () => {
  it('lists.addItem / updateItem / deleteItem show up in item delta', async () => {
    const listId = (await raw.all(lists(siteId))).items.find((x) => x.list.template === 'tasks').id;
    const start = (await raw.get(`${lists(siteId)}/${listId}/items/delta?token=latest`)).json[
      '@odata.deltaLink'
    ];
    const added = (
      await raw.admin('POST', '/activity', {
        op: 'lists.addItem',
        args: { site: siteId, list: listId, fields: { Title: 'From activity', Status: 'In Progress' } },
      })
    ).json.result;
    await raw.admin('POST', '/activity', {
      op: 'lists.updateItem',
      args: { site: siteId, list: listId, id: '1' },
    });
    await raw.admin('POST', '/activity', {
      op: 'lists.deleteItem',
      args: { site: siteId, list: listId, id: '2' },
    });
    const changes = (await raw.get(`${start}&$expand=fields`)).json.value;
    expect(changes.map((c: any) => c.id).sort()).toEqual(['1', '2', added.itemId].sort());
    expect(changes.find((c: any) => c.id === added.itemId).fields.Status).toBe('In Progress');
    expect(changes.find((c: any) => c.id === '2').deleted).toEqual({ state: 'deleted' });
  });
});

describe('inventory', () => {
  it('matches a Graph crawl of every site', async () => {
    const inv = (await raw.admin('GET', '/inventory')).json.lists;
    let visible = 0;
    let system = 0;
    let items = 0;
    for (const s of sites) {
      const all = (await raw.all(`${lists(s.id)}?$select=id,list,system`)).items;
      for (const l of all) {
        if (l.system) system++;
        else if (l.list.template === 'documentLibrary') visible++;
        else {
          visible++;
          items += (await raw.all(`${lists(s.id)}/${l.id}/items?$top=1000`)).items.length;
        }
      }
    }
    expect(inv.lists).toBe(visible);
    expect(inv.systemLists).toBe(system);
    expect(inv.listItems).toBe(items);
    expect(inv.listItemAttachments).toBeGreaterThan(0);
  });
});
