import { collectionPage, decodeCursor } from '../../core/odata.js';
import type { EmuRequest, EmuResponse } from '../../core/types.js';

export interface KeysetOptions<T> {
  /** Numeric sort key; the page cursor is the last key sent. */
  key: (item: T) => number;
  descending: boolean;
  top: number;
  extra?: (page: object[]) => Record<string, unknown>;
}

/**
 * Pages a list ordered by a numeric key (message ids newest first, list item ids ascending) with
 * the last key sent as the `$skiptoken` cursor: items added or changed while a client pages are
 * neither repeated nor do they shift later pages.
 */
export function pageByKey<T>(
  req: EmuRequest,
  context: string,
  items: readonly T[],
  project: (item: T) => object,
  opts: KeysetOptions<T>,
): EmuResponse {
  const skip = req.query.get('$skiptoken');
  const cursor = skip ? decodeCursor(skip, { k: 'count' } as const).k : undefined;
  const sorted = items
    .filter((i) => cursor === undefined || (opts.descending ? opts.key(i) < cursor : opts.key(i) > cursor))
    .sort((a, b) => (opts.descending ? opts.key(b) - opts.key(a) : opts.key(a) - opts.key(b)));
  const slice = sorted.slice(0, opts.top);
  const page = slice.map(project);
  const last = slice[slice.length - 1];
  const next = sorted.length > opts.top && last !== undefined ? { k: opts.key(last) } : undefined;
  return collectionPage(req, context, page, next, opts.extra?.(page) ?? {});
}
