import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RawGraph } from '../../../test/support/raw-graph.js';
import { startEmulator } from '../../../test/support/raw-graph.js';
import { channelFilesFolder, libraryListItem, libraryListItems, listBackedByDrive } from './api.js';

/** The functions other services call, and a drive's state surviving a restart (journal replay). */

type Json = any;

async function snapshot(raw: RawGraph, drive: string): Promise<Map<string, string>> {
  const { items } = await raw.all(`/v1.0/drives/${drive}/root/delta`);
  return new Map(
    items.map((i: Json) => [
      i.id,
      `${i.parentReference.id ?? ''}|${i.name}|${i.size}|${i.file?.hashes.quickXorHash ?? ''}|${i.eTag}`,
    ]),
  );
}

describe('drives: api for other services', () => {
  it('channelFilesFolder creates the channel folder once, deterministically, visible through Graph', async () => {
    const { emulator, raw, stop } = await startEmulator();
    try {
      const team = (await raw.get('/v1.0/groups')).json.value.find((g: Json) =>
        g.resourceProvisioningOptions.includes('Team'),
      );
      const site = (await raw.get(`/v1.0/groups/${team.id}/sites/root`)).json;
      const drive = (await raw.get(`/v1.0/groups/${team.id}/drive`)).json.id;
      const general = channelFilesFolder(emulator.store, site.id, 'General');
      expect(general).toMatchObject({
        name: 'General',
        folder: expect.any(Object),
        parentReference: { driveId: drive },
      });
      const link = (await raw.get(`/v1.0/drives/${drive}/root/delta?token=latest`)).json['@odata.deltaLink'];
      const design = channelFilesFolder(emulator.store, site.id, 'Design Reviews');
      expect(channelFilesFolder(emulator.store, site.id, 'design reviews')['id']).toBe(design['id']);
      const viaGraph = await raw.get(`/v1.0/drives/${drive}/root:/Design Reviews`);
      expect(viaGraph.json.id).toBe(design['id']);
      const changes = (await raw.all(link)).items;
      expect(changes.map((i: Json) => i.id)).toEqual([design['id']]);
    } finally {
      await stop();
    }
    // Same seed, fresh tenant: the same folder id.
    const again = await startEmulator();
    try {
      const team = (await again.raw.get('/v1.0/groups')).json.value.find((g: Json) =>
        g.resourceProvisioningOptions.includes('Team'),
      );
      const site = (await again.raw.get(`/v1.0/groups/${team.id}/sites/root`)).json;
      const a = channelFilesFolder(again.emulator.store, site.id, 'Design Reviews');
      const b = (await again.raw.get(`/v1.0/groups/${team.id}/drive/root:/Design Reviews`)).json;
      expect(b.id).toBe(a['id']);
    } finally {
      await again.stop();
    }
  });

  it('listBackedByDrive describes each document library of a site', async () => {
    const { emulator, raw, stop } = await startEmulator();
    try {
      const sites = (await raw.get('/v1.0/sites?search=*')).json.value;
      let checked = 0;
      for (const s of sites) {
        const lists = listBackedByDrive(emulator.store, s.id);
        const drives = (await raw.get(`/v1.0/sites/${s.id}/drives`)).json.value;
        expect(lists.map((l) => l.driveId)).toEqual(drives.map((d: Json) => d.id));
        for (const l of lists) {
          expect(l.template).toBe('documentLibrary');
          const child = (await raw.get(`/v1.0/drives/${l.driveId}/root/children?$top=1`)).json.value[0];
          expect(child.sharepointIds.listId).toBe(l.listId);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(3);
      expect(listBackedByDrive(emulator.store, 'nope')).toEqual([]);
    } finally {
      await stop();
    }
  });

  it('list item ids: unique in a library, kept by a move, the same through libraryListItem', async () => {
    const { emulator, raw, stop } = await startEmulator();
    try {
      const team = (await raw.get('/v1.0/groups')).json.value.find((g: Json) =>
        g.resourceProvisioningOptions.includes('Team'),
      );
      const site = (await raw.get(`/v1.0/groups/${team.id}/sites/root`)).json;
      const drive = (await raw.get(`/v1.0/groups/${team.id}/drive`)).json.id;
      for (const name of ['Alpha', 'Beta', 'Gamma']) channelFilesFolder(emulator.store, site.id, name);
      await raw.admin('POST', '/activity', { op: 'drive.randomActivity', args: { drive, count: 20 } });
      const items = (await raw.all(`/v1.0/drives/${drive}/root/delta`)).items.filter((i: Json) => !i.root);
      const ids = items.map((i: Json) => i.sharepointIds.listItemId as string);
      expect(ids.every((id) => /^\d+$/.test(id))).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      expect(libraryListItems(emulator.store, drive).map((li) => li.id)).toEqual(
        [...ids].sort((a, b) => Number(a) - Number(b)),
      );

      const file = items.find((i: Json) => i.file);
      const folder = items.find((i: Json) => i.folder && i.id !== file.parentReference.id);
      const moved = await raw.graph('PATCH', `/v1.0/drives/${drive}/items/${file.id}`, {
        json: { parentReference: { id: folder.id } },
      });
      expect(moved.status).toBe(200);
      expect(moved.json.sharepointIds.listItemId).toBe(file.sharepointIds.listItemId);
      const li = libraryListItem(emulator.store, drive, file.sharepointIds.listItemId);
      expect(li).toMatchObject({ driveItemId: file.id, contentType: 'Document', name: file.name });
    } finally {
      await stop();
    }
  });

  it('a drive changed through Graph and activity is the same after a restart with the same state directory', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'drives-state-'));
    try {
      const first = await startEmulator({ stateDir });
      const team = (await first.raw.get('/v1.0/groups')).json.value.find((g: Json) =>
        g.resourceProvisioningOptions.includes('Team'),
      );
      const members = (await first.raw.get(`/v1.0/groups/${team.id}/members`)).json.value;
      const drive = (await first.raw.get(`/v1.0/groups/${team.id}/drive`)).json.id;
      // The library was generated (authors drawn from the members) before a member left; the
      // replay regenerates it after that (the journal holds the change, not the generation) and
      // must still produce the same tree.
      await first.raw.admin('POST', '/activity', {
        op: 'deleteUser',
        args: { id: members[members.length - 1].id },
      });
      const up = await first.raw.graph('PUT', `/v1.0/drives/${drive}/root:/persisted.txt:/content`, {
        body: 'kept across restarts',
      });
      expect(up.status).toBe(201);
      await first.raw.admin('POST', '/activity', { op: 'drive.randomActivity', args: { drive, count: 15 } });
      const before = await snapshot(first.raw, drive);
      const bytes = async (raw: RawGraph) => {
        const r = await raw.get(`/v1.0/drives/${drive}/items/${up.json.id}/content`);
        return r.status === 302 ? (await raw.send('GET', r.headers['location'] as string)).body : undefined;
      };
      const content = await bytes(first.raw);
      await first.stop();

      const second = await startEmulator({ stateDir });
      try {
        expect(await snapshot(second.raw, drive)).toEqual(before);
        // (Random activity may have changed or deleted the upload; either way the state is the same.)
        expect(await bytes(second.raw)).toEqual(content);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
