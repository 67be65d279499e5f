import { compileFilter } from '../../core/filter.js';
import { pageArray, type PageOptions } from '../../core/listing.js';
import { badRequest, select } from '../../core/odata.js';
import type { EmuRequest, EmuResponse } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import { folderId } from './ids.js';
import {
  folderColl,
  liveFolders,
  messageColl,
  messageFolders,
  subtreeKeys,
  type Mailbox,
} from './mailbox.js';
import { Lru, perStore } from '../shared/cache.js';
import type { FolderRecord, MessageRecord } from './records.js';
import { htmlToText, messageView, previewOf, quickFacts, type MessageView } from './view.js';
import { isoSeconds } from '../shared/time.js';

/** Message lists: which messages a request covers, `$filter`, `$search`, `$orderby`, async paging. */

export interface Located {
  fk: string;
  rec: MessageRecord;
}

export function folderMessages(store: TenantStore, mb: Mailbox, fk: string): Located[] {
  const out: Located[] = [];
  for (const e of messageColl(store, mb, fk).live()) out.push({ fk, rec: e.value });
  return out;
}

export function allMessages(store: TenantStore, mb: Mailbox): Located[] {
  return messageFolders(store, mb).flatMap((f) => folderMessages(store, mb, f.key));
}

/** Properties a message `$filter` or `$orderby` may name besides receivedDateTime and isRead. */
const FULL_FIELDS = [
  'id',
  'subject',
  'importance',
  'hasAttachments',
  'isDraft',
  'categories',
  'flag',
  'from',
  'sender',
  'toRecipients',
  'ccRecipients',
  'inferenceClassification',
  'sentDateTime',
  'createdDateTime',
  'lastModifiedDateTime',
  'conversationId',
  'internetMessageId',
  'bodyPreview',
  'parentFolderId',
] as const;

/**
 * A filter row that generates the full message only when the expression needs more than
 * receivedDateTime / isRead (which are cheap). Every property is an own getter, so the filter
 * engine sees the row as a plain object.
 */
export function filterRow(store: TenantStore, mb: Mailbox, loc: Located): Record<string, unknown> {
  let full: Record<string, unknown> | undefined;
  const quick = quickFacts(store, mb, loc.rec);
  const load = () => {
    if (full) return full;
    const v = messageView(store, mb, loc.fk, loc.rec);
    full = {
      id: v.id,
      subject: v.subject,
      importance: v.importance,
      hasAttachments: v.hasAttachments,
      isDraft: v.isDraft,
      categories: v.categories,
      flag: v.flag,
      from: v.from,
      sender: v.sender,
      toRecipients: v.to,
      ccRecipients: v.cc,
      inferenceClassification: v.inferenceClassification,
      sentDateTime: v.sent,
      createdDateTime: v.created,
      lastModifiedDateTime: v.modified,
      conversationId: v.conversationId,
      internetMessageId: v.internetMessageId,
      bodyPreview: previewOf(v.body.contentType === 'html' ? htmlToText(v.body.content) : v.body.content),
      parentFolderId: folderId(mb.key, loc.fk),
    };
    return full;
  };
  const row: Record<string, unknown> = { receivedDateTime: quick.received, isRead: quick.isRead };
  for (const k of FULL_FIELDS) Object.defineProperty(row, k, { enumerable: true, get: () => load()[k] });
  return row;
}

/** Date-time literals are unquoted in OData; the shared filter parser wants them as strings. */
export function normalizeFilter(src: string): string {
  return src
    .split("'")
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part.replace(
            /\b(\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)/g,
            (lit) => {
              const t = Date.parse(lit);
              if (Number.isNaN(t))
                throw badRequest(`Invalid filter clause: '${lit}' is not a valid date-time.`);
              return `'${isoSeconds(t)}'`;
            },
          ),
    )
    .join("'");
}

export function compileMessageFilter(src: string): (row: Record<string, unknown>) => boolean {
  return compileFilter(normalizeFilter(src));
}

