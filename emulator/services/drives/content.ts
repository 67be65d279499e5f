import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { StreamBody } from '../../core/types.js';
import {
  buildDocx,
  buildOneNoteSection,
  buildPdf,
  buildPng,
  buildPptx,
  buildXlsx,
} from '../../generator/formats/index.js';
import { Random } from '../../generator/random.js';
import { searchableKeyword, TextGenerator } from '../../generator/text.js';
import { GENERATED_EPOCH } from '../../tenant/directory.js';
import type { TenantStore } from '../../tenant/store.js';
import type { ContentRef, FileState } from './model.js';
import { QuickXorHash, quickXorHash } from './quickxor.js';
import { Lru, perStore } from '../shared/cache.js';

/**
 * File bytes: typed documents rebuilt from the seed on demand, keystream bytes of any size
 * (AES-128-CTR keyed from the seed, so any range of a 1 GiB file is produced directly, at
 * hundreds of MB/s, without holding it), or uploaded blobs.
 */

const MIME: Record<string, string> = {
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  pdf: 'application/pdf',
  txt: 'text/plain',
  log: 'text/plain',
  csv: 'text/csv',
  html: 'text/html',
  htm: 'text/html',
  md: 'text/markdown',
  json: 'application/json',
  png: 'image/png',
  jpg: 'image/jpeg',
  one: 'application/msonenote',
  zip: 'application/x-zip-compressed',
  mp4: 'video/mp4',
};

/** The MIME type SharePoint reports for a file name. */
export function mimeFor(name: string): string {
  const ext = /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  return MIME[ext] ?? 'application/octet-stream';
}

/** Hashes at or below this size are computed when the file is made; above, on first need. */
const EAGER_HASH_BYTES = 8 * 1024 * 1024;
const CHUNK = 256 * 1024;

function docText(r: Random): { title: string; paragraphs: string[]; keyword?: string } {
  const text = new TextGenerator(r);
  const title = text.title(r.int(2, 5));
  const paragraphs = text.paragraphs(r.int(2, 7));
  // Some documents carry a rare token so search and indexing tests have something to find.
  if (r.bool(0.2)) {
    const keyword = searchableKeyword(r);
    const at = r.int(0, paragraphs.length - 1);
    paragraphs[at] = `${paragraphs[at] ?? ''} Reference ${keyword}.`;
    return { title, paragraphs, keyword };
  }
  return { title, paragraphs };
}

function tableRows(r: Random): (string | number)[][] {
  const text = new TextGenerator(r);
  const rows: (string | number)[][] = [['Item', 'Owner', 'Quarter', 'Amount', 'Status']];
  for (let i = r.int(4, 30); i > 0; i--) {
    const p = text.personName();
    rows.push([
      text.title(2),
      `${p.given} ${p.surname}`,
      `Q${r.int(1, 4)} ${r.int(2019, 2025)}`,
      r.int(100, 250_000) / 100,
      r.pick(['Open', 'Closed', 'Pending', 'Approved']),
    ]);
  }
  return rows;
}

const csvCell = (v: string | number) =>
  typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Bytes of a generated document: a pure function of (seed, drive, item, version). */
export function buildDoc(seed: string, ref: Extract<ContentRef, { g: 'doc' }>): Buffer {
  const r = new Random(seed, 'drive-content', ref.d, ref.i, ref.v);
  const created = new Date(GENERATED_EPOCH - r.int(1, 900) * 86_400_000);
  switch (ref.t) {
    case 'empty':
      return Buffer.alloc(0);
    case 'docx': {
      const d = docText(r);
      return buildDocx({ title: d.title, paragraphs: d.paragraphs, created });
    }
    case 'pdf': {
      const d = docText(r);
      return buildPdf({ title: d.title, paragraphs: d.paragraphs });
    }
    case 'pptx': {
      const d = docText(r);
      const text = new TextGenerator(r);
      const slides = d.paragraphs.map((p, i) => ({
        title: i === 0 ? d.title : text.title(3),
        bullets: p.split(/(?<=[.?!])\s+/).slice(0, 5),
      }));
      return buildPptx({ title: d.title, slides, created });
    }
    case 'xlsx':
      return buildXlsx({
        title: new TextGenerator(r).title(3),
        sheets: [
          { name: 'Sheet1', rows: tableRows(r) },
          { name: 'Summary', rows: [['Total', r.int(1000, 90000)]] },
        ],
        created,
      });
    case 'csv':
      return Buffer.from(
        `${tableRows(r)
          .map((row) => row.map(csvCell).join(','))
          .join('\r\n')}\r\n`,
      );
    case 'txt':
    case 'md': {
      const d = docText(r);
      const head = ref.t === 'md' ? `# ${d.title}\n\n` : `${d.title}\n\n`;
      return Buffer.from(`${head}${d.paragraphs.join('\n\n')}\n`);
    }
    case 'html': {
      const d = docText(r);
      const body = d.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
      return Buffer.from(
        `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(d.title)}</title></head>\n<body><h1>${escapeHtml(d.title)}</h1>\n${body}\n</body></html>\n`,
      );
    }
    case 'json': {
      const d = docText(r);
      return Buffer.from(
        `${JSON.stringify({ title: d.title, version: ref.v, items: d.paragraphs.map((p, i) => ({ id: i + 1, text: p })) }, null, 2)}\n`,
      );
    }
    case 'png':
      return buildPng(r, r.int(16, 160), r.int(16, 120));
    case 'one':
      return buildOneNoteSection(r, new TextGenerator(r).title(2));
  }
}

