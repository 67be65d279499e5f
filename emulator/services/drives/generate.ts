import type { Collection } from '../../core/collection.js';
import { Random, stableGuid } from '../../generator/random.js';
import { TextGenerator } from '../../generator/text.js';
import { GENERATED_EPOCH } from '../../tenant/directory.js';
import type { UserRecord } from '../../tenant/records.js';
import { seededDirectory, seededOrLiveGroup, seededOrLiveUser } from '../../tenant/seeded.js';
import type { TenantStore } from '../../tenant/store.js';
import { generatedFile, pendingFile } from './content.js';
import {
  findDrive,
  stableItemId,
  type DocType,
  type DriveInfo,
  type IdentityRef,
  type ItemKind,
  type ItemRecord,
  type PermissionRecord,
  type VersionRecord,
} from './model.js';
import { isoSeconds } from '../shared/time.js';

/**
 * Seeded base content of one drive, generated the first time the drive is touched: a realistic
 * folder tree with deep nesting, unicode/emoji/RTL names, many file types with real content,
 * OneNote notebooks, version history and sharing. The "showcase" drives (the first licensed
 * user's OneDrive and the root site's library) also hold the awkward cases: a file named
 * `permission`, a path longer than 400 characters and, in the OneDrive, the profile's big file.
 */

const UNICODE_FOLDERS = [
  'Проекты',
  '資料 2024',
  'עבודה שוטפת',
  'مستندات العمل',
  '📁 Photos 🎉',
  'Café Müller – Überblick',
  'Ελληνικά έγγραφα',
  '한국어 문서',
  'हिंदी फ़ाइलें',
  '🚀 Launch Plans',
];
const UNICODE_FILES: [string, DocType][] = [
  ['Résumé – José Núñez.docx', 'docx'],
  ['議事録 2024-03.docx', 'docx'],
  ['تقرير الربع الثالث.pdf', 'pdf'],
  ['חשבונית 2023.pdf', 'pdf'],
  ['🎂 Party list.xlsx', 'xlsx'],
  ['Ελληνικά σημειώσεις.txt', 'txt'],
  ['naïve café menu.html', 'html'],
  ['Budget #3 (100% final).xlsx', 'xlsx'],
];
const DEEP_CHAIN = [
  'Archive',
  '2019',
  'Q1',
  'Clients',
  'Northwind',
  'Contracts',
  'Drafts',
  'Old',
  'Superseded',
];
const LONG_PATH = [
  'Northwind Traders Integration Programme – Phase One Deliverables, Reviews and Sign-off Documentation',
  'Working Group Minutes, Decisions and Action Items Collected From Every Steering Committee Meeting Held',
  'Supporting Evidence, Vendor Correspondence and Technical Appendices Requested by the Internal Audit Team',
  'Archived Copies of Superseded Drafts Kept for Reference Until the Programme Closes Formally Next Year',
];
const LONG_PATH_FILE = 'Very long path example – final consolidated review notes.docx';
const FILE_TYPES: [DocType, number][] = [
  ['docx', 16],
  ['xlsx', 10],
  ['pptx', 5],
  ['pdf', 14],
  ['txt', 10],
  ['csv', 6],
  ['html', 4],
  ['md', 4],
  ['json', 3],
  ['png', 12],
  ['empty', 2],
];
const SECTION_NAMES = ['Quick Notes', 'Meetings', 'Ideas', 'Research', 'To Do', 'Travel'];

function weighted<T>(r: Random, table: [T, number][]): T {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let x = r.next() * total;
  for (const [v, w] of table) if ((x -= w) < 0) return v;
  return (table[0] as [T, number])[0];
}

const refOf = (u: UserRecord): IdentityRef => ({
  id: u.id,
  displayName: u.displayName,
  ...(u.mail ? { email: u.mail } : {}),
});

/**
 * Who can appear as author/sharer in a drive: the owner, the group's members, or licensed users —
 * all as seeded (seededDirectory), so a drive generates the same whenever it is first touched.
 */
