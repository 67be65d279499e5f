import { Random } from '../../generator/random.js';
import { GENERATED_EPOCH } from '../../tenant/directory.js';
import type { MailboxKind, UserRecord } from '../../tenant/records.js';
import { seededOrLiveUser } from '../../tenant/seeded.js';
import type { TenantStore } from '../../tenant/store.js';
import { Lru, perStore } from '../shared/cache.js';
import { CONTENT_TYPES } from './attachment-bytes.js';
import {
  allowsAttachments,
  externalPerson,
  makeContent,
  planAttachments,
  textToHtml,
  type Content,
  type Person,
} from './content.js';
import { conversationIndex } from './ids.js';
import {
  DAY,
  tenantPlan,
  type PlanEntry,
  type PlanMailbox,
  type PlanRecipient,
  type SentMessage,
} from './plan.js';
import type { FollowupFlag } from './records.js';
import { utcWallTime } from '../shared/time.js';

/**
 * One copy of a generated message: shared content plus this mailbox's state of it (read flag,
 * follow-up flag, categories, when it arrived, transport headers).
 */

export interface Owner {
  uid: string;
  seedIndex: number;
  kind: MailboxKind;
  person: Person;
  upn: string;
}

export interface GeneratedMessage {
  content: Content;
  received: number;
  created: number;
  modified: number;
  isRead: boolean;
  isDraft: boolean;
  flag: FollowupFlag;
  categories: string[];
  inferenceClassification: 'focused' | 'other';
  /** Bcc is only visible in the sender's own copy. */
  showBcc: boolean;
  extraHeaders: [string, string][];
}

/**
 * The owner a mailbox's content is generated for: the account as seeded (renaming or deleting it
 * later must not change content already served), or as added at runtime.
 */
export function ownerOf(store: TenantStore, live: UserRecord): Owner {
  const u = seededOrLiveUser(store, live.id) ?? live;
  return {
    uid: u.id,
    seedIndex: u.seedIndex,
    kind: u.mailbox ?? 'user',
    person: { name: u.displayName, address: u.mail ?? u.userPrincipalName },
    upn: u.userPrincipalName,
  };
}

const CATEGORIES = [
  'Red category',
  'Blue category',
  'Green category',
  'Important',
  'Follow up',
  'Projekt Über',
];
/** Shared message content by label, per tenant: a label means other content in another tenant. */
const contentCache = perStore(() => new Lru<string, Content>(5000));
const cached = (store: TenantStore, key: string, make: () => Content): Content =>
  contentCache(store).getOrMake(key, make);

const oneDriveHost = (store: TenantStore, upn: string) =>
  `${store.identity.name}-my.sharepoint.com/personal/${upn.replace(/[@.]/g, '_')}`;

const personOf = (mb: PlanMailbox): Person => ({ name: mb.name, address: mb.address });

/** Content of message `j` sent by plan mailbox `m` (shared by all its copies). */
export function sentContent(store: TenantStore, m: number, j: number): Content {
  const plan = tenantPlan(store);
  const mb = plan.mailboxes[m] as PlanMailbox;
  return cached(store, `s|${mb.seedIndex}|${j}`, () => {
    const s = plan.sent[m]?.[j] as SentMessage;
    const who = (t: PlanRecipient): Person =>
      'm' in t ? personOf(plan.mailboxes[t.m] as PlanMailbox) : externalPerson(store.seed, t.x);
    const r = new Random(store.seed, 'sent-bcc', mb.seedIndex, j);
    return makeContent(store.seed, {
      label: `s/${mb.seedIndex}/${j}`,
      from: personOf(mb),
      to: s.to.map(who),
      cc: s.cc.map(who),
      bcc: s.depth === 0 && r.bool(0.05) ? [externalPerson(store.seed, r.int(0, 999_999))] : [],
      sent: s.date,
      internal: true,
      ...(s.re ? { parent: sentContent(store, s.re.m, s.re.j) } : {}),
      allowAttachments: allowsAttachments(store.seed, `s/${mb.seedIndex}/${j}`, !!s.re),
      oneDriveHost: oneDriveHost(store, mb.address),
    });
  });
}

const localAllows = (seed: string, label: string, archive: boolean) =>
  !archive || new Random(seed, 'archive-attachments', label).bool(0.5);

