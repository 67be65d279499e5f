import type { Collection, Entry } from './collection.js';
import {
  collectionPage,
  contextUrl,
  decodeToken,
  encodeToken,
  ok,
  select,
  selfLink,
  topOf,
} from './odata.js';
import type { EmuRequest, EmuResponse } from './types.js';

export interface PageOptions {
  defaultTop: number;
  maxTop: number;
}

/** Pages an in-memory list with an offset cursor in `$skiptoken`. */
export function pageArray<T>(
  req: EmuRequest,
  context: string,
  items: readonly T[],
  project: (item: T) => object,
  opts: PageOptions,
  extra: Record<string, unknown> = {},
): EmuResponse {
  const top = topOf(req, opts.defaultTop, opts.maxTop);
  const skipToken = req.query.get('$skiptoken');
  const offset = skipToken ? decodeToken<{ o: number }>(skipToken).o : Number(req.query.get('$skip') ?? 0);
  const slice = items.slice(offset, offset + top).map((i) => select(req, project(i)));
  const next = offset + top < items.length ? { o: offset + top } : undefined;
  if (req.query.get('$count') === 'true' && !skipToken) extra = { '@odata.count': items.length, ...extra };
  return collectionPage(req, context, slice, next, extra);
}

/**
 * Pages a change-tracked collection's live items in seq order. The cursor is the last seq sent,
 * so items added while a client pages still show up and none is sent twice unless it changed.
 */
export function pageCollection<T>(
  req: EmuRequest,
  context: string,
  coll: Collection<T>,
  project: (item: T) => object,
  opts: PageOptions & { filter?: (item: T) => boolean },
): EmuResponse {
  const top = topOf(req, opts.defaultTop, opts.maxTop);
  const skipToken = req.query.get('$skiptoken');
  const after = skipToken ? decodeToken<{ s: number }>(skipToken).s : 0;
  const items: object[] = [];
  let last = after;
  let more = false;
  for (const e of coll.live(after)) {
    if (opts.filter && !opts.filter(e.value)) continue;
    if (items.length === top) {
      more = true;
      break;
    }
    items.push(select(req, project(e.value)));
    last = e.seq;
  }
  return collectionPage(req, context, items, more ? { s: last } : undefined);
}

export interface DeltaOptions<T> {
  collection: Collection<T>;
  /** `@odata.context` fragment. */
  context: string;
  project: (item: T, entry: Entry<T>) => object;
  /** Shape of a removal; Graph's default is `{id, "@removed": {reason}}`. */
  removed?: (entry: Entry<T>) => object;
  /** Restricts which items this delta covers (e.g. a calendarView window). */
  filter?: (item: T) => boolean;
  /**
   * Query parameter names: Outlook and directory use `$skiptoken`/`$deltatoken`; OneDrive and
   * lists use `token` for both.
   */
  style: 'odata' | 'token';
  defaultTop: number;
  maxTop: number;
  /** Whether the initial round may report removals (tombstones) too. */
  removalsInInitialRound?: boolean;
}

interface DeltaCursor {
  /** collection key, so a token cannot be replayed against another collection */
  c: string;
  /** last seq already delivered (exclusive lower bound) */
  a: number;
  /** upper bound of this round (inclusive), fixed when the round started */
  u?: number;
  /** first round (full enumeration) */
  i?: 1;
}

export type DeltaOutcome = { expired: true } | { expired: false; response: EmuResponse };

/**
 * One page of a delta query over a collection, Graph style: a round delivers every change up to
 * the seq it started at, in pages linked by nextLink, and ends with a deltaLink whose token is
 * that seq. A token older than the collection's horizon is expired (the caller answers as the
 * workload does: 410 or syncStateNotFound).
 */
export function deltaPage<T>(req: EmuRequest, opts: DeltaOptions<T>): DeltaOutcome {
  const coll = opts.collection;
  const top = topOf(req, opts.defaultTop, opts.maxTop);
  const param = (k: 'skip' | 'delta') =>
    opts.style === 'token' ? 'token' : k === 'skip' ? '$skiptoken' : '$deltatoken';
  const rawSkip = req.query.get(param('skip'));
  const rawDelta = opts.style === 'odata' ? req.query.get('$deltatoken') : null;
  const raw = rawDelta ?? rawSkip;
  let cursor: DeltaCursor;
  if (raw === 'latest') {
    const link = selfLink(req, {
      [param('delta')]: encodeToken({ c: coll.key, a: coll.lastSeq }),
      ...(opts.style === 'odata' ? { $skiptoken: null } : {}),
    });
    return {
      expired: false,
      response: ok({ '@odata.context': contextUrl(req, opts.context), value: [], '@odata.deltaLink': link }),
    };
  }
  if (raw) {
    let decoded: DeltaCursor;
    try {
      decoded = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as DeltaCursor;
    } catch {
      return { expired: true };
    }
    if (decoded.c !== coll.key || typeof decoded.a !== 'number') return { expired: true };
    if (decoded.a < coll.deltaHorizon && !(decoded.i && decoded.a === 0)) return { expired: true };
    cursor = { ...decoded, u: decoded.u ?? coll.lastSeq };
  } else {
    cursor = { c: coll.key, a: 0, u: coll.lastSeq, i: 1 };
  }
  const upper = cursor.u as number;
  const value: object[] = [];
  let last = cursor.a;
  let more = false;
  for (const e of coll.entriesAfter(cursor.a)) {
    if (e.seq > upper) break;
    if (value.length === top) {
      more = true;
      break;
    }
    last = e.seq;
    if (e.value === null) {
      if (cursor.i && !opts.removalsInInitialRound) continue;
      value.push(
        opts.removed ? opts.removed(e) : { id: e.id, '@removed': { reason: e.removedReason ?? 'deleted' } },
      );
      continue;
    }
    if (opts.filter && !opts.filter(e.value)) continue;
    value.push(select(req, opts.project(e.value, e)));
  }
  const body: Record<string, unknown> = { '@odata.context': contextUrl(req, opts.context), value };
  if (more) {
    const next: DeltaCursor = { c: coll.key, a: last, u: upper, ...(cursor.i ? { i: 1 as const } : {}) };
    body['@odata.nextLink'] = selfLink(req, {
      [param('skip')]: encodeToken(next),
      ...(opts.style === 'odata' ? { $deltatoken: null } : {}),
    });
  } else {
    body['@odata.deltaLink'] = selfLink(req, {
      [param('delta')]: encodeToken({ c: coll.key, a: upper }),
      ...(opts.style === 'odata' ? { $skiptoken: null } : {}),
    });
  }
  return { expired: false, response: ok(body) };
}
