import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../test/support/raw-graph.js';
import { mailboxUsers } from './test-helpers.js';

describe('mail state survives a restart with --state', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('keeps created, moved, changed and deleted messages and folders', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'mail-state-'));
    dirs.push(stateDir);
    const first = await startEmulator({ stateDir });
    const user = (await mailboxUsers(first.raw))[0];
    if (!user) throw new Error('no mailbox');
    const base = `/v1.0/users/${user.id}`;
    const mime = Buffer.from(
      'From: a@example.org\r\nSubject: persisted\r\nMessage-ID: <p1@example.org>\r\n\r\nbody\r\n',
    );
    const created = await first.raw.graph('POST', `${base}/messages`, {
      headers: { 'content-type': 'text/plain' },
      body: mime.toString('base64'),
    });
    const folder = await first.raw.graph('POST', `${base}/mailFolders`, { json: { displayName: 'Kept ✓' } });
    const victim = (await first.raw.get(`${base}/mailFolders/inbox/messages?$top=2`)).json.value;
    const moved = await first.raw.graph('POST', `${base}/messages/${victim[0].id}/move`, {
      json: { destinationId: folder.json.id },
    });
    await first.raw.graph('PATCH', `${base}/messages/${victim[1].id}`, {
      json: { isRead: !victim[1].isRead },
    });
    const before = (await first.raw.all(`${base}/messages?$top=1000&$select=isRead`)).items;
    await first.stop();

    const second = await startEmulator({ stateDir });
    const back = await second.raw.get(`${base}/messages/${created.json.id}/$value`);
    expect(back.body.equals(mime)).toBe(true);
    expect((await second.raw.get(`${base}/mailFolders/${folder.json.id}`)).json.totalItemCount).toBe(1);
    expect((await second.raw.get(`${base}/messages/${moved.json.id}`)).status).toBe(200);
    expect((await second.raw.get(`${base}/messages/${victim[0].id}`)).status).toBe(404);
    const after = (await second.raw.all(`${base}/messages?$top=1000&$select=isRead`)).items;
    expect(after.map((m) => `${m.id}:${m.isRead}`).sort()).toEqual(
      before.map((m) => `${m.id}:${m.isRead}`).sort(),
    );
    await second.stop();
  });
});
