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
import { GENERATED_EPOCH } from '../../tenant/directory.js';

/**
 * Bytes of generated attachments, built on demand from a label (never stored): real PDF, DOCX,
 * XLSX and PPTX files whose text can be extracted (some carry a searchable keyword), PNGs,
 * CSV/TXT, embedded RFC 822 messages, and the tenant's one shared large attachment.
 */

export type FileType = 'pdf' | 'docx' | 'xlsx' | 'pptx' | 'png' | 'csv' | 'txt' | 'rfc822' | 'shared';

export const CONTENT_TYPES: Record<FileType, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  png: 'image/png',
  csv: 'text/csv',
  txt: 'text/plain',
  rfc822: 'message/rfc822',
  shared: 'application/octet-stream',
};

export interface GeneratedFile {
  type: FileType;
  /** Seed label of the bytes. */
  label: string;
  title: string;
  keyword?: string;
}

const cache = new Map<string, Buffer>();
let cachedBytes = 0;
const CACHE_LIMIT = 48 * 1024 * 1024;

function remember(key: string, b: Buffer): Buffer {
  if (b.length > CACHE_LIMIT / 4) return b;
  cache.set(key, b);
  cachedBytes += b.length;
  for (const [k, v] of cache) {
    if (cachedBytes <= CACHE_LIMIT) break;
    cache.delete(k);
    cachedBytes -= v.length;
  }
  return b;
}

const sharedCache = new Map<string, Buffer>();

/** The one large attachment delivered to several mailboxes: identical bytes everywhere. */
export function sharedAttachmentBytes(seed: string, size: number): Buffer {
  const key = `${seed}|${size}`;
  let b = sharedCache.get(key);
  if (!b) {
    b = new Random(seed, 'shared-attachment-bytes').bytes(size);
    sharedCache.clear();
    sharedCache.set(key, b);
  }
  return b;
}

export function fileBytes(seed: string, f: GeneratedFile, sharedSize: number): Buffer {
  if (f.type === 'shared') return sharedAttachmentBytes(seed, sharedSize);
  const key = `${seed}|${f.type}|${f.label}|${f.keyword ?? ''}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const r = new Random(seed, 'attachment-bytes', f.label);
  const text = new TextGenerator(r);
  const created = new Date(GENERATED_EPOCH - r.int(30, 900) * 86_400_000);
  const paragraphs = text.paragraphs(r.int(2, 6));
  if (f.keyword)
    paragraphs.splice(
      r.int(0, paragraphs.length),
      0,
      `Reference code ${f.keyword} applies to this ${text.word()}.`,
    );
  let out: Buffer;
  switch (f.type) {
    case 'pdf':
      out = buildPdf({ title: f.title, author: text.companyWord(), paragraphs });
      break;
    case 'docx':
      out = buildDocx({ title: f.title, author: text.companyWord(), paragraphs, created });
      break;
    case 'pptx':
      out = buildPptx({
        title: f.title,
        created,
        slides: paragraphs.map((p) => ({
          title: text.title(3),
          bullets: p.split(/(?<=[.?!]) /).slice(0, 5),
        })),
      });
      break;
    case 'xlsx': {
      const rows: (string | number)[][] = [['Item', 'Owner', 'Quarter', 'Amount']];
      for (let i = 0; i < r.int(5, 40); i++)
        rows.push([text.title(2), text.personName().surname, `Q${r.int(1, 4)}`, r.int(100, 99_999)]);
      if (f.keyword) rows.push(['Reference', f.keyword, '', 0]);
      out = buildXlsx({ title: f.title, created, sheets: [{ name: 'Summary', rows }] });
      break;
    }
    case 'png':
      out = buildPng(r, r.int(24, 320), r.int(24, 240));
      break;
    case 'csv': {
      const lines = ['id,name,amount,status'];
      for (let i = 0; i < r.int(5, 60); i++)
        lines.push(`${i + 1},"${text.title(2)}",${r.int(1, 9999)},${text.word()}`);
      out = Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
      break;
    }
    case 'txt':
      out = Buffer.from(`${paragraphs.join('\r\n\r\n')}\r\n`, 'utf8');
      break;
    case 'rfc822': {
      const from = text.personName();
      const to = text.personName();
      const body = paragraphs.join('\n\n');
      out = buildMime({
        from: { name: `${from.given} ${from.surname}`, address: `sender.${r.int(1, 999)}@partner.example` },
        to: [{ name: `${to.given} ${to.surname}`, address: `contact.${r.int(1, 999)}@partner.example` }],
        subject: f.title,
        date: created,
        messageId: `${r.bytes(10).toString('hex').toUpperCase()}@mail.partner.example`,
        textBody: body,
        ...(r.bool(0.5)
          ? { htmlBody: `<html><body>${paragraphs.map((p) => `<p>${p}</p>`).join('')}</body></html>` }
          : {}),
      });
      break;
    }
  }
  return remember(key, out);
}
