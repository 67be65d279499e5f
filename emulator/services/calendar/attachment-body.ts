import { GraphHttpError, badRequest } from '../../core/odata.js';
import type { TenantStore } from '../../tenant/store.js';
import { invalidValue, textArg, unknownProperty } from '../shared/exchange.js';
import { attachmentBytes, attachmentSize, CONTENT_TYPES } from './attachment-content.js';
import type { Owner } from './owners.js';
import type { AttachmentRecord } from './records.js';
import { outlookTimestamp } from '../shared/time.js';

/** Event attachments in and out of Graph's JSON: `POST .../attachments` bodies and the attachment resource. */

/** Graph's limit for attachments posted inline; larger files need an upload session. */
export const MAX_INLINE_ATTACHMENT = 3 * 1024 * 1024;

const COMMON = ['@odata.type', 'name', 'contentType', 'isInline', 'size', 'id', 'lastModifiedDateTime'];
const ALLOWED: Record<AttachmentRecord['kind'], string[]> = {
  file: [...COMMON, 'contentBytes', 'contentId', 'contentLocation'],
  item: [...COMMON, 'item'],
  reference: [...COMMON, 'sourceUrl', 'providerType', 'thumbnailUrl', 'previewUrl', 'permission', 'isFolder'],
};
const TYPE_NAMES: Record<string, AttachmentRecord['kind']> = {
  '#microsoft.graph.fileattachment': 'file',
  '#microsoft.graph.itemattachment': 'item',
  '#microsoft.graph.referenceattachment': 'reference',
};
const ODATA_TYPE: Record<AttachmentRecord['kind'], string> = {
  file: '#microsoft.graph.fileAttachment',
  item: '#microsoft.graph.itemAttachment',
  reference: '#microsoft.graph.referenceAttachment',
};

function contentTypeFor(name: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';
  return (CONTENT_TYPES as Record<string, string>)[ext] ?? 'application/octet-stream';
}

export function parseAttachmentBody(
  store: TenantStore,
  _owner: Owner,
  body: unknown,
  id: string,
): AttachmentRecord {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('The attachment must be a JSON object.', 'RequestBodyRead');
  const b = body as Record<string, unknown>;
  const kind = TYPE_NAMES[textArg(b['@odata.type']).toLowerCase()];
  if (!kind)
    throw new GraphHttpError(
      400,
      'RequestBodyRead',
      "An '@odata.type' of fileAttachment, itemAttachment or referenceAttachment is required for an attachment.",
    );
  for (const k of Object.keys(b))
    if (!ALLOWED[kind].includes(k)) throw unknownProperty(k, `${kind}Attachment`);
  const name = b['name'];
  if (typeof name !== 'string' || !name)
    throw new GraphHttpError(400, 'ErrorInvalidRequest', 'The attachment name is required.');
  const base = {
    id,
    name,
    isInline: b['isInline'] === true,
    lastModifiedDateTime: outlookTimestamp(Date.now()),
    contentId: typeof b['contentId'] === 'string' ? b['contentId'] : null,
  };
  if (kind === 'file') {
    if (typeof b['contentBytes'] !== 'string') throw invalidValue('contentBytes', 'Edm.Binary');
    const bytes = Buffer.from(b['contentBytes'], 'base64');
    if (bytes.length > MAX_INLINE_ATTACHMENT) {
      throw new GraphHttpError(
        413,
        'RequestEntityTooLarge',
        'The attachment is larger than 3 MB; use an upload session to attach it.',
      );
    }
    const sha256 = store.blobs.put(bytes);
    return {
      ...base,
      kind,
      contentType: typeof b['contentType'] === 'string' ? b['contentType'] : contentTypeFor(name),
      blob: { sha256, size: bytes.length },
    };
  }
  if (kind === 'item') {
    const item = b['item'];
    const type = textArg((item as Record<string, unknown> | undefined)?.['@odata.type']).toLowerCase();
    if (
      !item ||
      typeof item !== 'object' ||
      !['#microsoft.graph.message', '#microsoft.graph.event', '#microsoft.graph.contact'].includes(type)
    ) {
      throw new GraphHttpError(
        400,
        'RequestBodyRead',
        "An itemAttachment needs an 'item' of type message, event or contact.",
      );
    }
    return { ...base, kind, contentType: null, item: item as Record<string, unknown> };
  }
  if (typeof b['sourceUrl'] !== 'string' || !/^https?:\/\//i.test(b['sourceUrl']))
    throw new GraphHttpError(400, 'ErrorInvalidRequest', 'A referenceAttachment needs a sourceUrl.');
  return {
    ...base,
    kind,
    contentType: typeof b['contentType'] === 'string' ? b['contentType'] : null,
    reference: {
      sourceUrl: b['sourceUrl'],
      providerType: typeof b['providerType'] === 'string' ? b['providerType'] : 'other',
      permission: typeof b['permission'] === 'string' ? b['permission'] : 'other',
      isFolder: b['isFolder'] === true,
    },
  };
}

/** The attachment resource. File attachments carry their bytes (base64) when `withContent`. */
export async function attachmentJson(
  store: TenantStore,
  a: AttachmentRecord,
  opts: { beta: boolean; withContent: boolean; expandItem: boolean },
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {
    '@odata.type': ODATA_TYPE[a.kind],
    id: a.id,
    lastModifiedDateTime: a.lastModifiedDateTime,
    name: a.name,
    contentType: a.contentType,
    size: attachmentSize(store, a),
    isInline: a.isInline,
  };
  if (a.kind === 'file') {
    out['@odata.mediaContentType'] = a.contentType;
    out['contentId'] = a.contentId;
    out['contentLocation'] = null;
    if (opts.withContent) out['contentBytes'] = (await attachmentBytes(store, a)).bytes.toString('base64');
  }
  if (a.kind === 'item' && opts.expandItem) out['item'] = a.item;
  if (a.kind === 'reference' && opts.beta && a.reference) {
    Object.assign(out, {
      sourceUrl: a.reference.sourceUrl,
      providerType: a.reference.providerType,
      thumbnailUrl: null,
      previewUrl: null,
      permission: a.reference.permission,
      isFolder: a.reference.isFolder,
    });
  }
  return out;
}
