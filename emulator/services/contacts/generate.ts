import type { Collection } from '../../core/collection.js';
import { Random } from '../../generator/random.js';
import { TextGenerator } from '../../generator/text.js';
import { asciiAlias, GENERATED_EPOCH } from '../../tenant/directory.js';
import type { UserRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { changeKeyFor, outlookId } from '../shared/exchange.js';
import { seededOrLiveUser } from '../../tenant/seeded.js';
import {
  contactsKey,
  foldersKey,
  type ContactFolderRecord,
  type ContactRecord,
  type PhysicalAddress,
} from './records.js';
import { outlookTimestamp } from '../shared/time.js';

/**
 * Seeded contacts: every mailbox gets a default Contacts folder and one or two child folders
 * (sometimes a nested one), and `profile.contactsPerMailbox` contacts spread over them. Contacts
 * use every field of the Graph resource, in varied forms, and a few are deliberately sparse.
 */

interface FolderPlan extends ContactFolderRecord {
  contacts: number;
}

const FOLDER_NAMES = [
  'Suppliers',
  'Family & Friends',
  'Kunden – München',
  '顧客リスト',
  'Recruiting 2025',
  'VIP 🌟',
  'Conference leads',
  'Clients (EMEA)',
];
const CATEGORIES = [
  'Red category',
  'Blue category',
  'Green category',
  'Customers',
  'Family',
  'Important ⭐',
  'Partner',
];
const TITLES = ['Dr.', 'Ms.', 'Mr.', 'Prof.', 'Mx.', 'Mrs.'];
const GENERATIONS = ['Jr.', 'Sr.', 'III', 'II'];
const PROFESSIONS = [
  'Architect',
  'Attorney',
  'Physician',
  'Accountant',
  'Software developer',
  'Photographer',
  'Ingénieure',
];
const KATAKANA = ['サトウ', 'タカハシ', 'スズキ', 'ヤマモト', 'ハナコ', 'ケンジ', 'ユウキ'];
const CHILDREN = ['Mia', 'Noah', 'Léa', 'Jonas', 'Sakura', 'Mateo', 'Zoë', 'Elif'];
const PLACES: PhysicalAddress[] = [
  {
    street: '1 Microsoft Way',
    city: 'Redmond',
    state: 'WA',
    countryOrRegion: 'United States',
    postalCode: '98052',
  },
  {
    street: 'Königsallee 92a',
    city: 'Düsseldorf',
    state: 'NRW',
    countryOrRegion: 'Deutschland',
    postalCode: '40212',
  },
  {
    street: '12 rue de l’Église\nBâtiment B, 3ᵉ étage',
    city: 'Lyon',
    state: null,
    countryOrRegion: 'France',
    postalCode: '69002',
  },
  {
    street: '東京都千代田区丸の内1-1-1',
    city: '千代田区',
    state: '東京都',
    countryOrRegion: '日本',
    postalCode: '100-0005',
  },
  {
    street: 'Rua Augusta, 1500 – apto 42',
    city: 'São Paulo',
    state: 'SP',
    countryOrRegion: 'Brasil',
    postalCode: '01304-001',
  },
  {
    street: '221B Baker Street',
    city: 'London',
    state: null,
    countryOrRegion: 'United Kingdom',
    postalCode: 'NW1 6XE',
  },
  {
    street: 'Østerbrogade 7, 2. tv',
    city: 'København Ø',
    state: null,
    countryOrRegion: 'Danmark',
    postalCode: '2100',
  },
  {
    street: 'ul. Piotrkowska 104',
    city: 'Łódź',
    state: 'łódzkie',
    countryOrRegion: 'Polska',
    postalCode: '90-926',
  },
];

export function isoAt(ms: number): string {
  return outlookTimestamp(ms);
}

/** The folder layout of a mailbox, recomputable from the seed alone. */
export function folderPlan(store: TenantStore, user: UserRecord): FolderPlan[] {
  const r = new Random(store.seed, 'contact-folders', user.id);
  const total =
    user.mailbox === 'room' || user.mailbox === 'equipment' ? 0 : store.profile.contactsPerMailbox;
  const root = outlookId(store.seed, 'msgfolderroot', user.id);
  const defaultId = outlookId(store.seed, 'contact-folder', user.id, 'default');
  const names = r.sample(FOLDER_NAMES, r.int(1, 2));
  const nested = r.bool(0.35);
  const childCount = names.length + (nested ? 1 : 0);
  const inChildren = Math.floor(total * 0.4);
  const per = childCount ? Math.floor(inChildren / childCount) : 0;
  const plan: FolderPlan[] = [
    {
      id: defaultId,
      displayName: 'Contacts',
      parentFolderId: root,
      isDefault: true,
      contacts: total - per * childCount,
    },
  ];
  names.forEach((displayName, i) => {
    plan.push({
      id: outlookId(store.seed, 'contact-folder', user.id, i),
      displayName,
      parentFolderId: defaultId,
      isDefault: false,
      contacts: per,
    });
  });
  if (nested) {
    const parent = plan[1] as FolderPlan;
    plan.push({
      id: outlookId(store.seed, 'contact-folder', user.id, 'nested'),
      displayName: 'Archive 2019–2023',
      parentFolderId: parent.id,
      isDefault: false,
      contacts: per,
    });
  }
  return plan;
}

function phone(r: Random): string {
  const d = (n: number) => Array.from({ length: n }, () => r.int(0, 9)).join('');
  return r.pick([
    `+1 (425) 555-${d(4)}`,
    `+44 20 7946 ${d(4)}`,
    `+49 30 ${d(6)}`,
    `03-${d(4)}-${d(4)}`,
    `+81 3-${d(4)}-${d(4)} ext. ${d(2)}`,
    `+33 1 ${d(2)} ${d(2)} ${d(2)} ${d(2)}`,
    `(206) 555-${d(4)} x${d(3)}`,
  ]);
}

function address(r: Random, kind: 'full' | 'partial' | 'empty'): PhysicalAddress {
  if (kind === 'empty') return {};
  const p = r.pick(PLACES);
  if (kind === 'partial') return { city: p.city ?? null, countryOrRegion: p.countryOrRegion ?? null };
  return { ...p };
}

function emptyContact(id: string, folderId: string, created: number, modified: number): ContactRecord {
  return {
    id,
    createdDateTime: isoAt(created),
    lastModifiedDateTime: isoAt(modified),
    changeKey: changeKeyFor(id, modified),
    categories: [],
    parentFolderId: folderId,
    birthday: null,
    fileAs: '',
    displayName: '',
    givenName: null,
    initials: null,
    middleName: null,
    nickName: null,
    surname: null,
    title: null,
    yomiGivenName: null,
    yomiSurname: null,
    yomiCompanyName: null,
    generation: null,
    imAddresses: [],
    jobTitle: null,
    companyName: null,
    department: null,
    officeLocation: null,
    profession: null,
    businessHomePage: null,
    assistantName: null,
    manager: null,
    homePhones: [],
    mobilePhone: null,
    businessPhones: [],
    spouseName: null,
    personalNotes: '',
    children: [],
    emailAddresses: [],
    homeAddress: {},
    businessAddress: {},
    otherAddress: {},
  };
}

/** A blank contact record for creation through Graph. */
export const blankContact = emptyContact;

export function generateContact(
  store: TenantStore,
  userId: string,
  folderId: string,
  index: number,
): ContactRecord {
  const r = new Random(store.seed, 'contact', userId, folderId, index);
  const text = new TextGenerator(r);
  const created = GENERATED_EPOCH - r.int(30, 1500) * 86_400_000 - r.int(0, 86_399) * 1000;
  const modified = r.bool(0.4) ? created + r.int(1, 25) * 86_400_000 : created;
  const c = emptyContact(
    outlookId(store.seed, 'contact', userId, folderId, index),
    folderId,
    created,
    modified,
  );
  const name = text.personName();
  const company = text.companyWord();
  const domain = `${asciiAlias(company) || 'example'}.example`;
  const alias = `${asciiAlias(name.given) || 'contact'}.${asciiAlias(name.surname) || index}`;

  // Sparse contacts: what people save from a signature or a business card in a hurry.
  const sparse = r.next();
  if (sparse < 0.05) {
    c.displayName = `${alias}@${domain}`;
    c.emailAddresses = [{ name: `${alias}@${domain}`, address: `${alias}@${domain}` }];
    return c;
  }
  if (sparse < 0.09) {
    c.displayName = company;
    c.companyName = company;
    c.fileAs = company;
    c.businessPhones = [phone(r)];
    return c;
  }
  if (sparse < 0.12) {
    c.givenName = name.given;
    c.displayName = name.given;
    c.mobilePhone = phone(r);
    return c;
  }

  c.givenName = name.given;
  c.surname = name.surname;
  c.middleName = r.bool(0.5)
    ? r.pick([`${String.fromCharCode(65 + r.int(0, 25))}.`, text.personName().given])
    : null;
  c.title = r.bool(0.5) ? r.pick(TITLES) : null;
  c.generation = r.bool(0.2) ? r.pick(GENERATIONS) : null;
  c.nickName = r.bool(0.4) ? name.given.slice(0, Math.max(2, Math.ceil(name.given.length / 2))) : null;
  c.initials = `${[...name.given][0] ?? ''}.${c.middleName ? `${[...c.middleName][0] ?? ''}.` : ''}${[...name.surname][0] ?? ''}.`;
  const style = r.int(0, 3);
  c.displayName =
    style === 0
      ? `${name.given} ${name.surname}`
      : style === 1
        ? `${name.surname}, ${name.given}`
        : style === 2
          ? [c.title, name.given, name.surname, c.generation].filter(Boolean).join(' ')
          : `${name.surname} ${name.given}`;
  c.fileAs = r.pick([`${name.surname}, ${name.given}`, `${name.given} ${name.surname}`, company, '']);
  if (r.bool(0.6)) {
    c.yomiGivenName = r.pick(KATAKANA);
    c.yomiSurname = r.pick(KATAKANA);
    c.yomiCompanyName = r.bool(0.5) ? 'カブシキガイシャ' : null;
  }
  c.companyName = company;
  c.jobTitle = r.pick([
    'CFO',
    'Head of Procurement',
    'Account Executive',
    'Senior Engineer',
    'Chargée de clientèle',
    'Projektleiterin',
  ]);
  c.department = r.pick(['Finance', 'Sales', 'R&D', 'Einkauf', 'Customer Success']);
  c.officeLocation = r.pick(['Building 4, Floor 2', 'HQ – Room 3.14', 'Remote', 'Tokyo 本社']);
  c.profession = r.pick(PROFESSIONS);
  c.businessHomePage = r.bool(0.7) ? `https://www.${domain}/${r.pick(['', 'team/', 'über-uns'])}` : null;
  c.assistantName = r.bool(0.5) ? `${text.personName().given} ${text.personName().surname}` : null;
  c.manager = r.bool(0.5) ? `${text.personName().given} ${text.personName().surname}` : null;
  c.spouseName = r.bool(0.4) ? text.personName().given : null;
  c.children = r.sample(CHILDREN, r.int(0, 3));
  c.birthday = r.bool(0.75)
    ? `${r.int(1950, 2002)}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}T11:59:00Z`
    : null;
  c.categories = r.sample(CATEGORIES, r.int(0, 2));
  const emails = r.int(1, 3);
  for (let i = 0; i < emails; i++) {
    const addr =
      i === 0
        ? `${alias}@${domain}`
        : i === 1
          ? `${alias}${r.int(1, 99)}@outlook.com`
          : `${asciiAlias(name.given) || 'x'}@private.example`;
    c.emailAddresses.push({ name: r.bool(0.7) ? `${name.given} ${name.surname}` : addr, address: addr });
  }
  c.businessPhones = Array.from({ length: r.int(0, 2) }, () => phone(r));
  c.homePhones = Array.from({ length: r.int(0, 2) }, () => phone(r));
  c.mobilePhone = r.bool(0.8) ? phone(r) : null;
  c.imAddresses = r.sample(
    [`sip:${alias}@${domain}`, `${alias}@skype.example`, `live:.cid.${r.bytes(6).toString('hex')}`],
    r.int(0, 3),
  );
  c.homeAddress = address(r, r.pick(['full', 'full', 'partial', 'empty']));
  c.businessAddress = address(r, r.pick(['full', 'full', 'full', 'partial']));
  c.otherAddress = address(r, r.pick(['full', 'partial', 'empty', 'empty']));
  c.personalNotes = r.pick([
    '',
    `Met at ${text.title(2)} conference.\nPrefers email over phone.\r\nFollow up in Q${r.int(1, 4)} ✅`,
    `${text.sentence()}\n\n• ${text.sentence(3, 6)}\n• ${text.sentence(3, 6)}`,
    `Geburtstag nicht vergessen! 🎂\nLieblingsessen: Käsespätzle`,
  ]);
  return c;
}

/** Registers the contact materializers: folders per mailbox, contacts per folder. */
export function installContacts(store: TenantStore): void {
  store.registerMaterializer('contact-folders', (s, key, c) => {
    const user = seededOrLiveUser(s, key.slice('contact-folders:'.length));
    if (!user?.mailbox) return;
    for (const f of folderPlan(s, user)) {
      const { contacts: _n, ...record } = f;
      (c as Collection<ContactFolderRecord>).put(f.id, record);
    }
  });
  store.registerMaterializer('contacts', (s, key, c) => {
    const [, userId = '', folderId = ''] = key.split(':');
    const user = seededOrLiveUser(s, userId);
    if (!user?.mailbox) return;
    const folder = folderPlan(s, user).find((f) => f.id === folderId);
    for (let i = 0; i < (folder?.contacts ?? 0); i++) {
      const contact = generateContact(s, userId, folderId, i);
      (c as Collection<ContactRecord>).put(contact.id, contact);
    }
  });
}

export { foldersKey, contactsKey };
