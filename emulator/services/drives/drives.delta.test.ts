import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawGraph } from '../../../test/support/raw-graph.js';
import { startEmulator } from '../../../test/support/raw-graph.js';

/** driveItem delta as the Graph docs describe it: token paging, token=latest, deleted facet, 410 resync. */

type Json = any;

describe('drives: delta', () => {
  let raw: RawGraph;
  let stop: () => Promise<void>;
  let user: Json;
  let driveId: string;

  const activity = async (op: string, args: Record<string, unknown>) => {
    const r = await raw.admin('POST', '/activity', { op, args });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json.result;
  };
  /** Follows a delta link to the end: the changes and the next deltaLink. */
  const changes = async (link: string) => {
    const { items, last } = await raw.all(link);
    return { items, next: last['@odata.deltaLink'] as string };
  };

  beforeAll(async () => {
    ({ raw, stop } = await startEmulator());
    const admin = (await raw.admin('GET', '/users')).json.value;
    user = admin.find((u: Json) => u.hasDrive);
    driveId = (await raw.get(`/v1.0/users/${user.id}/drive`)).json.id;
  });
  afterAll(async () => stop());

  it('token=latest returns no items and a deltaLink that later returns exactly the change', async () => {
    const latest = await raw.get(`/v1.0/users/${user.id}/drive/root/delta?token=latest`);
    expect(latest.status).toBe(200);
    expect(latest.json.value).toEqual([]);
    const link = latest.json['@odata.deltaLink'] as string;
    expect(link).toMatch(/token=/);

    const again = await changes(link);
    expect(again.items).toEqual([]);

    const added = await activity('drive.addFile', {
      drive: driveId,
      path: 'Delta Tests/new file.txt',
      content: 'hello',
    });
    expect(added.createdFolders).toHaveLength(1);
    const after = await changes(again.next);
    expect(after.items.map((i: Json) => i.id).sort()).toEqual([added.id, ...added.createdFolders].sort());
    const file = after.items.find((i: Json) => i.id === added.id);
    expect(file).toMatchObject({ name: 'new file.txt', size: 5, file: { mimeType: 'text/plain' } });
    expect(file.parentReference.path).toBeUndefined();
    expect(file.parentReference.id).toBe(added.createdFolders[0]);

    const modified = await activity('drive.modifyFile', { drive: driveId, id: added.id });
    const after2 = await changes(after.next);
    expect(after2.items.map((i: Json) => i.id)).toEqual([added.id]);
    expect(after2.items[0].size).toBe(modified.size);

    const renamed = await activity('drive.renameItem', { drive: driveId, id: added.id, name: 'renamed.txt' });
    const after3 = await changes(after2.next);
    expect(after3.items.map((i: Json) => [i.id, i.name])).toEqual([[renamed.id, 'renamed.txt']]);
  });

  it('reports deletions with the deleted facet, a deleted folder with its contents', async () => {
    const start = (await raw.get(`/v1.0/drives/${driveId}/root/delta?token=latest`)).json['@odata.deltaLink'];
    const a = await activity('drive.addFile', { drive: driveId, path: 'Doomed/inner/a.docx' });
    const mid = await changes(start);
    const doomed = a.createdFolders[0];
    expect(mid.items).toHaveLength(3);
    const del = await activity('drive.deleteItem', { drive: driveId, id: doomed });
    expect(del.removed.sort()).toEqual([a.id, ...a.createdFolders].sort());
    const after = await changes(mid.next);
    expect(after.items.map((i: Json) => i.id).sort()).toEqual(del.removed.sort());
    for (const i of after.items) {
      expect(i.deleted).toEqual({ state: 'deleted' });
      expect(i.file).toBeUndefined();
    }
    expect((await raw.get(`/v1.0/drives/${driveId}/items/${doomed}`)).status).toBe(404);
    // A full enumeration does not include deleted items.
    const full = await raw.all(`/v1.0/drives/${driveId}/root/delta`);
    expect(full.items.some((i: Json) => i.deleted)).toBe(false);
  });

  it('delta through /sites/{id}/drive and random activity reports exactly what changed', async () => {
    const site = (await raw.get('/v1.0/sites/root')).json;
    const siteDrive = (await raw.get(`/v1.0/sites/${site.id}/drive`)).json.id;
    const start = (await raw.get(`/v1.0/sites/${site.id}/drive/root/delta?token=latest`)).json[
      '@odata.deltaLink'
    ];
    const result = await activity('drive.randomActivity', { drive: siteDrive, count: 40 });
    expect(result.changes).toHaveLength(40);
    const touched = new Set<string>();
    const removed = new Set<string>();
    for (const c of result.changes) {
      touched.add(c.id);
      for (const f of c.createdFolders ?? []) touched.add(f);
      for (const r of c.removed ?? []) removed.add(r);
    }
    const after = await changes(start);
    const reported = new Set(after.items.map((i: Json) => i.id));
    for (const id of reported) expect(touched.has(id as string) || removed.has(id as string)).toBe(true);
    for (const id of removed) expect(after.items.find((i: Json) => i.id === id)?.deleted).toBeDefined();
    // Every touched item that still exists is reported live; every removed one as deleted.
    for (const id of touched)
      if (!removed.has(id)) expect(after.items.find((i: Json) => i.id === id && !i.deleted)).toBeDefined();
  });

  it('answers an expired token with 410 Gone, a Location to restart, and resyncChangesApplyDifferences', async () => {
    const link = (await raw.get(`/v1.0/drives/${driveId}/root/delta?token=latest`)).json['@odata.deltaLink'];
    // Changes after the token, then the service forgets its change history (tombstones).
    await activity('drive.addFile', { drive: driveId, path: 'expiry.txt', content: 'x' });
    await raw.admin('POST', '/delta/expire', { prefix: `drive:${driveId}` });
    const r = await raw.get(link);
    expect(r.status).toBe(410);
    expect(r.json.error.code).toBe('resyncChangesApplyDifferences');
    const location = r.headers['location'] as string;
    expect(location).toContain('/root/delta');
    expect(location).not.toContain('token=');
    const restart = await raw.all(location);
    expect(restart.items.length).toBeGreaterThan(10);
    expect(restart.last['@odata.deltaLink']).toBeDefined();
    // A malformed token is treated the same way.
    expect((await raw.get(`/v1.0/drives/${driveId}/root/delta?token=bogus`)).status).toBe(410);
  });
});
