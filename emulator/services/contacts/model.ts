import { etagOf, invalidValue, unknownProperty } from '../shared/exchange.js';
import {
  ADDRESS_FIELDS,
  ADDRESS_KEYS,
  READ_ONLY_FIELDS,
  STRING_FIELDS,
  STRING_LIST_FIELDS,
  type ContactFolderRecord,
  type ContactRecord,
  type EmailAddress,
  type PhysicalAddress,
} from './records.js';
import { isoExact } from '../shared/time.js';

/** Graph's JSON for a contact, in the property order Graph uses. */
export function contactJson(c: ContactRecord): Record<string, unknown> {
  return {
    '@odata.etag': etagOf(c.changeKey),
    id: c.id,
    createdDateTime: c.createdDateTime,
    lastModifiedDateTime: c.lastModifiedDateTime,
    changeKey: c.changeKey,
    categories: c.categories,
    parentFolderId: c.parentFolderId,
    birthday: c.birthday,
    fileAs: c.fileAs,
    displayName: c.displayName,
    givenName: c.givenName,
    initials: c.initials,
    middleName: c.middleName,
    nickName: c.nickName,
    surname: c.surname,
    title: c.title,
    yomiGivenName: c.yomiGivenName,
    yomiSurname: c.yomiSurname,
    yomiCompanyName: c.yomiCompanyName,
    generation: c.generation,
    imAddresses: c.imAddresses,
    jobTitle: c.jobTitle,
    companyName: c.companyName,
    department: c.department,
    officeLocation: c.officeLocation,
    profession: c.profession,
    businessHomePage: c.businessHomePage,
    assistantName: c.assistantName,
    manager: c.manager,
    homePhones: c.homePhones,
    mobilePhone: c.mobilePhone,
    businessPhones: c.businessPhones,
    spouseName: c.spouseName,
    personalNotes: c.personalNotes,
    children: c.children,
    emailAddresses: c.emailAddresses,
    homeAddress: c.homeAddress,
    businessAddress: c.businessAddress,
    otherAddress: c.otherAddress,
  };
}

export function folderJson(f: ContactFolderRecord): Record<string, unknown> {
  return { id: f.id, displayName: f.displayName, parentFolderId: f.parentFolderId };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

function stringOrNull(name: string, v: unknown): string | null {
  if (v === null || typeof v === 'string') return v;
  throw invalidValue(name, 'Edm.String');
}

function stringList(name: string, v: unknown): string[] {
  if (v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw invalidValue(name, 'Collection(Edm.String)');
  return v as string[];
}

function physicalAddress(name: string, v: unknown): PhysicalAddress {
  if (v === null) return {};
  if (!isObject(v)) throw invalidValue(name, 'microsoft.graph.physicalAddress');
  const out: PhysicalAddress = {};
  for (const [k, val] of Object.entries(v)) {
    if (k.startsWith('@odata.')) continue;
    if (!(ADDRESS_KEYS as readonly string[]).includes(k)) throw unknownProperty(k, 'physicalAddress');
    out[k as (typeof ADDRESS_KEYS)[number]] = stringOrNull(k, val);
  }
  return out;
}

function emailAddresses(v: unknown): EmailAddress[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw invalidValue('emailAddresses', 'Collection(microsoft.graph.emailAddress)');
  return v.map((e) => {
    if (!isObject(e)) throw invalidValue('emailAddresses', 'microsoft.graph.emailAddress');
    for (const k of Object.keys(e))
      if (!['name', 'address'].includes(k) && !k.startsWith('@odata.'))
        throw unknownProperty(k, 'emailAddress');
    const address = stringOrNull('address', e['address'] ?? null);
    // Exchange fills a missing display name with the address.
    return { name: stringOrNull('name', e['name'] ?? null) ?? address, address };
  });
}

function birthday(v: unknown): string | null {
  if (v === null) return null;
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v)))
    throw invalidValue('birthday', 'Edm.DateTimeOffset');
  return isoExact(Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`));
}

/**
 * Applies a POST/PATCH body to a contact. Unknown or read-only properties are rejected as Graph
 * rejects them; `@odata.*` annotations are ignored.
 */
export function applyContactBody(c: ContactRecord, body: Record<string, unknown>): void {
  const rec = c as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(body)) {
    if (k.startsWith('@odata.')) continue;
    if ((STRING_FIELDS as readonly string[]).includes(k)) rec[k] = stringOrNull(k, v);
    else if ((STRING_LIST_FIELDS as readonly string[]).includes(k)) rec[k] = stringList(k, v);
    else if ((ADDRESS_FIELDS as readonly string[]).includes(k)) rec[k] = physicalAddress(k, v);
    else if (k === 'emailAddresses') c.emailAddresses = emailAddresses(v);
    else if (k === 'birthday') c.birthday = birthday(v);
    else if ((READ_ONLY_FIELDS as readonly string[]).includes(k))
      continue; // Graph ignores read-only values sent back
    else throw unknownProperty(k, 'contact');
  }
}

/** Exchange derives a display name when a new contact has none. */
export function defaultDisplayName(c: ContactRecord): void {
  if (c.displayName) return;
  const parts = [c.givenName, c.middleName, c.surname].filter((p): p is string => !!p);
  c.displayName = parts.length ? parts.join(' ') : (c.companyName ?? c.emailAddresses[0]?.address ?? '');
}