function localContent(
  store: TenantStore,
  owner: Owner,
  label: string,
  inbound: boolean,
  at: number,
  archive: boolean,
): Content {
  return cached(store, label, () => {
    const r = new Random(store.seed, 'local-meta', label);
    const other = externalPerson(store.seed, r.int(0, 999_999));
    const extra = r.bool(0.15) ? [externalPerson(store.seed, r.int(0, 999_999))] : [];
    return makeContent(store.seed, {
      label,
      from: inbound ? other : owner.person,
      to: inbound ? [owner.person, ...extra] : [other, ...extra],
      sent: inbound ? at - r.int(5, 600) * 1000 : at,
      internal: !inbound,
      allowAttachments: localAllows(store.seed, label, archive),
      oneDriveHost: inbound
        ? `${other.address.split('@')[1] ?? 'partner.example'}/sites/shared`
        : oneDriveHost(store, owner.upn),
    });
  });
}

/** The shared large attachment arrives in one message per delivery, each addressed differently. */
function sharedDeliveryContent(store: TenantStore, owner: Owner, d: number, at: number): Content {
  return cached(store, `big|${d}|${owner.uid}`, () => {
    const from = externalPerson(store.seed, 4242);
    const text = `Hello ${owner.person.name.split(' ')[0] ?? ''},\n\nAs requested, the raw survey data is attached (delivery ${d + 1}).\n\nKind regards,\n${from.name}`;
    const label = `big/${d}`;
    return {
      ...makeContent(store.seed, {
        label,
        from,
        to: [owner.person],
        sent: at - 30_000,
        internal: false,
        allowAttachments: false,
        oneDriveHost: 'partner.example',
        subject: `Site survey raw data – delivery ${d + 1}`,
      }),
      text,
      uniqueText: text,
      html: textToHtml(text),
      attachments: [
        {
          key: '0',
          kind: 'file',
          name: 'Site survey raw data.dat',
          contentType: CONTENT_TYPES.shared,
          inline: false,
          file: { type: 'shared', label: 'shared', title: 'Site survey raw data' },
        },
      ],
    };
  });
}

/** First draw of a copy's instance generator: cheap to recompute for counts and filters. */
function readFlag(r: Random, entry: PlanEntry): boolean {
  const own = entry.t === 's' || entry.t === 'd';
  return own || r.bool((GENERATED_EPOCH - entry.at) / DAY > 14 ? 0.88 : 0.45);
}

function instance(
  store: TenantStore,
  label: string,
  content: Content,
  entry: PlanEntry,
  owner: Owner,
): GeneratedMessage {
  const r = new Random(store.seed, 'instance', owner.uid, label);
  const own = entry.t === 's' || entry.t === 'd';
  const received = entry.at;
  const isRead = readFlag(r, entry);
  const flagRoll = r.next();
  const dtz = (ms: number) => ({
    dateTime: utcWallTime(ms),
    timeZone: 'UTC',
  });
  const flag: FollowupFlag =
    flagRoll < 0.06
      ? {
          flagStatus: 'flagged',
          startDateTime: dtz(received - (received % DAY)),
          dueDateTime: dtz(received - (received % DAY) + 7 * DAY),
        }
      : flagRoll < 0.1
        ? { flagStatus: 'complete', completedDateTime: dtz(received + 2 * DAY) }
        : { flagStatus: 'notFlagged' };
  const categories = r.bool(0.08) ? [r.pick(CATEGORIES)] : [];
  const extraHeaders: [string, string][] = [
    ['Thread-Topic', content.subject.replace(/^(RE|FW): /i, '')],
    ['Thread-Index', conversationIndex(content.rootMessageId, content.rootSent, content.depth)],
  ];
  if (content.attachments.some((a) => !a.inline)) extraHeaders.push(['X-MS-Has-Attach', 'yes']);
  extraHeaders.push(['Content-Language', 'en-US']);
  if (!own) {
    const host = `${r.int(0x10, 0xff).toString(16).toUpperCase()}PR0${r.int(1, 9)}MB${r.int(1000, 9999)}.namprd0${r.int(1, 9)}.prod.outlook.com`;
    extraHeaders.push([
      'Received',
      `from ${host} by ${host} with HTTPS; ${new Date(received).toUTCString().replace('GMT', '+0000')}`,
    ]);
    extraHeaders.push(['X-MS-Exchange-Organization-AuthAs', entry.t === 'r' ? 'Internal' : 'Anonymous']);
  }
  return {
    content,
    received,
    created: received,
    modified: received + (isRead && !own ? r.int(60, 86_400) * 1000 : 0),
    isRead,
    isDraft: entry.t === 'd',
    flag: own ? { flagStatus: 'notFlagged' } : flag,
    categories,
    inferenceClassification: entry.folder === 'junkemail' || r.bool(0.12) ? 'other' : 'focused',
    showBcc: own,
    extraHeaders,
  };
}

