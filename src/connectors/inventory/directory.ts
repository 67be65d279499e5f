import { batch, collect, type BatchRequest } from '../../graph/index.js';
import type { CrawlContext } from './context.js';

export interface UserInfo {
  id: string;
  userPrincipalName: string;
  mail: string | null;
  userType: string;
  /** From mailboxSettings: user, shared, room, equipment; null without a mailbox. */
  mailbox: string | null;
  /** In-place archive mailbox id (beta settings/exchange), when enabled. */
  archiveMailboxId: string | null;
  /** The user's OneDrive drive id, when provisioned. */
  driveId: string | null;
}

export interface GroupInfo {
  id: string;
  displayName: string;
  unified: boolean;
  team: boolean;
}

export interface SiteInfo {
  id: string;
  webUrl: string;
  personal: boolean;
}

export interface Directory {
  users: UserInfo[];
  groups: GroupInfo[];
  sites: SiteInfo[];
}

/**
 * Users, groups and sites, then what each user has — mailbox kind, archive, OneDrive — asked in
 * `$batch`es of 20 rather than three requests per user.
 */
export async function crawlDirectory(ctx: CrawlContext): Promise<Directory> {
  const rawUsers: Record<string, unknown>[] = [];
  const rawGroups: Record<string, unknown>[] = [];
  const [, , rawSites] = await Promise.all([
    ctx.deltaRound(
      '/users/delta?$select=id,userPrincipalName,mail,userType,accountEnabled,assignedLicenses',
      (items) => rawUsers.push(...items),
    ),
    ctx.deltaRound(
      '/groups/delta?$select=id,displayName,groupTypes,resourceProvisioningOptions,mail',
      (items) => rawGroups.push(...items),
    ),
    collect<Record<string, unknown>>(
      ctx.client,
      '/sites/getAllSites?$select=id,webUrl,isPersonalSite&$top=999',
    ),
  ]);

  const users: UserInfo[] = rawUsers
    .filter((u) => u['@removed'] === undefined)
    .map((u) => ({
      id: String(u['id']),
      userPrincipalName: String(u['userPrincipalName']),
      mail: (u['mail'] as string | null) ?? null,
      userType: typeof u['userType'] === 'string' ? u['userType'] : 'Member',
      mailbox: null,
      archiveMailboxId: null,
      driveId: null,
    }));
  ctx.add('directory.users', users.length);
  ctx.add('directory.guests', users.filter((u) => u.userType === 'Guest').length);
  ctx.add(
    'directory.licensedUsers',
    rawUsers.filter(
      (u) =>
        u['@removed'] === undefined && ((u['assignedLicenses'] as unknown[] | undefined) ?? []).length > 0,
    ).length,
  );

  // $batch answers 20 requests at a time: mailboxSettings says whether (and what kind of)
  // mailbox exists, drive whether a OneDrive does — two requests per user in a tenth of the calls.
  const probes = await batch(
    ctx.client,
    users.flatMap((u): BatchRequest[] => [
      { method: 'GET', url: `/users/${u.id}/mailboxSettings?$select=userPurpose` },
      { method: 'GET', url: `/users/${u.id}/drive?$select=id` },
    ]),
  );
  users.forEach((u, i) => {
    const m = probes[i * 2];
    const d = probes[i * 2 + 1];
    if (m?.status === 200) u.mailbox = String((m.body as { userPurpose?: string }).userPurpose ?? 'user');
    else if (m && m.status !== 404) ctx.warn(`user ${u.userPrincipalName} mailbox`, `HTTP ${m.status}`);
    if (d?.status === 200) u.driveId = String((d.body as { id: string }).id);
    else if (d && d.status !== 404) ctx.warn(`user ${u.userPrincipalName} drive`, `HTTP ${d.status}`);
  });
  // Archive mailboxes are only visible through the beta Exchange settings.
  const withMailbox = users.filter((u) => u.mailbox);
  const settings = await batch(
    ctx.client,
    withMailbox.map((u) => ({ method: 'GET', url: `/users/${u.id}/settings/exchange` })),
    { apiVersion: 'beta' },
  );
  withMailbox.forEach((u, i) => {
    const a = settings[i];
    if (a?.status === 200)
      u.archiveMailboxId =
        ((a.body as { inPlaceArchiveMailboxId?: string | null }).inPlaceArchiveMailboxId ?? null) || null;
    else ctx.warn(`user ${u.userPrincipalName} exchange settings`, `HTTP ${a?.status}`);
  });
  ctx.add('directory.mailboxes', withMailbox.length);
  ctx.add('directory.archiveMailboxes', users.filter((u) => u.archiveMailboxId).length);
  ctx.add('directory.oneDrives', users.filter((u) => u.driveId).length);

  const groups: GroupInfo[] = rawGroups
    .filter((g) => g['@removed'] === undefined)
    .map((g) => ({
      id: String(g['id']),
      displayName: String(g['displayName']),
      unified: ((g['groupTypes'] as string[] | undefined) ?? []).includes('Unified'),
      team: ((g['resourceProvisioningOptions'] as string[] | undefined) ?? []).includes('Team'),
    }));
  ctx.add('directory.groups', groups.length);
  ctx.add('directory.unifiedGroups', groups.filter((g) => g.unified).length);
  const sites = rawSites.map((s) => ({
    id: String(s['id']),
    webUrl: String(s['webUrl']),
    personal: s['isPersonalSite'] === true || /-my\.sharepoint/.test(String(s['webUrl'])),
  }));
  ctx.add('directory.sites', sites.length);
  return { users, groups, sites };
}
