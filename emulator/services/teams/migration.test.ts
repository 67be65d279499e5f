import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawGraph, startEmulator } from '../../../test/support/raw-graph.js';

let raw: RawGraph;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ raw, stop } = await startEmulator());
});
afterAll(async () => stop());

const PNG_1x1 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';

describe('import (migration) flow', () => {
  let teamId: string;
  let channelId: string;

  it('creates a team in migration mode: 202 with Location and Content-Location', async () => {
    const r = await raw.graph('POST', '/v1.0/teams', {
      json: {
        '@microsoft.graph.teamCreationMode': 'migration',
        'template@odata.bind': "https://graph.microsoft.com/v1.0/teamsTemplates('standard')",
        displayName: 'Restored Team',
        description: 'Imported history',
        createdDateTime: '2020-03-14T11:22:17.067Z',
      },
    });
    expect(r.status).toBe(202);
    const m = /^\/teams\('([^']+)'\)$/.exec(r.headers['content-location'] ?? '');
    expect(m).not.toBeNull();
    teamId = m![1] as string;
    expect(r.headers['location']).toMatch(new RegExp(`^/teams\\('${teamId}'\\)/operations\\('[^']+'\\)$`));
    const op = await raw.get(`/v1.0${r.headers['location']}`);
    expect(op.json.status).toBe('succeeded');
    const team = await raw.get(`/v1.0/teams/${teamId}`);
    expect(team.json.createdDateTime).toBe('2020-03-14T11:22:17.067Z');
    expect((await raw.all(`/v1.0/teams/${teamId}/channels`)).items.map((c) => c.displayName)).toEqual([
      'General',
    ]);
  });

  it('refuses a future createdDateTime and createdDateTime without migration mode', async () => {
    const future = await raw.graph('POST', '/v1.0/teams', {
      json: {
        '@microsoft.graph.teamCreationMode': 'migration',
        'template@odata.bind': "https://graph.microsoft.com/v1.0/teamsTemplates('standard')",
        displayName: 'X',
        createdDateTime: '2999-01-01T00:00:00Z',
      },
    });
    expect(future.status).toBe(400);
    const noMode = await raw.graph('POST', '/v1.0/teams', {
      json: {
        'template@odata.bind': "https://graph.microsoft.com/v1.0/teamsTemplates('standard')",
        displayName: 'X',
        createdDateTime: '2020-01-01T00:00:00Z',
      },
    });
    expect(noMode.status).toBe(400);
  });

  it('creates a channel in migration mode (201 + Location)', async () => {
    const r = await raw.graph('POST', `/v1.0/teams/${teamId}/channels`, {
      json: {
        '@microsoft.graph.channelCreationMode': 'migration',
        displayName: 'Architecture',
        description: 'imported',
        membershipType: 'standard',
        createdDateTime: '2020-03-14T11:22:17.067Z',
      },
    });
    expect(r.status).toBe(201);
    channelId = r.json.id;
    expect(r.headers['location']).toBe(`/teams('${teamId}')/channels('${channelId}')`);
    expect(r.json.migrationMode).toBe('inProgress');
  });

  it('imports back-dated messages and replies with their author and inline image', async () => {
    const base = `/v1.0/teams/${teamId}/channels/${encodeURIComponent(channelId)}/messages`;
    const post = await raw.graph('POST', base, {
      json: {
        createdDateTime: '2021-02-04T19:58:15.511Z',
        from: { user: { id: 'ext-user-1', displayName: 'Joh Doe', userIdentityType: 'aadUser' } },
        body: { contentType: 'html', content: '<div><img src="../hostedContents/1/$value"></div>' },
        hostedContents: [
          { '@microsoft.graph.temporaryId': '1', contentBytes: PNG_1x1, contentType: 'image/png' },
        ],
      },
    });
    expect(post.status).toBe(200);
    expect(post.json.createdDateTime).toBe('2021-02-04T19:58:15.511Z');
    expect(post.json.from.user.displayName).toBe('Joh Doe');
    const src = /src="([^"]+)"/.exec(post.json.body.content)?.[1] as string;
    expect(src).toContain('/hostedContents/');
    const bytes = await raw.get(src);
    expect(bytes.body.equals(Buffer.from(PNG_1x1, 'base64'))).toBe(true);
    const reply = await raw.graph('POST', `${base}/${post.json.id}/replies`, {
      json: {
        createdDateTime: '2021-02-04T20:00:00.000Z',
        from: { user: { id: 'ext-user-2', displayName: 'Jane' } },
        body: { content: 'reply' },
      },
    });
    expect(reply.status).toBe(200);
    expect(reply.json.replyToId).toBe(post.json.id);
    const dup = await raw.graph('POST', base, {
      json: {
        createdDateTime: '2021-02-04T19:58:15.511Z',
        from: { user: { id: 'x' } },
        body: { content: 'dup' },
      },
    });
    expect(dup.status).toBe(400);
  });

  it('completes channel then team migration; posting with createdDateTime is then refused', async () => {
    const base = `/v1.0/teams/${teamId}/channels/${encodeURIComponent(channelId)}`;
    expect((await raw.graph('POST', `${base}/completeMigration`)).status).toBe(204);
    expect((await raw.graph('POST', `${base}/completeMigration`)).status).toBe(400);
    expect((await raw.graph('POST', `/v1.0/teams/${teamId}/completeMigration`)).status).toBe(204);
    expect((await raw.graph('POST', `/v1.0/teams/${teamId}/completeMigration`)).status).toBe(400);
    const channel = await raw.get(base);
    expect(channel.json.migrationMode).toBe('completed');
    const refused = await raw.graph('POST', `${base}/messages`, {
      json: {
        createdDateTime: '2021-02-05T10:00:00.000Z',
        from: { user: { id: 'ext-user-1', displayName: 'Joh Doe' } },
        body: { content: 'late import' },
      },
    });
    expect(refused.status).toBe(401);
    expect(refused.json.error.message).toContain('only for import purposes');
    const list = (await raw.all(`${base}/messages?$top=50`)).items;
    expect(list).toHaveLength(1);
  });

  it('refuses application posting to a channel that was never in migration', async () => {
    const general = (await raw.all(`/v1.0/teams/${teamId}/channels`)).items.find(
      (c) => c.displayName === 'General',
    );
    const r = await raw.graph(
      'POST',
      `/v1.0/teams/${teamId}/channels/${encodeURIComponent(general.id)}/messages`,
      { json: { body: { content: 'hello' } } },
    );
    expect(r.status).toBe(401);
  });

  it('starts migration on an existing channel with an older timestamp (v1.0 and beta)', async () => {
    const teams = (await raw.all('/v1.0/teams')).items;
    const seeded = teams.find((t) => t.id !== teamId);
    const channel = (await raw.all(`/v1.0/teams/${seeded.id}/channels`)).items.find(
      (c) => c.displayName !== 'General' && c.membershipType === 'standard',
    );
    const base = `/beta/teams/${seeded.id}/channels/${encodeURIComponent(channel.id)}`;
    const newer = await raw.graph('POST', `${base}/startMigration`, {
      json: { conversationCreationDateTime: '2099-01-01T00:00:00Z' },
    });
    expect(newer.status).toBe(400);
    const started = await raw.graph('POST', `${base}/startMigration`, {
      json: { conversationCreationDateTime: '2015-01-01T00:00:00Z' },
    });
    expect(started.status).toBe(204);
    expect((await raw.graph('POST', `${base}/startMigration`, { json: {} })).status).toBe(400);
    const c = await raw.get(`/v1.0/teams/${seeded.id}/channels/${encodeURIComponent(channel.id)}`);
    expect(c.json.migrationMode).toBe('inProgress');
    expect(c.json.createdDateTime).toBe('2015-01-01T00:00:00.000Z');
    const imported = await raw.graph('POST', `${base}/messages`, {
      json: {
        createdDateTime: '2016-05-05T05:05:05.005Z',
        from: { user: { id: 'u' } },
        body: { content: 'old' },
      },
    });
    expect(imported.status).toBe(200);
    expect((await raw.graph('POST', `${base}/completeMigration`)).status).toBe(204);
  });

  it('requires Teamwork.Migrate.All for migration operations', async () => {
    const app = await raw.admin('POST', '/apps', { permissions: ['Team.Create', 'Channel.Create'] });
    const limited = new RawGraph(raw.emulator, {
      clientId: app.json.appId,
      clientSecret: app.json.clientSecret,
    });
    try {
      const r = await limited.graph('POST', '/v1.0/teams', {
        json: {
          '@microsoft.graph.teamCreationMode': 'migration',
          'template@odata.bind': "https://graph.microsoft.com/v1.0/teamsTemplates('standard')",
          displayName: 'Nope',
        },
      });
      expect(r.status).toBe(403);
      expect((await limited.graph('POST', `/v1.0/teams/${teamId}/completeMigration`)).status).toBe(403);
    } finally {
      await limited.close();
    }
  });

  it('creates a normal team with an owner, or team-enables an existing group', async () => {
    const users = (await raw.admin('GET', '/users')).json.value;
    const owner = users.find((u: any) => u.licensed && u.accountEnabled);
    const tpl = "https://graph.microsoft.com/v1.0/teamsTemplates('standard')";
    expect(
      (
        await raw.graph('POST', '/v1.0/teams', {
          json: { 'template@odata.bind': tpl, displayName: 'No owner' },
        })
      ).status,
    ).toBe(400);
    const made = await raw.graph('POST', '/v1.0/teams', {
      json: {
        'template@odata.bind': tpl,
        displayName: 'Owned',
        members: [
          {
            '@odata.type': '#microsoft.graph.aadUserConversationMember',
            roles: ['owner'],
            'user@odata.bind': `https://graph.microsoft.com/v1.0/users('${owner.id}')`,
          },
        ],
      },
    });
    expect(made.status).toBe(202);
    const id = /\('([^']+)'\)/.exec(made.headers['content-location'] ?? '')?.[1] as string;
    const members = (await raw.all(`/v1.0/teams/${id}/members`)).items;
    expect(members.map((m) => [m.userId, m.roles])).toEqual([[owner.id, ['owner']]]);
    expect((await raw.get(`/v1.0/groups/${id}`)).json.resourceProvisioningOptions).toContain('Team');
    const plain = (await raw.all('/v1.0/groups')).items.find(
      (g) => g.groupTypes.includes('Unified') && !g.resourceProvisioningOptions.includes('Team'),
    );
    expect((await raw.get(`/v1.0/groups/${plain.id}/team`)).status).toBe(404);
    const converted = await raw.graph('POST', '/v1.0/teams', {
      json: {
        'template@odata.bind': tpl,
        'group@odata.bind': `https://graph.microsoft.com/v1.0/groups('${plain.id}')`,
      },
    });
    expect(converted.status).toBe(202);
    expect((await raw.get(`/v1.0/groups/${plain.id}/team`)).status).toBe(200);
    expect(
      (
        await raw.graph('POST', '/v1.0/teams', {
          json: {
            'template@odata.bind': tpl,
            'group@odata.bind': `https://graph.microsoft.com/v1.0/groups('${plain.id}')`,
          },
        })
      ).status,
    ).toBe(409);
  });

  it('creates a normal standard channel (201) and rejects a duplicate name', async () => {
    const r = await raw.graph('POST', `/v1.0/teams/${teamId}/channels`, {
      json: { displayName: 'Follow-up', membershipType: 'standard' },
    });
    expect(r.status).toBe(201);
    expect(r.json.migrationMode).toBeNull();
    const dup = await raw.graph('POST', `/v1.0/teams/${teamId}/channels`, {
      json: { displayName: 'follow-up' },
    });
    expect(dup.status).toBe(400);
  });
});
