import { Random, stableGuid } from '../../generator/random.js';
import { TextGenerator } from '../../generator/text.js';
import type { GroupRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { listBackedByDrive } from '../drives/api.js';
import { seededOrLiveUser } from '../../tenant/seeded.js';
import {
  GRAPH_BASE_MARK,
  iso,
  type ChannelRecord,
  type HostedContentRecord,
  type IdentityRef,
  type MessageRecord,
} from './model.js';

const REACTIONS = ['like', 'like', 'heart', 'laugh', 'surprised', 'sad', 'angry'];
const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A hosted-content id shaped like Teams' (base64 of `id=…,type=1,url=…`). The counter keeps the
 * base64 free of `/`, `+` and padding so the id is usable as a bare path segment.
 */
export function hostedContentId(...labels: (string | number)[]): string {
  for (let n = 0; ; n++) {
    const hex = stableGuid('hosted', ...labels, n).replace(/-/g, '');
    const obj = `0-weu-d${(n % 9) + 1}-${hex}`;
    const raw = `id=x_${obj},type=1,url=https://eu-api.asm.skype.com/v1/objects/${obj}/views/imgo`;
    const b64 = Buffer.from(raw).toString('base64').replace(/=+$/, '');
    if (!/[+/]/.test(b64)) return b64;
  }
}

export function hostedContentUrl(
  m: Pick<MessageRecord, 'teamId' | 'channelId' | 'id' | 'replyToId'>,
  hostedId: string,
): string {
  const msg = m.replyToId ? `messages/${m.replyToId}/replies/${m.id}` : `messages/${m.id}`;
  return `${GRAPH_BASE_MARK}/teams/${m.teamId}/channels/${m.channelId}/${msg}/hostedContents/${hostedId}/$value`;
}

export function userRef(store: TenantStore, id: string): IdentityRef {
  return { id, displayName: store.users.get(id)?.displayName ?? null };
}

/** The SharePoint address of a file in the channel's folder of the team site's default library. */
function channelFileUrl(store: TenantStore, team: GroupRecord, channel: ChannelRecord, name: string): string {
  const site = team.siteId ? store.sites.get(team.siteId) : undefined;
  let library = `${site?.webUrl ?? `https://${store.sharepointHost}/sites/${team.mailNickname}`}/Shared%20Documents`;
  try {
    library = (site && listBackedByDrive(store, site.id)[0]?.webUrl) || library;
  } catch {
    // No drive for the site: keep the conventional library address.
  }
  return `${library}/${encodeURIComponent(channel.displayName)}/${encodeURIComponent(name)}`;
}

interface Slot {
  id: string;
  replyToId: string | null;
  label: (string | number)[];
}

/** One seeded post or reply: HTML body with mentions, inline images, file links, reactions, edits and deletions. */
export function composeMessage(
  store: TenantStore,
  team: GroupRecord,
  channel: ChannelRecord,
  slot: Slot,
  seededReplies: number | null,
): MessageRecord {
  const r = new Random(store.seed, 'teams-message', channel.id, ...slot.label);
  const text = new TextGenerator(r);
  // The roster as seeded (not the live directory), so content never depends on when it is generated.
  const roster =
    channel.membershipType === 'standard'
      ? [...new Set([...team.ownerIds, ...team.memberIds])]
      : channel.memberIds;
  const author = roster.length ? r.pick(roster) : team.ownerIds[0];
  const createdMs = Number(slot.id);
  const m: MessageRecord = {
    id: slot.id,
    replyToId: slot.replyToId,
    teamId: channel.teamId,
    channelId: channel.id,
    messageType: 'message',
    createdDateTime: iso(createdMs),
    lastModifiedDateTime: iso(createdMs),
    lastEditedDateTime: null,
    deletedDateTime: null,
    subject: !slot.replyToId && r.bool(0.2) ? text.title(r.int(2, 5)) : null,
    importance: r.bool(0.05) ? 'high' : 'normal',
    from: author ? { id: author, displayName: seededOrLiveUser(store, author)?.displayName ?? null } : null,
    body: { contentType: 'html', content: '' },
    attachments: [],
    mentions: [],
    reactions: [],
    hostedContents: [],
    eventDetail: null,
    seededReplies,
  };
  const parts: string[] = [];
  let lead = '';
  if (r.bool(0.3) && roster.length > 1) {
    const who = seededOrLiveUser(store, r.pick(roster.filter((id) => id !== author)));
    if (who) {
      lead = `<at id="0">${esc(who.displayName)}</at> `;
      m.mentions.push({
        id: 0,
        mentionText: who.displayName,
        mentioned: {
          application: null,
          device: null,
          conversation: null,
          tag: null,
          user: {
            '@odata.type': '#microsoft.graph.teamworkUserIdentity',
            id: who.id,
            displayName: who.displayName,
            userIdentityType: 'aadUser',
            tenantId: store.identity.tenantId,
          },
        },
      });
    }
  } else if (r.bool(0.05)) {
    lead = `<at id="0">${esc(channel.displayName)}</at> `;
    m.mentions.push({
      id: 0,
      mentionText: channel.displayName,
      mentioned: {
        application: null,
        device: null,
        user: null,
        tag: null,
        conversation: {
          id: channel.id,
          displayName: channel.displayName,
          conversationIdentityType: 'channel',
        },
      },
    });
  }
  parts.push(`<p>${lead}${esc(text.sentence())}</p>`);
  if (r.bool(0.5)) parts.push(`<p>${esc(text.paragraph(r.int(1, 3)))}</p>`);
  if (r.bool(0.15)) {
    const hosted: HostedContentRecord = {
      id: hostedContentId(store.seed, channel.id, m.id, 0),
      contentType: 'image/png',
      width: r.int(60, 320),
      height: r.int(40, 240),
    };
    m.hostedContents.push(hosted);
    parts.push(
      `<div><span><img height="${hosted.height}" src="${hostedContentUrl(m, hosted.id)}" width="${hosted.width}" style="vertical-align:bottom; width:${hosted.width}px; height:${hosted.height}px"></span></div>`,
    );
  }
  if (r.bool(0.15)) {
    const id = stableGuid(store.seed, 'teams-attachment', channel.id, m.id);
    const ext = r.pick(['docx', 'xlsx', 'pptx', 'pdf']);
    const name = text.fileName(ext);
    m.attachments.push({
      id,
      contentType: 'reference',
      contentUrl: channelFileUrl(store, team, channel, name),
      content: null,
      name,
      thumbnailUrl: null,
      teamsAppId: null,
    });
    parts.push(`<attachment id="${id}"></attachment>`);
  }
  m.body.content = parts.join('');
  if (r.bool(0.3) && roster.length) {
    for (const who of r.sample(roster, r.int(1, Math.min(3, roster.length)))) {
      m.reactions.push({
        reactionType: r.pick(REACTIONS),
        displayName: null,
        reactionContentUrl: null,
        createdDateTime: iso(createdMs + r.int(60_000, 7_200_000)),
        user: {
          application: null,
          device: null,
          user: {
            '@odata.type': '#microsoft.graph.teamworkUserIdentity',
            id: who,
            displayName: null,
            userIdentityType: 'aadUser',
            tenantId: store.identity.tenantId,
          },
        },
      });
    }
  }
  const fate = r.next();
  if (fate < 0.04) {
    const at = iso(createdMs + r.int(60_000, 86_400_000));
    Object.assign(m, {
      deletedDateTime: at,
      lastModifiedDateTime: at,
      body: { contentType: 'html', content: '' },
      attachments: [],
      mentions: [],
      reactions: [],
      hostedContents: [],
    });
  } else if (fate < 0.12) {
    const at = iso(createdMs + r.int(60_000, 3_600_000));
    m.lastEditedDateTime = at;
    m.lastModifiedDateTime = at;
  }
  return m;
}

/** The system event a channel starts with: members added (General) or channel added (others). */
export function systemMessage(
  store: TenantStore,
  team: GroupRecord,
  channel: ChannelRecord,
  atMs: number,
): MessageRecord {
  const initiatorId = team.ownerIds[0] ?? team.memberIds[0] ?? null;
  const identity = (id: string | null) => ({
    application: null,
    device: null,
    user: id
      ? { id, displayName: null, userIdentityType: 'aadUser', tenantId: store.identity.tenantId }
      : null,
  });
  const eventDetail = channel.isGeneral
    ? {
        '@odata.type': '#microsoft.graph.membersAddedEventMessageDetail',
        visibleHistoryStartDateTime: '0001-01-01T00:00:00Z',
        members: team.memberIds.map((id) => ({
          id,
          displayName: null,
          userIdentityType: 'aadUser',
          tenantId: store.identity.tenantId,
        })),
        initiator: identity(initiatorId),
      }
    : {
        '@odata.type': '#microsoft.graph.channelAddedEventMessageDetail',
        channelId: channel.id,
        channelDisplayName: channel.displayName,
        initiator: identity(initiatorId),
      };
  return {
    id: String(atMs),
    replyToId: null,
    teamId: channel.teamId,
    channelId: channel.id,
    messageType: 'systemEventMessage',
    createdDateTime: iso(atMs),
    lastModifiedDateTime: iso(atMs),
    lastEditedDateTime: null,
    deletedDateTime: null,
    subject: null,
    importance: 'normal',
    from: null,
    body: { contentType: 'html', content: '<systemEventMessage/>' },
    attachments: [],
    mentions: [],
    reactions: [],
    hostedContents: [],
    eventDetail,
    seededReplies: 0,
  };
}

/** Bytes of a seeded inline image: regenerated from the ids, identical on every call. */
export function seededImageRandom(store: TenantStore, m: MessageRecord, hostedId: string): Random {
  return new Random(store.seed, 'teams-image', m.channelId, m.id, hostedId);
}
