import {
  buildDocx,
  buildMime,
  buildPdf,
  buildPng,
  buildPptx,
  buildXlsx,
} from '../../generator/formats/index.js';
import { Random } from '../../generator/random.js';
import { TextGenerator } from '../../generator/text.js';
import type { TenantStore } from '../../tenant/store.js';
import { Lru, perStore } from '../shared/cache.js';
import { contactToVCard, eventToICal, plainText } from './ical.js';
import type { AttachmentRecord, GeneratedFile } from './records.js';

/**
 * The bytes of event attachments. Generated files are rebuilt from their seed label on demand
 * (and kept in a small cache); uploaded ones live in the blob store; item attachments render as
 * MIME (messages), iCalendar (events) or vCard (contacts).
 */

export const CONTENT_TYPES: Record<GeneratedFile['format'], string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  png: 'image/png',
  txt: 'text/plain',
};

/** Built files per tenant: the same label may stand for other bytes in another tenant. */
const built = perStore(() => new Lru<string, Buffer>(64, 16 * 1024 * 1024, (b) => b.length));

export function generatedBytes(store: TenantStore, spec: GeneratedFile): Buffer {
  return built(store).getOrMake(`${spec.format}|${spec.label}|${spec.title}`, () =>
    buildGenerated(store.seed, spec),
  );
}

function buildGenerated(seed: string, spec: GeneratedFile): Buffer {
  const r = new Random(seed, 'event-attachment', spec.label);
  const text = new TextGenerator(r);
  const created = new Date(Date.UTC(2025, r.int(0, 11), r.int(1, 28)));
  let bytes: Buffer;
  switch (spec.format) {
    case 'pdf':
      bytes = buildPdf({
        title: spec.title,
        author: 'Safehold emulator',
        paragraphs: text.paragraphs(r.int(2, 6)),
      });
      break;
    case 'docx':
      bytes = buildDocx({ title: spec.title, paragraphs: text.paragraphs(r.int(2, 8)), created });
      break;
    case 'xlsx':
      bytes = buildXlsx({
        title: spec.title,
        created,
        sheets: [
          {
            name: 'Budget',
            rows: [
              ['Item', 'Q1', 'Q2'],
              ...Array.from({ length: r.int(3, 20) }, () => [
                text.title(2),
                r.int(100, 9999),
                r.int(100, 9999),
              ]),
            ],
          },
        ],
      });
      break;
    case 'pptx':
      bytes = buildPptx({
        title: spec.title,
        created,
        slides: Array.from({ length: r.int(1, 4) }, () => ({
          title: text.title(3),
          bullets: [text.sentence(3, 8), text.sentence(3, 8)],
        })),
      });
      break;
    case 'png':
      bytes = buildPng(r, r.int(64, 320), r.int(64, 240));
      break;
    case 'txt':
      bytes = Buffer.from(
        `${spec.title}\r\n\r\n${text.paragraphs(r.int(1, 3)).join('\r\n\r\n')}\r\n`,
        'utf8',
      );
      break;
  }
  return bytes;
}

type Json = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const addr = (v: unknown) => {
  const e = ((v as Json | undefined)?.['emailAddress'] ?? {}) as Json;
  return { name: str(e['name']) || undefined, address: str(e['address']) || 'unknown@invalid.example' };
};

/** What `$value` of an item attachment serves: the item in its native interchange format. */
export function itemContent(item: Json): { contentType: string; bytes: Buffer } {
  const type = str(item['@odata.type']).toLowerCase();
  if (type.endsWith('.event')) return { contentType: 'text/calendar', bytes: eventToICal(item) };
  if (type.endsWith('.contact')) return { contentType: 'text/vcard', bytes: contactToVCard(item) };
  const body = (item['body'] ?? {}) as Json;
  const isHtml = str(body['contentType']).toLowerCase() === 'html';
  const content = str(body['content']);
  const date = Date.parse(
    str(item['sentDateTime']) || str(item['receivedDateTime']) || '2025-01-01T00:00:00Z',
  );
  const mime = buildMime({
    from: addr(item['from']),
    to: (Array.isArray(item['toRecipients']) ? (item['toRecipients'] as unknown[]) : []).map(addr),
    subject: str(item['subject']),
    date: new Date(Number.isNaN(date) ? 0 : date),
    messageId:
      str(item['internetMessageId']).replace(/^<|>$/g, '') ||
      `${Buffer.from(JSON.stringify(item)).toString('base64url').slice(0, 24)}@emulator.invalid`,
    textBody: isHtml ? plainText(content) : content,
    ...(isHtml ? { htmlBody: content } : {}),
  });
  return { contentType: 'message/rfc822', bytes: mime };
}

/** The bytes `$value` serves for a file or item attachment. */
export async function attachmentBytes(
  store: TenantStore,
  a: AttachmentRecord,
): Promise<{ contentType: string; bytes: Buffer }> {
  if (a.kind === 'item') return itemContent(a.item ?? {});
  if (a.blob)
    return {
      contentType: a.contentType ?? 'application/octet-stream',
      bytes: await store.blobs.readAll(a.blob.sha256),
    };
  if (a.generated)
    return {
      contentType: a.contentType ?? CONTENT_TYPES[a.generated.format],
      bytes: generatedBytes(store, a.generated),
    };
  return { contentType: 'application/octet-stream', bytes: Buffer.alloc(0) };
}

/** Graph's `size`: the file's length; for a reference attachment, the size of its metadata. */
export function attachmentSize(store: TenantStore, a: AttachmentRecord): number {
  if (a.kind === 'item') return itemContent(a.item ?? {}).bytes.length;
  if (a.kind === 'reference') return Buffer.byteLength(JSON.stringify({ name: a.name, ...a.reference }));
  if (a.blob) return a.blob.size;
  if (a.generated) return generatedBytes(store, a.generated).length;
  return 0;
}
