import { Random } from '../../generator/random.js';
import { GENERATED_EPOCH } from '../../tenant/directory.js';
import type { MailboxKind } from '../../tenant/records.js';
import { seededDirectory } from '../../tenant/seeded.js';
import type { TenantStore } from '../../tenant/store.js';

/**
 * The tenant-wide mail plan: who sent what to whom. It is the only cross-mailbox part of the mail
 * generator, so that a message between two tenant users sits in the sender's Sent Items and in
 * the recipient's mailbox with the same Message-ID. It holds numbers only; subjects, bodies and
 * attachments are generated per message on demand (content.ts).
 *
 * It is computed from the directory as generated from the seed (not the live directory), so
 * directory activity never reshuffles mail that was already served.
 */

export const DAY = 86_400_000;

export interface PlanMailbox {
  idx: number;
  uid: string;
  seedIndex: number;
  kind: MailboxKind;
  name: string;
  address: string;
  givenName: string | null;
}

/** A recipient: a mailbox of the plan, or an external address number. */
export type PlanRecipient = { m: number } | { x: number };

export interface SentMessage {
  m: number;
  j: number;
  date: number;
  to: PlanRecipient[];
  cc: PlanRecipient[];
  /** The message this one replies to. */
  re?: { m: number; j: number };
  depth: number;
}

/** One message of a mailbox: where its content comes from and which folder it was generated in. */
export interface PlanEntry {
  /** s: own sent item, r: copy of an internal sender's message, x: external inbound, d: draft, big: shared attachment. */
  t: 's' | 'r' | 'x' | 'd' | 'big';
  a: number;
  b: number;
  folder: string;
  at: number;
}

export interface TenantMailPlan {
  mailboxes: PlanMailbox[];
  byUid: Map<string, PlanMailbox>;
  sent: SentMessage[][];
  /** Per mailbox, packed `sender * 2^20 + j` of every internal message it received. */
  received: number[][];
  /** Per mailbox, the shared-attachment deliveries it got. */
  big: number[][];
  perMailbox: Map<string, PlanEntry[]>;
  archive: Map<string, PlanEntry[]>;
}

const PACK = 2 ** 20;
const plans = new WeakMap<TenantStore, TenantMailPlan>();

export const customFolderKeys = (store: TenantStore) =>
  Array.from({ length: store.profile.customFoldersPerMailbox }, (_, i) => `c${i}`);

function generatedMailboxes(store: TenantStore): PlanMailbox[] {
  return seededDirectory(store)
    .users.filter((u) => u.mailbox !== null && u.mail)
    .sort((a, b) => a.seedIndex - b.seedIndex)
    .map((u, idx) => ({
      idx,
      uid: u.id,
      seedIndex: u.seedIndex,
      kind: u.mailbox as MailboxKind,
      name: u.displayName,
      address: u.mail as string,
      givenName: u.givenName,
    }));
}

export function tenantPlan(store: TenantStore): TenantMailPlan {
  let plan = plans.get(store);
  if (plan) return plan;
  const { seed, profile } = store;
  const mailboxes = generatedMailboxes(store);
  const sent: SentMessage[][] = mailboxes.map(() => []);
  const pickOther = (r: Random, m: number) => {
    const o = r.int(0, mailboxes.length - 2);
    return o >= m ? o + 1 : o;
  };
  for (const mb of mailboxes) {
    if (mb.kind !== 'user') continue;
    const r = new Random(seed, 'mail-plan', mb.seedIndex);
    const total = Math.round(profile.messagesPerMailbox * (0.85 + 0.3 * r.next()));
    const count = Math.round(total * 0.18);
    for (let j = 0; j < count; j++) {
      const s = new Random(seed, 'sent', mb.seedIndex, j);
      const recipient = (): PlanRecipient =>
        mailboxes.length > 1 && s.bool(0.45) ? { m: pickOther(s, mb.idx) } : { x: s.int(0, 999_999) };
      const to = Array.from({ length: s.int(1, 3) }, recipient);
      const cc = s.bool(0.2) ? [recipient()] : [];
      sent[mb.idx]?.push({
        m: mb.idx,
        j,
        date: GENERATED_EPOCH - DAY - s.int(0, 730 * 86_400) * 1000,
        to,
        cc,
        depth: 0,
      });
    }
  }
  // Replies: the first internal recipient answers now and then, up to three levels deep.
  const queue = sent.flat();
  for (let q = 0; q < queue.length; q++) {
    const msg = queue[q] as SentMessage;
    if (msg.depth >= 3) continue;
    const first = msg.to.find((t): t is { m: number } => 'm' in t && mailboxes[t.m]?.kind === 'user');
    if (!first) continue;
    const r = new Random(seed, 'reply', mailboxes[msg.m]?.seedIndex ?? 0, msg.j);
    if (!r.bool(msg.depth === 0 ? 0.25 : 0.35)) continue;
    const list = sent[first.m] as SentMessage[];
    const reply: SentMessage = {
      m: first.m,
      j: list.length,
      date: Math.min(msg.date + r.int(1800, 172_800) * 1000, GENERATED_EPOCH - 60_000),
      to: [{ m: msg.m }],
      cc: [],
      re: { m: msg.m, j: msg.j },
      depth: msg.depth + 1,
    };
    list.push(reply);
    queue.push(reply);
  }
  const received: number[][] = mailboxes.map(() => []);
  for (const msg of queue) {
    const seen = new Set<number>();
    for (const t of [...msg.to, ...msg.cc]) {
      if (!('m' in t) || t.m === msg.m || seen.has(t.m)) continue;
      seen.add(t.m);
      received[t.m]?.push(msg.m * PACK + msg.j);
    }
  }
  const big: number[][] = mailboxes.map(() => []);
  if (mailboxes.length > 0 && profile.sharedAttachmentBytes > 0) {
    const order = new Random(seed, 'shared-attachment').sample(mailboxes, mailboxes.length);
    for (let d = 0; d < profile.sharedAttachmentRecipients; d++)
      big[(order[d % order.length] as PlanMailbox).idx]?.push(d);
  }
  plan = {
    mailboxes,
    byUid: new Map(mailboxes.map((m) => [m.uid, m])),
    sent,
    received,
    big,
    perMailbox: new Map(),
    archive: new Map(),
  };
  plans.set(store, plan);
  return plan;
}