export function drivePeople(store: TenantStore, drive: DriveInfo): IdentityRef[] {
  const site = drive.site;
  let ids: string[] = [];
  if (site.ownerUserId) ids = [site.ownerUserId];
  else if (site.groupId) ids = seededOrLiveGroup(store, site.groupId)?.memberIds ?? [];
  const people: IdentityRef[] = [];
  for (const id of ids) {
    const u = seededOrLiveUser(store, id);
    if (u) people.push(refOf(u));
  }
  if (people.length === 0) {
    for (const u of seededDirectory(store).users)
      if (u.licenses.length > 0 && u.mailbox === 'user') people.push(refOf(u));
  }
  return people.length
    ? people
    : [{ id: '00000000-0000-0000-0000-000000000000', displayName: 'System Account' }];
}

/** The drives that hold the awkward cases: the first licensed user's OneDrive and the root site library. */
export function isShowcase(drive: DriveInfo): 'onedrive' | 'library' | undefined {
  if (drive.library !== 0) return undefined;
  if (drive.site.kind === 'root') return 'library';
  // Generated licensed users come first, so seed index 0 is the first OneDrive; keyed on the
  // index (not on who exists now) so a replayed journal regenerates the same tree.
  return drive.site.kind === 'personal' && drive.site.seedIndex === 0 ? 'onedrive' : undefined;
}

class DriveBuilder {
  /** Structure and names. Kept apart from `who`, so directory changes never alter the tree. */
  private readonly r: Random;
  /** Authors and sharing recipients (people as seeded), drawn apart from the structure. */
  private readonly who: Random;
  private readonly text: TextGenerator;
  private readonly people: IdentityRef[];
  private readonly names = new Map<string, Set<string>>();
  private readonly folders: { id: string; depth: number }[] = [];
  private readonly all: ItemRecord[] = [];
  private nextListItem = 1;

  constructor(
    private readonly store: TenantStore,
    private readonly drive: DriveInfo,
    private readonly coll: Collection<ItemRecord>,
  ) {
    this.r = new Random(store.seed, 'drive', drive.id);
    this.who = new Random(store.seed, 'drive-people', drive.id);
    this.text = new TextGenerator(this.r);
    this.people = drivePeople(store, drive);
  }

  private person(): IdentityRef {
    const roll = this.who.next();
    const pick = this.who.next();
    return roll < 0.3
      ? (this.people[Math.floor(pick * this.people.length)] as IdentityRef)
      : (this.people[0] as IdentityRef);
  }

  private uniqueName(parentId: string, name: string): string {
    let set = this.names.get(parentId);
    if (!set) this.names.set(parentId, (set = new Set()));
    let candidate = name;
    for (let n = 2; set.has(candidate.toLowerCase()); n++) {
      const dot = name.lastIndexOf('.');
      candidate = dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
    }
    set.add(candidate.toLowerCase());
    return candidate;
  }

  private add(
    parent: ItemRecord | null,
    name: string,
    kind: ItemKind,
    extra: Partial<ItemRecord> = {},
    id = this.nextId(),
  ): ItemRecord {
    const r = this.r;
    const ageDays = r.int(10, 900);
    const created = GENERATED_EPOCH - ageDays * 86_400_000 - r.int(0, 86_399) * 1000;
    const modified = created + r.int(0, ageDays - 1) * 86_400_000 + r.int(0, 86_399) * 1000;
    const by = this.person();
    const item: ItemRecord = {
      id,
      parentId: parent ? parent.id : null,
      name: parent ? this.uniqueName(parent.id, name) : 'root',
      kind,
      created: isoSeconds(created),
      modified: isoSeconds(modified),
      createdBy: by,
      modifiedBy: this.who.bool(0.7) ? by : this.person(),
      rev: 1,
      crev: 1,
      listItemId: parent ? this.nextListItem++ : 0,
      ...extra,
    };
    this.coll.put(id, item);
    this.all.push(item);
    return item;
  }

  private nextId(): string {
    return stableItemId(this.store.seed, this.drive.id, this.all.length);
  }

  private folder(parent: ItemRecord, name: string, depth: number): ItemRecord {
    const f = this.add(parent, name, 'folder');
    this.folders.push({ id: f.id, depth });
    return f;
  }

