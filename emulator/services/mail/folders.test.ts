import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawGraph, startEmulator } from '../../../test/support/raw-graph.js';
import type { Emulator } from '../../server.js';
import { allFolders, mailboxUsers, type TestUser } from './test-helpers.js';

describe('mail folders (Graph v1.0 mailFolder)', () => {
  let emulator: Emulator;
  let raw: RawGraph;
  let stop: () => Promise<void>;
  let users: TestUser[];
  let user: TestUser;

  beforeAll(async () => {
    ({ emulator, raw, stop } = await startEmulator());
    users = await mailboxUsers(raw);
    user = users[0] as TestUser;
  });
  afterAll(async () => stop());

  it('lists the well-known top-level folders under msgfolderroot, hidden ones only on request', async () => {
    const visible = (await raw.all(`/v1.0/users/${user.id}/mailFolders?$top=100`)).items;
    const names = visible.map((f: any) => f.displayName);
    for (const n of [
      'Inbox',
      'Drafts',
      'Sent Items',
      'Deleted Items',
      'Junk Email',
      'Archive',
      'Outbox',
      'Conversation History',
    ])
      expect(names).toContain(n);
    expect(visible.every((f: any) => f.isHidden === false)).toBe(true);
    const withHidden = (
      await raw.all(`/v1.0/users/${user.id}/mailFolders?includeHiddenFolders=true&$top=100`)
    ).items;
    expect(withHidden.length).toBeGreaterThan(visible.length);
    expect(withHidden.some((f: any) => f.isHidden)).toBe(true);
    const root = await raw.get(`/v1.0/users/${user.id}/mailFolders/msgfolderroot`);
    expect(root.status).toBe(200);
    expect(visible.every((f: any) => f.parentFolderId === root.json.id)).toBe(true);
  });

  it('pages the folder list with the default page size of 10', async () => {
    const first = await raw.get(`/v1.0/users/${user.id}/mailFolders?includeHiddenFolders=true`);
    expect(first.json.value).toHaveLength(10);
    expect(first.json['@odata.nextLink']).toBeTruthy();
  });

  it('resolves well-known names case-insensitively and 404s names the mailbox lacks', async () => {
    const a = await raw.get(`/v1.0/users/${user.userPrincipalName}/mailFolders/INBOX`);
    const b = await raw.get(`/v1.0/users/${user.id}/mailFolders/inbox`);
    expect(a.json.id).toBe(b.json.id);
    expect((await raw.get(`/v1.0/users/${user.id}/mailFolders/clutter`)).status).toBe(404);
    expect((await raw.get(`/v1.0/users/${user.id}/mailFolders/not-a-folder-id`)).json.error.code).toBe(
      'ErrorInvalidIdMalformed',
    );
  });

  it('has nested unicode custom folders and a search folder; counts match the messages', async () => {
    const folders = await allFolders(raw, user.id);
    const inbox = folders.find((f) => f.displayName === 'Inbox');
    const nested = folders.filter(
      (f) => f.parentFolderId !== inbox?.parentFolderId && !['Search Folders'].includes(f.displayName),
    );
    expect(nested.some((f) => /[^\x20-\x7e]/.test(f.displayName))).toBe(true);
    const depth = (f: any): number => {
      const p = folders.find((x) => x.id === f.parentFolderId);
      return p ? 1 + depth(p) : 0;
    };
    expect(Math.max(...folders.map(depth))).toBeGreaterThanOrEqual(2);
    const search = folders.find((f) => f['@odata.type'] === '#microsoft.graph.mailSearchFolder');
    expect(search).toBeTruthy();
    expect(search?.filterQuery).toBe('isRead eq false');
    for (const f of folders.filter((x) => x['@odata.type'] !== '#microsoft.graph.mailSearchFolder')) {
      const msgs = (
        await raw.all(
          `/v1.0/users/${user.id}/mailFolders/${encodeURIComponent(f.id)}/messages?$top=1000&$select=isRead`,
        )
      ).items;
      expect(msgs.length).toBe(f.totalItemCount);
      expect(msgs.filter((m: any) => !m.isRead).length).toBe(f.unreadItemCount);
      const children = (
        await raw.all(
          `/v1.0/users/${user.id}/mailFolders/${encodeURIComponent(f.id)}/childFolders?includeHiddenFolders=true`,
        )
      ).items;
      expect(children.length).toBe(f.childFolderCount);
    }
  });

  it('inventory folder and message counts match a Graph-only crawl', async () => {
    const inv = (await raw.admin('GET', '/inventory')).json.mail;
    let folders = 0;
    let messages = 0;
    for (const u of users) {
      const fs = await allFolders(raw, u.id);
      folders += fs.length;
      messages += (await raw.all(`/v1.0/users/${u.id}/messages?$top=1000&$select=id`)).items.length;
    }
    expect(inv.mailboxes).toBe(users.length);
    expect(folders).toBe(inv.folders);
    expect(messages).toBe(inv.messages);
  });

  it('creates, renames, moves and deletes folders; duplicate names give 409 ErrorFolderExists', async () => {
    const base = `/v1.0/users/${user.id}/mailFolders`;
    const created = await raw.graph('POST', `${base}/inbox/childFolders`, {
      json: { displayName: 'Ünïcødé 📁 test' },
    });
    expect(created.status).toBe(201);
    expect(created.json.displayName).toBe('Ünïcødé 📁 test');
    const dup = await raw.graph('POST', `${base}/inbox/childFolders`, {
      json: { displayName: 'ünïcødé 📁 TEST' },
    });
    expect(dup.status).toBe(409);
    expect(dup.json.error.code).toBe('ErrorFolderExists');
    const top = await raw.graph('POST', base, { json: { displayName: 'Top level' } });
    expect(top.status).toBe(201);
    const renamed = await raw.graph('PATCH', `${base}/${created.json.id}`, {
      json: { displayName: 'Renamed' },
    });
    expect(renamed.json.displayName).toBe('Renamed');
    const moved = await raw.graph('POST', `${base}/${created.json.id}/move`, {
      json: { destinationId: top.json.id },
    });
    expect(moved.status).toBe(201);
    expect(moved.json.parentFolderId).toBe(top.json.id);
    expect((await raw.get(`${base}/${top.json.id}`)).json.childFolderCount).toBe(1);
    expect((await raw.graph('DELETE', `${base}/${top.json.id}`)).status).toBe(204);
    expect((await raw.get(`${base}/${created.json.id}`)).status).toBe(404);
    expect((await raw.graph('DELETE', `${base}/inbox`)).status).toBe(400);
  });

  it('folder delta: flattened hierarchy, then exactly the later change, deletions as @removed', async () => {
    const u = users[1] as TestUser;
    const initial = await raw.all(`/v1.0/users/${u.id}/mailFolders/delta`);
    const crawl = await allFolders(raw, u.id);
    expect(initial.items.length).toBe(crawl.length);
    const deltaLink = initial.last['@odata.deltaLink'];
    expect(deltaLink).toContain('$deltatoken=');
    const add = await raw.admin('POST', '/activity', {
      op: 'mail.addFolder',
      args: { user: u.id, parent: 'inbox', name: 'From activity' },
    });
    expect(add.status).toBe(200);
    const d1 = await raw.all(deltaLink);
    expect(d1.items.map((f: any) => f.id)).toEqual([add.json.result.id]);
    await raw.admin('POST', '/activity', {
      op: 'mail.deleteFolder',
      args: { user: u.id, id: add.json.result.id },
    });
    const d2 = await raw.all(d1.last['@odata.deltaLink']);
    expect(d2.items).toEqual([{ id: add.json.result.id, '@removed': { reason: 'deleted' } }]);
  });

  it('answers 404 for users without a mailbox and unknown users', async () => {
    const { items } = await raw.all('/v1.0/users?$top=999');
    const without = items.find((x: any) => !users.some((u) => u.id === x.id));
    const r = await raw.get(`/v1.0/users/${without.id}/mailFolders`);
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('MailboxNotEnabledForRESTAPI');
    expect((await raw.get(`/v1.0/users/nobody@example.com/messages`)).status).toBe(404);
  });

  it('needs a Mail permission: 403 ErrorAccessDenied without one', async () => {
    const app = await raw.admin('POST', '/apps', { displayName: 'no mail', permissions: ['User.Read.All'] });
    const limited = new RawGraph(emulator, { clientId: app.json.appId, clientSecret: app.json.clientSecret });
    const r = await limited.get(`/v1.0/users/${user.id}/mailFolders`);
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('ErrorAccessDenied');
    await limited.close();
  });
});
