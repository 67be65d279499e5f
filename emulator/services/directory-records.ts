import { GraphHttpError } from '../core/odata.js';
import type { EmuRequest } from '../core/types.js';
import type { GroupRecord, SiteRecord, UserRecord } from '../tenant/records.js';
import type { TenantStore } from '../tenant/store.js';

/** Directory objects as Graph serves them, and lookups that answer Graph's 404s. */

const userNotFound = (id: string) =>
  new GraphHttpError(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );

export function userJson(u: UserRecord): Record<string, unknown> {
  return {
    id: u.id,
    businessPhones: u.businessPhones,
    displayName: u.displayName,
    givenName: u.givenName,
    jobTitle: u.jobTitle,
    mail: u.mail,
    mobilePhone: u.mobilePhone,
    officeLocation: u.officeLocation,
    preferredLanguage: u.preferredLanguage,
    surname: u.surname,
    userPrincipalName: u.userPrincipalName,
    // Not in Graph's default projection, but served when $select names them.
    accountEnabled: u.accountEnabled,
    userType: u.userType,
    createdDateTime: u.createdDateTime,
    department: u.department,
    usageLocation: u.usageLocation,
    assignedLicenses: u.licenses.map((skuId) => ({ disabledPlans: [], skuId })),
    mailNickname: u.userPrincipalName.split('@')[0],
    proxyAddresses: u.mail && u.userType === 'Member' ? [`SMTP:${u.mail}`] : [],
  };
}

const DEFAULT_USER_FIELDS = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];

/** Graph returns a fixed default set of user properties unless $select asks for others. */
export function projectUser(req: EmuRequest, u: UserRecord): Record<string, unknown> {
  const all = userJson(u);
  if (req.query.get('$select')) return all;
  return Object.fromEntries(DEFAULT_USER_FIELDS.map((k) => [k, all[k]]));
}

export function groupJson(g: GroupRecord): Record<string, unknown> {
  return {
    id: g.id,
    createdDateTime: g.createdDateTime,
    description: g.description,
    displayName: g.displayName,
    groupTypes: g.groupTypes,
    mail: g.mail,
    mailEnabled: g.mailEnabled,
    mailNickname: g.mailNickname,
    securityEnabled: g.securityEnabled,
    visibility: g.visibility,
    resourceProvisioningOptions: g.resourceProvisioningOptions,
    proxyAddresses: g.mail ? [`SMTP:${g.mail}`] : [],
  };
}

export function siteJson(s: SiteRecord): Record<string, unknown> {
  const host = new URL(s.webUrl).host;
  return {
    id: s.id,
    createdDateTime: s.createdDateTime,
    lastModifiedDateTime: s.createdDateTime,
    name: s.name,
    displayName: s.displayName,
    description: s.description,
    webUrl: s.webUrl,
    siteCollection: { hostname: host },
    ...(s.kind === 'root' ? { root: {} } : {}),
    isPersonalSite: s.kind === 'personal',
  };
}

export function directoryObject(
  u: UserRecord | undefined,
  g?: GroupRecord,
): Record<string, unknown> | undefined {
  if (u) return { '@odata.type': '#microsoft.graph.user', ...userJson(u) };
  if (g) return { '@odata.type': '#microsoft.graph.group', ...groupJson(g) };
  return undefined;
}

export function requireUser(store: TenantStore, id: string): UserRecord {
  const u = store.findUser(id);
  if (!u) throw userNotFound(id);
  return u;
}

export function requireGroup(store: TenantStore, id: string): GroupRecord {
  const g = store.groups.get(id);
  if (!g) throw userNotFound(id);
  return g;
}

/** Resolves `/sites/{id}`: a full site id, `root`, or `hostname:/sites/path`. */
export function requireSite(store: TenantStore, raw: string): SiteRecord {
  const sites = store.sites.values();
  if (raw === 'root') return sites.find((s) => s.kind === 'root') as SiteRecord;
  const direct = store.sites.get(raw);
  if (direct) return direct;
  const m = /^([^:,]+):(\/.*?):?$/.exec(raw);
  if (m) {
    const url = `https://${m[1]}${m[2]}`.replace(/\/$/, '').toLowerCase();
    const s = sites.find((x) => x.webUrl.toLowerCase() === url);
    if (s) return s;
  }
  // A site id may also be given as just the site collection guid (or hostname,guid).
  const s = sites.find((x) => x.id.split(',').slice(1, 2).includes(raw) || x.id.startsWith(`${raw},`));
  if (s) return s;
  throw new GraphHttpError(404, 'itemNotFound', 'Requested site could not be found');
}