  /** A file with content v = its version; some get older versions with different content. */
  private file(parent: ItemRecord, name: string, type: DocType | { n: number }, versions = 0): ItemRecord {
    const id = this.nextId();
    const ref = (v: number) =>
      typeof type === 'string'
        ? ({ g: 'doc', t: type, d: this.drive.id, i: id, v } as const)
        : ({ g: 'rand', d: this.drive.id, i: id, v, n: type.n } as const);
    const current = versions + 1;
    const item = this.add(
      parent,
      name,
      'file',
      { file: generatedFile(this.store.seed, name, ref(current)), version: current },
      id,
    );
    if (versions > 0) {
      const older: VersionRecord[] = [];
      const createdMs = Date.parse(item.created);
      const step = Math.max(1, Math.floor((Date.parse(item.modified) - createdMs) / (versions + 1)));
      for (let v = versions; v >= 1; v--) {
        const r = ref(v);
        // Older versions are sized on first need: most are never listed or downloaded.
        const file = r.g === 'doc' ? pendingFile(name, r) : generatedFile(this.store.seed, name, r);
        older.push({ n: v, modified: isoSeconds(createdMs + step * (v - 1)), by: this.person(), file });
      }
      const updated = { ...item, versions: older, rev: current, crev: current };
      this.coll.put(id, updated);
      this.all[this.all.length - 1] = updated;
    }
    return item;
  }

  private randomFile(parent: ItemRecord): void {
    const type = weighted(this.r, FILE_TYPES);
    const ext = type === 'empty' ? this.r.pick(['txt', 'log', 'md']) : type;
    const versions = type !== 'empty' && type !== 'png' && this.r.bool(0.25) ? this.r.int(1, 3) : 0;
    this.file(parent, this.text.fileName(ext), type, versions);
  }

  private notebook(parent: ItemRecord, name: string): void {
    const nb = this.add(parent, name, 'notebook');
    for (const s of this.r.sample(SECTION_NAMES, this.r.int(2, 4))) this.file(nb, `${s}.one`, 'one');
  }

  build(target: number): void {
    const r = this.r;
    const root = this.add(null, 'root', 'root');
    const showcase = isShowcase(this.drive);
    const personal = this.drive.site.kind === 'personal';
    const top = personal
      ? ['Documents', 'Pictures', 'Desktop', 'Attachments', 'Microsoft Teams Chat Files']
      : ['Projects', 'Shared', 'Policies', 'Meeting Notes'];
    const group = this.drive.site.groupId
      ? seededOrLiveGroup(this.store, this.drive.site.groupId)
      : undefined;
    if (group?.resourceProvisioningOptions.includes('Team') && this.drive.library === 0)
      top.unshift('General');
    const chosen = top.filter((n, i) => i === 0 || n === 'General' || r.bool(0.6));
    const tops = chosen.map((n) => this.folder(root, n, 1));

    // Deep nesting (9 folder levels) with a file at the bottom, in showcase drives and a third of the rest.
    if (showcase || r.bool(1 / 3)) {
      let deep = root;
      DEEP_CHAIN.forEach((n, i) => (deep = this.folder(deep, n, i + 1)));
      this.file(deep, 'Signed contract (scan).pdf', 'pdf');
    }

    for (const n of r.sample(UNICODE_FOLDERS, showcase ? 3 : 1)) {
      const f = this.folder(r.pick([root, ...tops]), n, 2);
      this.randomFile(f);
    }
    for (const [n, t] of r.sample(UNICODE_FILES, 3)) this.file(r.pick(tops), n, t, r.bool(0.3) ? 1 : 0);
    this.file(root, 'empty.txt', 'empty');
    this.file(r.pick(tops), 'placeholder.log', 'empty');

    const nbParent = personal ? this.folder(root, 'Notebooks', 1) : root;
    const siteName = this.drive.site.displayName;
    this.notebook(
      nbParent,
      personal ? `${siteName.split(' ')[0] ?? 'My'}'s Notebook` : `${siteName} Notebook`,
    );

    if (showcase) {
      this.file(root, 'permission', 'txt');
      let long = root;
      LONG_PATH.forEach((n, i) => (long = this.folder(long, n, i + 1)));
      this.file(long, LONG_PATH_FILE, 'docx');
      const big = this.store.profile.largeFileBytes;
      if (showcase === 'onedrive' && big > 0)
        this.file(this.folder(root, 'Backups', 1), 'Workstation disk image.vhdx', { n: big });
    }

    while (this.all.length - 1 < target) {
      const candidates = this.folders.filter((f) => f.depth < 5);
      const at = r.pick(candidates.length ? candidates : [{ id: root.id, depth: 0 }]);
      const parent = this.coll.get(at.id) as ItemRecord;
      if (r.bool(0.18))
        this.folder(
          parent,
          r.bool(0.5) ? this.text.title(r.int(1, 3)) : `${this.text.word()} ${r.int(2015, 2025)}`,
          at.depth + 1,
        );
      else this.randomFile(parent);
    }
    this.share();
  }

