import { buildMime, type MimeMessageSpec } from '../../generator/formats/index.js';
import type { TenantStore } from '../../tenant/store.js';
import { fileBytes, type GeneratedFile } from './attachment-bytes.js';
import { textToHtml, type Person } from './content.js';
import {
  activityMessage,
  generatedIsRead,
  generatedMessage,
  generatedSummary,
  ownerOf,
  type GeneratedMessage,
  type GeneratedSummary,
} from './generated.js';
import { attachmentId, changeKey, conversationIndex, mailConversationId, messageId } from './ids.js';
import { entriesOf, type Mailbox } from './mailbox.js';
import { parseMime } from './mime-parse.js';
import type { FollowupFlag, MessageRecord, Recipient, StoredMessage } from './records.js';
import { isoSeconds } from '../shared/time.js';

/**
 * A message as Graph shows it, whatever its origin: generated from the plan, added by activity,
 * or created through Graph (stored). Heavy parts (attachment bytes, MIME) are functions.
 */

export interface AttachmentView {
  key: string;
  id: string;
  kind: 'file' | 'item' | 'reference';
  name: string;
  contentType: string;
  isInline: boolean;
  contentId: string | null;
  modified: string;
  size(): Promise<number>;
  bytes(): Promise<Buffer>;
  url?: string;
}

export interface MessageView {
  id: string;
  folderKey: string;
  rec: MessageRecord;
  changeKey: string;
  subject: string;
  from: Recipient | null;
  sender: Recipient | null;
  to: Recipient[];
  cc: Recipient[];
  bcc: Recipient[];
  replyTo: Recipient[];
  importance: 'low' | 'normal' | 'high';
  isRead: boolean;
  isDraft: boolean;
  flag: FollowupFlag;
  categories: string[];
  inferenceClassification: 'focused' | 'other';
  received: string;
  sent: string | null;
  created: string;
  modified: string;
  internetMessageId: string;
  conversationId: string;
  conversationIndex: string;
  isDeliveryReceiptRequested: boolean | null;
  isReadReceiptRequested: boolean;
  body: { contentType: 'text' | 'html'; content: string };
  uniqueBody: { contentType: 'text' | 'html'; content: string };
  attachments: AttachmentView[];
  hasAttachments: boolean;
  keyword?: string;
  headers(): Promise<{ name: string; value: string }[]>;
  mime(): Promise<Buffer>;
}

export const recipient = (p: Person): Recipient => ({ emailAddress: { name: p.name, address: p.address } });
const toPerson = (r: Recipient): Person => ({ name: r.emailAddress.name, address: r.emailAddress.address });

export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|tr|li|h\d)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export const previewOf = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 255);

/** The generated message behind a record (plan entry or activity). */
export function generatedOf(
  store: TenantStore,
  mb: Mailbox,
  fk: string,
  rec: MessageRecord,
): GeneratedMessage {
  const owner = ownerOf(store, mb.user);
  if (rec.act) return activityMessage(store, owner, rec.act.n, rec.act.at, fk);
  const entry = entriesOf(store, mb.key)[rec.g ?? -1];
  if (!entry) throw new Error(`mail: no generated entry ${rec.g} in ${mb.key}`);
  return generatedMessage(store, owner, entry, mb.archive);
}

/** The MIME of a generated message, byte-identical for the same state. */
export function generatedMimeSpec(store: TenantStore, g: GeneratedMessage): MimeMessageSpec {
  const c = g.content;
  const files = c.attachments.filter((a) => a.kind === 'file' && a.file);
  const items = c.attachments.filter((a) => a.kind === 'item' && a.file);
  return {
    from: c.from,
    to: c.to,
    cc: c.cc,
    ...(g.showBcc && c.bcc.length ? { bcc: c.bcc } : {}),
    ...(c.replyTo.length ? { replyTo: c.replyTo } : {}),
    subject: c.subject,
    date: new Date(c.sent),
    messageId: c.messageId,
    ...(c.inReplyTo ? { inReplyTo: c.inReplyTo } : {}),
    ...(c.references.length ? { references: c.references } : {}),
    ...(c.importance !== 'normal' ? { importance: c.importance } : {}),
    textBody: c.text,
    ...(c.html !== undefined ? { htmlBody: c.html } : {}),
    attachments: files.map((a) => ({
      filename: a.name,
      contentType: a.contentType,
      content: fileBytes(store, a.file as GeneratedFile),
      ...(a.contentId ? { contentId: a.contentId } : {}),
    })),
    messageAttachments: items.map((a) => ({
      filename: `${a.name}.eml`,
      mime: fileBytes(store, a.file as GeneratedFile),
    })),
    extraHeaders: g.extraHeaders,
  };
}

