import type { Collection } from '../../core/collection.js';
import { Random, stableGuid } from '../../generator/random.js';
import { TextGenerator } from '../../generator/text.js';
import { GENERATED_EPOCH } from '../../tenant/directory.js';
import type { SiteRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { seededDirectory, seededOrLiveGroup, seededOrLiveUser } from '../../tenant/seeded.js';
import { listsKey, type ColumnDef, type ListItemRecord, type ListRecord } from './model.js';
import {
  CUSTOM_SPECS,
  EVENTS_SPEC,
  SYSTEM_SPECS,
  TASKS_SPEC,
  TITLE_COLUMN,
  contentTypesFor,
  type ListSpec,
} from './templates.js';
import { isoDate, isoSeconds } from '../shared/time.js';

const DAY = 86_400_000;
const ALL_SPECS = [...CUSTOM_SPECS, EVENTS_SPEC, TASKS_SPEC, ...SYSTEM_SPECS];
export const specOf = (key: string | null) => ALL_SPECS.find((s) => s.key === key);
export const USER_INFO_SPEC = 'system-112';

/**
 * A user's id in a site's User Information List, which person columns (`AuthorLookupId`, …)
 * point at. Derived from the account so it never changes when site membership does.
 */
export const lookupIdOf = (seedIndex: number) => String(10 + Math.max(0, seedIndex));

/** Who works in a site: the group's people for team sites, everyone for the root and communication sites. */
export function siteRoster(store: TenantStore, site: SiteRecord): string[] {
  if (site.kind === 'personal') return site.ownerUserId ? [site.ownerUserId] : [];
  if (site.kind === 'team' && site.groupId) {
    const g = seededOrLiveGroup(store, site.groupId);
    return g ? [...new Set([...g.ownerIds, ...g.memberIds])] : [];
  }
  // The directory as seeded, so generated items do not change with later account activity.
  return [...seededDirectory(store).users]
    .filter((u) => u.mailbox === 'user' && u.accountEnabled)
    .map((u) => u.id);
}

function itemCount(store: TenantStore, list: Pick<ListRecord, 'id'>, spec: ListSpec): number {
  if (spec.key.startsWith('system-'))
    return spec.key === 'system-124' ? 8 : spec.key === 'system-116' ? 2 : spec.key === 'system-113' ? 3 : 0;
  const mean = store.profile.listItemsPerList;
  if (mean <= 0) return 0;
  const r = new Random(store.seed, 'list-item-count', list.id);
  return r.int(Math.max(1, Math.ceil(mean * 0.75)), Math.max(1, Math.floor(mean * 1.25)));
}

/** The lists of one site: a few custom lists, a calendar and a task list, plus the hidden system lists. */
export function generateLists(store: TenantStore, site: SiteRecord, c: Collection<ListRecord>): void {
  const r = new Random(store.seed, 'site-lists', site.id);
  // Personal sites and sites just created through Graph start with only the system lists.
  const seeded = site.kind !== 'personal' && site.seedIndex >= 0;
  const specs: ListSpec[] = seeded ? [...r.sample(CUSTOM_SPECS, r.int(2, 3)), EVENTS_SPEC, TASKS_SPEC] : [];
  specs.push(...SYSTEM_SPECS);
  const siteCreated = Date.parse(site.createdDateTime);
  for (const spec of specs) {
    const id = stableGuid(store.seed, 'list', site.id, spec.key);
    const system = spec.key.startsWith('system-');
    // Sites created after the seed's epoch (tenant activity) get the same lists, still empty.
    const fresh = siteCreated >= GENERATED_EPOCH - DAY;
    const created =
      system || fresh ? siteCreated : Math.min(GENERATED_EPOCH - DAY, siteCreated + r.int(1, 120) * DAY);
    const count = fresh && !system ? 0 : itemCount(store, { id }, spec);
    c.put(id, {
      id,
      siteId: site.id,
      name: spec.name,
      displayName: spec.displayName,
      description: spec.description,
      template: spec.template,
      baseTemplate: spec.baseTemplate,
      hidden: system,
      system,
      path: spec.path(spec.name),
      contentTypesEnabled: system,
      createdDateTime: isoSeconds(created),
      lastModifiedDateTime: isoSeconds(
        fresh ? created : Math.max(created, GENERATED_EPOCH - r.int(1, 30) * DAY),
      ),
      version: 1,
      nextItemId: spec.key === USER_INFO_SPEC ? 1 : count + 1,
      seededItems: spec.key === USER_INFO_SPEC ? 0 : count,
      columns: spec.key === USER_INFO_SPEC || !system ? [TITLE_COLUMN, ...spec.columns] : [TITLE_COLUMN],
      contentTypes: contentTypesFor(id, spec.itemType),
      spec: spec.key,
    });
  }
}

function fieldValue(
  r: Random,
  text: TextGenerator,
  col: ColumnDef,
  roster: string[],
  createdMs: number,
): unknown {
  switch (col.type) {
    case 'text':
      if (col.name === 'Company') return text.companyWord();
      if (col.name === 'Phone') return `+1 206 555 ${String(r.int(0, 9999)).padStart(4, '0')}`;
      if (col.name === 'Location')
        return r.pick(['Room 1.04', 'Teams meeting', 'Berlin office', 'Café Olé', 'Building 7 – Atrium']);
      return text.title(r.int(2, 5));
    case 'note':
      return `<div class="ExternalClass${stableGuid('ec', createdMs, col.name).replace(/-/g, '').toUpperCase()}"><p>${text.paragraph(r.int(1, 3))}</p></div>`;
    case 'number':
      if (col.name === 'Budget') return r.int(1_000, 500_000);
      if (col.name === 'Rating') return r.int(1, 5);
      if (col.name === 'PercentComplete') return r.int(0, 10) / 10;
      if (col.name === 'Effort') return r.int(1, 40) / 2;
      return r.int(0, 100);
    case 'dateTime': {
      const ms = createdMs + r.int(-60, 90) * DAY;
      return col.dateOnly ? `${isoDate(ms)}T00:00:00Z` : isoSeconds(Math.floor(ms / 60_000) * 60_000);
    }
    case 'choice':
      return r.pick(col.choices ?? ['']);
    case 'boolean':
      return r.bool();
    case 'person':
      return roster.length ? r.pick(roster) : null;
    case 'hyperlink':
      return { Description: text.title(2), Url: `https://www.example.com/${text.word()}/${r.int(100, 999)}` };
  }
}

/** The items of one generated list (User Information List: one per site member). */
export function generateItems(
  store: TenantStore,
  site: SiteRecord,
  list: ListRecord,
  c: Collection<ListItemRecord>,
): void {
  const spec = specOf(list.spec);
  if (!spec) return;
  const roster = siteRoster(store, site);
  const ct = list.contentTypes[0] as { id: string; name: string };
  const base = (id: string, createdMs: number, authorId: string | null): ListItemRecord => ({
    id,
    uid: stableGuid(store.seed, 'list-item-uid', list.id, id),
    version: 1,
    contentTypeId: ct.id,
    contentTypeName: ct.name,
    createdDateTime: isoSeconds(createdMs),
    lastModifiedDateTime: isoSeconds(createdMs),
    authorId,
    editorId: authorId,
    values: {},
    attachments: [],
  });
  if (spec.key === USER_INFO_SPEC) {
    for (const userId of roster) {
      const u = seededOrLiveUser(store, userId);
      if (!u) continue;
      c.put(
        lookupIdOf(u.seedIndex),
        userInfoItem(
          store,
          base(lookupIdOf(u.seedIndex), Date.parse(site.createdDateTime), null),
          u.id,
          site,
        ),
      );
    }
    return;
  }
  const count = list.seededItems;
  const listCreated = Date.parse(list.createdDateTime);
  for (let i = 1; i <= count; i++) {
    const r = new Random(store.seed, 'list-item', list.id, i);
    const text = new TextGenerator(r);
    const fresh = listCreated >= GENERATED_EPOCH - DAY;
    const createdMs = fresh
      ? listCreated
      : Math.min(
          GENERATED_EPOCH - 3_600_000,
          listCreated + Math.floor(((GENERATED_EPOCH - listCreated) * i) / (count + 1)) + r.int(0, 3_600_000),
        );
    const item = base(String(i), createdMs, roster.length ? r.pick(roster) : null);
    item.values['Title'] =
      spec.key === 'system-124'
        ? r.pick(['Office', 'Orange', 'Sea Monster', 'Green', 'Blue', 'Sketch', 'Characters', 'Grey'])
        : spec.key === 'system-116'
          ? ['seattle.master', 'oslo.master'][i - 1]
          : text.title(r.int(2, 6));
    for (const col of spec.columns) {
      if (!col.required && r.bool(0.15)) continue;
      item.values[col.name] = fieldValue(r, text, col, roster, createdMs);
    }
    if (spec.key === 'events' && typeof item.values['EventDate'] === 'string') {
      item.values['EndDate'] = isoSeconds(Date.parse(item.values['EventDate']) + r.int(1, 8) * 1_800_000);
    }
    if (!list.system && r.bool(0.12)) {
      for (let a = r.int(1, 2); a > 0; a--) {
        const fileName = text.fileName(r.pick(['pdf', 'docx', 'png', 'txt']));
        // This draw once gave a size; it stays so the item's later values stay as they were.
        r.int(2_000, 500_000);
        // SharePoint names are unique per item, whatever the case.
        if (!item.attachments.some((x) => x.fileName.toLowerCase() === fileName.toLowerCase()))
          item.attachments.push({ fileName });
      }
    }
    if (!fresh && r.bool(0.3)) {
      item.version = r.int(2, 4);
      item.lastModifiedDateTime = isoSeconds(Math.min(GENERATED_EPOCH, createdMs + r.int(1, 60) * DAY));
      item.editorId = roster.length ? r.pick(roster) : item.authorId;
    }
    c.put(item.id, item);
  }
}

/** An entry of the User Information List for a user. */
export function userInfoItem(
  store: TenantStore,
  item: ListItemRecord,
  userId: string,
  site: SiteRecord,
): ListItemRecord {
  const u = seededOrLiveUser(store, userId);
  const isAdmin =
    site.kind === 'personal'
      ? site.ownerUserId === userId
      : (seededOrLiveGroup(store, site.groupId ?? '')?.ownerIds.includes(userId) ?? false);
  return {
    ...item,
    userId,
    values: {
      Title: u?.displayName ?? userId,
      Name: `i:0#.f|membership|${(u?.userPrincipalName ?? userId).toLowerCase()}`,
      EMail: u?.mail ?? null,
      UserName: u?.userPrincipalName ?? null,
      JobTitle: u?.jobTitle ?? null,
      Department: u?.department ?? null,
      IsSiteAdmin: isAdmin,
    },
  };
}

export function installListMaterializers(store: TenantStore): void {
  store.registerMaterializer('lists', (s, key, c) => {
    const site = s.sites.get(key.slice('lists:'.length));
    if (site) generateLists(s, site, c as Collection<ListRecord>);
  });
  store.registerMaterializer('listitems', (s, key, c) => {
    const [siteId = '', listId = ''] = key.slice('listitems:'.length).split('|');
    const site = s.sites.get(siteId);
    const list = site ? s.collection<ListRecord>(listsKey(site.id)).get(listId) : undefined;
    if (site && list) generateItems(s, site, list, c as Collection<ListItemRecord>);
  });
}
