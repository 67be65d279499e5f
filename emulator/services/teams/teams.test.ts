import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawGraph, startEmulator } from '../../../test/support/raw-graph.js';

let raw: RawGraph;
let stop: () => Promise<void>;
let teams: any[];

const channelsPath = (teamId: string) => `/v1.0/teams/${teamId}/channels`;
const messagesPath = (teamId: string, channelId: string) =>
  `/v1.0/teams/${teamId}/channels/${encodeURIComponent(channelId)}/messages`;

async function allPosts(teamId: string, channelId: string): Promise<any[]> {
  return (await raw.all(`${messagesPath(teamId, channelId)}?$top=50`)).items;
}

beforeAll(async () => {
  ({ raw, stop } = await startEmulator());
  teams = (await raw.all('/v1.0/teams')).items;
});
afterAll(async () => stop());

describe('teams and channels', () => {
  it('lists teams with only id, displayName and description', async () => {
    expect(teams.length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(teams[0]).sort()).toEqual(['description', 'displayName', 'id']);
    const team = await raw.get(`/v1.0/teams/${teams[0].id}`);
    expect(team.status).toBe(200);
    expect(team.json.memberSettings).toBeTypeOf('object');
    expect(team.json.messagingSettings).toBeTypeOf('object');
    const viaGroup = await raw.get(`/v1.0/groups/${teams[0].id}/team`);
    expect(viaGroup.json.internalId).toBe(team.json.internalId);
  });

  it('has standard, private and shared channels, filterable by membershipType', async () => {
    const all = (await raw.all(channelsPath(teams[0].id))).items;
    const types = new Set(all.map((c) => c.membershipType));
    expect(types).toEqual(new Set(['standard', 'private', 'shared']));
    expect(all.filter((c) => c.displayName === 'General')).toHaveLength(1);
    const priv = (await raw.all(`${channelsPath(teams[0].id)}?$filter=membershipType eq 'private'`)).items;
    expect(priv.length).toBeGreaterThan(0);
    expect(priv.every((c) => c.membershipType === 'private')).toBe(true);
  });

  it('shows a shared channel in the allChannels of the team it is shared with', async () => {
    const shared = (await raw.all(channelsPath(teams[0].id))).items.find(
      (c) => c.membershipType === 'shared',
    );
    const other = (await raw.all(`/v1.0/teams/${teams[1].id}/allChannels`)).items;
    const own = (await raw.all(channelsPath(teams[1].id))).items;
    expect(other.map((c) => c.id)).toContain(shared.id);
    expect(own.map((c) => c.id)).not.toContain(shared.id);
    const viaGuest = await raw.get(`${messagesPath(teams[1].id, shared.id)}?$top=5`);
    expect(viaGuest.status).toBe(200);
  });

  it('lists team members with owner roles and channel members of a private channel', async () => {
    const members = (await raw.all(`/v1.0/teams/${teams[0].id}/members`)).items;
    expect(members.some((m) => m.roles.includes('owner'))).toBe(true);
    expect(members[0]['@odata.type']).toBe('#microsoft.graph.aadUserConversationMember');
    const priv = (await raw.all(channelsPath(teams[0].id))).items.find((c) => c.membershipType === 'private');
    const channelMembers = (
      await raw.all(`${channelsPath(teams[0].id)}/${encodeURIComponent(priv.id)}/members`)
    ).items;
    expect(channelMembers.length).toBeGreaterThan(0);
    expect(channelMembers.length).toBeLessThanOrEqual(members.length);
  });

  it("returns the channel's files folder from the team site's library, the same each time", async () => {
    const channel = (await raw.all(channelsPath(teams[0].id))).items.find((c) => c.displayName !== 'General');
    const path = `${channelsPath(teams[0].id)}/${encodeURIComponent(channel.id)}/filesFolder`;
    const a = await raw.get(path);
    expect(a.status).toBe(200);
    expect(a.json.name).toBe(channel.displayName);
    expect(a.json.folder).toBeDefined();
    expect(a.json.parentReference.driveId).toMatch(/^b!/);
    expect((await raw.get(path)).json.id).toBe(a.json.id);
  });

  it('returns tabs, with teamsApp only when expanded', async () => {
    const general = (await raw.all(channelsPath(teams[0].id))).items.find((c) => c.displayName === 'General');
    const path = `${channelsPath(teams[0].id)}/${encodeURIComponent(general.id)}/tabs`;
    const plain = (await raw.all(path)).items;
    expect(plain.length).toBeGreaterThan(0);
    expect(plain[0].teamsApp).toBeUndefined();
    const expanded = (await raw.all(`${path}?$expand=teamsApp`)).items;
    expect(expanded.map((t) => t.teamsApp.id)).toContain('com.microsoft.teamspace.tab.wiki');
  });
});