function generatedView(store: TenantStore, mb: Mailbox, fk: string, rec: MessageRecord): MessageView {
  const g = generatedOf(store, mb, fk, rec);
  const c = g.content;
  const p = rec.p ?? {};
  const modified = rec.m ?? isoSeconds(g.modified);
  const attachments: AttachmentView[] = c.attachments.map((a) => {
    const bytes = () => (a.file ? fileBytes(store, a.file) : Buffer.alloc(0));
    return {
      key: a.key,
      id: attachmentId(mb.key, rec.k, a.key),
      kind: a.kind,
      name: a.name,
      contentType: a.contentType,
      isInline: a.inline,
      contentId: a.contentId ?? null,
      modified: isoSeconds(g.created),
      size: async () =>
        a.kind === 'reference' ? 300 + a.name.length + (a.url?.length ?? 0) : bytes().length,
      bytes: async () => bytes(),
      ...(a.url ? { url: a.url } : {}),
    };
  });
  const html = c.html !== undefined;
  let mimeCache: Buffer | undefined;
  const mime = async () => (mimeCache ??= buildMime(generatedMimeSpec(store, g)));
  return {
    id: messageId(mb.key, fk, rec.k),
    folderKey: fk,
    rec,
    changeKey: changeKey(mb.key, rec.k, rec.v),
    subject: c.subject,
    from: recipient(c.from),
    sender: recipient(c.from),
    to: c.to.map(recipient),
    cc: c.cc.map(recipient),
    bcc: g.showBcc ? c.bcc.map(recipient) : [],
    replyTo: c.replyTo.map(recipient),
    importance: c.importance,
    isRead: p.isRead ?? g.isRead,
    isDraft: g.isDraft,
    flag: p.flag ?? g.flag,
    categories: p.categories ?? g.categories,
    inferenceClassification: p.inferenceClassification ?? g.inferenceClassification,
    received: isoSeconds(g.received),
    sent: isoSeconds(c.sent),
    created: rec.cr ?? isoSeconds(g.created),
    modified,
    internetMessageId: `<${c.messageId}>`,
    conversationId: mailConversationId(c.rootMessageId),
    conversationIndex: conversationIndex(c.rootMessageId, c.rootSent, c.depth),
    isDeliveryReceiptRequested: false,
    isReadReceiptRequested: false,
    body: html
      ? { contentType: 'html', content: c.html as string }
      : { contentType: 'text', content: c.text },
    uniqueBody: html
      ? { contentType: 'html', content: textToHtml(c.uniqueText) }
      : { contentType: 'text', content: c.uniqueText },
    attachments,
    hasAttachments: c.attachments.some((a) => !a.inline),
    ...(c.keyword ? { keyword: c.keyword } : {}),
    headers: async () => parseMime(await mime()).headers,
    mime,
  };
}

function storedView(
  store: TenantStore,
  mb: Mailbox,
  fk: string,
  rec: MessageRecord,
  s: StoredMessage,
): MessageView {
  const attachments: AttachmentView[] = s.attachments.map((a) => ({
    key: a.key,
    id: attachmentId(mb.key, rec.k, a.key),
    kind: a.kind,
    name: a.name,
    contentType: a.contentType,
    isInline: a.isInline,
    contentId: a.contentId,
    modified: a.modified,
    size: async () => a.size,
    bytes: async () => (a.blob ? store.blobs.readAll(a.blob) : Buffer.alloc(0)),
    ...(a.url ? { url: a.url } : {}),
  }));
  const unique =
    s.body.contentType === 'html' ? s.body : { contentType: 'text' as const, content: s.body.content };
  return {
    id: messageId(mb.key, fk, rec.k),
    folderKey: fk,
    rec,
    changeKey: changeKey(mb.key, rec.k, rec.v),
    subject: s.subject,
    from: s.from,
    sender: s.sender,
    to: s.to,
    cc: s.cc,
    bcc: s.bcc,
    replyTo: s.replyTo,
    importance: s.importance,
    isRead: s.isRead,
    isDraft: s.isDraft,
    flag: s.flag,
    categories: s.categories,
    inferenceClassification: s.inferenceClassification,
    received: s.received,
    sent: s.sent,
    created: rec.cr ?? s.created,
    modified: rec.m ?? s.created,
    internetMessageId: s.internetMessageId,
    conversationId: s.conversationId,
    conversationIndex: s.conversationIndex,
    isDeliveryReceiptRequested: s.isDeliveryReceiptRequested,
    isReadReceiptRequested: s.isReadReceiptRequested,
    body: s.body,
    uniqueBody: unique,
    attachments,
    hasAttachments: s.attachments.some((a) => !a.isInline),
    headers: async () => s.headers,
    mime: () => store.blobs.readAll(s.mime),
  };
}

/** receivedDateTime and isRead without generating content: for sorting, counts and filters. */
export function quickFacts(
  store: TenantStore,
  mb: Mailbox,
  rec: MessageRecord,
): { received: string; isRead: boolean } {
  if (rec.s) return { received: rec.s.received, isRead: rec.s.isRead };
  if (rec.act) return { received: rec.act.at, isRead: rec.p?.isRead ?? false };
  const entry = entriesOf(store, mb.key)[rec.g ?? -1];
  if (!entry) return { received: isoSeconds(0), isRead: true };
  return {
    received: isoSeconds(entry.at),
    isRead: rec.p?.isRead ?? generatedIsRead(store, ownerOf(store, mb.user), entry, mb.archive),
  };
}

/** Attachment count, hasAttachments and seeded keyword, without generating the message. */
export function summaryOf(store: TenantStore, mb: Mailbox, rec: MessageRecord): GeneratedSummary {
  if (rec.s)
    return {
      attachments: rec.s.attachments.length,
      hasAttachments: rec.s.attachments.some((a) => !a.isInline),
    };
  const owner = ownerOf(store, mb.user);
  if (rec.act)
    return generatedSummary(store, owner, { t: 'act', label: `act/${owner.uid}/${rec.act.n}` }, false);
  const entry = entriesOf(store, mb.key)[rec.g ?? -1];
  return entry
    ? generatedSummary(store, owner, entry, mb.archive)
    : { attachments: 0, hasAttachments: false };
}

export function messageView(store: TenantStore, mb: Mailbox, fk: string, rec: MessageRecord): MessageView {
  return rec.s ? storedView(store, mb, fk, rec, rec.s) : generatedView(store, mb, fk, rec);
}

export { toPerson };
