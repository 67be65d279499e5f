import { countOf, directoryFiltered, directoryPage } from '../core/advanced-query.js';
import { compileFilter } from '../core/filter.js';
import { deltaPage, pageArray } from '../core/listing.js';
import { GraphHttpError, ok, select, notFound } from '../core/odata.js';
import { routeMaker, type ServiceContext, type ServiceModule } from '../core/service.js';
import type { EmuRequest, EmuResponse, RouteDef, ThrottleScope } from '../core/types.js';
import { E3_SKU } from '../tenant/directory.js';
import type { GroupRecord, SiteRecord, UserRecord } from '../tenant/records.js';
import {
  directoryObject,
  groupJson,
  projectUser,
  requireGroup,
  requireSite,
  requireUser,
  siteJson,
  userJson,
} from './directory-records.js';
import type { TenantStore } from '../tenant/store.js';

const USER_PERMS = ['User.Read.All', 'Directory.Read.All', 'User.ReadWrite.All'];
const GROUP_PERMS = ['Group.Read.All', 'Directory.Read.All', 'Group.ReadWrite.All', 'GroupMember.Read.All'];
const SITE_PERMS = ['Sites.Read.All', 'Sites.ReadWrite.All', 'Sites.Manage.All', 'Sites.FullControl.All'];
const directory = (): ThrottleScope => ({ kind: 'directory' });
const spo = (cost: number) => (): ThrottleScope => ({ kind: 'sharepoint', cost });

function filtered<T>(req: EmuRequest, rows: T[], toRow: (t: T) => Record<string, unknown>): T[] {
  const f = req.query.get('$filter');
  if (!f) return rows;
  const test = compileFilter(f);
  return rows.filter((r) => test(toRow(r)));
}

function delta<T>(
  req: EmuRequest,
  store: TenantStore,
  key: string,
  context: string,
  project: (t: T) => object,
  /** Users and groups: a garbled token is a bad query value; sites keep the SharePoint resync. */
  malformed: 'badRequest' | 'expired' = 'badRequest',
): EmuResponse {
  const out = deltaPage<T>(req, {
    collection: store.collection<T>(key),
    context,
    project,
    style: 'odata',
    defaultTop: 100,
    maxTop: 999,
    removalsInInitialRound: false,
    // A token that is not one Graph issued is a bad query value (400), not an expired sync state.
    malformedToken: malformed,
    malformedCode: 'Request_BadRequest',
  });
  if (out.expired) return syncReset(req);
  return out.response;
}

function syncReset(req: EmuRequest): EmuResponse {
  const url = new URL(`${req.origin}${req.rawPath}`);
  return {
    status: 410,
    headers: { location: url.toString() },
    json: {
      error: {
        code: 'syncStateNotFound',
        message: 'The sync state generation is not found. Please do a full sync.',
      },
    },
  };
}

