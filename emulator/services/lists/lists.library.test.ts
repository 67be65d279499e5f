import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawGraph, startEmulator } from '../../../test/support/raw-graph.js';

/**
 * A document library is a list: every driveItem but the root is one of its list items, with the
 * driveItem's `sharepointIds.listItemId` as id (Graph docs: listItem resource, driveItem
 * `listItem` and list `drive` relationships, listItem delta).
 */

let raw: RawGraph;
let stop: () => Promise<void>;
let siteId: string;
let driveId: string;
let libraryId: string;

const items = () => `/v1.0/sites/${siteId}/lists/${libraryId}/items`;
const activity = async (op: string, args: Record<string, unknown>) => {
  const r = await raw.admin('POST', '/activity', { op, args });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json.result;
};

/** Every driveItem of the drive but the root, by a full delta round. */
async function driveItems(): Promise<any[]> {
  return (await raw.all(`/v1.0/drives/${driveId}/root/delta`)).items.filter((i) => !i.root);
}

beforeAll(async () => {
  ({ raw, stop } = await startEmulator());
  const group = (await raw.all('/v1.0/groups')).items.find((g) => g.groupTypes.includes('Unified'));
  siteId = (await raw.get(`/v1.0/groups/${group.id}/sites/root`)).json.id;
  driveId = (await raw.get(`/v1.0/sites/${siteId}/drive`)).json.id;
  const lists = (await raw.all(`/v1.0/sites/${siteId}/lists`)).items;
  const library = lists.find((l) => l.list.template === 'documentLibrary' && l.displayName === 'Documents');
  libraryId = library.id;
});
afterAll(async () => stop());