describe('channel messages', () => {
  let teamId: string;
  let channelId: string;

  beforeAll(async () => {
    teamId = teams[0].id;
    channelId = (await raw.all(channelsPath(teamId))).items.find((c) => c.displayName === 'General').id;
  });

  it('rejects $top above 50 as Graph does', async () => {
    const over = await raw.get(`${messagesPath(teamId, channelId)}?$top=51`);
    expect(over.status).toBe(400);
    expect((await raw.get(`${messagesPath(teamId, channelId)}?$top=50`)).status).toBe(200);
    expect((await raw.get(`${messagesPath(teamId, channelId)}/delta?$top=100`)).status).toBe(400);
  });

  it('pages root posts newest first, each exactly once', async () => {
    const paged = (await raw.all(`${messagesPath(teamId, channelId)}?$top=3`)).items;
    const whole = await allPosts(teamId, channelId);
    expect(paged.map((m) => m.id)).toEqual(whole.map((m) => m.id));
    expect(new Set(paged.map((m) => m.id)).size).toBe(paged.length);
    const ids = paged.map((m) => Number(m.id));
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect(paged.every((m) => m.replyToId === null)).toBe(true);
  });

  it('reports system events as unknownFutureValue unless the Prefer header asks for them', async () => {
    const plain = await allPosts(teamId, channelId);
    expect(plain.some((m) => m.messageType === 'unknownFutureValue' && m.eventDetail)).toBe(true);
    const revealed = (
      await raw.all(`${messagesPath(teamId, channelId)}?$top=50`, { prefer: 'include-unknown-enum-members' })
    ).items;
    expect(revealed.some((m) => m.messageType === 'systemEventMessage')).toBe(true);
  });

  it('pages replies exactly once and matches $expand=replies', async () => {
    const posts = (await raw.all(`${messagesPath(teamId, channelId)}?$top=50&$expand=replies`)).items;
    const post = posts.find((m) => m['replies@odata.count'] >= 2);
    expect(post).toBeDefined();
    const paged = (await raw.all(`${messagesPath(teamId, channelId)}/${post.id}/replies?$top=1`)).items;
    expect(paged.map((r) => r.id)).toEqual(post.replies.map((r: any) => r.id));
    expect(paged.every((r) => r.replyToId === post.id)).toBe(true);
    const one = await raw.get(`${messagesPath(teamId, channelId)}/${post.id}/replies/${paged[0].id}`);
    expect(one.json.id).toBe(paged[0].id);
  });

  it('serves inline images as hostedContents with stable PNG bytes', async () => {
    let found: { team: string; channel: string; post: any } | undefined;
    for (const t of teams) {
      for (const c of (await raw.all(channelsPath(t.id))).items) {
        const post = (await allPosts(t.id, c.id)).find((m) => m.body.content.includes('/hostedContents/'));
        if (post) found = { team: t.id, channel: c.id, post };
        if (found) break;
      }
      if (found) break;
    }
    expect(found).toBeDefined();
    const { team, channel, post } = found!;
    const list = await raw.get(`${messagesPath(team, channel)}/${post.id}/hostedContents`);
    expect(list.json.value.length).toBeGreaterThan(0);
    const hosted = list.json.value[0];
    expect(hosted.contentBytes).toBeNull();
    const a = await raw.get(`${messagesPath(team, channel)}/${post.id}/hostedContents/${hosted.id}/$value`);
    const b = await raw.get(`${messagesPath(team, channel)}/${post.id}/hostedContents/${hosted.id}/$value`);
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('image/png');
    expect(a.body.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(a.body.equals(b.body)).toBe(true);
    // The body's <img src> is a working Graph URL.
    const src = /src="([^"]+\/\$value)"/.exec(post.body.content)?.[1] as string;
    const viaBody = await raw.get(src);
    expect(viaBody.body.equals(a.body)).toBe(true);
  });

  it('delta after teams.post returns exactly the new post', async () => {
    let link: string | undefined = `${messagesPath(teamId, channelId)}/delta`;
    let last: any;
    while (link) {
      last = (await raw.get(link)).json;
      link = last['@odata.nextLink'];
    }
    const deltaLink = last['@odata.deltaLink'] as string;
    expect(deltaLink).toContain('$deltatoken=');
    const posted = await raw.admin('POST', '/activity', {
      op: 'teams.post',
      args: { team: teamId, channel: channelId, text: 'delta probe' },
    });
    expect(posted.status).toBe(200);
    const next = await raw.get(deltaLink);
    expect(next.json.value.map((m: any) => m.id)).toEqual([posted.json.result.messageId]);
    expect(next.json.value[0]['@odata.type']).toBe('#microsoft.graph.chatMessage');
    expect(next.json.value[0].body.content).toContain('delta probe');
  });

  it('delta returns the seeded posts of the 8 months before the epoch, on any day', async () => {
    // Measured from the earlier of now and GENERATED_EPOCH (2026-01-15T09:00Z): seeded history
    // predates the epoch, so a window measured from the wall clock alone would drift past it.
    const epoch = Date.UTC(2026, 0, 15, 9, 0, 0);
    const since = new Date(Math.min(Date.now(), epoch));
    since.setUTCMonth(since.getUTCMonth() - 8);
    const seeded = (await allPosts(teamId, channelId)).filter((m) => Date.parse(m.createdDateTime) < epoch);
    const inWindow = seeded.filter((m) => Date.parse(m.lastModifiedDateTime) >= since.getTime());
    expect(inWindow.length).toBeGreaterThan(0);
    expect(inWindow.length).toBeLessThan(seeded.length);
    const { items } = await raw.all(`${messagesPath(teamId, channelId)}/delta`);
    const fromSeed = items.filter((m) => seeded.some((s) => s.id === m.id));
    expect(fromSeed.map((m) => m.id).sort()).toEqual(inWindow.map((m) => m.id).sort());
  });

  it('shows an edit and a deletion in delta as updated messages', async () => {
    const posted = await raw.admin('POST', '/activity', {
      op: 'teams.post',
      args: { team: teamId, channel: channelId },
    });
    const id = posted.json.result.messageId;
    const start = (await raw.get(`${messagesPath(teamId, channelId)}/delta?$deltatoken=latest`)).json[
      '@odata.deltaLink'
    ];
    await raw.admin('POST', '/activity', {
      op: 'teams.deleteMessage',
      args: { team: teamId, channel: channelId, message: id },
    });
    const after = (await raw.get(start)).json.value;
    expect(after).toHaveLength(1);
    expect(after[0].id).toBe(id);
    expect(after[0].deletedDateTime).not.toBeNull();
  });

  it('answers an expired delta token with 410 and a Location to start over', async () => {
    const r = await raw.get(`${messagesPath(teamId, channelId)}/delta?$deltatoken=not-a-token`);
    expect(r.status).toBe(410);
    expect(r.headers['location']).toContain('/messages/delta');
  });

  it('refuses reads without a Teams permission', async () => {
    const app = await raw.admin('POST', '/apps', { permissions: ['User.Read.All'] });
    const limited = new RawGraph(raw.emulator, {
      clientId: app.json.appId,
      clientSecret: app.json.clientSecret,
    });
    try {
      expect((await limited.get(`${messagesPath(teamId, channelId)}`)).status).toBe(403);
      expect((await limited.get(channelsPath(teamId))).status).toBe(403);
      expect((await limited.get('/v1.0/teams')).status).toBe(403);
    } finally {
      await limited.close();
    }
  });
});

