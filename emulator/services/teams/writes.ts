import { GraphHttpError, badRequest } from '../../core/odata.js';
import type { Random } from '../../generator/random.js';
import { asciiAlias, driveIdFor } from '../../tenant/directory.js';
import type { GroupRecord, SiteRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { hostedContentId, hostedContentUrl } from './content.js';
import { generalChannelId } from './generate.js';
import {
  channelsKey,
  freeMessageId,
  iso,
  saveMessage,
  stateKey,
  threadId,
  type ChannelRecord,
  type HostedContentRecord,
  type IdentityRef,
  type MembershipType,
  type MessageRecord,
  type TeamState,
} from './model.js';
import { isoMillis } from '../shared/time.js';

/** Changes to teams, channels and messages, shared by the Graph write routes and the activity ops. */

export interface NewMessage {
  from: IdentityRef | null;
  body: { contentType: 'text' | 'html'; content: string };
  subject?: string | null;
  importance?: MessageRecord['importance'];
  createdMs: number;
  mentions?: Record<string, unknown>[];
  attachments?: Record<string, unknown>[];
  /** Imported inline images: `@microsoft.graph.temporaryId` → bytes. */
  hostedContents?: { temporaryId: string; bytes: Buffer; contentType: string }[];
}

export function addMessage(
  store: TenantStore,
  channel: ChannelRecord,
  input: NewMessage,
  parent?: MessageRecord,
): MessageRecord {
  const id = freeMessageId(store, channel, input.createdMs, parent);
  const at = iso(Number(id));
  const m: MessageRecord = {
    id,
    replyToId: parent?.id ?? null,
    teamId: channel.teamId,
    channelId: channel.id,
    messageType: 'message',
    createdDateTime: at,
    lastModifiedDateTime: at,
    lastEditedDateTime: null,
    deletedDateTime: null,
    subject: input.subject ?? null,
    importance: input.importance ?? 'normal',
    from: input.from,
    body: { ...input.body },
    attachments: input.attachments ?? [],
    mentions: input.mentions ?? [],
    reactions: [],
    hostedContents: [],
    eventDetail: null,
    seededReplies: null,
  };
  for (const h of input.hostedContents ?? []) {
    const record: HostedContentRecord = {
      id: hostedContentId(store.seed, 'imported', channel.id, m.id, h.temporaryId),
      contentType: h.contentType,
      blob: store.blobs.put(h.bytes),
    };
    m.hostedContents.push(record);
    m.body.content = m.body.content
      .split(`../hostedContents/${h.temporaryId}/$value`)
      .join(hostedContentUrl(m, record.id));
  }
  saveMessage(store, m);
  return m;
}

export function editMessage(
  store: TenantStore,
  m: MessageRecord,
  content: string,
  atMs = Date.now(),
): MessageRecord {
  if (m.deletedDateTime) throw badRequest('A deleted message cannot be edited.');
  const at = iso(atMs);
  const edited: MessageRecord = {
    ...m,
    body: { contentType: 'html', content },
    lastEditedDateTime: at,
    lastModifiedDateTime: at,
  };
  saveMessage(store, edited);
  return edited;
}

/** Teams keeps deleted messages: the id stays, the content goes and deletedDateTime is set. */
export function softDeleteMessage(store: TenantStore, m: MessageRecord, atMs = Date.now()): MessageRecord {
  const at = iso(atMs);
  const deleted: MessageRecord = {
    ...m,
    deletedDateTime: at,
    lastModifiedDateTime: at,
    body: { contentType: 'html', content: '' },
    attachments: [],
    mentions: [],
    reactions: [],
    hostedContents: [],
  };
  saveMessage(store, deleted);
  return deleted;
}

const INVALID_CHANNEL_CHARS = /[~#%&*{}+/\\:<>?|'"]/;

export interface NewChannel {
  displayName: string;
  description: string | null;
  membershipType: MembershipType;
  migration: boolean;
  createdMs: number;
  ownerIds: string[];
  memberIds: string[];
}

export function addChannel(
  store: TenantStore,
  team: GroupRecord,
  input: NewChannel,
  random: Random,
): ChannelRecord {
  const name = input.displayName.trim();
  if (!name || name.length > 50 || INVALID_CHANNEL_CHARS.test(name) || /^\./.test(name)) {
    throw badRequest(`Channel name '${input.displayName}' is not valid.`);
  }
  const existing = store.collection<ChannelRecord>(channelsKey(team.id)).values();
  if (existing.some((c) => c.displayName.toLowerCase() === name.toLowerCase())) {
    throw badRequest('Channel name already existed, please use other name.');
  }
  const id = threadId(store.seed, 'runtime-channel', team.id, random.guid());
  const channel: ChannelRecord = {
    id,
    teamId: team.id,
    displayName: name,
    description: input.description,
    membershipType: input.membershipType,
    createdDateTime: iso(input.createdMs),
    isFavoriteByDefault: false,
    email:
      input.membershipType === 'standard' ? `${id.slice(3, 11)}.${store.identity.domain}@emea.teams.ms` : '',
    isGeneral: false,
    migrationMode: input.migration ? 'inProgress' : null,
    ownerIds: input.membershipType === 'standard' ? [] : input.ownerIds,
    memberIds: input.membershipType === 'standard' ? [] : input.memberIds,
    sharedWithTeamIds: [],
    seedIndex: null,
  };
  store.put(channelsKey(team.id), id, channel);
  return channel;
}

export interface NewTeam {
  displayName: string;
  description: string | null;
  visibility: 'Public' | 'Private';
  migration: boolean;
  createdDateTime: string | null;
  ownerIds: string[];
  memberIds: string[];
  /** Turns this existing group into a team instead of creating one. */
  group?: GroupRecord;
}

/** Creates (or team-enables) a Microsoft 365 group with its site and General channel. */
export function addTeam(
  store: TenantStore,
  input: NewTeam,
  random: Random,
): { team: GroupRecord; state: TeamState } {
  const now = isoMillis();
  let group: GroupRecord;
  if (input.group) {
    group = {
      ...input.group,
      resourceProvisioningOptions: [...input.group.resourceProvisioningOptions, 'Team'],
    };
  } else {
    const id = random.guid();
    const nickname = `${asciiAlias(input.displayName).slice(0, 40) || 'team'}${id.slice(0, 4)}`;
    const siteId = `${store.sharepointHost},${random.guid()},${random.guid()}`;
    group = {
      id,
      displayName: input.displayName,
      description: input.description,
      mailNickname: nickname,
      mail: `${nickname}@${store.identity.domain}`,
      groupTypes: ['Unified'],
      mailEnabled: true,
      securityEnabled: false,
      visibility: input.visibility,
      createdDateTime: input.createdDateTime ?? now,
      resourceProvisioningOptions: ['Team'],
      ownerIds: input.ownerIds,
      memberIds: input.memberIds,
      siteId,
      // Negative: no seeded content anywhere (mail, files) for a group that Graph just created.
      seedIndex: -2,
    };
  }
  const state: TeamState = {
    id: group.id,
    createdViaGraph: true,
    migrationMode: input.migration ? 'inProgress' : null,
    createdDateTime: input.createdDateTime,
    operationId: random.guid(),
    operationCreatedDateTime: now,
  };
  // State first: the channel materializer reads it to know this team has no seeded channels.
  store.put(stateKey, group.id, state);
  store.put('directory:groups', group.id, group);
  if (!input.group && group.siteId) {
    const site: SiteRecord = {
      id: group.siteId,
      name: group.mailNickname,
      displayName: group.displayName,
      description: group.description,
      webUrl: `https://${store.sharepointHost}/sites/${group.mailNickname}`,
      createdDateTime: group.createdDateTime,
      kind: 'team',
      groupId: group.id,
      ownerUserId: null,
      driveIds: [driveIdFor(group.siteId, 0)],
      seedIndex: -2,
    };
    store.put('directory:sites', site.id, site);
  }
  const generalId = generalChannelId(store, group.id);
  const general: ChannelRecord = {
    id: generalId,
    teamId: group.id,
    displayName: 'General',
    description: group.description,
    membershipType: 'standard',
    createdDateTime: input.createdDateTime ?? now,
    isFavoriteByDefault: null,
    email: `${generalId.slice(3, 11)}.${store.identity.domain}@emea.teams.ms`,
    isGeneral: true,
    migrationMode: input.migration ? 'inProgress' : null,
    ownerIds: [],
    memberIds: [],
    sharedWithTeamIds: [],
    seedIndex: null,
  };
  store.put(channelsKey(group.id), generalId, general);
  return { team: group, state };
}

export function setChannelMigration(
  store: TenantStore,
  c: ChannelRecord,
  mode: ChannelRecord['migrationMode'],
  createdDateTime?: string,
): ChannelRecord {
  const updated = { ...c, migrationMode: mode, ...(createdDateTime ? { createdDateTime } : {}) };
  store.put(channelsKey(c.teamId), c.id, updated);
  return updated;
}

/** Parses a dateTimeOffset from a request body; refuses the future as the import API does. */
export function pastDate(raw: unknown, what: string): number {
  const t = typeof raw === 'string' ? Date.parse(raw) : NaN;
  if (Number.isNaN(t)) throw badRequest(`Invalid value for '${what}'.`);
  if (t > Date.now()) throw badRequest(`'${what}' cannot be set in the future.`);
  return t;
}

export function forbidden(required: string[], caller: ReadonlySet<string>): GraphHttpError {
  return new GraphHttpError(
    403,
    'Forbidden',
    `Missing role permissions on the request. API requires one of '${required.join(', ')}'. Roles on the request '${[...caller].join(', ')}'.`,
  );
}
