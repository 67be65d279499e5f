import { badRequest } from '../../core/odata.js';
import { buildMime } from '../../generator/formats/index.js';
import type { TenantStore } from '../../tenant/store.js';
import { conversationIndex, mailConversationId, strOr } from './ids.js';
import type { Recipient, StoredAttachment, StoredMessage } from './records.js';
import { mimeSpecOf, newInternetMessageId, type PendingBytes } from './stored.js';
import { isoSeconds } from '../shared/time.js';

/**
 * Messages and attachments from JSON request bodies (create message, add attachment). Unknown
 * properties are rejected as Graph does; `singleValueExtendedProperties` 0x0E07 / 0x0E06 / 0x0039
 * decide draft state and dates.
 */

const invalid = (message: string) => badRequest(message, 'RequestBodyRead');

export function recipientsFrom(value: unknown, prop: string): Recipient[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw invalid(`Invalid value for property '${prop}': an array of recipients is expected.`);
  return value.map((r) => recipientFrom(r, prop) as Recipient);
}

export function recipientFrom(value: unknown, prop: string): Recipient | null {
  if (value === undefined || value === null) return null;
  const e = (value as { emailAddress?: { address?: unknown; name?: unknown } }).emailAddress;
  if (!e || typeof e.address !== 'string' || !e.address.includes('@')) {
    throw badRequest(`At least one recipient in '${prop}' is not valid.`, 'ErrorInvalidRecipients');
  }
  return { emailAddress: { name: typeof e.name === 'string' ? e.name : e.address, address: e.address } };
}

const MESSAGE_PROPS = new Set([
  'subject',
  'body',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'replyTo',
  'from',
  'sender',
  'importance',
  'categories',
  'flag',
  'isRead',
  'internetMessageId',
  'isDeliveryReceiptRequested',
  'isReadReceiptRequested',
  'internetMessageHeaders',
  'attachments',
  'singleValueExtendedProperties',
  'multiValueExtendedProperties',
  'inferenceClassification',
  'parentFolderId',
  'uniqueBody',
  'bodyPreview',
  'id',
  'conversationId',
]);

