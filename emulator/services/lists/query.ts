import { compileFilter } from '../../core/filter.js';
import { badRequest } from '../../core/odata.js';
import type { EmuRequest, EmuResponse } from '../../core/types.js';
import { allColumns } from './json.js';
import type { ListRecord } from './model.js';
import { sharepointStartOver } from '../shared/resync.js';

/** Query options shared by list item routes of custom lists and document libraries. */

const HONOR_NON_INDEXED = /HonorNonIndexedQueriesWarningMayFailRandomly/i;

/** `$select` names. */
export const selected = (req: EmuRequest) =>
  (req.query.get('$select') ?? req.query.get('select') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** What a list item `$filter` sees of an item. */
export type FilterView = {
  id: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  contentType: { id: string; name: string };
  fields: Record<string, unknown>;
};

/** `$filter` over list items; non-indexed fields need the Prefer header, as SharePoint insists. */
export function itemFilter(req: EmuRequest, l: ListRecord): ((v: FilterView) => boolean) | undefined {
  const raw = req.query.get('$filter') ?? req.query.get('filter');
  if (!raw) return undefined;
  const indexed = new Set(
    allColumns(l)
      .filter((c) => c.indexed)
      .map((c) => c.name.toLowerCase()),
  );
  for (const [, name] of raw.matchAll(/fields\/(\w+)/g)) {
    if (
      !indexed.has((name as string).toLowerCase()) &&
      !HONOR_NON_INDEXED.test(req.headers['prefer'] ?? '')
    ) {
      throw badRequest(
        `Field '${name}' cannot be referenced in filter or orderby as it is not indexed. Provide the 'Prefer: HonorNonIndexedQueriesWarningMayFailRandomly' header to allow this, but be warned that such queries may fail on large lists.`,
        'invalidRequest',
      );
    }
  }
  const test = compileFilter(raw);
  return (v) => test(v);
}

export function refuseOrderBy(req: EmuRequest): void {
  if (req.query.has('$orderby') || req.query.has('orderby'))
    throw badRequest('$orderby on list items is not supported by the emulator.', 'invalidRequest');
}

/** 410 Gone for an expired list-item delta token; Location restarts the enumeration (shared/resync.ts). */
export const listsDeltaExpired = sharepointStartOver;

/** What `$expand` adds to a list item: kept whatever `$select` names, as Graph does. */
const EXPANDED = ['fields@odata.context', 'fields', 'driveItem'];

/**
 * `$select=id&$expand=fields(…)` on item delta: the shared delta pager applies `$select` after
 * projecting, which would drop the expanded `fields` (and a library item's `driveItem`). The
 * projection's expanded parts are kept aside by id and put back.
 */
export function keepingExpandedFields<T>(project: (t: T) => Record<string, unknown>) {
  const kept = new Map<string, Record<string, unknown>>();
  return {
    project: (t: T) => {
      const out = project(t);
      const parts = Object.fromEntries(EXPANDED.filter((k) => k in out).map((k) => [k, out[k]]));
      if (Object.keys(parts).length) kept.set(String(out['id']), parts);
      return out;
    },
    restore: (r: EmuResponse): EmuResponse => {
      const value = (r.json as { value?: Record<string, unknown>[] } | undefined)?.value;
      for (const entry of value ?? []) {
        const parts = entry['deleted'] === undefined ? kept.get(String(entry['id'])) : undefined;
        if (parts) Object.assign(entry, parts);
      }
      return r;
    },
  };
}
