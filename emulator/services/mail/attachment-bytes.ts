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
import type { TenantStore } from '../../tenant/store.js';
import { Lru, perStore } from '../shared/cache.js';

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

/** Built files by label, per tenant (the same label may stand for other bytes in another tenant). */
const CACHE_LIMIT = 32 * 1024 * 1024;
const built = perStore(() => new Lru<string, Buffer>(4096, CACHE_LIMIT, (b) => b.length));
/** The one large attachment delivered to several mailboxes: identical bytes everywhere. */
const shared = perStore((store) =>
  new Random(store.seed, 'shared-attachment-bytes').bytes(store.profile.sharedAttachmentBytes),
);

/** Bytes of a generated attachment of this tenant. */
export function fileBytes(store: TenantStore, f: GeneratedFile): Buffer {
  const { type } = f;
  if (type === 'shared') return shared(store);
  return built(store).getOrMake(`${type}|${f.label}|${f.keyword ?? ''}|${f.title}`, () =>
    buildFile(store.seed, { ...f, type }),
  );
}

function buildFile(seed: string, f: GeneratedFile & { type: Exclude<FileType, 'shared'> }): Buffer {
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
  return out;
}
