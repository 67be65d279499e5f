import { createHash } from 'node:crypto';
import { Random, stableGuid } from '../generator/random.js';
import { TextGenerator } from '../generator/text.js';
import type { Collection } from '../core/collection.js';
import type { TenantStore, TenantIdentity } from './store.js';
import { seededDirectory } from './seeded.js';
import type { AppRecord, GroupRecord, SiteRecord, UserRecord, MailboxKind } from './records.js';

/** Microsoft 365 E3's SKU id, assigned to licensed users. */
export const E3_SKU = '6fd2c87f-b296-42f0-b197-1e91e994b900';

/** Every application permission the emulator knows; the default app registration has them all. */
export const ALL_APP_PERMISSIONS = [
  'User.Read.All',
  'Group.Read.All',
  'Group.ReadWrite.All',
  'GroupMember.Read.All',
  'Directory.Read.All',
  'Mail.Read',
  'Mail.ReadBasic.All',
  'Mail.ReadWrite',
  'MailboxSettings.Read',
  'MailboxFolder.Read.All',
  'MailboxFolder.ReadWrite.All',
  'MailboxItem.Read.All',
  'MailboxItem.Export.All',
  'MailboxItem.ImportExport.All',
  'Contacts.Read',
  'Contacts.ReadWrite',
  'Calendars.Read',
  'Calendars.ReadWrite',
  'Files.Read.All',
  'Files.ReadWrite.All',
  'Sites.Read.All',
  'Sites.ReadWrite.All',
  'Sites.Manage.All',
  'Sites.FullControl.All',
  'Team.ReadBasic.All',
  'Team.Create',
  'TeamSettings.Read.All',
  'TeamSettings.ReadWrite.All',
  'Channel.ReadBasic.All',
  'Channel.Create',
  'ChannelSettings.Read.All',
  'ChannelMessage.Read.All',
  'ChannelMember.Read.All',
  'ChannelMember.ReadWrite.All',
  'TeamMember.Read.All',
  'TeamMember.ReadWrite.All',
  'TeamsTab.Read.All',
  'TeamsTab.ReadWrite.All',
  'Teamwork.Migrate.All',
];

const TENANT_NAMES = [
  'contoso',
  'fabrikam',
  'northwind',
  'tailspin',
  'adatum',
  'litware',
  'proseware',
  'woodgrove',
];
const DEPARTMENTS = [
  'Finance',
  'Sales',
  'Marketing',
  'Engineering',
  'Legal',
  'Operations',
  'Human Resources',
  'Support',
];
const TITLES = [
  'Analyst',
  'Manager',
  'Engineer',
  'Director',
  'Coordinator',
  'Specialist',
  'Consultant',
  'Accountant',
];
const OFFICES = ['Seattle', 'London', 'Berlin', 'Tokyo', 'São Paulo', 'Zürich', 'Montréal', 'Tel Aviv'];
/** Fixed point generated content is dated from, so the same seed gives the same bytes every day. */
export const GENERATED_EPOCH = Date.UTC(2026, 0, 15, 9, 0, 0);

export function tenantIdentity(seed: string): TenantIdentity {
  const r = new Random(seed, 'tenant');
  const name = `${r.pick(TENANT_NAMES)}${r.int(10, 99)}`;
  return { tenantId: stableGuid(seed, 'tenant'), domain: `${name}.onmicrosoft.com`, name };
}

const FOLD: Record<string, string> = {
  ł: 'l',
  ø: 'o',
  æ: 'ae',
  ß: 'ss',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  œ: 'oe',
  ı: 'i',
};

/** ASCII for a mail alias: diacritics dropped, other scripts removed. */
export function asciiAlias(s: string): string {
  return s
    .toLowerCase()
    .replace(/[łøæßđðþœı]/g, (c) => FOLD[c] ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]/g, '');
}

