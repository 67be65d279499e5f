import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawGraph, startEmulator } from '../../../test/support/raw-graph.js';
import type { Emulator } from '../../server.js';
import { mailboxUsers } from './test-helpers.js';

describe('mailbox import/export API (beta) and archive mailboxes', () => {
  let emulator: Emulator;
  let raw: RawGraph;
  let stop: () => Promise<void>;
  let settings: { user: string; primary: string; archive: string };
  const mbx = (id: string) => `/beta/admin/exchange/mailboxes/${encodeURIComponent(id)}`;

  beforeAll(async () => {
    ({ emulator, raw, stop } = await startEmulator());
    for (const u of await mailboxUsers(raw)) {
      const s = await raw.get(`/beta/users/${u.id}/settings/exchange`);
      if (s.json.inPlaceArchiveMailboxId) {
        settings = { user: u.id, primary: s.json.primaryMailboxId, archive: s.json.inPlaceArchiveMailboxId };
        break;
      }
    }
  });
  afterAll(async () => stop());

  it('lists the archive folder tree with mailboxFolder shape and type filter', async () => {
    const mb = await raw.get(mbx(settings.archive));
    expect(mb.json.id).toBe(settings.archive);
    const folders = (await raw.all(`${mbx(settings.archive)}/folders`)).items;
    const names = folders.map((f: any) => f.displayName);
    for (const n of ['Inbox', 'Sent Items', 'Deleted Items', '2023', '2024']) expect(names).toContain(n);
    const inbox = folders.find((f: any) => f.displayName === 'Inbox');
    expect(inbox.type).toBe('IPF.Note');
    expect(inbox.parentMailboxUrl).toContain(encodeURIComponent(settings.archive));
    for (const k of ['id', 'childFolderCount', 'parentFolderId', 'totalItemCount', 'wellKnownName'])
      expect(inbox).toHaveProperty(k);
    const filtered = (await raw.all(`${mbx(settings.archive)}/folders?$filter=type eq 'IPF.Appointment'`))
      .items;
    expect(filtered).toEqual([]);
    const inv = (await raw.admin('GET', '/inventory')).json.mail;
    let items = 0;
    for (const f of folders) {
      const list = (await raw.all(`${mbx(settings.archive)}/folders/${encodeURIComponent(f.id)}/items`))
        .items;
      expect(list.length).toBe(f.totalItemCount);
      items += list.length;
      for (const it of list.slice(0, 2)) {
        expect(it['@odata.type']).toBe('#microsoft.graph.mailboxItem');
        expect(it.type).toBe('IPM.Note');
        expect(it.size).toBeGreaterThan(0);
      }
    }
    expect(items).toBeGreaterThan(0);
    expect(inv.archiveMessages).toBeGreaterThanOrEqual(items);
  });

  it('the primary mailbox id shows the same data as the v1.0 mail API', async () => {
    const inbox = await raw.get(`/v1.0/users/${settings.user}/mailFolders/inbox`);
    const f = await raw.get(`${mbx(settings.primary)}/folders/${encodeURIComponent(inbox.json.id)}`);
    expect(f.json.totalItemCount).toBe(inbox.json.totalItemCount);
    const items = (
      await raw.all(`${mbx(settings.primary)}/folders/${encodeURIComponent(inbox.json.id)}/items`)
    ).items
      .map((i: any) => i.id)
      .sort();
    const msgs = (
      await raw.all(`/v1.0/users/${settings.user}/mailFolders/inbox/messages?$top=1000&$select=id`)
    ).items
      .map((m: any) => m.id)
      .sort();
    expect(items).toEqual(msgs);
  });

  it('export → import round trip re-creates the item byte-for-byte; bad ids fail per item', async () => {
    const folders = (await raw.all(`${mbx(settings.archive)}/folders`)).items;
    const source = folders.find((f: any) => f.totalItemCount > 0);
    const target = folders.find((f: any) => f.displayName === 'Deleted Items');
    const items = (
      await raw.get(`${mbx(settings.archive)}/folders/${encodeURIComponent(source.id)}/items?$top=2`)
    ).json.value;
    const exp = await raw.graph('POST', `${mbx(settings.archive)}/exportItems`, {
      json: { itemIds: [items[0].id, 'AAMkAnotAnId', items[1].id] },
    });
    expect(exp.status).toBe(200);
    expect(exp.json.value).toHaveLength(3);
    expect(exp.json.value[1].error.code).toBeTruthy();
    const first = exp.json.value[0];
    expect(first.changeKey).toBe(items[0].changeKey);
    const tooMany = await raw.graph('POST', `${mbx(settings.archive)}/exportItems`, {
      json: { itemIds: Array.from({ length: 21 }, () => items[0].id) },
    });
    expect(tooMany.status).toBe(400);

    const session = await raw.graph('POST', `${mbx(settings.archive)}/createImportSession`);
    expect(session.status).toBe(200);
    expect(session.json.importUrl).toBeTruthy();
    // The import URL is pre-authenticated: a bearer token sent along is refused.
    const withToken = await raw.send('POST', session.json.importUrl, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await raw.accessToken()}` },
      body: JSON.stringify({ FolderId: target.id, Mode: 'create', Data: first.data }),
    });
    expect(withToken.status).toBe(401);
    const created = await raw.send('POST', session.json.importUrl, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ FolderId: target.id, Mode: 'create', Data: first.data }),
    });
    expect(created.status).toBe(200);
    expect(created.json.itemId).toBeTruthy();
    const again = await raw.graph('POST', `${mbx(settings.archive)}/exportItems`, {
      json: { itemIds: [created.json.itemId] },
    });
    expect(again.json.value[0].data).toBe(first.data);

    const update = await raw.send('POST', session.json.importUrl, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        FolderId: target.id,
        Mode: 'update',
        Data: exp.json.value[2].data,
        ItemId: created.json.itemId,
        ChangeKey: created.json.changeKey,
      }),
    });
    expect(update.status).toBe(200);
    expect(update.json.itemId).toBe(created.json.itemId);
    expect(update.json.changeKey).not.toBe(created.json.changeKey);
    const stale = await raw.send('POST', session.json.importUrl, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        FolderId: target.id,
        Mode: 'update',
        Data: first.data,
        ItemId: created.json.itemId,
        ChangeKey: created.json.changeKey,
      }),
    });
    expect(stale.status).toBeGreaterThanOrEqual(400);
    const bad = await raw.send('POST', session.json.importUrl, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        FolderId: target.id,
        Mode: 'create',
        Data: Buffer.from('not an export').toString('base64'),
      }),
    });
    expect(bad.status).toBe(400);
  });

  it('items delta reports imported items', async () => {
    const folders = (await raw.all(`${mbx(settings.archive)}/folders`)).items;
    const inbox = folders.find((f: any) => f.displayName === 'Inbox');
    const initial = await raw.all(
      `${mbx(settings.archive)}/folders/${encodeURIComponent(inbox.id)}/items/delta`,
    );
    expect(initial.items.length).toBe(inbox.totalItemCount);
    const one = initial.items[0];
    const exp = await raw.graph('POST', `${mbx(settings.archive)}/exportItems`, {
      json: { itemIds: [one.id] },
    });
    const session = await raw.graph('POST', `${mbx(settings.archive)}/createImportSession`);
    const created = await raw.send('POST', session.json.importUrl, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ FolderId: inbox.id, Mode: 'create', Data: exp.json.value[0].data }),
    });
    const d = await raw.all(initial.last['@odata.deltaLink']);
    expect(d.items.map((i: any) => i.id)).toEqual([created.json.itemId]);
  });

  it('needs the mailbox permissions', async () => {
    const app = await raw.admin('POST', '/apps', {
      displayName: 'folders only',
      permissions: ['MailboxFolder.Read.All'],
    });
    const limited = new RawGraph(emulator, { clientId: app.json.appId, clientSecret: app.json.clientSecret });
    expect((await limited.get(`${mbx(settings.archive)}/folders`)).status).toBe(200);
    expect(
      (await limited.graph('POST', `${mbx(settings.archive)}/exportItems`, { json: { itemIds: ['x'] } }))
        .status,
    ).toBe(403);
    expect((await limited.graph('POST', `${mbx(settings.archive)}/createImportSession`)).status).toBe(403);
    await limited.close();
  });
});