describe('a document library as a list', () => {
  it("lists the drive's items (ids, names, Document vs Folder), paging each exactly once", async () => {
    const drive = await driveItems();
    const paged = (await raw.all(`${items()}?$top=7&$expand=fields`)).items;
    expect(paged.length).toBe(drive.length);
    expect(new Set(paged.map((i) => i.id)).size).toBe(paged.length);
    const whole = (await raw.get(`${items()}?$top=5000`)).json.value;
    expect(paged.map((i) => i.id)).toEqual(whole.map((i: any) => i.id));

    const byListItemId = new Map(drive.map((d) => [d.sharepointIds.listItemId, d]));
    for (const li of paged) {
      const d = byListItemId.get(li.id);
      expect(d, `list item ${li.id} has no driveItem`).toBeDefined();
      expect(li.fields.FileLeafRef).toBe(d.name);
      expect(li.fields.id).toBe(li.id);
      expect(li.contentType.name).toBe(d.file ? 'Document' : 'Folder');
      expect(li.fields.ContentType).toBe(li.contentType.name);
      expect(li.webUrl).toBe(d.webUrl);
      if (d.file) expect(li.fields.FileSizeDisplay).toBe(String(d.size));
    }
    expect(paged.some((i) => i.contentType.name === 'Folder')).toBe(true);
    expect(paged.some((i) => i.contentType.name === 'Document')).toBe(true);
    expect(paged[0].contentType.id).toMatch(/^0x0101|^0x0120/);
  });

  it('gets one item, its fields, $expand=driveItem, and 404 for an id the library lacks', async () => {
    const file = (await driveItems()).find((d) => d.file);
    const id = file.sharepointIds.listItemId;
    const one = await raw.get(`${items()}/${id}?$expand=fields,driveItem`);
    expect(one.status).toBe(200);
    expect(one.json.driveItem.id).toBe(file.id);
    expect(one.json.driveItem.file.hashes).toEqual(file.file.hashes);
    expect(one.json.fields.FileLeafRef).toBe(file.name);
    const fields = await raw.get(`${items()}/${id}/fields?$select=FileLeafRef`);
    expect(Object.keys(fields.json).filter((k) => !k.startsWith('@'))).toEqual(['FileLeafRef']);
    const ids = await raw.get(`${items()}/${id}?$select=id,sharepointIds`);
    expect(ids.json.sharepointIds).toMatchObject({ listId: libraryId, listItemId: id });
    expect(ids.json.webUrl).toBeUndefined();
    expect((await raw.get(`${items()}/987654`)).status).toBe(404);
    expect((await raw.get(`${items()}/not-a-number`)).status).toBe(404);
    expect((await raw.get(`${items()}?$expand=columns`)).status).toBe(400);
  });

  it('driveItem/listItem, list/drive and drive/list lead to each other', async () => {
    const found = (await driveItems()).find((d) => d.file);
    const file = (await raw.get(`/v1.0/drives/${driveId}/items/${found.id}`)).json;
    const li = await raw.get(`/v1.0/drives/${driveId}/items/${file.id}/listItem?$expand=fields`);
    expect(li.status).toBe(200);
    expect(li.json.id).toBe(file.sharepointIds.listItemId);
    expect(li.json.fields.FileLeafRef).toBe(file.name);
    const back = await raw.get(`${items()}/${li.json.id}?$expand=driveItem`);
    expect(back.json.driveItem.id).toBe(file.id);
    const byPath = await raw.get(
      `/v1.0/sites/${siteId}/drive/root:${file.parentReference.path.replace(/^.*root:/, '')}/${encodeURIComponent(file.name)}:/listItem`,
    );
    expect(byPath.json.id).toBe(li.json.id);
    expect((await raw.get(`/v1.0/drives/${driveId}/root/listItem`)).status).toBe(404);

    const drive = await raw.get(`/v1.0/sites/${siteId}/lists/${libraryId}/drive`);
    expect(drive.status).toBe(200);
    expect(drive.json.id).toBe(driveId);
    const list = await raw.get(`/v1.0/drives/${driveId}/list`);
    expect(list.json.id).toBe(libraryId);
    expect(list.json.list.template).toBe('documentLibrary');
    expect((await raw.get(`/v1.0/sites/${siteId}/drive/list?$select=id`)).json.id).toBe(libraryId);
    const generic = (await raw.all(`/v1.0/sites/${siteId}/lists`)).items.find(
      (l) => l.list.template === 'genericList',
    );
    expect((await raw.get(`/v1.0/sites/${siteId}/lists/${generic.id}/drive`)).status).toBe(404);
  });

  it("list-item delta reports exactly the drive delta's changes after drive.addFile / drive.deleteItem", async () => {
    const listStart = (await raw.get(`${items()}/delta?token=latest`)).json['@odata.deltaLink'];
    const driveStart = (await raw.get(`/v1.0/drives/${driveId}/root/delta?token=latest`)).json[
      '@odata.deltaLink'
    ];
    expect(listStart).toContain('token=');
    const victim = (await driveItems()).find((d) => d.file);
    const victimListId = victim.sharepointIds.listItemId;
    const added = await activity('drive.addFile', { drive: driveId, path: 'Delta Check/added by test.txt' });
    expect(added.createdFolders).toHaveLength(1);
    await activity('drive.deleteItem', { drive: driveId, id: victim.id });

    const driveChanges = (await raw.all(driveStart)).items;
    const listChanges = (await raw.all(`${listStart}&$expand=fields`)).items;
    const expected = driveChanges.map((d) => (d.deleted ? victimListId : d.sharepointIds.listItemId));
    expect(listChanges.map((c) => c.id).sort()).toEqual(expected.sort());
    expect(listChanges).toHaveLength(3);
    const gone = listChanges.find((c) => c.id === victimListId);
    expect(gone.deleted).toEqual({ state: 'deleted' });
    expect(gone.contentType.name).toBe('Document');
    expect(gone.parentReference.siteId).toBe(siteId);
    const file = listChanges.find((c) => c.fields?.FileLeafRef === 'added by test.txt');
    expect(file.contentType.name).toBe('Document');
    expect(listChanges.find((c) => c.fields?.FileLeafRef === 'Delta Check').contentType.name).toBe('Folder');
    expect((await raw.get(`${items()}/${victimListId}`)).status).toBe(404);
  });

  it('delta: a full round equals the item listing; token=latest; an unknown token is 410 + Location', async () => {
    const round = (await raw.all(`${items()}/delta?$top=9`)).items;
    const listing = (await raw.all(`${items()}?$top=50`)).items;
    expect(round.map((i) => i.id).sort()).toEqual(listing.map((i) => i.id).sort());
    expect(round.every((i) => !i.deleted)).toBe(true);
    const latest = await raw.get(`${items()}/delta?token=latest`);
    expect(latest.json.value).toEqual([]);
    expect(latest.json['@odata.deltaLink']).toContain('/items/delta');
    const gone = await raw.get(`${items()}/delta?token=bogus`);
    expect(gone.status).toBe(410);
    expect(gone.json.error.code).toBe('resyncChangesApplyDifferences');
    expect(gone.headers['location']).toContain('/items/delta');
  });
});

