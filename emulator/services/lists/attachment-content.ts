import { Readable } from 'node:stream';
import type { StreamBody } from '../../core/types.js';
import { buildDocx, buildPdf, buildPng } from '../../generator/formats/index.js';
import { Random } from '../../generator/random.js';
import { TextGenerator } from '../../generator/text.js';
import { GENERATED_EPOCH } from '../../tenant/directory.js';
import type { TenantStore } from '../../tenant/store.js';
import { Lru, perStore } from '../shared/cache.js';
import type { AttachmentRecord, ListItemRecord, ListRecord } from './model.js';

/**
 * Bytes of list item attachments. Generated attachments are real files of their extension (PDF,
 * DOCX, PNG, text) built from (seed, list, item, name) whenever asked, so they cost nothing until
 * read and are byte-identical on every read; uploaded ones are read from the tenant's BlobFiles.
 */

const DAY = 86_400_000;
const built = perStore(() => new Lru<string, Buffer>(256, 16 * 1024 * 1024, (b) => b.length));

/** A real file of the name's extension; any other extension gets text (attachments may be of any type). */
function generate(seed: string, listId: string, itemId: string, fileName: string): Buffer {
  const r = new Random(seed, 'list-attachment', listId, itemId, fileName);
  const text = new TextGenerator(r);
  const title = fileName.replace(/\.[^.]*$/, '');
  const paragraphs = text.paragraphs(r.int(2, 6));
  const ext = /\.([^.]+)$/.exec(fileName)?.[1]?.toLowerCase() ?? '';
  switch (ext) {
    case 'pdf':
      return buildPdf({ title, author: text.companyWord(), paragraphs });
    case 'docx':
      return buildDocx({
        title,
        author: text.companyWord(),
        paragraphs,
        created: new Date(GENERATED_EPOCH - r.int(30, 900) * DAY),
      });
    case 'png':
      return buildPng(r, r.int(24, 320), r.int(24, 240));
    default:
      return Buffer.from(`${title}\r\n\r\n${paragraphs.join('\r\n\r\n')}\r\n`, 'utf8');
  }
}

function bufferBody(data: Buffer): StreamBody {
  return { length: data.length, open: (start, end) => Readable.from([data.subarray(start, end + 1)]) };
}

/** The attachment's bytes as a ranged stream (downloads, `$value`). */
export function attachmentBody(
  store: TenantStore,
  list: ListRecord,
  item: ListItemRecord,
  a: AttachmentRecord,
): StreamBody {
  if (a.blob) return store.blobs.body(a.blob);
  const key = `${list.id}|${item.id}|${a.fileName}`;
  const data = built(store).getOrMake(key, () => generate(store.seed, list.id, item.id, a.fileName));
  return bufferBody(data);
}

/** Seeded bytes for a file name, as generated attachments have (activity reuses them). */
export function sampleAttachmentBytes(label: string, fileName: string): Buffer {
  return generate(label, 'activity', '0', fileName);
}