describe('tenant activity', () => {
  it('gives a team created by directory activity its channels, dated at creation', async () => {
    const added = await raw.admin('POST', '/activity', {
      op: 'addGroup',
      args: { displayName: 'Pop-up Team', team: true },
    });
    const id = added.json.result.id;
    const channels = (await raw.all(channelsPath(id))).items;
    expect(channels.map((c) => c.displayName)).toContain('General');
    const general = channels.find((c) => c.displayName === 'General');
    const posts = await allPosts(id, general.id);
    expect(posts).toHaveLength(1);
    expect(Date.parse(posts[0].createdDateTime)).toBeLessThanOrEqual(Date.now());
  });

  it('gives guests the guest role and filters members by role', async () => {
    const users = (await raw.admin('GET', '/users')).json.value;
    const member = users.find((u: any) => u.licensed && u.accountEnabled);
    const guest = users.find((u: any) => u.userType === 'Guest');
    const added = await raw.admin('POST', '/activity', {
      op: 'addGroup',
      args: { displayName: 'Partners', team: true, memberIds: [member.id, guest.id] },
    });
    const id = added.json.result.id;
    const members = (await raw.all(`/v1.0/teams/${id}/members`)).items;
    expect(members.find((m) => m.userId === guest.id).roles).toEqual(['guest']);
    expect(members.find((m) => m.userId === member.id).roles).toEqual(['owner']);
    const owners = (await raw.all(`/v1.0/teams/${id}/members?$filter=roles/any(r:r eq 'owner')`)).items;
    expect(owners.map((m) => m.userId)).toEqual([member.id]);
  });

  it('reports randomActivity changes', async () => {
    const r = await raw.admin('POST', '/activity', { op: 'teams.randomActivity', args: { count: 5 } });
    expect(r.status).toBe(200);
    expect(r.json.result.changes).toHaveLength(5);
  });
});

describe('inventory', () => {
  it('counts what a Graph crawl finds', async () => {
    const inv = (await raw.admin('GET', '/inventory')).json.teams;
    const teams = (await raw.all('/v1.0/teams')).items;
    let channels = 0;
    let posts = 0;
    let replies = 0;
    for (const t of teams) {
      for (const c of (await raw.all(channelsPath(t.id))).items) {
        channels++;
        const list = (await raw.all(`${messagesPath(t.id, c.id)}?$top=50&$expand=replies`)).items;
        posts += list.length;
        replies += list.reduce((n, m) => n + m.replies.length, 0);
      }
    }
    expect(inv.teams).toBe(teams.length);
    expect(inv.channels).toBe(channels);
    expect(inv.posts).toBe(posts);
    expect(inv.replies).toBe(replies);
  });
});
