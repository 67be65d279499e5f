import type { Collection } from '../../core/collection.js';
import { Random } from '../../generator/random.js';
import { TextGenerator } from '../../generator/text.js';
import { GENERATED_EPOCH } from '../../tenant/directory.js';
import type { GroupRecord } from '../../tenant/records.js';
import { seededOrLiveGroup, seededOrLiveUser } from '../../tenant/seeded.js';
import type { TenantStore } from '../../tenant/store.js';
import { Lru, perStore } from '../shared/cache.js';
import { CONTENT_TYPES, fileBytes, type FileType, type GeneratedFile } from './attachment-bytes.js';
import { externalPerson, subjectLine, textToHtml, type Person } from './content.js';
import type { GroupPostRecord, GroupThreadRecord, StoredAttachment } from './records.js';

/**
 * Microsoft 365 group conversations: `mail:gthreads:{group}` holds a group's threads and
 * `mail:gposts:{group}:{thread}` one thread's posts. Every fifth thread joins the conversation of
 * the thread before it, so conversations with more than one thread exist.
 */

export const threadsKey = (gid: string) => `mail:gthreads:${gid}`;
export const postsKey = (gid: string, threadKey: string) => `mail:gposts:${gid}:${threadKey}`;

export const isUnified = (g: GroupRecord | undefined): g is GroupRecord =>
  !!g && g.groupTypes.includes('Unified') && g.mailEnabled;

export interface ThreadPlan {
  topic: string;
  conversationKey: string;
  posts: { at: number; from: Person; attachment: GeneratedFile | null }[];
}

export interface PostContent {
  from: Person;
  created: number;
  body: { contentType: 'html' | 'text'; content: string };
  attachments: { key: string; name: string; contentType: string; file: GeneratedFile }[];
}

const threadPlans = perStore(() => new Lru<string, ThreadPlan>(20_000));

/** Who posts in a group: its members as seeded (never the live directory, see seededDirectory). */
function members(store: TenantStore, g: GroupRecord): Person[] {
  const seeded = seededOrLiveGroup(store, g.id) ?? g;
  const people: Person[] = [];
  for (const id of seeded.memberIds) {
    const u = seededOrLiveUser(store, id);
    if (u?.mail) people.push({ name: u.displayName, address: u.mail });
  }
  return people.length ? people : [externalPerson(store.seed, seeded.seedIndex)];
}

export function threadCount(store: TenantStore, g: GroupRecord): number {
  const r = new Random(store.seed, 'group-threads', g.id);
  return Math.max(2, Math.round(store.profile.postsPerChannel * (0.7 + 0.6 * r.next())));
}

export function threadPlan(store: TenantStore, g: GroupRecord, i: number): ThreadPlan {
  const key = `${g.id}|${i}`;
  const hit = threadPlans(store).get(key);
  if (hit) return hit;
  const r = new Random(store.seed, 'group-thread', g.id, i);
  const text = new TextGenerator(r);
  const people = members(store, g);
  const topic = subjectLine(r, text);
  let at = GENERATED_EPOCH - r.int(2, 400) * 86_400_000 - r.int(0, 86_399) * 1000;
  const posts: ThreadPlan['posts'] = [];
  const count = 1 + r.int(0, 2 * store.profile.repliesPerPost);
  for (let j = 0; j < count; j++) {
    const type = r.pick<FileType>(['pdf', 'docx', 'png', 'xlsx']);
    const attachment = r.bool(0.2) ? { type, label: `gpost/${g.id}/${i}/${j}`, title: text.title(3) } : null;
    posts.push({ at, from: r.pick(people), attachment });
    at = Math.min(at + r.int(600, 2 * 86_400) * 1000, GENERATED_EPOCH - 1000);
  }
  const plan: ThreadPlan = { topic, conversationKey: i % 5 === 4 ? `c${i - 1}` : `c${i}`, posts };
  return threadPlans(store).set(key, plan);
}

export function generatedPost(
  store: TenantStore,
  g: GroupRecord,
  threadIndex: number,
  j: number,
): PostContent {
  const plan = threadPlan(store, g, threadIndex);
  const p = plan.posts[j];
  if (!p) throw new Error(`mail: no post ${j} in thread ${threadIndex}`);
  const text = new TextGenerator(new Random(store.seed, 'group-post', g.id, threadIndex, j));
  const content = `${text.paragraphs(j === 0 ? 2 : 1).join('\n\n')}\n\n${p.from.name}`;
  const attachments = p.attachment
    ? [
        {
          key: '0',
          name: `${p.attachment.title}.${p.attachment.type}`,
          contentType: CONTENT_TYPES[p.attachment.type],
          file: p.attachment,
        },
      ]
    : [];
  return {
    from: p.from,
    created: p.at,
    body: { contentType: 'html', content: textToHtml(content) },
    attachments,
  };
}

export const generatedAttachmentBytes = (store: TenantStore, f: GeneratedFile) => fileBytes(store, f);

/** Fills `mail:gthreads:*` and `mail:gposts:*:*` collections; false for keys it does not own. */
export function materializeGroupMail(store: TenantStore, key: string, c: Collection<unknown>): boolean {
  const t = /^mail:gthreads:([^:]+)$/.exec(key);
  if (t) {
    const g = seededOrLiveGroup(store, t[1] as string);
    if (!isUnified(g)) return true;
    for (let i = 0; i < threadCount(store, g); i++) {
      const rec: GroupThreadRecord = {
        key: `t${i}`,
        conversationKey: threadPlan(store, g, i).conversationKey,
        g: i,
        v: 0,
      };
      c.put(rec.key, rec);
    }
    return true;
  }
  const p = /^mail:gposts:([^:]+):(.+)$/.exec(key);
  if (p) {
    const g = seededOrLiveGroup(store, p[1] as string);
    const m = /^t(\d+)$/.exec(p[2] as string);
    if (!isUnified(g) || !m) return true;
    const i = Number(m[1]);
    if (i >= threadCount(store, g)) return true;
    threadPlan(store, g, i).posts.forEach((_, j) => {
      const rec: GroupPostRecord = { key: `p${j}`, g: j, v: 0 };
      c.put(rec.key, rec);
    });
    return true;
  }
  return false;
}

export type { StoredAttachment };
