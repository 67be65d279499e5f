import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../test/support/raw-graph.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('Teams and list changes survive a restart (--state)', () => {
  it('replays created teams, imported messages, activity and list writes from the journal', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'teams-state-'));
    dirs.push(stateDir);
    const first = await startEmulator({ stateDir });
    const created = await first.raw.graph('POST', '/v1.0/teams', {
      json: {
        '@microsoft.graph.teamCreationMode': 'migration',
        'template@odata.bind': "https://graph.microsoft.com/v1.0/teamsTemplates('standard')",
        displayName: 'Kept',
        createdDateTime: '2019-01-01T00:00:00Z',
      },
    });
    const teamId = /\('([^']+)'\)/.exec(created.headers['content-location'] ?? '')?.[1] as string;
    const general = (await first.raw.all(`/v1.0/teams/${teamId}/channels`)).items[0];
    const base = `/v1.0/teams/${teamId}/channels/${encodeURIComponent(general.id)}/messages`;
    const imported = await first.raw.graph('POST', base, {
      json: {
        createdDateTime: '2019-06-01T10:00:00.000Z',
        from: { user: { id: 'u1', displayName: 'Old Timer' } },
        body: { content: 'from 2019' },
      },
    });
    expect(imported.status).toBe(200);
    const seeded = (await first.raw.all('/v1.0/teams')).items.find((t) => t.id !== teamId);
    const posted = (
      await first.raw.admin('POST', '/activity', {
        op: 'teams.post',
        args: { team: seeded.id, text: 'kept post' },
      })
    ).json.result;
    const site = (await first.raw.get(`/v1.0/groups/${seeded.id}/sites/root`)).json.id;
    const list = (await first.raw.all(`/v1.0/sites/${site}/lists`)).items.find(
      (l) => l.list.template === 'genericList',
    );
    const item = await first.raw.graph('POST', `/v1.0/sites/${site}/lists/${list.id}/items`, {
      json: { fields: { Title: 'kept item' } },
    });
    const beforeInventory = (await first.raw.admin('GET', '/inventory')).json;
    await first.stop();

    const second = await startEmulator({ stateDir });
    try {
      const team = await second.raw.get(`/v1.0/teams/${teamId}`);
      expect(team.json.displayName).toBe('Kept');
      const messages = (await second.raw.all(base)).items;
      expect(messages.map((m) => m.body.content)).toEqual(['from 2019']);
      const seededPost = await second.raw.get(
        `/v1.0/teams/${seeded.id}/channels/${encodeURIComponent(posted.channelId)}/messages/${posted.messageId}`,
      );
      expect(seededPost.json.body.content).toContain('kept post');
      const fields = await second.raw.get(
        `/v1.0/sites/${site}/lists/${list.id}/items/${item.json.id}/fields`,
      );
      expect(fields.json.Title).toBe('kept item');
      const afterInventory = (await second.raw.admin('GET', '/inventory')).json;
      expect(afterInventory.teams).toEqual(beforeInventory.teams);
      expect(afterInventory.lists).toEqual(beforeInventory.lists);
    } finally {
      await second.stop();
    }
  });

  it('generates the same posts and list items whether accounts changed before the first read or not', async () => {
    const read = async (raw: Awaited<ReturnType<typeof startEmulator>>['raw']) => {
      const team = (await raw.all('/v1.0/teams')).items[0];
      const channel = (await raw.all(`/v1.0/teams/${team.id}/channels`)).items[1];
      const posts = (
        await raw.all(
          `/v1.0/teams/${team.id}/channels/${encodeURIComponent(channel.id)}/messages?$top=50&$expand=replies`,
        )
      ).items;
      const root = (await raw.get('/v1.0/sites/root')).json.id;
      const list = (await raw.all(`/v1.0/sites/${root}/lists`)).items.find(
        (l) => l.list.template === 'genericList',
      );
      const items = (await raw.all(`/v1.0/sites/${root}/lists/${list.id}/items?$expand=fields`)).items.map(
        (i) => i.fields,
      );
      // The same content up to the origin each emulator listens on.
      const body = JSON.stringify({
        posts: posts.map((p) => [p.id, p.from, p.body, p.mentions, p.replies.length]),
        items,
      });
      return body.split(raw.info.graphUrl).join('');
    };
    const quiet = await startEmulator();
    const before = await read(quiet.raw);
    await quiet.stop();
    const busy = await startEmulator();
    try {
      const team = (await busy.raw.all('/v1.0/teams')).items[0];
      const members = (await busy.raw.all(`/v1.0/teams/${team.id}/members`)).items;
      await busy.raw.admin('POST', '/activity', { op: 'addUser', args: { displayName: 'Newcomer Person' } });
      await busy.raw.admin('POST', '/activity', {
        op: 'updateUser',
        args: { id: members[0].userId, set: { displayName: 'Renamed Person' } },
      });
      await busy.raw.admin('POST', '/activity', { op: 'deleteUser', args: { id: members[1].userId } });
      expect(await read(busy.raw)).toBe(before);
    } finally {
      await busy.stop();
    }
  });
});