function keystreamKey(seed: string, ref: Extract<ContentRef, { g: 'rand' }>): { key: Buffer; iv: bigint } {
  const h = createHash('sha256')
    .update(`${seed}\u0000drive-rand\u0000${ref.d}\u0000${ref.i}\u0000${ref.v}`)
    .digest();
  return { key: h.subarray(0, 16), iv: BigInt(`0x${h.subarray(16, 32).toString('hex')}`) };
}

/** Keystream bytes [start, end] of a `rand` content, produced chunk by chunk as the reader pulls. */
export function keystream(
  seed: string,
  ref: Extract<ContentRef, { g: 'rand' }>,
  start: number,
  endInclusive: number,
): Readable {
  const { key, iv } = keystreamKey(seed, ref);
  const counter = (iv + BigInt(Math.floor(start / 16))) & ((1n << 128n) - 1n);
  const cipher = createCipheriv(
    'aes-128-ctr',
    key,
    Buffer.from(counter.toString(16).padStart(32, '0'), 'hex'),
  );
  const zeros = Buffer.alloc(CHUNK);
  let skip = start % 16;
  let remaining = Math.max(0, endInclusive - start + 1);
  return new Readable({
    read() {
      if (remaining <= 0) {
        this.push(null);
        return;
      }
      let out = cipher.update(zeros.subarray(0, Math.min(CHUNK, remaining + skip)));
      if (skip) {
        out = out.subarray(skip);
        skip = 0;
      }
      if (out.length > remaining) out = out.subarray(0, remaining);
      remaining -= out.length;
      this.push(out);
    },
  });
}

/**
 * Built documents of a tenant, most recently used first: a client reading a file in ranges (or
 * retrying) opens it many times, and an Office document is a zip built from scratch.
 */
const builtDocs = perStore(() => new Lru<string, Buffer>(64, 32 * 1024 * 1024, (b) => b.length));
const docBytes = (store: TenantStore, ref: Extract<ContentRef, { g: 'doc' }>): Buffer =>
  builtDocs(store).getOrMake(`${ref.t}|${ref.d}|${ref.i}|${ref.v}`, () => buildDoc(store.seed, ref));

/** A streamed body for a file version. */
export function contentBody(store: TenantStore, file: FileState): StreamBody {
  const ref = file.content;
  if (ref.g === 'blob') return store.blobs.body(ref.h);
  if (ref.g === 'rand') return { length: ref.n, open: (s, e) => keystream(store.seed, ref, s, e) };
  return { length: file.size, open: (s, e) => Readable.from([docBytes(store, ref).subarray(s, e + 1)]) };
}

/** Size and (when cheap) hash of generated content, computed once when the file is made. */
export function generatedFile(
  seed: string,
  name: string,
  ref: Exclude<ContentRef, { g: 'blob' }>,
): FileState {
  const mime = mimeFor(name);
  if (ref.g === 'doc') {
    const bytes = buildDoc(seed, ref);
    return { mime, content: ref, size: bytes.length, hash: quickXorHash(bytes) };
  }
  if (ref.n > EAGER_HASH_BYTES) return { mime, content: ref, size: ref.n };
  const h = new QuickXorHash();
  const { key, iv } = keystreamKey(seed, ref);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.from(iv.toString(16).padStart(32, '0'), 'hex'));
  h.update(cipher.update(Buffer.alloc(ref.n)));
  return { mime, content: ref, size: ref.n, hash: h.digestBase64() };
}

/** Older generated versions are made with size -1: size and hash are computed on first need. */
export function pendingFile(name: string, ref: Extract<ContentRef, { g: 'doc' }>): FileState {
  return { mime: mimeFor(name), content: ref, size: -1 };
}

/** Sizes and hashes of older versions, computed on first need (bounded: each is cheap to redo). */
const resolved = perStore(() => new Lru<string, FileState>(20_000));

/** A file state with its size (and hash, when cheap) known. */
export function resolveFile(store: TenantStore, file: FileState): FileState {
  if (file.size >= 0 || file.content.g === 'blob') return file;
  const ref = file.content;
  return resolved(store).getOrMake(JSON.stringify(ref), () => ({
    ...generatedFile(store.seed, '', ref),
    mime: file.mime,
  }));
}

const lazyHashes = new WeakMap<TenantStore, Map<string, Promise<string>>>();

/** The quickXorHash of a file, computing big generated ones once (yielding between chunks). */
export function fileHash(store: TenantStore, file: FileState): Promise<string> | string {
  if (file.hash) return file.hash;
  const ref = file.content;
  let cache = lazyHashes.get(store);
  if (!cache) lazyHashes.set(store, (cache = new Map<string, Promise<string>>()));
  const key = JSON.stringify(ref);
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      const h = new QuickXorHash();
      for await (const chunk of contentBody(store, file).open(0, file.size - 1)) {
        h.update(chunk as Buffer);
        await new Promise((r) => setImmediate(r));
      }
      return h.digestBase64();
    })();
    cache.set(key, p);
  }
  return p;
}

/** A hash already known (stored, or computed earlier) without waiting. */
const settled = new WeakMap<TenantStore, Map<string, string>>();
export async function ensureHash(store: TenantStore, file: FileState): Promise<void> {
  if (file.hash) return;
  const key = JSON.stringify(file.content);
  let m = settled.get(store);
  if (!m) settled.set(store, (m = new Map<string, string>()));
  if (!m.has(key)) m.set(key, await fileHash(store, file));
}
export function knownHash(store: TenantStore, file: FileState): string | undefined {
  return file.hash ?? settled.get(store)?.get(JSON.stringify(file.content));
}