/** Messages a search folder shows: the live messages of its sources that match its query. */
export function searchFolderMessages(store: TenantStore, mb: Mailbox, f: FolderRecord): Located[] {
  if (!f.search) return [];
  const keys = f.search.includeNestedFolders
    ? f.search.sourceKeys.flatMap((k) => subtreeKeys(store, mb, k))
    : f.search.sourceKeys;
  const live = new Set(
    liveFolders(store, mb)
      .filter((x) => !x.search)
      .map((x) => x.key),
  );
  const test = compileMessageFilter(f.search.filterQuery);
  return [...new Set(keys)]
    .filter((k) => live.has(k))
    .flatMap((k) => folderMessages(store, mb, k))
    .filter((l) => test(filterRow(store, mb, l)));
}

/**
 * What a message list or count reads, as a version: the folder tree's seq and the seq of each
 * message collection it covers. Records change only through their collections, so an equal
 * version means an equal result (and a cached one may be served).
 */
function versionOf(store: TenantStore, mb: Mailbox, folderKeys: string[]): string {
  const seqs = folderKeys.map((k) => `${k}:${messageColl(store, mb, k).lastSeq}`);
  return `${folderColl(store, mb).lastSeq}|${seqs.join(',')}`;
}

/** Message collections a folder's contents come from: its own, or for a search folder all of them. */
const sourcesOf = (store: TenantStore, mb: Mailbox, f: FolderRecord | undefined) =>
  f && !f.search ? [f.key] : messageFolders(store, mb).map((x) => x.key);

interface Cached<T> {
  version: string;
  value: T;
}
/** Per tenant: folder counts, and the sorted ids of the message lists clients are paging through. */
const countCache = perStore(() => new Lru<string, Cached<{ total: number; unread: number }>>(4096));
const listCache = perStore(() => new Lru<string, Cached<Located[]>>(32));

function cachedBy<T>(cache: Lru<string, Cached<T>>, key: string, version: string, make: () => T): T {
  const hit = cache.get(key);
  if (hit && hit.version === version) return hit.value;
  return cache.set(key, { version, value: make() }).value;
}

/** totalItemCount and unreadItemCount of a folder, recounted only when its messages changed. */
export function folderCounts(
  store: TenantStore,
  mb: Mailbox,
  f: FolderRecord,
): { total: number; unread: number } {
  return cachedBy(
    countCache(store),
    `${mb.key}|${f.key}`,
    versionOf(store, mb, sourcesOf(store, mb, f)),
    () => {
      const list = f.search ? searchFolderMessages(store, mb, f) : folderMessages(store, mb, f.key);
      let unread = 0;
      for (const l of list) if (!quickFacts(store, mb, l.rec).isRead) unread++;
      return { total: list.length, unread };
    },
  );
}

/**
 * The messages a list request covers (a folder, a search folder, or the whole mailbox when `f`
 * is undefined), filtered, searched and sorted. Paging a listing asks for the same list page
 * after page; it is computed once and served from the cache while nothing it reads changed.
 */
export function queriedMessages(
  req: EmuRequest,
  store: TenantStore,
  mb: Mailbox,
  f: FolderRecord | undefined,
): Located[] {
  const q = (name: string) => req.query.get(name) ?? '';
  const key = JSON.stringify([mb.key, f?.key ?? '*', q('$filter'), q('$search'), q('$orderby')]);
  return cachedBy(listCache(store), key, versionOf(store, mb, sourcesOf(store, mb, f)), () => {
    const items = !f
      ? allMessages(store, mb)
      : f.search
        ? searchFolderMessages(store, mb, f)
        : folderMessages(store, mb, f.key);
    return applyQuery(req, store, mb, items);
  });
}