export const unpackReceived = (packed: number) => ({ m: Math.floor(packed / PACK), j: packed % PACK });

function pickFolder(r: Random, table: [number, string][], custom: string[]): string {
  const roll = r.next();
  for (const [p, f] of table) {
    if (roll < p) return f === 'custom' ? (custom.length ? r.pick(custom) : 'inbox') : f;
  }
  return 'inbox';
}

/**
 * Every generated message of a primary mailbox, oldest first; a message's position in this list
 * is its generator index. Mailboxes created after generation (activity) get external mail only.
 */
export function mailboxEntries(
  store: TenantStore,
  uid: string,
  seedIndex: number,
  kind: MailboxKind,
): PlanEntry[] {
  const plan = tenantPlan(store);
  const cached = plan.perMailbox.get(uid);
  if (cached) return cached;
  const { seed, profile } = store;
  const mb = plan.byUid.get(uid);
  const custom = customFolderKeys(store);
  const entries: PlanEntry[] = [];
  const r = new Random(seed, 'mail-plan', seedIndex);
  const total = Math.round(profile.messagesPerMailbox * (0.85 + 0.3 * r.next()));
  if (mb) {
    for (const s of plan.sent[mb.idx] ?? [])
      entries.push({ t: 's', a: s.j, b: 0, folder: 'sentitems', at: s.date });
    for (const packed of plan.received[mb.idx] ?? []) {
      const { m, j } = unpackReceived(packed);
      const s = plan.sent[m]?.[j] as SentMessage;
      const f = new Random(seed, 'received-folder', seedIndex, packed);
      const folder = pickFolder(
        f,
        [
          [0.72, 'inbox'],
          [0.85, 'archive'],
          [0.95, 'custom'],
          [1, 'deleteditems'],
        ],
        custom,
      );
      entries.push({ t: 'r', a: m, b: j, folder, at: s.date + f.int(2, 90) * 1000 });
    }
    for (const d of plan.big[mb.idx] ?? [])
      entries.push({ t: 'big', a: d, b: 0, folder: 'inbox', at: GENERATED_EPOCH - 9 * DAY + d * 60_000 });
  }
  if (kind === 'user') {
    const drafts = r.int(2, 4);
    for (let j = 0; j < drafts; j++)
      entries.push({
        t: 'd',
        a: j,
        b: 0,
        folder: 'drafts',
        at: GENERATED_EPOCH - r.int(1, 30 * 86_400) * 1000,
      });
  }
  const external = Math.max(Math.round(total * 0.1), total - entries.length);
  for (let j = 0; j < external; j++) {
    const x = new Random(seed, 'external', seedIndex, j);
    const at = GENERATED_EPOCH - x.int(60, 730 * 86_400) * 1000;
    const table: [number, string][] = [
      [0.55, 'inbox'],
      [0.68, 'archive'],
      [0.85, 'custom'],
      [0.91, 'junkemail'],
      [1, 'deleteditems'],
    ];
    entries.push({ t: 'x', a: j, b: 0, folder: pickFolder(x, table, custom), at });
  }
  entries.sort((p, q) => p.at - q.at || p.t.localeCompare(q.t) || p.a - q.a || p.b - q.b);
  plan.perMailbox.set(uid, entries);
  return entries;
}

export const ARCHIVE_YEARS = [2023, 2024];

/** The in-place archive's messages: older mail, received from outside or sent to outside. */
export function archiveEntries(store: TenantStore, uid: string, seedIndex: number): PlanEntry[] {
  const plan = tenantPlan(store);
  const cached = plan.archive.get(uid);
  if (cached) return cached;
  const { seed, profile } = store;
  const r = new Random(seed, 'archive-plan', seedIndex);
  const total = Math.round(profile.archiveMessagesPerMailbox * (0.85 + 0.3 * r.next()));
  const start = Date.UTC(2022, 0, 1);
  const span = Date.UTC(2025, 0, 1) - start;
  const entries: PlanEntry[] = [];
  for (let j = 0; j < total; j++) {
    const x = new Random(seed, 'archive', seedIndex, j);
    const at = start + Math.floor(x.next() * (span / 1000)) * 1000;
    const year = new Date(at).getUTCFullYear();
    const roll = x.next();
    if (roll < 0.2) entries.push({ t: 's', a: j, b: 0, folder: 'sentitems', at });
    else if (roll < 0.3) entries.push({ t: 'x', a: j, b: 0, folder: 'deleteditems', at });
    else
      entries.push({
        t: 'x',
        a: j,
        b: 0,
        folder: ARCHIVE_YEARS.includes(year) && x.bool(0.6) ? `y${year}` : 'inbox',
        at,
      });
  }
  entries.sort((p, q) => p.at - q.at || p.a - q.a);
  plan.archive.set(uid, entries);
  return entries;
}