describe('writes to library items', () => {
  it('PATCH fields sets Title (seen through the drive delta too), renames by FileLeafRef, refuses the rest', async () => {
    const file = (await driveItems()).find((d) => d.file);
    const id = file.sharepointIds.listItemId;
    const driveStart = (await raw.get(`/v1.0/drives/${driveId}/root/delta?token=latest`)).json[
      '@odata.deltaLink'
    ];
    const before = (await raw.get(`${items()}/${id}`)).json;
    const patched = await raw.graph('PATCH', `${items()}/${id}/fields`, {
      headers: { 'if-match': before.eTag },
      json: { Title: 'Quarterly figures' },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.Title).toBe('Quarterly figures');
    expect((await raw.get(`${items()}/${id}?$expand=fields`)).json.fields.Title).toBe('Quarterly figures');
    expect((await raw.all(driveStart)).items.map((d) => d.id)).toEqual([file.id]);
    const stale = await raw.graph('PATCH', `${items()}/${id}/fields`, {
      headers: { 'if-match': before.eTag },
      json: { Title: 'Again' },
    });
    expect(stale.status).toBe(412);

    const via = await raw.graph('PATCH', `/v1.0/drives/${driveId}/items/${file.id}/listItem/fields`, {
      json: { FileLeafRef: 'renamed through fields.txt' },
    });
    expect(via.status).toBe(200);
    expect((await raw.get(`/v1.0/drives/${driveId}/items/${file.id}`)).json.name).toBe(
      'renamed through fields.txt',
    );
    expect(
      (await raw.get(`/v1.0/drives/${driveId}/items/${file.id}/listItem/fields`)).json.LinkFilename,
    ).toBe('renamed through fields.txt');
    const readOnly = await raw.graph('PATCH', `${items()}/${id}/fields`, { json: { FileSizeDisplay: '1' } });
    expect(readOnly.status).toBe(403);
    const unknown = await raw.graph('PATCH', `${items()}/${id}/fields`, { json: { NoSuchColumn: 1 } });
    expect(unknown.status).toBe(400);
  });

  it('refuses POST /items (files come through the drive) and deletes an item with DELETE', async () => {
    const created = await raw.graph('POST', items(), { json: { fields: { Title: 'x' } } });
    expect(created.status).toBe(400);
    expect(created.json.error.message).toContain('OneDrive API');
    const victim = (await driveItems()).find((d) => d.file);
    const del = await raw.graph('DELETE', `${items()}/${victim.sharepointIds.listItemId}`);
    expect(del.status).toBe(204);
    expect((await raw.get(`/v1.0/drives/${driveId}/items/${victim.id}`)).status).toBe(404);
  });

  it('needs permissions: nothing without Sites/Files scopes, drive routes with Files.Read.All', async () => {
    const none = await raw.admin('POST', '/apps', { permissions: ['User.Read.All'] });
    const files = await raw.admin('POST', '/apps', { permissions: ['Files.Read.All'] });
    const a = new RawGraph(raw.emulator, { clientId: none.json.appId, clientSecret: none.json.clientSecret });
    const b = new RawGraph(raw.emulator, {
      clientId: files.json.appId,
      clientSecret: files.json.clientSecret,
    });
    try {
      const file = (await driveItems()).find((d) => d.file);
      for (const path of [
        items(),
        `${items()}/delta`,
        `${items()}/${file.sharepointIds.listItemId}`,
        `/v1.0/drives/${driveId}/items/${file.id}/listItem`,
        `/v1.0/sites/${siteId}/lists/${libraryId}/drive`,
        `/v1.0/drives/${driveId}/list`,
      ])
        expect((await a.get(path)).status, path).toBe(403);
      const patch = await a.graph('PATCH', `${items()}/${file.sharepointIds.listItemId}/fields`, {
        json: { Title: 'no' },
      });
      expect(patch.status).toBe(403);
      expect((await b.get(`/v1.0/drives/${driveId}/items/${file.id}/listItem`)).status).toBe(200);
      expect((await b.get(items())).status).toBe(403);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('activity and restarts', () => {
  it('lists.updateItem sets a library item Title; lists.addItem is refused as Graph refuses it', async () => {
    const file = (await driveItems()).find((d) => d.file);
    const id = file.sharepointIds.listItemId;
    await activity('lists.updateItem', {
      site: siteId,
      list: libraryId,
      id,
      fields: { Title: 'From activity' },
    });
    expect((await raw.get(`${items()}/${id}/fields`)).json.Title).toBe('From activity');
    const added = await raw.admin('POST', '/activity', {
      op: 'lists.addItem',
      args: { site: siteId, list: libraryId, fields: { Title: 'x' } },
    });
    expect(added.status).toBe(400);
  });

  it('a list-item delta token taken before a restart still reports a deletion by its list item id', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'lists-library-'));
    try {
      const first = await startEmulator({ stateDir });
      const base = `/v1.0/sites/${siteId}/lists/${libraryId}/items`;
      const link = (await first.raw.get(`${base}/delta?token=latest`)).json['@odata.deltaLink'];
      const all = (await first.raw.all(`/v1.0/drives/${driveId}/root/delta`)).items;
      const victim = all.find((d) => d.file);
      const r = await first.raw.admin('POST', '/activity', {
        op: 'drive.deleteItem',
        args: { drive: driveId, id: victim.id },
      });
      expect(r.status).toBe(200);
      await first.stop();
      const second = await startEmulator({ stateDir });
      try {
        // The new process listens elsewhere: keep the link's path and token.
        const { pathname, search } = new URL(link as string);
        const changes = (await second.raw.all(`${pathname}${search}`)).items;
        expect(changes).toEqual([
          expect.objectContaining({ id: victim.sharepointIds.listItemId, deleted: { state: 'deleted' } }),
        ]);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

describe('inventory', () => {
  it('libraryItems counts what /lists/{library}/items shows across every site', async () => {
    const inv = (await raw.admin('GET', '/inventory')).json.lists;
    const sites = (await raw.all('/v1.0/sites/getAllSites')).items;
    let count = 0;
    for (const s of sites) {
      const libraries = (await raw.all(`/v1.0/sites/${s.id}/lists`)).items.filter(
        (l) => l.list.template === 'documentLibrary',
      );
      for (const l of libraries)
        count += (await raw.all(`/v1.0/sites/${s.id}/lists/${l.id}/items?$top=5000&$select=id`)).items.length;
    }
    expect(inv.libraryItems).toBe(count);
    expect((await raw.admin('GET', '/inventory')).json.drives.items).toBe(count);
  });
});