/** KQL-lite `$search`: every term must occur in the message (subject, body, people, attachment names and text). */
function searchTest(raw: string): (v: MessageView) => boolean {
  const q = raw.trim().replace(/^"(.*)"$/, '$1');
  const terms = (q.match(/(\w+:)?("[^"]*"|\S+)/g) ?? []).map((t) => {
    const m = /^(\w+):(.*)$/.exec(t);
    const prop =
      m &&
      ['subject', 'from', 'to', 'body', 'attachment', 'participants'].includes((m[1] as string).toLowerCase())
        ? (m[1] as string).toLowerCase()
        : null;
    return { prop, value: (prop ? (m?.[2] as string) : t).replace(/^"|"$/g, '').toLowerCase() };
  });
  return (v) => {
    const people = [v.from, ...v.to, ...v.cc]
      .map((r) => `${r?.emailAddress.name ?? ''} ${r?.emailAddress.address ?? ''}`)
      .join(' ');
    const fields: Record<string, string> = {
      subject: v.subject,
      from: `${v.from?.emailAddress.name ?? ''} ${v.from?.emailAddress.address ?? ''}`,
      to: [...v.to, ...v.cc].map((r) => `${r.emailAddress.name} ${r.emailAddress.address}`).join(' '),
      participants: people,
      body: v.body.content,
      attachment: `${v.attachments.map((a) => a.name).join(' ')} ${v.keyword ?? ''}`,
    };
    const everything = Object.values(fields).join(' ').toLowerCase();
    return terms.every((t) => (t.prop ? (fields[t.prop] ?? '').toLowerCase() : everything).includes(t.value));
  };
}

/** Applies `$filter`, `$search` and `$orderby` (default: newest first). */
export function applyQuery(req: EmuRequest, store: TenantStore, mb: Mailbox, list: Located[]): Located[] {
  const filter = req.query.get('$filter');
  const search = req.query.get('$search');
  const orderby = req.query.get('$orderby');
  if (search && (filter || orderby))
    throw badRequest(
      `The query parameter '${filter ? '$filter' : '$orderby'}' is not supported with '$search'.`,
      'ErrorInvalidUrlQuery',
    );
  let out = list;
  if (filter) {
    const test = compileMessageFilter(filter);
    out = out.filter((l) => test(filterRow(store, mb, l)));
  }
  if (search) {
    const test = searchTest(search);
    out = out.filter((l) => test(messageView(store, mb, l.fk, l.rec)));
  }
  const keys = (orderby ?? 'receivedDateTime desc').split(',').map((s) => {
    const [field, dir] = s.trim().split(/\s+/);
    return { field: field as string, desc: (dir ?? 'asc').toLowerCase() === 'desc' };
  });
  const rows = out.map((l) => ({ l, row: filterRow(store, mb, l) }));
  const cmp = (a: unknown, b: unknown): number => {
    if (a === b) return 0;
    if (a === undefined || a === null) return -1;
    if (b === undefined || b === null) return 1;
    const [x, y] =
      typeof a === 'number' && typeof b === 'number' ? [a, b] : [JSON.stringify(a), JSON.stringify(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  };
  rows.sort((x, y) => {
    for (const k of keys) {
      const c = cmp(x.row[k.field], y.row[k.field]);
      if (c !== 0) return k.desc ? -c : c;
    }
    return x.l.fk < y.l.fk
      ? -1
      : x.l.fk > y.l.fk
        ? 1
        : x.l.rec.k < y.l.rec.k
          ? -1
          : x.l.rec.k > y.l.rec.k
            ? 1
            : 0;
  });
  return rows.map((r) => r.l);
}

/** pageArray with an async projection (message JSON reads blobs and builds attachments). */
export const EXPANDED = ['attachments', 'singleValueExtendedProperties'];

export async function pageAsync<T>(
  req: EmuRequest,
  context: string,
  items: readonly T[],
  project: (t: T) => Promise<object>,
  opts: PageOptions,
): Promise<EmuResponse> {
  const res = pageArray(
    req,
    context,
    items.map((_, i) => i),
    (i) => ({ '@i': i }),
    opts,
  );
  const body = res.json as { value: { '@i': number }[] };
  body.value = (await Promise.all(
    body.value.map(async (p) => select(req, await project(items[p['@i']] as T), EXPANDED)),
  )) as { '@i': number }[];
  return res;
}