/** Seed label of one copy of a generated message. */
function copyLabel(owner: Owner, entry: PlanEntry, archive: boolean): string {
  if (archive) return `a/${owner.seedIndex}/${entry.a}`;
  if (entry.t === 'r') return `r/${entry.a}/${entry.b}`;
  if (entry.t === 'big') return `big/${entry.a}`;
  return `${entry.t}/${owner.seedIndex}/${entry.a}`;
}

/** Read state of a generated copy without generating its content. */
export function generatedIsRead(
  store: TenantStore,
  owner: Owner,
  entry: PlanEntry,
  archive: boolean,
): boolean {
  return readFlag(new Random(store.seed, 'instance', owner.uid, copyLabel(owner, entry, archive)), entry);
}

/** Message `entry` of `owner`'s primary (archive = false) or archive mailbox. */
export function generatedMessage(
  store: TenantStore,
  owner: Owner,
  entry: PlanEntry,
  archive: boolean,
): GeneratedMessage {
  const label = copyLabel(owner, entry, archive);
  let content: Content;
  if (archive) content = localContent(store, owner, label, entry.t !== 's', entry.at, true);
  else if (entry.t === 's')
    content = sentContent(store, tenantPlan(store).byUid.get(owner.uid)?.idx ?? 0, entry.a);
  else if (entry.t === 'r') content = sentContent(store, entry.a, entry.b);
  else if (entry.t === 'big') content = sharedDeliveryContent(store, owner, entry.a, entry.at);
  else content = localContent(store, owner, label, entry.t === 'x', entry.at, false);
  return instance(store, label, content, entry, owner);
}

/** A message that arrives through the `mail.addMessage` activity. */
export function activityMessage(
  store: TenantStore,
  owner: Owner,
  n: number,
  at: string,
  folder: string,
): GeneratedMessage {
  const label = `act/${owner.uid}/${n}`;
  const ms = Date.parse(at);
  const content = localContent(store, owner, label, true, ms, false);
  const g = instance(store, label, content, { t: 'x', a: n, b: 0, folder, at: ms }, owner);
  return { ...g, isRead: false, flag: { flagStatus: 'notFlagged' }, modified: ms };
}

export interface GeneratedSummary {
  attachments: number;
  hasAttachments: boolean;
  keyword?: string;
}

/** Attachment count and keyword of a generated message without generating its body. */
export function generatedSummary(
  store: TenantStore,
  owner: Owner,
  entry: PlanEntry | { t: 'act'; label: string },
  archive: boolean,
): GeneratedSummary {
  const summary = (label: string, allow: boolean): GeneratedSummary => {
    const p = planAttachments(store.seed, label, allow, '');
    return {
      attachments: p.attachments.length,
      hasAttachments: p.attachments.some((a) => !a.inline),
      ...(p.keyword ? { keyword: p.keyword } : {}),
    };
  };
  if (entry.t === 'act') return summary(entry.label, true);
  if (entry.t === 'big') return { attachments: 1, hasAttachments: true };
  const label = copyLabel(owner, entry, archive);
  if (archive) return summary(label, localAllows(store.seed, label, true));
  if (entry.t === 's' || entry.t === 'r') {
    const plan = tenantPlan(store);
    const m = entry.t === 's' ? (plan.byUid.get(owner.uid)?.idx ?? 0) : entry.a;
    const j = entry.t === 's' ? entry.a : entry.b;
    const contentLabel = `s/${plan.mailboxes[m]?.seedIndex ?? 0}/${j}`;
    return summary(contentLabel, allowsAttachments(store.seed, contentLabel, !!plan.sent[m]?.[j]?.re));
  }
  return summary(label, true);
}
