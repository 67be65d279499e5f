import type { Collection } from '../../core/collection.js';
import { Random, stableGuid } from '../../generator/random.js';
import { TextGenerator } from '../../generator/text.js';
import { GENERATED_EPOCH } from '../../tenant/directory.js';
import type { GroupRecord } from '../../tenant/records.js';
import { seededOrLiveGroup } from '../../tenant/seeded.js';
import type { TenantStore } from '../../tenant/store.js';
import { composeMessage, systemMessage } from './content.js';
import {
  channelsKey,
  iso,
  postsKey,
  stateKey,
  threadId,
  type ChannelRecord,
  type MessageRecord,
  type TeamState,
} from './model.js';

const STANDARD_NAMES = [
  'Announcements 📢',
  'Design Reviews',
  'Planning',
  'Customer Feedback',
  'Release Coordination',
  'Support Escalations',
  'Ideas 💡',
  'Random',
  'Événements & Offsites',
];

/** Whether the seed generates content for this team (teams created through Graph start empty). */
function seeded(store: TenantStore, teamId: string): boolean {
  return !store.collection<TeamState>(stateKey).get(teamId)?.createdViaGraph;
}

export function generalChannelId(store: TenantStore, teamId: string): string {
  return threadId(store.seed, 'team-thread', teamId);
}

function channelEmail(store: TenantStore, id: string): string {
  return `${id.slice(3, 11)}.${store.identity.domain}@emea.teams.ms`;
}

/** Seeded channels of a team: General, two or three standard ones, one private and one shared. */
export function generateChannels(store: TenantStore, team: GroupRecord, c: Collection<ChannelRecord>): void {
  if (!seeded(store, team.id)) return;
  const r = new Random(store.seed, 'teams-channels', team.id);
  const text = new TextGenerator(r);
  const created = Date.parse(team.createdDateTime);
  // Teams created after the seed's epoch (tenant activity) get their channels all at once.
  const span = Math.max(0, GENERATED_EPOCH - created);
  const base = (i: number, name: string, type: ChannelRecord['membershipType']): ChannelRecord => {
    const id = i === 0 ? generalChannelId(store, team.id) : threadId(store.seed, 'channel', team.id, i);
    return {
      id,
      teamId: team.id,
      displayName: name,
      description: i === 0 ? team.description : r.bool(0.6) ? text.sentence(4, 10) : null,
      membershipType: type,
      createdDateTime: iso(i === 0 ? created : created + Math.floor(r.next() * span * 0.3)),
      isFavoriteByDefault: i === 0 ? null : false,
      email: type === 'standard' ? channelEmail(store, id) : '',
      isGeneral: i === 0,
      migrationMode: null,
      ownerIds: [],
      memberIds: [],
      sharedWithTeamIds: [],
      seedIndex: i,
    };
  };
  const channels: ChannelRecord[] = [base(0, 'General', 'standard')];
  for (const name of r.sample(STANDARD_NAMES, r.int(2, 3)))
    channels.push(base(channels.length, name, 'standard'));
  const roster = (): Pick<ChannelRecord, 'ownerIds' | 'memberIds'> => {
    const owners = team.ownerIds.slice(0, 1);
    const others = team.memberIds.filter((id) => !owners.includes(id));
    return {
      ownerIds: owners,
      memberIds: [...owners, ...r.sample(others, Math.max(1, Math.ceil(others.length / 2)))],
    };
  };
  channels.push({ ...base(channels.length, 'Leadership (private)', 'private'), ...roster() });
  // Shared with the next seeded team. The directory seeds the first `teams` groups as teams, with
  // ids stableGuid(seed, 'group-id', i): a fixed set, whatever groups activity adds or deletes.
  const seededTeamIds = Array.from({ length: Math.min(store.profile.teams, store.profile.groups) }, (_, i) =>
    stableGuid(store.seed, 'group-id', i),
  );
  const at = seededTeamIds.indexOf(team.id);
  const nextId = seededTeamIds[(at + 1) % Math.max(1, seededTeamIds.length)];
  channels.push({
    ...base(channels.length, 'Partner Collaboration', 'shared'),
    ...roster(),
    sharedWithTeamIds: nextId && nextId !== team.id ? [nextId] : [],
  });
  for (const ch of channels) c.put(ch.id, ch);
}

