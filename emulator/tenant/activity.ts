import { badRequest, notFound } from '../core/odata.js';
import type { ActivityOp, ServiceContext } from '../core/service.js';
import { stableGuid } from '../generator/random.js';
import { asciiAlias, driveIdFor, E3_SKU } from './directory.js';
import type { GroupRecord, SiteRecord, UserRecord } from './records.js';

const iso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A string argument of an activity op, or the fallback when absent. */
function str(args: Record<string, unknown>, key: string, fallback: string): string {
  const v = args[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string' && typeof v !== 'number') throw badRequest(`'${key}' must be a string`);
  return String(v);
}

/**
 * Directory changes between backups: new accounts, groups, teams and sites (their content is
 * generated from the seed like everyone else's), and accounts that change or leave.
 */
export function directoryActivity(ctx: ServiceContext): Record<string, ActivityOp> {
  const { store } = ctx;
  const nextIndex = (kind: string) => 1_000_000 + store.collection(`directory:${kind}`).lastSeq;

  const userById = (id: string): UserRecord => {
    const u = store.findUser(id);
    if (!u) throw notFound(`No user '${id}'.`);
    return u;
  };

  return {
    addUser: (args) => {
      const displayName = str(args, 'displayName', `New User ${store.users.size + 1}`);
      const alias = asciiAlias(displayName) || `user${store.users.size + 1}`;
      const index = nextIndex('users');
      const licensed = args['licensed'] !== false;
      const upn = `${alias}${index % 1000}@${store.identity.domain}`;
      const [given, ...rest] = displayName.split(' ');
      const user: UserRecord = {
        id: stableGuid(store.seed, 'user-id', index),
        userPrincipalName: upn,
        displayName,
        givenName: given ?? null,
        surname: rest.join(' ') || null,
        mail: upn,
        jobTitle: null,
        department: null,
        officeLocation: null,
        mobilePhone: null,
        businessPhones: [],
        preferredLanguage: 'en-US',
        usageLocation: 'US',
        accountEnabled: true,
        userType: 'Member',
        createdDateTime: iso(),
        licenses: licensed ? [E3_SKU] : [],
        mailbox: licensed ? 'user' : null,
        primaryMailboxId: licensed
          ? `MBX:${index.toString(16)}@${store.identity.tenantId.slice(0, 8)}`
          : null,
        archiveMailboxId:
          args['archive'] === true
            ? `MBX:a${index.toString(16)}@${store.identity.tenantId.slice(0, 8)}`
            : null,
        hasDrive: licensed,
        password: `Pw-${stableGuid(store.seed, 'pw', index).slice(0, 12)}`,
        seedIndex: index,
      };
      store.put('directory:users', user.id, user);
      if (licensed) {
        const myHost = `${store.identity.name}-my.sharepoint.com`;
        const path = upn.replace(/[@.]/g, '_');
        const siteId = `${myHost},${stableGuid(store.seed, 'site', `personal-${index}`)},${stableGuid(store.seed, 'web', `personal-${index}`)}`;
        const site: SiteRecord = {
          id: siteId,
          name: path,
          displayName,
          description: null,
          webUrl: `https://${myHost}/personal/${path}`,
          createdDateTime: user.createdDateTime,
          kind: 'personal',
          groupId: null,
          ownerUserId: user.id,
          driveIds: [driveIdFor(siteId, 0)],
          seedIndex: index,
        };
        store.put('directory:sites', site.id, site);
      }
      return { id: user.id, userPrincipalName: upn, password: user.password };
    },

    updateUser: (args) => {
      const u = userById(str(args, 'id', ''));
      const patch = (args['set'] ?? {}) as Partial<UserRecord>;
      const allowed = [
        'displayName',
        'jobTitle',
        'department',
        'officeLocation',
        'mobilePhone',
        'accountEnabled',
      ];
      for (const k of Object.keys(patch))
        if (!allowed.includes(k)) throw badRequest(`updateUser cannot set '${k}'`);
      const updated = { ...u, ...patch };
      store.put('directory:users', u.id, updated);
      return { id: u.id };
    },

    /** Soft-deletes an account (Graph reports `@removed: changed`); its data stays reachable by id. */
    deleteUser: (args) => {
      const u = userById(str(args, 'id', ''));
      store.remove('directory:users', u.id, 'changed');
      return { id: u.id };
    },

    addGroup: (args) => {
      const index = nextIndex('groups');
      const displayName = str(args, 'displayName', `New Group ${index % 1000}`);
      const nickname = `${asciiAlias(displayName).slice(0, 40) || 'group'}${index % 1000}`;
      const team = args['team'] === true;
      const memberIds = Array.isArray(args['memberIds'])
        ? (args['memberIds'] as unknown[]).map((m) => userById(String(m)).id)
        : store.users
            .values()
            .filter((u) => u.mailbox === 'user' && u.accountEnabled)
            .slice(0, 3)
            .map((u) => u.id);
      const siteId = `${store.sharepointHost},${stableGuid(store.seed, 'site', `group-${index}`)},${stableGuid(store.seed, 'web', `group-${index}`)}`;
      const group: GroupRecord = {
        id: stableGuid(store.seed, 'group-id', index),
        displayName,
        description: null,
        mailNickname: nickname,
        mail: `${nickname}@${store.identity.domain}`,
        groupTypes: ['Unified'],
        mailEnabled: true,
        securityEnabled: false,
        visibility: 'Private',
        createdDateTime: iso(),
        resourceProvisioningOptions: team ? ['Team'] : [],
        ownerIds: memberIds.slice(0, 1),
        memberIds,
        siteId,
        seedIndex: index,
      };
      store.put('directory:groups', group.id, group);
      const site: SiteRecord = {
        id: siteId,
        name: nickname,
        displayName,
        description: null,
        webUrl: `https://${store.sharepointHost}/sites/${nickname}`,
        createdDateTime: group.createdDateTime,
        kind: 'team',
        groupId: group.id,
        ownerUserId: null,
        driveIds: [driveIdFor(siteId, 0)],
        seedIndex: index,
      };
      store.put('directory:sites', site.id, site);
      return { id: group.id, siteId, team };
    },

    deleteGroup: (args) => {
      const id = str(args, 'id', '');
      const g = store.groups.get(id);
      if (!g) throw notFound(`No group '${id}'.`);
      store.remove('directory:groups', g.id, 'changed');
      return { id: g.id };
    },

    addSite: (args) => {
      const index = nextIndex('sites');
      const displayName = str(args, 'displayName', `New Site ${index % 1000}`);
      const name = `${asciiAlias(displayName) || 'site'}${index % 1000}`;
      const id = `${store.sharepointHost},${stableGuid(store.seed, 'site', `comm-${index}`)},${stableGuid(store.seed, 'web', `comm-${index}`)}`;
      const site: SiteRecord = {
        id,
        name,
        displayName,
        description: null,
        webUrl: `https://${store.sharepointHost}/sites/${name}`,
        createdDateTime: iso(),
        kind: 'communication',
        groupId: null,
        ownerUserId: null,
        driveIds: [driveIdFor(id, 0)],
        seedIndex: index,
      };
      store.put('directory:sites', id, site);
      return { id, webUrl: site.webUrl };
    },
  };
}