export const directoryService: ServiceModule = {
  name: 'directory',
  routes: (ctx: ServiceContext): RouteDef[] => {
    const { store } = ctx;
    const r = routeMaker({ scope: directory });
    return [
      r('GET', '/organization', USER_PERMS.concat(['Organization.Read.All']), (req) =>
        ok({
          '@odata.context': `${req.origin}/${req.apiVersion}/$metadata#organization`,
          value: [
            {
              id: store.identity.tenantId,
              displayName: store.identity.name,
              verifiedDomains: [
                { name: store.identity.domain, isDefault: true, isInitial: true, type: 'Managed' },
              ],
              countryLetterCode: 'US',
              tenantType: 'AAD',
            },
          ],
        }),
      ),
      r('GET', '/subscribedSkus', USER_PERMS.concat(['Organization.Read.All']), (req) => {
        const assigned = store.users.values().filter((u) => u.licenses.includes(E3_SKU)).length;
        return ok({
          '@odata.context': `${req.origin}/${req.apiVersion}/$metadata#subscribedSkus`,
          value: [
            {
              id: `${store.identity.tenantId}_${E3_SKU}`,
              skuId: E3_SKU,
              skuPartNumber: 'SPE_E3',
              capabilityStatus: 'Enabled',
              consumedUnits: assigned,
              prepaidUnits: { enabled: Math.max(assigned, 25), suspended: 0, warning: 0 },
              appliesTo: 'User',
            },
          ],
        });
      }),
      r('GET', '/users', USER_PERMS, (req) => {
        const users = directoryFiltered(req, store.users.values(), userJson, 'user');
        return pageArray(req, 'users', users, (u) => projectUser(req, u), directoryPage(req));
      }),
      r('GET', '/users/$count', USER_PERMS, (req) =>
        countOf(req, () => directoryFiltered(req, store.users.values(), userJson, 'user', true).length),
      ),
      r(
        'GET',
        '/users/delta',
        USER_PERMS,
        (req) => delta<UserRecord>(req, store, 'directory:users', 'users', (u) => projectUser(req, u)),
        { deltaExpired: syncReset },
      ),
      r('GET', '/users/{user}', USER_PERMS, (req) =>
        ok(select(req, projectUser(req, requireUser(store, req.params['user'] as string)))),
      ),
      r(
        'GET',
        '/users/{user}/mailboxSettings',
        ['MailboxSettings.Read', 'MailboxSettings.ReadWrite'],
        (req) => {
          const u = requireUser(store, req.params['user'] as string);
          if (!u.mailbox)
            throw new GraphHttpError(
              404,
              'MailboxNotEnabledForRESTAPI',
              'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
            );
          return ok({
            '@odata.context': `${req.origin}/${req.apiVersion}/$metadata#users('${u.id}')/mailboxSettings`,
            timeZone: 'UTC',
            language: {
              locale: u.preferredLanguage ?? 'en-US',
              displayName: u.preferredLanguage ?? 'English (United States)',
            },
            userPurpose: u.mailbox,
            dateFormat: 'yyyy-MM-dd',
            timeFormat: 'HH:mm',
          });
        },
        { scope: (req) => ({ kind: 'exchange', mailbox: req.params['user'] as string }) },
      ),
      {
        method: 'GET',
        path: '/users/{user}/settings/exchange',
        versions: ['beta'],
        permissions: [
          'User.Read.All',
          'MailboxSettings.Read',
          'MailboxFolder.Read.All',
          'MailboxItem.Read.All',
        ],
        scope: directory,
        handler: (req) => {
          const u = requireUser(store, req.params['user'] as string);
          if (!u.mailbox)
            throw new GraphHttpError(
              404,
              'MailboxNotEnabledForRESTAPI',
              'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
            );
          return ok({
            '@odata.context': `${req.origin}/beta/$metadata#users('${encodeURIComponent(u.userPrincipalName)}')/settings/exchange/$entity`,
            id: u.id,
            primaryMailboxId: u.primaryMailboxId,
            inPlaceArchiveMailboxId: u.archiveMailboxId,
          });
        },
      },
      r('GET', '/groups', GROUP_PERMS, (req) => {
        const groups = directoryFiltered(req, store.groups.values(), groupJson, 'group');
        return pageArray(req, 'groups', groups, groupJson, directoryPage(req));
      }),
      r('GET', '/groups/$count', GROUP_PERMS, (req) =>
        countOf(req, () => directoryFiltered(req, store.groups.values(), groupJson, 'group', true).length),
      ),
      r(
        'GET',
        '/groups/delta',
        GROUP_PERMS,
        (req) => {
          const wantsMembers = (req.query.get('$select') ?? '').split(',').includes('members');
          return delta<GroupRecord>(req, store, 'directory:groups', 'groups', (g) => ({
            ...groupJson(g),
            ...(wantsMembers
              ? { 'members@delta': g.memberIds.map((id) => ({ '@odata.type': '#microsoft.graph.user', id })) }
              : {}),
          }));
        },
        { deltaExpired: syncReset },
      ),
      r('GET', '/groups/{group}', GROUP_PERMS, (req) =>
        ok(select(req, groupJson(requireGroup(store, req.params['group'] as string)))),
      ),
      r('GET', '/groups/{group}/owners', GROUP_PERMS, (req) => {
        const g = requireGroup(store, req.params['group'] as string);
        const owners = g.ownerIds
          .map((id) => directoryObject(store.users.get(id)))
          .filter((x): x is Record<string, unknown> => !!x);
        return pageArray(req, 'directoryObjects', owners, (o) => o, { defaultTop: 100, maxTop: 999 });
      }),
      r('GET', '/groups/{group}/members', GROUP_PERMS, (req) => {
        const g = requireGroup(store, req.params['group'] as string);
        const members = g.memberIds
          .map((id) => directoryObject(store.users.get(id)))
          .filter((x): x is Record<string, unknown> => !!x);
        return pageArray(req, 'directoryObjects', members, (o) => o, { defaultTop: 100, maxTop: 999 });
      }),
      r(
        'GET',
        '/sites',
        SITE_PERMS,
        (req) => {
          const search = req.query.get('search');
          const sites = store.sites
            .values()
            .filter(
              (s) =>
                s.kind !== 'personal' &&
                (!search || search === '*' || s.displayName.toLowerCase().includes(search.toLowerCase())),
            );
          return pageArray(req, 'sites', sites, siteJson, { defaultTop: 200, maxTop: 999 });
        },
        { scope: spo(2) },
      ),
      r(
        'GET',
        '/sites/getAllSites',
        SITE_PERMS,
        (req) =>
          pageArray(req, 'sites', filtered(req, store.sites.values(), siteJson), siteJson, {
            defaultTop: 200,
            maxTop: 999,
          }),
        { scope: spo(2) },
      ),
      r(
        'GET',
        '/sites/delta',
        SITE_PERMS,
        (req) => delta<SiteRecord>(req, store, 'directory:sites', 'sites', siteJson, 'expired'),
        { scope: spo(2), deltaExpired: syncReset },
      ),
      r(
        'GET',
        '/sites/{site}',
        SITE_PERMS,
        (req) => ok(select(req, siteJson(requireSite(store, req.params['site'] as string)))),
        { scope: spo(1) },
      ),
      r(
        'GET',
        '/sites/{host}:/{path*}',
        SITE_PERMS,
        (req) =>
          ok(select(req, siteJson(requireSite(store, `${req.params['host']}:/${req.params['path']}`)))),
        { scope: spo(1) },
      ),
      r(
        'GET',
        '/groups/{group}/sites/root',
        SITE_PERMS,
        (req) => {
          const g = requireGroup(store, req.params['group'] as string);
          const s = g.siteId ? store.sites.get(g.siteId) : undefined;
          if (!s) throw notFound('Requested site could not be found', 'itemNotFound');
          return ok(select(req, siteJson(s)));
        },
        { scope: spo(1) },
      ),
    ];
  },
  inventory: (ctx) => {
    const users = ctx.store.users.values();
    return {
      users: users.length,
      licensedUsers: users.filter((u) => u.licenses.length > 0).length,
      guests: users.filter((u) => u.userType === 'Guest').length,
      mailboxes: users.filter((u) => u.mailbox !== null).length,
      archiveMailboxes: users.filter((u) => u.archiveMailboxId !== null).length,
      groups: ctx.store.groups.size,
      unifiedGroups: ctx.store.groups.values().filter((g) => g.groupTypes.includes('Unified')).length,
      sites: ctx.store.sites.size,
    };
  },
};