export function checkMessageProps(body: Record<string, unknown>): void {
  for (const k of Object.keys(body)) {
    if (k.startsWith('@odata')) continue;
    if (!MESSAGE_PROPS.has(k))
      throw invalid(
        `The property '${k}' does not exist on type 'microsoft.graph.message'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
      );
  }
}

/** `singleValueExtendedProperties` that decide draft state and dates (MS-OXPROPS tags). */
function extendedProps(raw: unknown): {
  ext: { id: string; value: string }[];
  flags?: number;
  received?: string;
  sent?: string;
} {
  if (raw === undefined || raw === null) return { ext: [] };
  if (!Array.isArray(raw)) throw invalid("Invalid value for property 'singleValueExtendedProperties'.");
  const out: { ext: { id: string; value: string }[]; flags?: number; received?: string; sent?: string } = {
    ext: [],
  };
  for (const p of raw as { id?: unknown; value?: unknown }[]) {
    if (typeof p?.id !== 'string' || typeof p.value !== 'string')
      throw invalid('Extended properties need string id and value.');
    out.ext.push({ id: p.id, value: p.value });
    const id = p.id.trim().toLowerCase().replace(/\s+/g, ' ');
    if (id === 'integer 0x0e07') {
      const n = Number(p.value);
      if (!Number.isInteger(n))
        throw invalid(`Invalid value '${p.value}' for extended property 'Integer 0x0E07'.`);
      out.flags = n;
    } else if (id === 'systemtime 0x0e06' || id === 'systemtime 0x0039') {
      const t = Date.parse(p.value);
      if (Number.isNaN(t)) throw invalid(`Invalid SystemTime value '${p.value}'.`);
      if (id === 'systemtime 0x0e06') out.received = isoSeconds(t);
      else out.sent = isoSeconds(t);
    }
  }
  return out;
}

/** Attachments of a create body or `POST …/attachments`; bytes go to the blob store. */
export function attachmentFromJson(
  store: TenantStore,
  raw: Record<string, unknown>,
  key: string,
  now: string,
  pending: PendingBytes,
  owner: Recipient,
): StoredAttachment {
  const type = strOr(raw['@odata.type'], '')
    .replace(/^#?microsoft\.graph\./i, '')
    .toLowerCase();
  const name = typeof raw['name'] === 'string' ? raw['name'] : undefined;
  if (type === 'fileattachment') {
    if (typeof raw['contentBytes'] !== 'string')
      throw badRequest(
        "The 'contentBytes' property is required for a file attachment.",
        'ErrorInvalidProperty',
      );
    const bytes = Buffer.from(raw['contentBytes'], 'base64');
    pending[key] = bytes;
    return {
      key,
      kind: 'file',
      name: name ?? 'attachment',
      contentType: typeof raw['contentType'] === 'string' ? raw['contentType'] : 'application/octet-stream',
      size: bytes.length,
      isInline: raw['isInline'] === true,
      contentId: typeof raw['contentId'] === 'string' ? raw['contentId'] : null,
      blob: store.blobs.put(bytes),
      modified: now,
    };
  }
  if (type === 'itemattachment') {
    const item = raw['item'] as Record<string, unknown> | undefined;
    if (!item || typeof item !== 'object')
      throw badRequest("The 'item' property is required for an item attachment.", 'ErrorInvalidProperty');
    const s = storedFromJson(store, item, now, owner, { nested: true });
    const mime = buildMime(mimeSpecOf(s.message, s.pending));
    pending[key] = mime;
    return {
      key,
      kind: 'item',
      name: name ?? s.message.subject,
      contentType: 'message/rfc822',
      size: mime.length,
      isInline: false,
      contentId: null,
      blob: store.blobs.put(mime),
      modified: now,
    };
  }
  if (type === 'referenceattachment') {
    const url = typeof raw['sourceUrl'] === 'string' ? raw['sourceUrl'] : '';
    return {
      key,
      kind: 'reference',
      name: name ?? url,
      contentType: typeof raw['contentType'] === 'string' ? raw['contentType'] : 'text/plain',
      size: 300 + (name ?? '').length + url.length,
      isInline: false,
      contentId: null,
      blob: null,
      modified: now,
      url,
    };
  }
  throw badRequest(
    "The attachment's '@odata.type' must be fileAttachment, itemAttachment or referenceAttachment.",
    'ErrorInvalidProperty',
  );
}

/** A message from a JSON create body (drafts unless 0x0E07 says otherwise). */
export function storedFromJson(
  store: TenantStore,
  b: Record<string, unknown>,
  now: string,
  owner: Recipient,
  opts: { nested?: boolean } = {},
): { message: StoredMessage; pending: PendingBytes } {
  if (!opts.nested) checkMessageProps(b);
  const ext = extendedProps(b['singleValueExtendedProperties']);
  const body = b['body'] as { contentType?: unknown; content?: unknown } | undefined;
  const contentType = strOr(body?.contentType, 'text').toLowerCase() === 'html' ? 'html' : 'text';
  const importance = strOr(b['importance'], 'normal').toLowerCase();
  if (!['low', 'normal', 'high'].includes(importance))
    throw invalid(`Invalid value '${String(b['importance'])}' for property 'importance'.`);
  const isDraft = ext.flags === undefined ? true : (ext.flags & 0x8) !== 0;
  const from = recipientFrom(b['from'], 'from') ?? owner;
  const imid =
    typeof b['internetMessageId'] === 'string'
      ? b['internetMessageId']
      : newInternetMessageId(store.identity.domain);
  const bare = imid.replace(/^<|>$/g, '');
  const received = ext.received ?? now;
  const sent = ext.sent ?? (isDraft ? now : received);
  const headers = Array.isArray(b['internetMessageHeaders'])
    ? (b['internetMessageHeaders'] as { name?: unknown; value?: unknown }[])
    : [];
  for (const h of headers) {
    if (typeof h?.name !== 'string' || typeof h.value !== 'string' || !/^x-/i.test(h.name)) {
      throw badRequest(
        "Only custom headers starting with 'x-' or 'X-' can be set in 'internetMessageHeaders'.",
        'InvalidInternetMessageHeader',
      );
    }
  }
  const pending: PendingBytes = {};
  const atts = Array.isArray(b['attachments']) ? (b['attachments'] as Record<string, unknown>[]) : [];
  const flag = b['flag'] as StoredMessage['flag'] | undefined;
  const message: StoredMessage = {
    subject: typeof b['subject'] === 'string' ? b['subject'] : '',
    body: { contentType, content: typeof body?.content === 'string' ? body.content : '' },
    from,
    sender: recipientFrom(b['sender'], 'sender') ?? from,
    to: recipientsFrom(b['toRecipients'], 'toRecipients'),
    cc: recipientsFrom(b['ccRecipients'], 'ccRecipients'),
    bcc: recipientsFrom(b['bccRecipients'], 'bccRecipients'),
    replyTo: recipientsFrom(b['replyTo'], 'replyTo'),
    importance: importance as StoredMessage['importance'],
    isDraft,
    isRead:
      typeof b['isRead'] === 'boolean' ? b['isRead'] : ext.flags !== undefined ? (ext.flags & 1) !== 0 : true,
    flag:
      flag && typeof flag === 'object' && typeof flag.flagStatus === 'string'
        ? flag
        : { flagStatus: 'notFlagged' },
    categories: Array.isArray(b['categories']) ? (b['categories'] as unknown[]).map(String) : [],
    inferenceClassification: b['inferenceClassification'] === 'other' ? 'other' : 'focused',
    received,
    sent: sent,
    created: now,
    internetMessageId: `<${bare}>`,
    conversationId: mailConversationId(bare),
    conversationIndex: conversationIndex(bare, Date.parse(sent), 0),
    isDeliveryReceiptRequested:
      typeof b['isDeliveryReceiptRequested'] === 'boolean' ? b['isDeliveryReceiptRequested'] : false,
    isReadReceiptRequested: b['isReadReceiptRequested'] === true,
    headers: headers.map((h) => ({ name: String(h.name), value: String(h.value) })),
    attachments: [],
    mime: '',
    uploaded: false,
    ext: ext.ext,
    nextAttachment: 0,
  };
  for (const a of atts)
    message.attachments.push(
      attachmentFromJson(store, a, String(message.nextAttachment++), now, pending, owner),
    );
  return { message, pending };
}
