import type { GraphClient, RequestOptions } from './client.js';
import { DeltaResetError, GraphError, MalformedResponseError, PagingLoopError } from './errors.js';

export interface Page<T> {
  value: T[];
  nextLink?: string;
  deltaLink?: string;
  /** The whole page object (for annotations such as `@odata.count`). */
  raw: Record<string, unknown>;
}

const DEFAULT_MAX_PAGES = 1_000_000;

function toPage<T>(raw: Record<string, unknown>, url: string): Page<T> {
  const value = raw['value'];
  if (!Array.isArray(value))
    throw new MalformedResponseError("a collection page without a 'value' array", 200, url);
  const page: Page<T> = { value: value as T[], raw };
  const next = raw['@odata.nextLink'];
  const delta = raw['@odata.deltaLink'];
  if (typeof next === 'string') page.nextLink = next;
  if (typeof delta === 'string') page.deltaLink = delta;
  return page;
}

/** Delta links may be rewritten by proxies; compare them without fragments and with sorted queries. */
function canonical(url: string): string {
  try {
    const u = new URL(url);
    u.hash = '';
    u.searchParams.sort();
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Follows `@odata.nextLink` as an async iterator of pages. A nextLink that points at a page
 * already fetched raises PagingLoopError instead of looping forever.
 */
export async function* pages<T = Record<string, unknown>>(
  client: GraphClient,
  pathOrUrl: string,
  opts: RequestOptions & { maxPages?: number } = {},
): AsyncGenerator<Page<T>> {
  const seen = new Set<string>();
  let url: string | undefined = client.url(pathOrUrl);
  const max = opts.maxPages ?? DEFAULT_MAX_PAGES;
  while (url) {
    const key = canonical(url);
    if (seen.has(key) || seen.size >= max) throw new PagingLoopError(url);
    seen.add(key);
    const page: Page<T> = toPage<T>(await client.get(url, opts), url);
    yield page;
    url = page.nextLink;
  }
}

/** Every item of a collection, across pages. */
export async function* items<T = Record<string, unknown>>(
  client: GraphClient,
  pathOrUrl: string,
  opts?: RequestOptions,
): AsyncGenerator<T> {
  for await (const page of pages<T>(client, pathOrUrl, opts)) yield* page.value;
}

export async function collect<T = Record<string, unknown>>(
  client: GraphClient,
  pathOrUrl: string,
  opts?: RequestOptions,
): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items<T>(client, pathOrUrl, opts)) out.push(item);
  return out;
}

/** Codes with which workloads say "your delta token is no longer valid, start over". */
const RESET_CODES = [
  'syncstatenotfound',
  'resyncrequired',
  'resyncchangesapplydifferences',
  'resyncchangesuploaddifferences',
  'resyncapplydifferences',
  'resyncuploaddifferences',
  'syncstateinvalid',
];

export function isDeltaReset(e: unknown): e is GraphError {
  return e instanceof GraphError && (e.status === 410 || RESET_CODES.some((c) => e.hasCode(c)));
}

export interface DeltaRound<T> {
  /** Changed items, page by page; removals carry `@removed` (or a `deleted` facet for drives). */
  pages: AsyncGenerator<Page<T>>;
}

/**
 * Runs one delta round from `start` (an initial delta URL, or a stored deltaLink) and yields its
 * pages; the last page carries the new `deltaLink` to store once its items are durable. An
 * expired or invalid token raises DeltaResetError, whose `restartUrl` (when Graph gives one) or
 * the initial URL starts a full enumeration.
 */
export async function* delta<T = Record<string, unknown>>(
  client: GraphClient,
  start: string,
  opts: RequestOptions = {},
): AsyncGenerator<Page<T>> {
  try {
    for await (const page of pages<T>(client, start, opts)) {
      yield page;
      if (page.deltaLink) return;
    }
  } catch (e) {
    if (isDeltaReset(e)) throw new DeltaResetError(start, e.headers['location'], e.code);
    throw e;
  }
  throw new MalformedResponseError('a delta round ended without an @odata.deltaLink', 200, start);
}

/** Whether a delta item reports a removal (`@removed` or a drive/list `deleted` facet). */
export function isRemoved(item: Record<string, unknown>): boolean {
  return item['@removed'] !== undefined || item['deleted'] !== undefined;
}
