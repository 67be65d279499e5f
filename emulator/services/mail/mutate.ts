import { badRequest } from '../../core/odata.js';
import type { TenantStore } from '../../tenant/store.js';
import { saveChanged } from './common.js';
import type { Mailbox } from './mailbox.js';
import type { Located } from './query.js';
import type { FollowupFlag, MessagePatch, MessageRecord, StoredMessage } from './records.js';
import { checkMessageProps, recipientFrom, recipientsFrom } from './stored-json.js';
import { rebuildMime, storedFromView } from './stored.js';
import { messageView } from './view.js';
import { strOr } from './ids.js';

/**
 * Message updates (PATCH and activity). Read state, flag, categories and inference class are
 * stored as a patch of a generated message; anything that changes content (subject, body,
 * recipients, importance) turns the message into a stored one and rebuilds its MIME.
 */

const STATE = new Set(['isRead', 'flag', 'categories', 'inferenceClassification']);
/** Updatable only while `isDraft` (Graph's update-message documentation). */
const DRAFT_ONLY = new Set([
  'subject',
  'body',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'replyTo',
  'from',
  'sender',
  'internetMessageId',
]);
const ALSO = new Set([
  'importance',
  'isDeliveryReceiptRequested',
  'isReadReceiptRequested',
  'singleValueExtendedProperties',
]);

function stateOf(b: Record<string, unknown>): MessagePatch {
  const p: MessagePatch = {};
  if ('isRead' in b) {
    if (typeof b['isRead'] !== 'boolean')
      throw badRequest("Invalid value for property 'isRead'.", 'RequestBodyRead');
    p.isRead = b['isRead'];
  }
  if ('flag' in b) {
    const f = b['flag'] as FollowupFlag | null;
    if (
      !f ||
      typeof f !== 'object' ||
      !['notFlagged', 'flagged', 'complete'].includes(String(f.flagStatus))
    ) {
      throw badRequest("Invalid value for property 'flag'.", 'RequestBodyRead');
    }
    p.flag = {
      flagStatus: f.flagStatus,
      ...(f.startDateTime ? { startDateTime: f.startDateTime } : {}),
      ...(f.dueDateTime ? { dueDateTime: f.dueDateTime } : {}),
      ...(f.completedDateTime ? { completedDateTime: f.completedDateTime } : {}),
    };
  }
  if ('categories' in b) {
    if (!Array.isArray(b['categories']))
      throw badRequest("Invalid value for property 'categories'.", 'RequestBodyRead');
    p.categories = (b['categories'] as unknown[]).map(String);
  }
  if ('inferenceClassification' in b) {
    const v = b['inferenceClassification'];
    if (v !== 'focused' && v !== 'other')
      throw badRequest("Invalid value for property 'inferenceClassification'.", 'RequestBodyRead');
    p.inferenceClassification = v;
  }
  return p;
}

function applyContent(s: StoredMessage, b: Record<string, unknown>): boolean {
  let mime = false;
  if ('subject' in b) {
    s.subject = strOr(b['subject'], '');
    mime = true;
  }
  if ('body' in b) {
    const body = b['body'] as { contentType?: unknown; content?: unknown } | null;
    s.body = {
      contentType: strOr(body?.contentType, 'text').toLowerCase() === 'html' ? 'html' : 'text',
      content: typeof body?.content === 'string' ? body.content : '',
    };
    mime = true;
  }
  const lists: [string, 'to' | 'cc' | 'bcc' | 'replyTo'][] = [
    ['toRecipients', 'to'],
    ['ccRecipients', 'cc'],
    ['bccRecipients', 'bcc'],
    ['replyTo', 'replyTo'],
  ];
  for (const [prop, field] of lists) {
    if (prop in b) {
      s[field] = recipientsFrom(b[prop], prop);
      mime = true;
    }
  }
  if ('from' in b) {
    s.from = recipientFrom(b['from'], 'from');
    mime = true;
  }
  if ('sender' in b) s.sender = recipientFrom(b['sender'], 'sender');
  if ('importance' in b) {
    const v = String(b['importance']).toLowerCase();
    if (!['low', 'normal', 'high'].includes(v))
      throw badRequest("Invalid value for property 'importance'.", 'RequestBodyRead');
    s.importance = v as StoredMessage['importance'];
    mime = true;
  }
  if ('internetMessageId' in b && typeof b['internetMessageId'] === 'string') {
    s.internetMessageId = `<${b['internetMessageId'].replace(/^<|>$/g, '')}>`;
    mime = true;
  }
  if ('isDeliveryReceiptRequested' in b)
    s.isDeliveryReceiptRequested = b['isDeliveryReceiptRequested'] === true;
  if ('isReadReceiptRequested' in b) s.isReadReceiptRequested = b['isReadReceiptRequested'] === true;
  if (Array.isArray(b['singleValueExtendedProperties'])) {
    for (const p of b['singleValueExtendedProperties'] as { id?: unknown; value?: unknown }[]) {
      if (typeof p?.id !== 'string' || typeof p.value !== 'string') continue;
      s.ext = [
        ...s.ext.filter((e) => e.id.toLowerCase() !== (p.id as string).toLowerCase()),
        { id: p.id, value: p.value },
      ];
    }
  }
  return mime;
}

/** Applies an update; `graph` enforces what Graph allows on sent (non-draft) messages. */
export async function updateMessage(
  store: TenantStore,
  mb: Mailbox,
  loc: Located,
  b: Record<string, unknown>,
  opts: { graph: boolean },
): Promise<Located> {
  checkMessageProps(b);
  const keys = Object.keys(b).filter((k) => !k.startsWith('@odata'));
  for (const k of keys)
    if (!STATE.has(k) && !DRAFT_ONLY.has(k) && !ALSO.has(k))
      throw badRequest(`The property '${k}' is read-only and cannot be updated.`, 'ErrorInvalidPropertySet');
  const view = messageView(store, mb, loc.fk, loc.rec);
  if (opts.graph && !view.isDraft && keys.some((k) => DRAFT_ONLY.has(k))) {
    throw badRequest(
      'Update operation is not supported for some property or properties on a sent message.',
      'ErrorInvalidPropertyUpdateSentMessage',
    );
  }
  const state = stateOf(b);
  const content = keys.filter((k) => !STATE.has(k));
  if (content.length === 0 && !loc.rec.s)
    return saveChanged(store, mb, loc, { ...loc.rec, p: { ...loc.rec.p, ...state } });
  const s: StoredMessage = loc.rec.s ? structuredClone(loc.rec.s) : await storedFromView(store, view);
  Object.assign(s, state);
  const mimeChanged = applyContent(s, b);
  if (mimeChanged || !s.mime) await rebuildMime(store, s);
  const rec: MessageRecord = {
    k: loc.rec.k,
    s,
    v: loc.rec.v,
    c0: loc.rec.c0,
    ...(loc.rec.cr ? { cr: loc.rec.cr } : {}),
  };
  return saveChanged(store, mb, loc, rec);
}

/** A generated message as a stored one, for changes to its attachments. */
export async function ensureStored(store: TenantStore, mb: Mailbox, loc: Located): Promise<StoredMessage> {
  if (loc.rec.s) return structuredClone(loc.rec.s);
  const s = await storedFromView(store, messageView(store, mb, loc.fk, loc.rec));
  await rebuildMime(store, s);
  return s;
}
