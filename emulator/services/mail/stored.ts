import { createHash, randomBytes } from 'node:crypto';
import { buildMime, type MimeMessageSpec } from '../../generator/formats/index.js';
import type { TenantStore } from '../../tenant/store.js';
import { conversationIndex, mailConversationId } from './ids.js';
import { parseMime, type ParsedAddress } from './mime-parse.js';
import type { Recipient, StoredAttachment, StoredMessage } from './records.js';
import { htmlToText, type MessageView } from './view.js';
import { isoSeconds } from '../shared/time.js';

/**
 * Messages created through Graph (JSON or MIME) and generated messages whose content was edited:
 * properties in the record, bytes (MIME, attachments) in the blob store. `$value` of a
 * MIME-created message is the uploaded MIME itself; otherwise MIME is built from the properties.
 */

const parsedRecipient = (a: ParsedAddress): Recipient => ({
  emailAddress: { name: a.name, address: a.address },
});

export function newInternetMessageId(domain: string): string {
  const h = randomBytes(16).toString('hex').toUpperCase();
  return `<${h.slice(0, 12)}${h.slice(12, 28)}@${h.slice(0, 12)}.${domain.replace(/\.onmicrosoft\.com$/, '')}.prod.outlook.com>`;
}

export interface PendingBytes {
  [attKey: string]: Buffer;
}

/** The MIME of a stored message, built from its properties (attachment bytes supplied). */
export function mimeSpecOf(s: StoredMessage, bytes: PendingBytes): MimeMessageSpec {
  const addr = (r: Recipient) => ({ name: r.emailAddress.name, address: r.emailAddress.address });
  const text = s.body.contentType === 'html' ? htmlToText(s.body.content) : s.body.content;
  const bare = s.internetMessageId.replace(/^<|>$/g, '');
  return {
    from: addr(s.from ?? { emailAddress: { name: '', address: 'unknown@invalid' } }),
    ...(s.sender && s.sender.emailAddress.address !== s.from?.emailAddress.address
      ? { sender: addr(s.sender) }
      : {}),
    to: s.to.map(addr),
    cc: s.cc.map(addr),
    bcc: s.bcc.map(addr),
    replyTo: s.replyTo.map(addr),
    subject: s.subject,
    date: new Date(s.sent ?? s.created),
    messageId: bare || createHash('sha1').update(s.created).digest('hex'),
    ...(s.inReplyTo ? { inReplyTo: s.inReplyTo } : {}),
    ...(s.references?.length ? { references: s.references } : {}),
    ...(s.importance !== 'normal' ? { importance: s.importance } : {}),
    textBody: text,
    ...(s.body.contentType === 'html' ? { htmlBody: s.body.content } : {}),
    attachments: s.attachments
      .filter((a) => a.kind === 'file')
      .map((a) => ({
        filename: a.name,
        contentType: a.contentType,
        content: bytes[a.key] ?? Buffer.alloc(0),
        ...(a.contentId ? { contentId: a.contentId } : {}),
      })),
    messageAttachments: s.attachments
      .filter((a) => a.kind === 'item')
      .map((a) => ({ filename: `${a.name}.eml`, mime: bytes[a.key] ?? Buffer.alloc(0) })),
    extraHeaders: s.headers
      .filter((h) => /^x-/i.test(h.name))
      .map((h) => [h.name, h.value] as [string, string]),
  };
}

/** Rebuilds `$value` after a content change; bytes not in `pending` are read from the blob store. */
export async function rebuildMime(
  store: TenantStore,
  s: StoredMessage,
  pending: PendingBytes = {},
): Promise<void> {
  const bytes: PendingBytes = { ...pending };
  for (const a of s.attachments)
    if (a.blob && !bytes[a.key]) bytes[a.key] = await store.blobs.readAll(a.blob);
  s.mime = store.blobs.put(buildMime(mimeSpecOf(s, bytes)));
  s.uploaded = false;
}