function isoAt(r: Random, daysBackMin: number, daysBackMax: number): string {
  const ms = GENERATED_EPOCH - r.int(daysBackMin, daysBackMax) * 86_400_000 - r.int(0, 86_399) * 1000;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A SharePoint/OneDrive drive id (`b!` + 32 opaque bytes), stable for a site and library. */
export function driveIdFor(siteId: string, library: number): string {
  return `b!${createHash('sha256').update(`${siteId}|${library}`).digest().subarray(0, 32).toString('base64url')}`;
}

function siteIdFor(host: string, seed: string, key: string): string {
  return `${host},${stableGuid(seed, 'site', key)},${stableGuid(seed, 'web', key)}`;
}

export function generateUsers(store: TenantStore, c: Collection<UserRecord>): void {
  const { seed, profile } = store;
  const domain = store.identity.domain;
  const used = new Set<string>();
  const alias = (base: string, i: number) => {
    let a = base.length >= 2 ? base : `user${i}`;
    if (used.has(a)) a = `${a}${i}`;
    used.add(a);
    return a;
  };
  type Kind = 'licensed' | 'unlicensed' | 'disabled' | 'guest' | 'shared' | 'room';
  const kinds: Kind[] = [
    ...Array<Kind>(profile.users).fill('licensed'),
    ...Array<Kind>(profile.unlicensedUsers).fill('unlicensed'),
    ...Array<Kind>(profile.disabledUsers).fill('disabled'),
    ...Array<Kind>(profile.guestUsers).fill('guest'),
    ...Array<Kind>(profile.sharedMailboxes).fill('shared'),
    ...Array<Kind>(profile.roomMailboxes).fill('room'),
  ];
  kinds.forEach((kind, i) => {
    const r = new Random(seed, 'user', i);
    const text = new TextGenerator(r);
    const id = stableGuid(seed, 'user-id', i);
    let given: string | null = null;
    let surname: string | null = null;
    let displayName: string;
    let local: string;
    if (kind === 'shared') {
      const topic = r.pick(['Support', 'Info', 'Billing', 'Careers', 'Press', 'Orders']);
      displayName = `${topic} ${i}`;
      local = alias(`${asciiAlias(topic)}${i}`, i);
    } else if (kind === 'room') {
      displayName = `Conference Room ${r.pick(['Aurora', 'Bergen', 'Cádiz', 'Delft', 'Évora', 'Fjord'])} ${i}`;
      local = alias(`room${i}`, i);
    } else {
      const n = text.personName();
      given = n.given;
      surname = n.surname;
      displayName = `${n.given} ${n.surname}`;
      local = alias(`${asciiAlias(n.given)}.${asciiAlias(n.surname)}`.replace(/^\.|\.$/g, ''), i);
    }
    const externalMail = `${local}@${r.pick(['outlook.com', 'gmail.com', 'partner.example'])}`;
    const upn = kind === 'guest' ? `${externalMail.replace('@', '_')}#EXT#@${domain}` : `${local}@${domain}`;
    const mailbox: MailboxKind | null =
      kind === 'licensed' || kind === 'disabled'
        ? 'user'
        : kind === 'shared'
          ? 'shared'
          : kind === 'room'
            ? 'room'
            : null;
    const hasArchive = kind === 'licensed' && new Random(seed, 'archive', i).next() < profile.archiveRatio;
    const mbxHex = createHash('sha256').update(`${seed}|mbx|${i}`).digest('hex');
    const user: UserRecord = {
      id,
      userPrincipalName: upn,
      displayName,
      givenName: given,
      surname,
      mail: kind === 'guest' ? externalMail : kind === 'unlicensed' ? null : `${local}@${domain}`,
      jobTitle: mailbox === 'user' ? r.pick(TITLES) : null,
      department: mailbox === 'user' ? r.pick(DEPARTMENTS) : null,
      officeLocation: mailbox === 'user' || kind === 'room' ? r.pick(OFFICES) : null,
      mobilePhone: mailbox === 'user' ? `+1 425 555 ${String(r.int(0, 9999)).padStart(4, '0')}` : null,
      businessPhones: mailbox === 'user' ? [`+1 206 555 ${String(r.int(0, 9999)).padStart(4, '0')}`] : [],
      preferredLanguage: kind === 'guest' ? null : r.pick(['en-US', 'de-DE', 'fr-FR', 'ja-JP', 'pt-BR']),
      usageLocation: kind === 'guest' ? null : r.pick(['US', 'GB', 'DE', 'JP', 'BR']),
      accountEnabled: kind === 'licensed' || kind === 'unlicensed' || kind === 'guest',
      userType: kind === 'guest' ? 'Guest' : 'Member',
      createdDateTime: isoAt(r, 400, 1500),
      licenses: kind === 'licensed' || kind === 'disabled' ? [E3_SKU] : [],
      mailbox,
      primaryMailboxId: mailbox ? `MBX:${mbxHex.slice(0, 8)}@${mbxHex.slice(8, 16)}` : null,
      archiveMailboxId: hasArchive ? `MBX:${mbxHex.slice(16, 24)}@${mbxHex.slice(8, 16)}` : null,
      hasDrive: kind === 'licensed' || kind === 'disabled',
      password: `Pw-${r.bytes(9).toString('base64url')}`,
      seedIndex: i,
    };
    c.put(id, user);
  });
}

/** Groups from the seeded users (never the live directory, so rosters do not depend on later changes). */
export function generateGroups(
  store: TenantStore,
  c: Collection<GroupRecord>,
  seededUsers: readonly UserRecord[],
): void {
  const { seed, profile } = store;
  const members = seededUsers.filter((u) => u.mailbox === 'user' && u.accountEnabled);
  const guests = seededUsers.filter((u) => u.userType === 'Guest');
  for (let i = 0; i < profile.groups; i++) {
    const r = new Random(seed, 'group', i);
    const text = new TextGenerator(r);
    const name =
      i === 0
        ? 'All Company'
        : `${text.title(r.int(1, 2))} ${r.pick(['Team', 'Project', 'Working Group', 'Committee'])}`;
    const nickname = `${asciiAlias(name).slice(0, 40) || 'group'}${i}`;
    const chosen =
      i === 0 ? [...members] : r.sample(members, r.int(3, Math.max(3, Math.min(10, members.length))));
    // Every other group also has a guest, so teams have members in the guest role.
    if (i % 2 === 1 && guests.length > 0) chosen.push(r.pick(guests));
    const owners = chosen.slice(0, Math.min(2, chosen.length));
    const group: GroupRecord = {
      id: stableGuid(seed, 'group-id', i),
      displayName: name,
      description: text.sentence(5, 12),
      mailNickname: nickname,
      mail: `${nickname}@${store.identity.domain}`,
      groupTypes: ['Unified'],
      mailEnabled: true,
      securityEnabled: false,
      visibility: r.bool(0.7) ? 'Public' : 'Private',
      createdDateTime: isoAt(r, 200, 1000),
      resourceProvisioningOptions: i < profile.teams ? ['Team'] : [],
      ownerIds: owners.map((u) => u.id),
      memberIds: chosen.map((u) => u.id),
      siteId: siteIdFor(store.sharepointHost, seed, `group-${i}`),
      seedIndex: i,
    };
    c.put(group.id, group);
  }
  // One security group: directory-only, no mailbox or site; discovery must skip it for mail.
  const r = new Random(seed, 'security-group');
  const sec: GroupRecord = {
    id: stableGuid(seed, 'group-id', 'security'),
    displayName: 'VPN Users',
    description: 'Security group for remote access',
    mailNickname: 'vpnusers',
    mail: null,
    groupTypes: [],
    mailEnabled: false,
    securityEnabled: true,
    visibility: null,
    createdDateTime: isoAt(r, 300, 900),
    resourceProvisioningOptions: [],
    ownerIds: [],
    memberIds: r.sample(members, Math.min(4, members.length)).map((u) => u.id),
    siteId: null,
    seedIndex: -1,
  };
  c.put(sec.id, sec);
}

/** Sites from the seeded users and groups, like the groups themselves. */
export function generateSites(
  store: TenantStore,
  c: Collection<SiteRecord>,
  seededUsers: readonly UserRecord[],
  seededGroups: readonly GroupRecord[],
): void {
  const { seed, profile } = store;
  const host = store.sharepointHost;
  const myHost = `${store.identity.name}-my.sharepoint.com`;
  const add = (s: Omit<SiteRecord, 'driveIds'>, libraries: number) => {
    c.put(s.id, { ...s, driveIds: Array.from({ length: libraries }, (_, l) => driveIdFor(s.id, l)) });
  };
  const rootId = siteIdFor(host, seed, 'root');
  add(
    {
      id: rootId,
      name: '',
      displayName: 'Communication site',
      description: null,
      webUrl: `https://${host}`,
      createdDateTime: isoAt(new Random(seed, 'root'), 1500, 2000),
      kind: 'root',
      groupId: null,
      ownerUserId: null,
      seedIndex: 0,
    },
    1,
  );
  for (const g of seededGroups) {
    if (!g.siteId) continue;
    add(
      {
        id: g.siteId,
        name: g.mailNickname,
        displayName: g.displayName,
        description: g.description,
        webUrl: `https://${host}/sites/${g.mailNickname}`,
        createdDateTime: g.createdDateTime,
        kind: 'team',
        groupId: g.id,
        ownerUserId: null,
        seedIndex: g.seedIndex,
      },
      1,
    );
  }
  for (let i = 0; i < profile.communicationSites; i++) {
    const r = new Random(seed, 'comm-site', i);
    const title = new TextGenerator(r).title(2);
    const name = `${asciiAlias(title) || 'site'}${i}`;
    add(
      {
        id: siteIdFor(host, seed, `comm-${i}`),
        name,
        displayName: title,
        description: new TextGenerator(r).sentence(),
        webUrl: `https://${host}/sites/${name}`,
        createdDateTime: isoAt(r, 100, 900),
        kind: 'communication',
        groupId: null,
        ownerUserId: null,
        seedIndex: i,
      },
      i === 0 ? 2 : 1,
    );
  }
  for (const u of seededUsers) {
    if (!u.hasDrive) continue;
    const path = u.userPrincipalName.replace(/[@.]/g, '_');
    add(
      {
        id: siteIdFor(myHost, seed, `personal-${u.seedIndex}`),
        name: path,
        displayName: u.displayName,
        description: null,
        webUrl: `https://${myHost}/personal/${path}`,
        createdDateTime: u.createdDateTime,
        kind: 'personal',
        groupId: null,
        ownerUserId: u.id,
        seedIndex: u.seedIndex,
      },
      1,
    );
  }
}

export function defaultApp(seed: string): AppRecord {
  const r = new Random(seed, 'default-app');
  return {
    appId: stableGuid(seed, 'app'),
    displayName: 'Safehold',
    secrets: [
      {
        keyId: stableGuid(seed, 'app-secret'),
        displayName: 'emulator',
        secret: `${r.bytes(3).toString('hex')}~${r.bytes(27).toString('base64url')}`,
        endDateTime: '2099-12-31T00:00:00Z',
      },
    ],
    certificates: [],
    permissions: [...ALL_APP_PERMISSIONS],
    delegatedScopes: ['openid', 'profile', 'email', 'offline_access', 'User.Read'],
    redirectUris: [],
  };
}

/** Registers the directory's materializers: users, groups, sites and the default app. */
export function installDirectory(store: TenantStore): void {
  store.registerMaterializer('directory', (s, key, c) => {
    if (key === 'directory:users') generateUsers(s, c as Collection<UserRecord>);
    else if (key === 'directory:groups')
      generateGroups(s, c as Collection<GroupRecord>, seededDirectory(s).users);
    else if (key === 'directory:sites') {
      const seeded = seededDirectory(s);
      generateSites(s, c as Collection<SiteRecord>, seeded.users, [...seeded.groupsById.values()]);
    } else if (key === 'directory:apps') {
      const app = defaultApp(s.seed);
      c.put(app.appId, app);
    }
  });
}
