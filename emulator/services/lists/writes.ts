import { GraphHttpError, badRequest } from '../../core/odata.js';
import { stableGuid, type Random } from '../../generator/random.js';
import type { SiteRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { seededDirectory } from '../../tenant/seeded.js';
import { USER_INFO_SPEC, lookupIdOf, specOf, userInfoItem } from './generate.js';
import {
  itemsKey,
  itemsOf,
  listsKey,
  listsOf,
  siteLists,
  str,
  type ColumnDef,
  type ColumnType,
  type ListItemRecord,
  type ListRecord,
} from './model.js';
import { BUILT_IN_NAMES, TITLE_COLUMN, contentTypesFor } from './templates.js';
import { isoSeconds } from '../shared/time.js';

/** Changes to lists and items, shared by the Graph write routes and the activity ops. */

const invalid = (message: string) => badRequest(message, 'invalidRequest');

function userForLookupId(store: TenantStore, raw: unknown): string | null {
  const id = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw : '';
  if (raw === null) return null;
  const u = [...seededDirectory(store).users, ...store.users.values()].find(
    (x) => lookupIdOf(x.seedIndex) === id,
  );
  if (!u) throw invalid(`The user with lookup id '${id}' does not exist in the site.`);
  return u.id;
}

function coerce(store: TenantStore, c: ColumnDef, v: unknown): unknown {
  if (v === null) return null;
  switch (c.type) {
    case 'text':
    case 'note':
      if (typeof v !== 'string') throw invalid(`Invalid value for field '${c.name}': a string is expected.`);
      return v;
    case 'choice':
      if (typeof v !== 'string' || !(c.choices ?? []).includes(v))
        throw invalid(
          `Invalid choice '${typeof v === 'string' ? v : JSON.stringify(v)}' for field '${c.name}'.`,
        );
      return v;
    case 'number': {
      const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
      if (!Number.isFinite(n)) throw invalid(`Invalid number for field '${c.name}'.`);
      return n;
    }
    case 'dateTime': {
      const t = typeof v === 'string' ? Date.parse(v) : NaN;
      if (Number.isNaN(t)) throw invalid(`Invalid date for field '${c.name}'.`);
      return isoSeconds(t);
    }
    case 'boolean':
      if (typeof v !== 'boolean')
        throw invalid(`Invalid value for field '${c.name}': true or false is expected.`);
      return v;
    case 'person':
      return userForLookupId(store, v);
    case 'hyperlink': {
      const o = (
        typeof v === 'string' ? { Url: v.split(', ')[0], Description: v.split(', ')[1] ?? v } : v
      ) as Record<string, unknown>;
      if (!o || typeof o['Url'] !== 'string') throw invalid(`Invalid hyperlink for field '${c.name}'.`);
      return {
        Description: typeof o['Description'] === 'string' ? o['Description'] : o['Url'],
        Url: o['Url'],
      };
    }
  }
}

/** Validates a fieldValueSet against the list's columns; returns values by internal name. */
export function parseFields(store: TenantStore, list: ListRecord, input: unknown): Record<string, unknown> {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    throw invalid("'fields' must be an object.");
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    if (k.startsWith('@odata')) continue;
    const c = list.columns.find((x) => x.name === k || (x.type === 'person' && `${x.name}LookupId` === k));
    if (!c) {
      if (BUILT_IN_NAMES.has(k)) throw invalid(`Field '${k}' is read-only`);
      throw invalid(`Field '${k}' is not recognized`);
    }
    out[c.name] = coerce(store, c, v);
  }
  return out;
}

function refuseSystem(list: ListRecord): void {
  if (list.system)
    throw new GraphHttpError(
      403,
      'accessDenied',
      'The list is a system list and cannot be changed through this API.',
    );
}

/** Adds the user to the site's User Information List if missing (SharePoint's EnsureUser). */
export function ensureUser(store: TenantStore, site: SiteRecord, who: string | null): void {
  const u = who && !who.startsWith('app:') ? store.users.get(who) : undefined;
  if (!u) return;
  const uil = listsOf(store, site)
    .values()
    .find((l) => l.spec === USER_INFO_SPEC);
  if (!uil || itemsOf(store, uil).has(lookupIdOf(u.seedIndex))) return;
  const now = isoSeconds(Date.now());
  const base: ListItemRecord = {
    id: lookupIdOf(u.seedIndex),
    uid: stableGuid(store.seed, 'list-item-uid', uil.id, lookupIdOf(u.seedIndex)),
    version: 1,
    contentTypeId: uil.contentTypes[0]?.id ?? '0x010A',
    contentTypeName: 'Person',
    createdDateTime: now,
    lastModifiedDateTime: now,
    authorId: null,
    editorId: null,
    values: {},
    attachments: [],
  };
  store.put(itemsKey(site.id, uil.id), base.id, userInfoItem(store, base, u.id, site));
}

/** Records a change to the list or one of its items (version, modified time). */
export function touchList(store: TenantStore, list: ListRecord, patch: Partial<ListRecord> = {}): void {
  const current = store.collection<ListRecord>(listsKey(list.siteId)).get(list.id) ?? list;
  store.put(listsKey(list.siteId), list.id, {
    ...current,
    ...patch,
    version: current.version + 1,
    lastModifiedDateTime: isoSeconds(Date.now()),
  });
}