/** A draft from uploaded MIME: the MIME is kept byte-for-byte; properties come from its headers. */
export function storedFromMime(store: TenantStore, raw: Buffer, now: string): StoredMessage {
  const p = parseMime(raw);
  const bare = p.messageId ?? newInternetMessageId(store.identity.domain).slice(1, -1);
  const root = p.references[0] ?? p.inReplyTo ?? bare;
  const sent = p.date ? isoSeconds(p.date.getTime()) : now;
  const threadIndex = p.headers.find((h) => h.name.toLowerCase() === 'thread-index')?.value;
  const s: StoredMessage = {
    subject: p.subject,
    body:
      p.html !== null
        ? { contentType: 'html', content: p.html }
        : { contentType: 'text', content: p.text ?? '' },
    from: p.from[0] ? parsedRecipient(p.from[0]) : null,
    sender: p.sender[0] ? parsedRecipient(p.sender[0]) : p.from[0] ? parsedRecipient(p.from[0]) : null,
    to: p.to.map(parsedRecipient),
    cc: p.cc.map(parsedRecipient),
    bcc: p.bcc.map(parsedRecipient),
    replyTo: p.replyTo.map(parsedRecipient),
    importance: p.importance,
    isDraft: true,
    isRead: true,
    flag: { flagStatus: 'notFlagged' },
    categories: [],
    inferenceClassification: 'focused',
    received: now,
    sent,
    created: now,
    internetMessageId: `<${bare}>`,
    conversationId: mailConversationId(root),
    conversationIndex:
      threadIndex && /^[A-Za-z0-9+/=]+$/.test(threadIndex)
        ? threadIndex
        : conversationIndex(root, Date.parse(sent), p.references.length),
    ...(p.inReplyTo ? { inReplyTo: p.inReplyTo } : {}),
    ...(p.references.length ? { references: p.references } : {}),
    isDeliveryReceiptRequested: null,
    isReadReceiptRequested: false,
    headers: p.headers,
    attachments: [],
    mime: store.blobs.put(raw),
    uploaded: true,
    ext: [],
    nextAttachment: 0,
  };
  for (const a of p.attachments) {
    const key = String(s.nextAttachment++);
    const name = a.isMessage ? parseMime(a.content).subject || a.filename.replace(/\.eml$/i, '') : a.filename;
    s.attachments.push({
      key,
      kind: a.isMessage ? 'item' : 'file',
      name,
      contentType: a.contentType,
      size: a.content.length,
      isInline: a.inline,
      contentId: a.contentId,
      blob: store.blobs.put(a.content),
      modified: now,
    });
  }
  return s;
}

/** A generated message turned into a stored one (its content is about to change). */
export async function storedFromView(store: TenantStore, v: MessageView): Promise<StoredMessage> {
  const attachments: StoredAttachment[] = [];
  for (const a of v.attachments) {
    const bytes = a.kind === 'reference' ? null : await a.bytes();
    attachments.push({
      key: a.key,
      kind: a.kind,
      name: a.name,
      contentType: a.contentType,
      size: await a.size(),
      isInline: a.isInline,
      contentId: a.contentId,
      blob: bytes ? store.blobs.put(bytes) : null,
      modified: a.modified,
      ...(a.url ? { url: a.url } : {}),
    });
  }
  const all = await v.headers();
  const get = (n: string) => all.find((h) => h.name.toLowerCase() === n)?.value;
  const inReplyTo = get('in-reply-to')?.trim().replace(/^<|>$/g, '');
  const references = (get('references')?.match(/<[^>]+>/g) ?? []).map((x) => x.slice(1, -1));
  return {
    subject: v.subject,
    body: v.body,
    from: v.from,
    sender: v.sender,
    to: v.to,
    cc: v.cc,
    bcc: v.bcc,
    replyTo: v.replyTo,
    importance: v.importance,
    isDraft: v.isDraft,
    isRead: v.isRead,
    flag: v.flag,
    categories: v.categories,
    inferenceClassification: v.inferenceClassification,
    received: v.received,
    sent: v.sent,
    created: v.created,
    internetMessageId: v.internetMessageId,
    conversationId: v.conversationId,
    conversationIndex: v.conversationIndex,
    isDeliveryReceiptRequested: v.isDeliveryReceiptRequested,
    isReadReceiptRequested: v.isReadReceiptRequested,
    ...(inReplyTo ? { inReplyTo } : {}),
    ...(references.length ? { references } : {}),
    headers: all.filter((h) => /^x-/i.test(h.name)),
    attachments,
    mime: '',
    uploaded: false,
    ext: [],
    nextAttachment: attachments.reduce((n, a) => Math.max(n, Number(a.key) + 1), 0),
  };
}
