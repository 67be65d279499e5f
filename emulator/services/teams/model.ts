import { createHash } from 'node:crypto';
import { GraphHttpError } from '../../core/odata.js';
import type { GroupRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { isoMillis } from '../shared/time.js';

/**
 * Persisted shapes of the Teams area. Teams themselves are directory groups provisioned with
 * 'Team'; everything below a team lives in per-team / per-channel / per-post collections so a
 * client reading one channel never pays for the rest of the tenant.
 */

export type MembershipType = 'standard' | 'private' | 'shared';
export type MigrationMode = 'inProgress' | 'completed' | null;

/** Runtime state of a team that differs from what its group implies (created or migrated through Graph). */
export interface TeamState {
  id: string;
  /** Created through `POST /teams`: no seeded channels, posts or tabs. */
  createdViaGraph: boolean;
  migrationMode: MigrationMode;
  /** Back-dated creation time of a migrated team. */
  createdDateTime: string | null;
  operationId: string | null;
  operationCreatedDateTime: string | null;
}

export interface ChannelRecord {
  id: string;
  teamId: string;
  displayName: string;
  description: string | null;
  membershipType: MembershipType;
  createdDateTime: string;
  isFavoriteByDefault: boolean | null;
  email: string;
  isGeneral: boolean;
  migrationMode: MigrationMode;
  /** Private and shared channels keep their own roster; standard channels use the team's. */
  ownerIds: string[];
  memberIds: string[];
  /** Shared channels: other teams the channel is shared with (they see it in allChannels). */
  sharedWithTeamIds: string[];
  /** Position among the team's seeded channels; null for channels created at runtime. */
  seedIndex: number | null;
}

export interface IdentityRef {
  id: string;
  displayName: string | null;
}

export interface HostedContentRecord {
  id: string;
  contentType: string;
  /** Seeded images are regenerated from these; imported ones are kept as blobs. */
  width?: number;
  height?: number;
  blob?: string;
}

export interface MessageRecord {
  id: string;
  replyToId: string | null;
  teamId: string;
  channelId: string;
  messageType: 'message' | 'systemEventMessage';
  createdDateTime: string;
  lastModifiedDateTime: string;
  lastEditedDateTime: string | null;
  deletedDateTime: string | null;
  subject: string | null;
  importance: 'normal' | 'high' | 'urgent';
  from: IdentityRef | null;
  body: { contentType: 'text' | 'html'; content: string };
  attachments: Record<string, unknown>[];
  mentions: Record<string, unknown>[];
  reactions: Record<string, unknown>[];
  hostedContents: HostedContentRecord[];
  eventDetail: Record<string, unknown> | null;
  /** Seeded posts: how many replies the replies materializer generates. */
  seededReplies: number | null;
}

/** Stands for `https://graph.microsoft.com/{version}` inside stored bodies; replaced per request. */
export const GRAPH_BASE_MARK = '\uE000graph\uE000';

export const stateKey = 'teams:state';
export const channelsKey = (teamId: string) => `teams:channels|${teamId}`;
export const postsKey = (teamId: string, channelId: string) => `teams:posts|${teamId}|${channelId}`;
export const repliesKey = (teamId: string, channelId: string, postId: string) =>
  `teams:replies|${teamId}|${channelId}|${postId}`;

/** chatMessage timestamps carry milliseconds, as Teams serves them. */
export const iso = isoMillis;

/** A Teams thread id (`19:<32 hex>@thread.tacv2`), stable for its labels. */
export function threadId(...labels: (string | number)[]): string {
  return `19:${createHash('sha256').update(labels.join('|')).digest('hex').slice(0, 32)}@thread.tacv2`;
}

export const teamNotFound = (id: string) =>
  new GraphHttpError(404, 'NotFound', `No team found with Group Id ${id}`);
export const channelNotFound = () => new GraphHttpError(404, 'NotFound', 'Channel not found.');
export const messageNotFound = () => new GraphHttpError(404, 'NotFound', 'Message not found.');

export function isTeam(g: GroupRecord): boolean {
  return g.resourceProvisioningOptions.includes('Team');
}

export function requireTeam(store: TenantStore, id: string): GroupRecord {
  const g = store.groups.get(id);
  if (!g || !isTeam(g)) throw teamNotFound(id);
  return g;
}

export function teamState(store: TenantStore, teamId: string): TeamState | undefined {
  return store.collection<TeamState>(stateKey).get(teamId);
}

export function allTeams(store: TenantStore): GroupRecord[] {
  return store.groups.values().filter(isTeam);
}

/** A channel as seen from `teamId`: its own channels, or a shared channel another team shares with it. */
export function findChannel(
  store: TenantStore,
  teamId: string,
  channelId: string,
): ChannelRecord | undefined {
  const own = store.collection<ChannelRecord>(channelsKey(teamId)).get(channelId);
  if (own) return own;
  return incomingChannels(store, teamId).find((c) => c.id === channelId);
}

export function requireChannel(store: TenantStore, teamId: string, channelId: string): ChannelRecord {
  requireTeam(store, teamId);
  const c = findChannel(store, teamId, channelId);
  if (!c) throw channelNotFound();
  return c;
}

/** Shared channels hosted by other teams and shared with this one. */
export function incomingChannels(store: TenantStore, teamId: string): ChannelRecord[] {
  const out: ChannelRecord[] = [];
  for (const t of allTeams(store)) {
    if (t.id === teamId) continue;
    for (const c of store.collection<ChannelRecord>(channelsKey(t.id)).values()) {
      if (c.sharedWithTeamIds.includes(teamId)) out.push(c);
    }
  }
  return out;
}

/** Messages of a channel live with its host team, whichever team the request came through. */
export function postsOf(store: TenantStore, channel: ChannelRecord) {
  return store.collection<MessageRecord>(postsKey(channel.teamId, channel.id));
}

export function repliesOf(store: TenantStore, post: MessageRecord) {
  return store.collection<MessageRecord>(repliesKey(post.teamId, post.channelId, post.id));
}

export function requirePost(store: TenantStore, channel: ChannelRecord, id: string): MessageRecord {
  const m = postsOf(store, channel).get(id);
  if (!m) throw messageNotFound();
  return m;
}

export function requireReply(store: TenantStore, post: MessageRecord, id: string): MessageRecord {
  const m = repliesOf(store, post).get(id);
  if (!m) throw messageNotFound();
  return m;
}

/** Writes a post or reply through the journal. */
export function saveMessage(store: TenantStore, m: MessageRecord): void {
  const key = m.replyToId ? repliesKey(m.teamId, m.channelId, m.replyToId) : postsKey(m.teamId, m.channelId);
  store.put(key, m.id, m);
}

/** Team roster as (userId, role) pairs: owners, then members; guests get the guest role. */
export function teamRoster(store: TenantStore, g: GroupRecord): { userId: string; roles: string[] }[] {
  return rosterOf(store, g.ownerIds, g.memberIds);
}

export function channelRoster(store: TenantStore, g: GroupRecord, c: ChannelRecord) {
  return c.membershipType === 'standard' ? teamRoster(store, g) : rosterOf(store, c.ownerIds, c.memberIds);
}

function rosterOf(store: TenantStore, ownerIds: string[], memberIds: string[]) {
  const out: { userId: string; roles: string[] }[] = [];
  const seen = new Set<string>();
  for (const id of [...ownerIds, ...memberIds]) {
    const u = store.users.get(id);
    if (!u || seen.has(id)) continue;
    seen.add(id);
    const roles = u.userType === 'Guest' ? ['guest'] : ownerIds.includes(id) ? ['owner'] : [];
    out.push({ userId: id, roles });
  }
  return out;
}

/** Next free message id (a millisecond timestamp) in a channel, at or after `atMs`. */
export function freeMessageId(
  store: TenantStore,
  channel: ChannelRecord,
  atMs: number,
  post?: MessageRecord,
): string {
  const posts = postsOf(store, channel);
  const replies = post ? repliesOf(store, post) : undefined;
  let ms = Math.floor(atMs);
  while (posts.has(String(ms)) || replies?.has(String(ms))) ms++;
  return String(ms);
}

/** A request or activity argument as a string ('' or the fallback for anything else). */
export function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : fallback;
}