  /** Sharing on some items: one user invite, one organization link, one anonymous link, and a few more. */
  private share(): void {
    const r = this.r;
    const candidates = this.all.filter((i) => i.parentId !== null);
    const pick = r.sample(candidates, Math.max(3, Math.round(candidates.length * 0.06)));
    const others = seededDirectory(this.store).users.filter(
      (u) => u.mailbox === 'user' && u.id !== this.people[0]?.id,
    );
    pick.forEach((item, k) => {
      const kind = k < 3 ? k : r.int(0, 3);
      const sharedBy = item.createdBy;
      const created = item.modified;
      const base = { id: stableGuid(this.store.seed, 'perm', item.id, k), created, sharedBy };
      let p: PermissionRecord;
      const host = new URL(this.drive.site.webUrl).host;
      const linkUrl = (t: string) =>
        `https://${host}/:${item.file ? 'w' : 'f'}:/${t}/${stableGuid(this.store.seed, 'share', item.id).replace(/-/g, '').slice(0, 22)}`;
      if (kind === 0) {
        const role = r.pick(['read', 'write']);
        const u = others.length
          ? (others[Math.floor(this.who.next() * others.length)] as (typeof others)[number])
          : undefined;
        if (!u) return;
        p = {
          ...base,
          id: Buffer.from(`i:0#.f|membership|${u.userPrincipalName}`).toString('base64'),
          roles: [role],
          user: { id: u.id, displayName: u.displayName, ...(u.mail ? { email: u.mail } : {}) },
        };
      } else if (kind === 1) {
        p = {
          ...base,
          roles: ['read'],
          link: { type: 'view', scope: 'organization', webUrl: linkUrl('g') },
          shareId: `u!${base.id}`,
        };
      } else if (kind === 2) {
        const edit = r.bool(0.4);
        p = {
          ...base,
          roles: [edit ? 'write' : 'read'],
          link: { type: edit ? 'edit' : 'view', scope: 'anonymous', webUrl: linkUrl('s') },
          shareId: `u!${base.id}`,
        };
      } else {
        const email = `${this.text.personName().given.toLowerCase()}@partner.example`;
        p = {
          ...base,
          roles: ['read'],
          user: { id: '', displayName: email, email },
          invitation: { email, signInRequired: true },
        };
      }
      const current = this.coll.get(item.id) as ItemRecord;
      this.coll.put(item.id, { ...current, permissions: [...(current.permissions ?? []), p] });
    });
  }
}

/** How many items a drive gets: OneDrives the profile's count, libraries fewer. */
export function targetItems(store: TenantStore, drive: DriveInfo): number {
  const n = store.profile.driveItemsPerUser;
  if (drive.site.kind === 'personal') return n;
  return Math.max(12, Math.round(n * (drive.library === 0 ? 0.6 : 0.3)));
}

/** Materializer for `drive:{driveId}` collections. */
export function materializeDrive(store: TenantStore, key: string, coll: Collection<unknown>): void {
  const drive = findDrive(store, key.slice('drive:'.length));
  if (!drive) return;
  new DriveBuilder(store, drive, coll as Collection<ItemRecord>).build(targetItems(store, drive));
}
