import type { EmuRequest } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import { textToHtml } from './content.js';
import { folderId } from './ids.js';
import { liveFolders, type Mailbox } from './mailbox.js';
import { parseMime } from './mime-parse.js';
import type { FolderRecord, Recipient } from './records.js';
import { htmlToText, previewOf, type AttachmentView, type MessageView } from './view.js';
import { isoSeconds } from '../shared/time.js';

/** Graph JSON of messages, attachments and mail folders. */

export interface ProjectOptions {
  /** Caller has only Mail.ReadBasic.All: no body, preview or attachments. */
  basic: boolean;
  /** `Prefer: outlook.body-content-type="text"` (or html). */
  bodyType: 'text' | 'html' | null;
  expandAttachments: boolean;
  /** `$expand=attachments($select=…)`: the attachment fields wanted (null: all). */
  attachmentFields: Set<string> | null;
  /** `$expand=singleValueExtendedProperties($filter=id eq '…')`. */
  extFilter: string | null;
  odataType: boolean;
}

export function selectedFields(req: EmuRequest): Set<string> | null {
  const raw = req.query.get('$select');
  return raw ? new Set(raw.split(',').map((s) => s.trim())) : null;
}

export function projectOptions(req: EmuRequest): ProjectOptions {
  const perms = req.caller?.permissions ?? new Set<string>();
  const prefer = req.headers['prefer'] ?? '';
  const bt = /outlook\.body-content-type="?(text|html)"?/i.exec(prefer)?.[1]?.toLowerCase();
  const expand = req.query.get('$expand') ?? '';
  const ext = /singleValueExtendedProperties(?:\(\$filter=([^)]*)\))?/i.exec(expand);
  return {
    basic: !perms.has('Mail.Read') && !perms.has('Mail.ReadWrite') && perms.has('Mail.ReadBasic.All'),
    bodyType: bt === 'text' || bt === 'html' ? bt : null,
    expandAttachments: /(^|,)\s*attachments\b/i.test(expand),
    attachmentFields: attachmentSelect(expand),
    extFilter: ext ? (ext[1] ?? '') : null,
    odataType: false,
  };
}

/** The nested `$select` of `$expand=attachments($select=a,b)`, or null. */
function attachmentSelect(expand: string): Set<string> | null {
  const m = /(?:^|,)\s*attachments\s*\(\s*\$select=([^);]*)/i.exec(expand);
  return m?.[1] ? new Set(m[1].split(',').map((f) => f.trim())) : null;
}

function bodyAs(body: { contentType: 'text' | 'html'; content: string }, want: 'text' | 'html' | null) {
  if (!want || want === body.contentType) return body;
  return want === 'text'
    ? { contentType: 'text', content: htmlToText(body.content) }
    : { contentType: 'html', content: textToHtml(body.content) };
}

export async function attachmentJson(
  a: AttachmentView,
  opts: { withContent: boolean; expandItem: boolean },
): Promise<Record<string, unknown>> {
  const base = {
    '@odata.type': `#microsoft.graph.${a.kind}Attachment`,
    id: a.id,
    lastModifiedDateTime: a.modified,
    name: a.name,
    contentType: a.kind === 'item' ? null : a.contentType,
    size: await a.size(),
    isInline: a.isInline,
  };
  if (a.kind === 'file') {
    const out: Record<string, unknown> = {
      '@odata.mediaContentType': a.contentType,
      ...base,
      contentId: a.contentId,
      contentLocation: null,
    };
    if (opts.withContent) out['contentBytes'] = (await a.bytes()).toString('base64');
    return out;
  }
  if (a.kind === 'item' && opts.expandItem) return { ...base, item: embeddedItemJson(await a.bytes()) };
  return base;
}

/** An item attachment's message, read back from its MIME (it has no id of its own). */
export function embeddedItemJson(mime: Buffer): Record<string, unknown> {
  const p = parseMime(mime);
  const r = (a: { name: string; address: string }): Recipient => ({
    emailAddress: { name: a.name, address: a.address },
  });
  const sent = p.date ? isoSeconds(p.date.getTime()) : null;
  const body =
    p.html !== null
      ? { contentType: 'html', content: p.html }
      : { contentType: 'text', content: p.text ?? '' };
  return {
    '@odata.type': '#microsoft.graph.message',
    id: '',
    createdDateTime: sent,
    lastModifiedDateTime: sent,
    receivedDateTime: sent,
    sentDateTime: sent,
    hasAttachments: p.attachments.some((a) => !a.inline),
    internetMessageId: p.messageId ? `<${p.messageId}>` : null,
    subject: p.subject,
    bodyPreview: previewOf(p.text ?? htmlToText(p.html ?? '')),
    importance: p.importance,
    isRead: true,
    isDraft: false,
    body,
    sender: p.sender[0] ? r(p.sender[0]) : p.from[0] ? r(p.from[0]) : null,
    from: p.from[0] ? r(p.from[0]) : null,
    toRecipients: p.to.map(r),
    ccRecipients: p.cc.map(r),
    bccRecipients: p.bcc.map(r),
    replyTo: p.replyTo.map(r),
    flag: { flagStatus: 'notFlagged' },
  };
}