export function addItem(
  store: TenantStore,
  site: SiteRecord,
  list: ListRecord,
  values: Record<string, unknown>,
  who: string | null,
  random: Random,
): ListItemRecord {
  refuseSystem(list);
  const coll = itemsOf(store, list);
  let next = list.nextItemId;
  for (const e of coll.entriesAfter(0)) next = Math.max(next, Number(e.id) + 1);
  const now = isoSeconds(Date.now());
  const ct = list.contentTypes[0];
  const item: ListItemRecord = {
    id: String(next),
    uid: random.guid(),
    version: 1,
    contentTypeId: ct?.id ?? '0x01',
    contentTypeName: ct?.name ?? 'Item',
    createdDateTime: now,
    lastModifiedDateTime: now,
    authorId: who,
    editorId: who,
    values,
    attachments: [],
  };
  ensureUser(store, site, who);
  store.put(itemsKey(site.id, list.id), item.id, item);
  touchList(store, list, { nextItemId: next + 1 });
  return item;
}

export function updateItem(
  store: TenantStore,
  site: SiteRecord,
  list: ListRecord,
  item: ListItemRecord,
  values: Record<string, unknown>,
  who: string | null,
): ListItemRecord {
  refuseSystem(list);
  const updated: ListItemRecord = {
    ...item,
    values: { ...item.values, ...values },
    version: item.version + 1,
    lastModifiedDateTime: isoSeconds(Date.now()),
    editorId: who,
  };
  ensureUser(store, site, who);
  store.put(itemsKey(site.id, list.id), item.id, updated);
  touchList(store, list);
  return updated;
}

export function deleteItem(store: TenantStore, list: ListRecord, item: ListItemRecord): void {
  refuseSystem(list);
  store.remove(itemsKey(list.siteId, list.id), item.id, 'deleted');
  touchList(store, list);
}

const FACETS: Record<string, (def: Record<string, unknown>) => Partial<ColumnDef> & { type: ColumnType }> = {
  text: (d) => ({ type: d['allowMultipleLines'] === true ? 'note' : 'text' }),
  number: () => ({ type: 'number' }),
  dateTime: (d) => ({ type: 'dateTime', dateOnly: d['format'] === 'dateOnly' }),
  choice: (d) => ({
    type: 'choice',
    choices: Array.isArray(d['choices']) ? (d['choices'] as unknown[]).map(String) : [],
  }),
  boolean: () => ({ type: 'boolean' }),
  personOrGroup: () => ({ type: 'person' }),
  hyperlinkOrPicture: () => ({ type: 'hyperlink' }),
};

function parseColumn(raw: Record<string, unknown>): ColumnDef {
  const name = typeof raw['name'] === 'string' ? raw['name'] : '';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) throw invalid(`Invalid column name '${name}'.`);
  const facet = Object.keys(FACETS).find((k) => raw[k] !== undefined);
  if (!facet)
    throw invalid(
      `Column '${name}' needs a type facet (text, number, dateTime, choice, boolean, personOrGroup, hyperlinkOrPicture).`,
    );
  const def = (raw[facet] ?? {}) as Record<string, unknown>;
  return {
    name,
    displayName: typeof raw['displayName'] === 'string' ? raw['displayName'] : name,
    id: '',
    indexed: raw['indexed'] === true,
    required: raw['required'] === true,
    ...FACETS[facet]!(def),
  };
}

/** POST /lists: a generic list (or events/tasks with that template's columns) plus the given columns. */
export function createList(
  store: TenantStore,
  site: SiteRecord,
  body: Record<string, unknown>,
  random: Random,
): ListRecord {
  const displayName = typeof body['displayName'] === 'string' ? body['displayName'].trim() : '';
  if (!displayName) throw invalid("'displayName' is required.");
  const template = str((body['list'] as Record<string, unknown> | undefined)?.['template'], 'genericList');
  const spec =
    template === 'genericList'
      ? undefined
      : template === 'events'
        ? specOf('events')
        : template === 'tasks'
          ? specOf('tasks')
          : null;
  if (spec === null)
    throw invalid(`Creating lists with template '${template}' is not supported by the emulator.`);
  const lists = siteLists(store, site);
  if (lists.some((l) => l.displayName.toLowerCase() === displayName.toLowerCase())) {
    throw new GraphHttpError(
      409,
      'nameAlreadyExists',
      'A list, survey, discussion board, or document library with the specified title already exists in this Web site.',
    );
  }
  if (body['columns'] !== undefined && !Array.isArray(body['columns']))
    throw invalid("'columns' must be an array.");
  const columns = ((body['columns'] ?? []) as Record<string, unknown>[])
    .map(parseColumn)
    .map((c) => ({ ...c, id: random.guid() }));
  const all = [TITLE_COLUMN, ...(spec?.columns ?? []), ...columns];
  const seen = new Set<string>();
  for (const c of all) {
    if (seen.has(c.name.toLowerCase()) || BUILT_IN_NAMES.has(c.name))
      throw invalid(`A column named '${c.name}' already exists.`);
    seen.add(c.name.toLowerCase());
  }
  const id = random.guid();
  let name = displayName.replace(/[^A-Za-z0-9]/g, '') || 'List';
  while (lists.some((l) => l.name.toLowerCase() === name.toLowerCase())) name += '1';
  const now = isoSeconds(Date.now());
  const list: ListRecord = {
    id,
    siteId: site.id,
    name,
    displayName,
    description: typeof body['description'] === 'string' ? body['description'] : '',
    template: spec?.template ?? 'genericList',
    baseTemplate: spec?.baseTemplate ?? 100,
    hidden: false,
    system: false,
    path: `Lists/${name}`,
    contentTypesEnabled: false,
    createdDateTime: now,
    lastModifiedDateTime: now,
    version: 1,
    nextItemId: 1,
    seededItems: 0,
    columns: all,
    contentTypes: contentTypesFor(id, spec?.itemType ?? { base: '0x01', name: 'Item' }),
    spec: null,
  };
  store.put(listsKey(site.id), id, list);
  return list;
}