/** Seeded root posts of a channel, oldest first; replies are generated per post on demand. */
export function generatePosts(
  store: TenantStore,
  channel: ChannelRecord,
  c: Collection<MessageRecord>,
): void {
  if (channel.seedIndex === null || !seeded(store, channel.teamId)) return;
  // The team as seeded: a group deleted or changed before the channel is first read still gets
  // the same posts as one changed afterwards (and as a journal replay regenerates).
  const team = seededOrLiveGroup(store, channel.teamId);
  if (!team) return;
  const r = new Random(store.seed, 'teams-posts', channel.id);
  const mean = store.profile.postsPerChannel;
  const count =
    mean <= 0 ? 0 : r.int(Math.max(1, Math.ceil(mean * 0.75)), Math.max(1, Math.floor(mean * 1.25)));
  const start = Date.parse(channel.createdDateTime);
  // A channel created after the seed's epoch (tenant activity) only has its creation event: no
  // seeded history can be dated between its creation and now without drifting with the clock.
  if (start >= GENERATED_EPOCH - 3_600_000) {
    if (count > 0) c.put(String(start), systemMessage(store, team, channel, start));
    return;
  }
  const end = GENERATED_EPOCH - 3_600_000;
  let last = start;
  const put = (m: MessageRecord) => {
    c.put(m.id, m);
    last = Number(m.id);
  };
  // The channel's first message is the system event that created it (or added the team's members).
  if (count > 0) put(systemMessage(store, team, channel, start + r.int(1_000, 60_000)));
  for (let i = 1; i < count; i++) {
    const slot = start + ((end - start) * i) / count;
    const at = Math.max(last + 1, Math.floor(slot + r.next() * ((end - start) / count) * 0.8));
    const replies = r.int(0, Math.max(0, store.profile.repliesPerPost * 2));
    put(
      composeMessage(store, team, channel, { id: String(at), replyToId: null, label: ['post', i] }, replies),
    );
  }
}

/** Seeded replies of one post, oldest first, each a little after the previous one. */
export function generateReplies(store: TenantStore, post: MessageRecord, c: Collection<MessageRecord>): void {
  const count = post.seededReplies ?? 0;
  if (count === 0) return;
  const team = seededOrLiveGroup(store, post.teamId);
  const channel = store.collection<ChannelRecord>(channelsKey(post.teamId)).get(post.channelId);
  if (!team || !channel) return;
  const r = new Random(store.seed, 'teams-replies', post.channelId, post.id);
  let at = Number(post.id);
  for (let i = 0; i < count; i++) {
    at += r.int(30_000, 36_000_000);
    c.put(
      String(at),
      composeMessage(
        store,
        team,
        channel,
        { id: String(at), replyToId: post.id, label: ['reply', post.id, i] },
        null,
      ),
    );
  }
}

export function installTeamsMaterializers(store: TenantStore): void {
  store.registerMaterializer('teams', (s, key, c) => {
    const rest = key.slice('teams:'.length);
    const [kind, teamId = '', channelId = '', postId = ''] = rest.split('|');
    if (kind === 'channels') {
      const team = seededOrLiveGroup(s, teamId);
      if (team) generateChannels(s, team, c as Collection<ChannelRecord>);
    } else if (kind === 'posts') {
      const channel = s.collection<ChannelRecord>(channelsKey(teamId)).get(channelId);
      if (channel) generatePosts(s, channel, c as Collection<MessageRecord>);
    } else if (kind === 'replies') {
      const post = s.collection<MessageRecord>(postsKey(teamId, channelId)).get(postId);
      if (post) generateReplies(s, post, c as Collection<MessageRecord>);
    }
  });
}

/** A stable GUID for seeded Teams objects (tabs, attachments). */
export const teamsGuid = (store: TenantStore, ...labels: (string | number)[]) =>
  stableGuid(store.seed, 'teams', ...labels);