/** Graph's message resource. uniqueBody and internetMessageHeaders only when `$select` names them. */
export async function messageJson(
  req: EmuRequest,
  mb: Mailbox,
  v: MessageView,
  opts: ProjectOptions,
): Promise<Record<string, unknown>> {
  const sel = selectedFields(req);
  const body = bodyAs(v.body, opts.bodyType);
  const text = v.body.contentType === 'html' ? htmlToText(v.body.content) : v.body.content;
  const out: Record<string, unknown> = {};
  if (opts.odataType) out['@odata.type'] = '#microsoft.graph.message';
  Object.assign(out, {
    '@odata.etag': `W/"${v.changeKey}"`,
    id: v.id,
    createdDateTime: v.created,
    lastModifiedDateTime: v.modified,
    changeKey: v.changeKey,
    categories: v.categories,
    receivedDateTime: v.received,
    sentDateTime: v.sent,
    hasAttachments: v.hasAttachments,
    internetMessageId: v.internetMessageId,
    subject: v.subject,
    ...(opts.basic ? {} : { bodyPreview: previewOf(text) }),
    importance: v.importance,
    parentFolderId: folderId(mb.key, v.folderKey),
    conversationId: v.conversationId,
    conversationIndex: v.conversationIndex,
    isDeliveryReceiptRequested: v.isDeliveryReceiptRequested,
    isReadReceiptRequested: v.isReadReceiptRequested,
    isRead: v.isRead,
    isDraft: v.isDraft,
    webLink: `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(v.id)}&exvsurl=1&viewmodel=ReadMessageItem`,
    inferenceClassification: v.inferenceClassification,
    ...(opts.basic ? {} : { body }),
    sender: v.sender,
    from: v.from,
    toRecipients: v.to,
    ccRecipients: v.cc,
    bccRecipients: v.bcc,
    replyTo: v.replyTo,
    flag: v.flag,
  });
  if (sel?.has('uniqueBody') && !opts.basic) out['uniqueBody'] = bodyAs(v.uniqueBody, opts.bodyType);
  if (sel?.has('internetMessageHeaders')) out['internetMessageHeaders'] = await v.headers();
  if (opts.expandAttachments && !opts.basic) {
    const fields = opts.attachmentFields;
    // Content is only read (and base64-encoded) when the nested $select asks for it.
    const withContent = !fields || fields.has('contentBytes');
    out['attachments'] = await Promise.all(
      v.attachments.map(async (a) => {
        const json = await attachmentJson(a, { withContent, expandItem: false });
        if (!fields) return json;
        return Object.fromEntries(
          Object.entries(json).filter(([k]) => k === 'id' || k.startsWith('@') || fields.has(k)),
        );
      }),
    );
  }
  if (opts.extFilter !== null) {
    const wanted = /id\s+eq\s+'([^']*)'/i.exec(opts.extFilter)?.[1];
    const id = wanted === undefined ? undefined : normalizeExtId(wanted);
    out['singleValueExtendedProperties'] = extendedProperties(v).filter((e) => !id || e.id === id);
  }
  return out;
}

/** `Integer 0x0E07` → `Integer 0xe07`, the form Graph answers with; named properties keep their text. */
export function normalizeExtId(id: string): string {
  const m = /^\s*(\w+)\s+0x([0-9a-f]+)\s*$/i.exec(id);
  if (!m) return id.trim();
  const type = (m[1] as string).charAt(0).toUpperCase() + (m[1] as string).slice(1).toLowerCase();
  return `${type.replace(/^Systemtime$/, 'SystemTime')} 0x${parseInt(m[2] as string, 16).toString(16)}`;
}

/**
 * Extended properties of a message: PidTagMessageFlags, delivery and submit time (always present
 * in Exchange) plus whatever a client stored on create or update.
 */
function extendedProperties(v: MessageView): { id: string; value: string }[] {
  const flags = (v.isRead ? 0x1 : 0) | (v.isDraft ? 0x8 : 0) | (v.hasAttachments ? 0x10 : 0);
  const out = new Map<string, string>([
    [normalizeExtId('Integer 0x0E07'), String(flags)],
    [normalizeExtId('SystemTime 0x0E06'), v.received],
  ]);
  if (v.sent) out.set(normalizeExtId('SystemTime 0x0039'), v.sent);
  for (const e of v.rec.s?.ext ?? []) {
    const id = normalizeExtId(e.id);
    if (!out.has(id)) out.set(id, e.value);
  }
  return [...out].map(([id, value]) => ({ id, value }));
}

export function folderJson(
  req: EmuRequest,
  store: TenantStore,
  mb: Mailbox,
  f: FolderRecord,
  counts: { total: number; unread: number },
): Record<string, unknown> {
  const children = liveFolders(store, mb).filter((c) => c.parentKey === f.key).length;
  const out: Record<string, unknown> = {};
  if (f.search) out['@odata.type'] = '#microsoft.graph.mailSearchFolder';
  Object.assign(out, {
    id: f.id,
    displayName: f.displayName,
    parentFolderId: folderId(mb.key, f.parentKey ?? '__root'),
    childFolderCount: children,
    unreadItemCount: counts.unread,
    totalItemCount: counts.total,
    isHidden: f.isHidden,
  });
  if (req.apiVersion === 'beta') out['wellKnownName'] = f.wellKnownName;
  if (f.search) {
    Object.assign(out, {
      isSupported: true,
      includeNestedFolders: f.search.includeNestedFolders,
      sourceFolderIds: f.search.sourceKeys.map((k) => folderId(mb.key, k)),
      filterQuery: f.search.filterQuery,
    });
  }
  return out;
}
