import { badRequest, GraphHttpError } from '../../core/odata.js';
import type { GroupRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { newKey, now } from './common.js';
import {
  generatedAttachmentBytes,
  generatedPost,
  isUnified,
  postsKey,
  threadPlan,
  threadsKey,
} from './group-gen.js';
import { attachmentId, changeKey, conversationIdFor, postId, threadId } from './ids.js';
import { mailboxNotEnabled } from '../shared/exchange.js';
import type { GroupPostRecord, GroupThreadRecord, Recipient, StoredAttachment } from './records.js';
import { attachmentFromJson, recipientFrom } from './stored-json.js';
import type { PendingBytes } from './stored.js';
import { htmlToText, previewOf, type AttachmentView } from './view.js';
import { isoSeconds } from '../shared/time.js';

/** Group conversations as Graph shows them: posts, threads and conversations, and new posts. */

export interface PostView {
  rec: GroupPostRecord;
  id: string;
  from: Recipient;
  created: string;
  modified: string;
  body: { contentType: 'html' | 'text'; content: string };
  attachments: AttachmentView[];
}

export function requireUnified(store: TenantStore, id: string): GroupRecord {
  const g = store.groups.get(id);
  if (!g)
    throw new GraphHttpError(
      404,
      'Request_ResourceNotFound',
      `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    );
  if (!isUnified(g)) throw mailboxNotEnabled();
  return g;
}

const rcpt = (p: { name: string; address: string }): Recipient => ({
  emailAddress: { name: p.name, address: p.address },
});

export const groupThreads = (store: TenantStore, g: GroupRecord) =>
  store.collection<GroupThreadRecord>(threadsKey(g.id));
export const groupPosts = (store: TenantStore, g: GroupRecord, t: GroupThreadRecord) =>
  store.collection<GroupPostRecord>(postsKey(g.id, t.key));

export function postView(
  store: TenantStore,
  g: GroupRecord,
  t: GroupThreadRecord,
  rec: GroupPostRecord,
): PostView {
  const id = postId(g.id, t.key, rec.key);
  const itemKey = `${t.key}/${rec.key}`;
  if (rec.stored) {
    const s = rec.stored;
    const attachments = s.attachments.map((a: StoredAttachment): AttachmentView => ({
      key: a.key,
      id: attachmentId(g.id, itemKey, a.key),
      kind: a.kind,
      name: a.name,
      contentType: a.contentType,
      isInline: a.isInline,
      contentId: a.contentId,
      modified: a.modified,
      size: async () => a.size,
      bytes: async () => (a.blob ? store.blobs.readAll(a.blob) : Buffer.alloc(0)),
    }));
    return { rec, id, from: s.from, created: s.created, modified: s.created, body: s.body, attachments };
  }
  const p = generatedPost(store, g, t.g ?? 0, rec.g ?? 0);
  const created = isoSeconds(p.created);
  const attachments = p.attachments.map((a): AttachmentView => ({
    key: a.key,
    id: attachmentId(g.id, itemKey, a.key),
    kind: 'file',
    name: a.name,
    contentType: a.contentType,
    isInline: false,
    contentId: null,
    modified: created,
    size: async () => generatedAttachmentBytes(store, a.file).length,
    bytes: async () => generatedAttachmentBytes(store, a.file),
  }));
  return { rec, id, from: rcpt(p.from), created, modified: created, body: p.body, attachments };
}

export function postsOf(store: TenantStore, g: GroupRecord, t: GroupThreadRecord): PostView[] {
  return groupPosts(store, g, t)
    .values()
    .map((p) => postView(store, g, t, p));
}

export function threadJson(
  store: TenantStore,
  g: GroupRecord,
  t: GroupThreadRecord,
): Record<string, unknown> {
  const posts = postsOf(store, g, t);
  const last = posts.reduce((m, p) => (p.created > m ? p.created : m), t.created ?? '');
  const latest = posts.find((p) => p.created === last) ?? posts[0];
  return {
    id: threadId(g.id, t.key),
    toRecipients: [{ emailAddress: { name: g.displayName, address: g.mail ?? '' } }],
    ccRecipients: [],
    topic: t.topic ?? threadPlan(store, g, t.g ?? 0).topic,
    hasAttachments: posts.some((p) => p.attachments.length > 0),
    lastDeliveredDateTime: last,
    uniqueSenders: [...new Set(posts.map((p) => p.from.emailAddress.name))],
    preview: latest ? previewOf(htmlToText(latest.body.content)) : '',
    isLocked: false,
  };
}

export function conversationJson(
  store: TenantStore,
  g: GroupRecord,
  key: string,
  threads: GroupThreadRecord[],
): Record<string, unknown> {
  const js = threads
    .map((t) => threadJson(store, g, t))
    .sort((a, b) => String(b['lastDeliveredDateTime']).localeCompare(String(a['lastDeliveredDateTime'])));
  const first = js[0] ?? {};
  return {
    id: conversationIdFor(g.id, key),
    topic: js[js.length - 1]?.['topic'] ?? '',
    hasAttachments: js.some((t) => t['hasAttachments'] === true),
    lastDeliveredDateTime: first['lastDeliveredDateTime'] ?? null,
    uniqueSenders: [...new Set(js.flatMap((t) => t['uniqueSenders'] as string[]))],
    preview: first['preview'] ?? '',
  };
}

export function postJson(
  g: GroupRecord,
  t: GroupThreadRecord,
  p: PostView,
  inReplyTo: string | null,
): Record<string, unknown> {
  const ck = changeKey(g.id, t.key, p.rec.key, p.rec.v);
  return {
    '@odata.etag': `W/"${ck}"`,
    id: p.id,
    createdDateTime: p.created,
    lastModifiedDateTime: p.modified,
    changeKey: ck,
    categories: [],
    receivedDateTime: p.created,
    hasAttachments: p.attachments.length > 0,
    body: p.body,
    from: p.from,
    sender: p.from,
    conversationThreadId: threadId(g.id, t.key),
    conversationId: conversationIdFor(g.id, t.conversationKey),
    newParticipants: [],
    ...(inReplyTo ? { inReplyTo: { id: inReplyTo } } : {}),
  };
}

/** A post from a request body (`{body, from?, attachments?}`); stored in the thread's collection. */
export function storePost(
  store: TenantStore,
  g: GroupRecord,
  t: GroupThreadRecord,
  raw: Record<string, unknown> | undefined,
  inReplyTo: string | null,
): void {
  if (!raw || typeof raw !== 'object')
    throw badRequest("A 'post' with a 'body' is required.", 'ErrorInvalidRequest');
  const body = raw['body'] as { contentType?: unknown; content?: unknown } | undefined;
  if (!body || typeof body.content !== 'string')
    throw badRequest("The post's 'body' is required.", 'ErrorInvalidRequest');
  const t0 = now();
  const groupAddress = rcpt({ name: g.displayName, address: g.mail ?? '' });
  const from = recipientFrom(raw['from'], 'from') ?? groupAddress;
  const pending: PendingBytes = {};
  const atts = Array.isArray(raw['attachments']) ? (raw['attachments'] as Record<string, unknown>[]) : [];
  const attachments = atts.map((a, i) => attachmentFromJson(store, a, String(i), t0, pending, from));
  const rec: GroupPostRecord = {
    key: `p${newKey()}`,
    stored: {
      body: {
        contentType: String(body.contentType).toLowerCase() === 'text' ? 'text' : 'html',
        content: body.content,
      },
      from,
      created: t0,
      attachments,
      inReplyTo,
    },
    v: 0,
  };
  store.put(postsKey(g.id, t.key), rec.key, rec);
}

/** A generated post answers the one before it; a stored one records what it replied to. */
export function replyTarget(p: PostView, posts: PostView[]): string | null {
  if (p.rec.stored) return p.rec.stored.inReplyTo;
  const i = posts.findIndex((x) => x.id === p.id);
  return i > 0 ? (posts[i - 1]?.id ?? null) : null;
}

export function createThreadRecord(
  store: TenantStore,
  g: GroupRecord,
  b: Record<string, unknown>,
): GroupThreadRecord {
  const posts = Array.isArray(b['posts']) ? (b['posts'] as Record<string, unknown>[]) : [];
  if (!posts.length)
    throw badRequest("A thread needs 'posts' with at least one post.", 'ErrorInvalidRequest');
  const t: GroupThreadRecord = {
    key: `t${newKey()}`,
    conversationKey: `c${newKey()}`,
    topic: typeof b['topic'] === 'string' ? b['topic'] : '',
    created: now(),
    v: 0,
  };
  store.put(threadsKey(g.id), t.key, t);
  for (const p of posts) storePost(store, g, t, p, null);
  return t;
}
