import { Random } from '../../generator/random.js';
import type { EmuRequest } from '../../core/types.js';
import type { GroupRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { generalChannelId, teamsGuid } from './generate.js';
import { GRAPH_BASE_MARK, teamState, type ChannelRecord, type MessageRecord } from './model.js';

/** Graph resource shapes of the Teams area, projected from the stored records. */

const enc = encodeURIComponent;

export function teamSettings(store: TenantStore, teamId: string) {
  const r = new Random(store.seed, 'team-settings', teamId);
  return {
    memberSettings: {
      allowCreateUpdateChannels: r.bool(0.8),
      allowDeleteChannels: r.bool(0.6),
      allowAddRemoveApps: r.bool(0.8),
      allowCreateUpdateRemoveTabs: r.bool(0.8),
      allowCreateUpdateRemoveConnectors: r.bool(0.7),
      allowCreatePrivateChannels: r.bool(0.7),
    },
    guestSettings: { allowCreateUpdateChannels: r.bool(0.2), allowDeleteChannels: false },
    messagingSettings: {
      allowUserEditMessages: r.bool(0.9),
      allowUserDeleteMessages: r.bool(0.9),
      allowOwnerDeleteMessages: r.bool(0.9),
      allowTeamMentions: r.bool(0.9),
      allowChannelMentions: r.bool(0.9),
    },
    funSettings: {
      allowGiphy: r.bool(0.8),
      giphyContentRating: r.pick(['moderate', 'strict']),
      allowStickersAndMemes: r.bool(0.8),
      allowCustomMemes: r.bool(0.5),
    },
    discoverySettings: { showInTeamsSearchAndSuggestions: r.bool(0.5) },
  };
}

export function teamJson(store: TenantStore, g: GroupRecord): Record<string, unknown> {
  const state = teamState(store, g.id);
  const internalId = generalChannelId(store, g.id);
  return {
    id: g.id,
    createdDateTime: state?.createdDateTime ?? g.createdDateTime,
    displayName: g.displayName,
    description: g.description,
    internalId,
    classification: null,
    specialization: 'none',
    visibility: (g.visibility ?? 'Private').toLowerCase(),
    webUrl: `https://teams.microsoft.com/l/team/${enc(internalId)}/conversations?groupId=${g.id}&tenantId=${store.identity.tenantId}`,
    isArchived: false,
    tenantId: store.identity.tenantId,
    isMembershipLimitedToOwners: false,
    ...teamSettings(store, g.id),
  };
}

export function teamSummary(store: TenantStore, g: GroupRecord) {
  const guests = g.memberIds.filter((id) => store.users.get(id)?.userType === 'Guest').length;
  return { ownersCount: g.ownerIds.length, membersCount: g.memberIds.length - guests, guestsCount: guests };
}

export function channelJson(store: TenantStore, c: ChannelRecord): Record<string, unknown> {
  return {
    id: c.id,
    createdDateTime: c.createdDateTime,
    displayName: c.displayName,
    description: c.description,
    isFavoriteByDefault: c.isFavoriteByDefault,
    email: c.email,
    tenantId: store.identity.tenantId,
    webUrl: `https://teams.microsoft.com/l/channel/${enc(c.id)}/${enc(c.displayName)}?groupId=${c.teamId}&tenantId=${store.identity.tenantId}`,
    membershipType: c.membershipType,
    isArchived: false,
    migrationMode: c.migrationMode,
  };
}

/** `Prefer: include-unknown-enum-members` reveals enum members newer than v1.0's evolvable enums. */
function unknownEnums(req: EmuRequest): boolean {
  return /include-unknown-enum-members/i.test(req.headers['prefer'] ?? '');
}

export function graphBase(req: EmuRequest): string {
  return `${req.origin}/${req.apiVersion || 'v1.0'}`;
}

export function messageJson(
  store: TenantStore,
  req: EmuRequest,
  m: MessageRecord,
  withType = false,
): Record<string, unknown> {
  const tenantId = store.identity.tenantId;
  const created = Date.parse(m.createdDateTime);
  const parent = m.replyToId ?? m.id;
  return {
    ...(withType ? { '@odata.type': '#microsoft.graph.chatMessage' } : {}),
    id: m.id,
    replyToId: m.replyToId,
    etag: String(Date.parse(m.lastModifiedDateTime)),
    messageType:
      m.messageType === 'systemEventMessage' && !unknownEnums(req) ? 'unknownFutureValue' : m.messageType,
    createdDateTime: m.createdDateTime,
    lastModifiedDateTime: m.lastModifiedDateTime,
    lastEditedDateTime: m.lastEditedDateTime,
    deletedDateTime: m.deletedDateTime,
    subject: m.subject,
    summary: null,
    chatId: null,
    importance: m.importance,
    locale: 'en-us',
    webUrl: `https://teams.microsoft.com/l/message/${enc(m.channelId)}/${m.id}?groupId=${m.teamId}&tenantId=${tenantId}&createdTime=${created}&parentMessageId=${parent}`,
    policyViolation: null,
    eventDetail: m.eventDetail,
    from: m.from
      ? {
          application: null,
          device: null,
          user: {
            '@odata.type': '#microsoft.graph.teamworkUserIdentity',
            id: m.from.id,
            displayName: m.from.displayName,
            userIdentityType: 'aadUser',
            tenantId,
          },
        }
      : null,
    body: {
      contentType: m.body.contentType,
      content: m.body.content.split(GRAPH_BASE_MARK).join(graphBase(req)),
    },
    channelIdentity: { teamId: m.teamId, channelId: m.channelId },
    attachments: m.attachments,
    mentions: m.mentions,
    reactions: m.reactions,
    messageHistory: [],
  };
}

/** conversationMember ids are opaque; this one encodes the conversation and user like Teams' base64 ids. */
export function memberJson(store: TenantStore, conversationId: string, userId: string, roles: string[]) {
  const u = store.users.get(userId);
  return {
    '@odata.type': '#microsoft.graph.aadUserConversationMember',
    id: Buffer.from(`0#${conversationId}#${userId}`).toString('base64'),
    roles,
    displayName: u?.displayName ?? null,
    visibleHistoryStartDateTime: '0001-01-01T00:00:00Z',
    userId,
    email: u?.mail ?? null,
    tenantId: store.identity.tenantId,
  };
}

interface TabSpec {
  appId: string;
  appName: string;
  displayName: string;
  configuration: Record<string, unknown>;
}

/** Seeded tabs of a channel: a wiki (older channels), a website and a document-library tab. */
export function channelTabs(store: TenantStore, team: GroupRecord, c: ChannelRecord) {
  if (c.seedIndex === null) return [];
  const r = new Random(store.seed, 'teams-tabs', c.id);
  const site = team.siteId ? store.sites.get(team.siteId) : undefined;
  const siteUrl = site?.webUrl ?? `https://${store.sharepointHost}/sites/${team.mailNickname}`;
  const specs: TabSpec[] = [];
  if (c.isGeneral || r.bool(0.5)) {
    specs.push({
      appId: 'com.microsoft.teamspace.tab.wiki',
      appName: 'Wiki',
      displayName: 'Wiki',
      configuration: {
        entityId: null,
        contentUrl: null,
        removeUrl: null,
        websiteUrl: null,
        wikiTabId: r.int(1, 9),
        wikiDefaultTab: c.isGeneral,
        hasContent: r.bool(0.5),
      },
    });
  }
  const site2 = r.pick([
    'https://learn.microsoft.com/microsoftteams',
    'https://www.example.com/roadmap',
    'https://status.example.org',
  ]);
  specs.push({
    appId: 'com.microsoft.teamspace.tab.web',
    appName: 'Website',
    displayName: r.pick(['Roadmap', 'Status page', 'Docs']),
    configuration: { entityId: null, contentUrl: site2, removeUrl: null, websiteUrl: site2 },
  });
  if (r.bool(0.6)) {
    const lib = `${siteUrl}/Shared Documents`;
    specs.push({
      appId: 'com.microsoft.teamspace.tab.files.sharepoint',
      appName: 'Document Library',
      displayName: 'Team Documents',
      configuration: { entityId: '', contentUrl: lib, removeUrl: null, websiteUrl: lib },
    });
  }
  return specs.map((s, i) => {
    const id = teamsGuid(store, 'tab', c.id, i);
    return {
      id,
      displayName: s.displayName,
      webUrl: `https://teams.microsoft.com/l/entity/${enc(s.appId)}/_djb2_msteams_prefix_${r.int(1_000_000_000, 4_000_000_000)}?label=${enc(s.displayName)}&context=${enc(JSON.stringify({ channelId: c.id }))}&groupId=${team.id}&tenantId=${store.identity.tenantId}`,
      configuration: s.configuration,
      teamsApp: { id: s.appId, externalId: null, displayName: s.appName, distributionMethod: 'store' },
    };
  });
}
