import type { Collection, Entry } from './collection.js';
import {
  badRequest,
  collectionPage,
  contextUrl,
  decodeCursor,
  encodeToken,
  ok,
  select,
  selfLink,
  skipOf,
  topOf,
  tryDecodeCursor,
} from './odata.js';
import type { EmuRequest, EmuResponse } from './types.js';

export interface PageOptions {
  defaultTop: number;
  maxTop: number;
  /**
   * Whether the first page carries `@odata.count`; default: when `$count=true` is asked. Directory
   * objects only count in advanced queries (`ConsistencyLevel: eventual`) and ignore it otherwise.
   */
  count?: boolean;
}

/** The cursor `pageArray` puts in `$skiptoken`: the offset of the next page. */
export const OFFSET_CURSOR = { o: 'count' } as const;
/** The cursor `pageCollection` puts in `$skiptoken`: the last seq already sent. */
export const SEQ_CURSOR = { s: 'count' } as const;

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
  const offset = skipToken ? decodeCursor(skipToken, OFFSET_CURSOR).o : skipOf(req);
  const slice = items.slice(offset, offset + top).map((i) => select(req, project(i)));
  const next = offset + top < items.length ? { o: offset + top } : undefined;
  const count = opts.count ?? req.query.get('$count') === 'true';
  if (count && !skipToken) extra = { '@odata.count': items.length, ...extra };
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
  const after = skipToken ? decodeCursor(skipToken, SEQ_CURSOR).s : 0;
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
  /**
   * How a token that is not a cursor this emulator issued (undecodable, or the wrong shape) is
   * answered. `badRequest`: Graph's 400 for a bad query value (with `malformedCode`, default
   * `BadRequest`). `expired` (the default, for routes written before the distinction): like an
   * expired token — the outcome is `{expired: true, malformed: true}` and the route answers with
   * its sync reset. Graph's docs only describe the sync reset (410) for tokens the service cannot
   * honour; a 400 for a garbled token is what Graph answers for other malformed query values.
   */
  malformedToken?: 'badRequest' | 'expired';
  malformedCode?: string;
}

/**
 * A delta cursor: `c` the collection key (a token cannot be replayed against another collection),
 * `a` the last seq already delivered (exclusive lower bound), `u` the upper bound of this round
 * (inclusive, fixed when the round started), `i` set during the first round (full enumeration).
 */
export const DELTA_CURSOR = { c: 'string', a: 'count', u: 'count?', i: 'flag?' } as const;

/**
 * `expired`: the token was well formed but can no longer be honoured (older than the collection's
 * horizon, or issued for another collection); `malformed` additionally says it was not a token of
 * ours at all (only with `malformedToken: 'expired'`).
 */
export type DeltaOutcome = { expired: true; malformed?: boolean } | { expired: false; response: EmuResponse };

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
  let cursor: { a: number; u: number; i?: number };
  if (raw) {
    const decoded = tryDecodeCursor(raw, DELTA_CURSOR);
    // A round's upper bound is never below what it already delivered.
    if (!decoded || (decoded.u !== undefined && decoded.u < decoded.a)) {
      if (opts.malformedToken === 'badRequest')
        throw badRequest(`Invalid ${param(rawDelta ? 'delta' : 'skip')} value.`, opts.malformedCode);
      return { expired: true, malformed: true };
    }
    if (decoded.c !== coll.key) return { expired: true };
    if (decoded.a < coll.deltaHorizon && !(decoded.i && decoded.a === 0)) return { expired: true };
    cursor = { a: decoded.a, u: decoded.u ?? coll.lastSeq, ...(decoded.i ? { i: 1 } : {}) };
  } else {
    cursor = { a: 0, u: coll.lastSeq, i: 1 };
  }
  const upper = cursor.u;
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
    const next = { c: coll.key, a: last, u: upper, ...(cursor.i ? { i: 1 } : {}) };
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
