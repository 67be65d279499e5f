import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RawGraph } from '../../../test/support/raw-graph.js';
import { mailboxUsers, type TestUser } from './test-helpers.js';

describe('messages delta (per folder)', () => {
  let raw: RawGraph;
  let stop: () => Promise<void>;
  let user: TestUser;
  const activity = async (op: string, args: Record<string, unknown>) => {
    const r = await raw.admin('POST', '/activity', { op, args });
    if (r.status !== 200) throw new Error(`${op}: ${r.status} ${r.body.toString()}`);
    return r.json.result;
  };
  const sync = async (url: string) => {
    const r = await raw.all(url);
    return { items: r.items, deltaLink: r.last['@odata.deltaLink'] as string };
  };

  beforeAll(async () => {
    ({ raw, stop } = await startEmulator());
    user = (await mailboxUsers(raw))[1] as TestUser;
  });
  afterAll(async () => stop());

  it('initial round returns every message of the folder, paged by Prefer: odata.maxpagesize', async () => {
    const inbox = await raw.get(`/v1.0/users/${user.id}/mailFolders/inbox`);
    const first = await raw.get(`/v1.0/users/${user.id}/mailFolders/inbox/messages/delta`, {
      prefer: 'odata.maxpagesize=3',
    });
    expect(first.json.value).toHaveLength(3);
    expect(first.json['@odata.nextLink']).toContain('$skiptoken=');
    const all = await raw.all(`/v1.0/users/${user.id}/mailFolders/inbox/messages/delta`, {
      prefer: 'odata.maxpagesize=4',
    });
    expect(all.items.length).toBe(inbox.json.totalItemCount);
    expect(new Set(all.items.map((m: any) => m.id)).size).toBe(all.items.length);
    expect(all.items[0]['@odata.type']).toBe('#microsoft.graph.message');
    expect(all.last['@odata.deltaLink']).toContain('$deltatoken=');
  });

  it('after activity returns exactly the change; deletion and move-out are @removed', async () => {
    const base = `/v1.0/users/${user.id}/mailFolders/inbox/messages/delta?$select=subject,isRead`;
    let s = await sync(base);
    expect((await raw.get(s.deltaLink)).json.value).toEqual([]);

    const added = await activity('mail.addMessage', { user: user.id });
    let d = await sync(s.deltaLink);
    expect(d.items.map((m: any) => m.id)).toEqual([added.id]);
    expect(Object.keys(d.items[0]).sort()).toEqual(['@odata.etag', '@odata.type', 'id', 'isRead', 'subject']);
    expect(d.items[0].isRead).toBe(false);

    await activity('mail.updateMessage', { user: user.id, id: added.id, set: { isRead: true } });
    s = d;
    d = await sync(s.deltaLink);
    expect(d.items).toHaveLength(1);
    expect(d.items[0].id).toBe(added.id);
    expect(d.items[0].isRead).toBe(true);

    const archived = await sync(`/v1.0/users/${user.id}/mailFolders/archive/messages/delta?$select=subject`);
    const moved = await activity('mail.moveMessage', { user: user.id, id: added.id, folder: 'archive' });
    d = await sync(d.deltaLink);
    expect(d.items).toEqual([
      { '@odata.type': '#microsoft.graph.message', id: added.id, '@removed': { reason: 'deleted' } },
    ]);
    const inArchive = await sync(archived.deltaLink);
    expect(inArchive.items.map((m: any) => m.id)).toEqual([moved.id]);

    const victim = (await raw.get(`/v1.0/users/${user.id}/mailFolders/inbox/messages?$top=1`)).json.value[0]
      .id;
    await activity('mail.deleteMessage', { user: user.id, id: victim });
    d = await sync(d.deltaLink);
    expect(d.items).toEqual([
      { '@odata.type': '#microsoft.graph.message', id: victim, '@removed': { reason: 'deleted' } },
    ]);
  });

  it('changeType=created only reports new items', async () => {
    const s = await sync(
      `/v1.0/users/${user.id}/mailFolders/inbox/messages/delta?changeType=created&$select=subject`,
    );
    const some = (await raw.get(`/v1.0/users/${user.id}/mailFolders/inbox/messages?$top=1`)).json.value[0];
    await activity('mail.updateMessage', { user: user.id, id: some.id, set: { flag: 'flagged' } });
    const added = await activity('mail.addMessage', { user: user.id });
    const d = await sync(s.deltaLink);
    expect(d.items.map((m: any) => m.id)).toEqual([added.id]);
  });

  it('randomActivity reports what it changed, and delta sees the same', async () => {
    const before = await sync(`/v1.0/users/${user.id}/mailFolders/inbox/messages/delta?$select=id`);
    const r = await activity('mail.randomActivity', { user: user.id, count: 12 });
    expect(r.changes).toHaveLength(12);
    const after = await sync(before.deltaLink);
    const inboxId = (await raw.get(`/v1.0/users/${user.id}/mailFolders/inbox`)).json.id;
    const touched = new Set<string>();
    for (const c of r.changes) {
      if (c.op === 'addMessage' && c.folderId === inboxId) touched.add(c.id);
      if ((c.op === 'updateMessage' || c.op === 'deleteMessage') && c.folderId === inboxId) touched.add(c.id);
      if (c.op === 'moveMessage' && c.fromFolderId === inboxId) touched.add(c.previousId);
      if (c.op === 'moveMessage' && c.folderId === inboxId) touched.add(c.id);
    }
    expect(new Set(after.items.map((m: any) => m.id))).toEqual(touched);
  });

  it('an expired token answers 410 SyncStateNotFound', async () => {
    const s = await sync(`/v1.0/users/${user.id}/mailFolders/drafts/messages/delta`);
    await activity('mail.addMessage', { user: user.id, folder: 'drafts' });
    const expired = await raw.admin('POST', '/delta/expire', { prefix: `mail:msgs:${user.id}:` });
    expect(expired.json.expired).toBeGreaterThan(0);
    const r = await raw.get(s.deltaLink);
    expect(r.status).toBe(410);
    expect(r.json.error.code).toBe('SyncStateNotFound');
    const folders = await raw.all(`/v1.0/users/${user.id}/mailFolders/delta`);
    await activity('mail.addFolder', { user: user.id, name: 'Expiry test' });
    await raw.admin('POST', '/delta/expire', { prefix: `mail:folders:${user.id}` });
    expect((await raw.get(folders.last['@odata.deltaLink'])).status).toBe(410);
  });
});
