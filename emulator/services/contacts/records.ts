/** Persisted shapes of the contacts area (plain JSON, journaled). */

export interface EmailAddress {
  name: string | null;
  address: string | null;
}

export interface PhysicalAddress {
  street?: string | null;
  city?: string | null;
  state?: string | null;
  countryOrRegion?: string | null;
  postalCode?: string | null;
}

export interface ContactFolderRecord {
  id: string;
  displayName: string;
  parentFolderId: string;
  /** True for the mailbox's default Contacts folder. */
  isDefault: boolean;
}

/** A contact exactly as Graph v1.0 shows it (minus `@odata.etag`, derived from changeKey). */
export interface ContactRecord {
  id: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  changeKey: string;
  categories: string[];
  parentFolderId: string;
  birthday: string | null;
  fileAs: string | null;
  displayName: string | null;
  givenName: string | null;
  initials: string | null;
  middleName: string | null;
  nickName: string | null;
  surname: string | null;
  title: string | null;
  yomiGivenName: string | null;
  yomiSurname: string | null;
  yomiCompanyName: string | null;
  generation: string | null;
  imAddresses: string[];
  jobTitle: string | null;
  companyName: string | null;
  department: string | null;
  officeLocation: string | null;
  profession: string | null;
  businessHomePage: string | null;
  assistantName: string | null;
  manager: string | null;
  homePhones: string[];
  mobilePhone: string | null;
  businessPhones: string[];
  spouseName: string | null;
  personalNotes: string | null;
  children: string[];
  emailAddresses: EmailAddress[];
  homeAddress: PhysicalAddress;
  businessAddress: PhysicalAddress;
  otherAddress: PhysicalAddress;
}

export const STRING_FIELDS = [
  'fileAs',
  'displayName',
  'givenName',
  'initials',
  'middleName',
  'nickName',
  'surname',
  'title',
  'yomiGivenName',
  'yomiSurname',
  'yomiCompanyName',
  'generation',
  'jobTitle',
  'companyName',
  'department',
  'officeLocation',
  'profession',
  'businessHomePage',
  'assistantName',
  'manager',
  'mobilePhone',
  'spouseName',
  'personalNotes',
] as const;
export const STRING_LIST_FIELDS = [
  'categories',
  'imAddresses',
  'homePhones',
  'businessPhones',
  'children',
] as const;
export const ADDRESS_FIELDS = ['homeAddress', 'businessAddress', 'otherAddress'] as const;
export const ADDRESS_KEYS = ['street', 'city', 'state', 'countryOrRegion', 'postalCode'] as const;
export const READ_ONLY_FIELDS = [
  'id',
  'createdDateTime',
  'lastModifiedDateTime',
  'changeKey',
  'parentFolderId',
] as const;

/** Collection of a mailbox's contact folders (the default folder included). */
export const foldersKey = (userId: string) => `contact-folders:${userId}`;
/** Collection of the contacts in one folder: the unit of contacts delta. */
export const contactsKey = (userId: string, folderId: string) => `contacts:${userId}:${folderId}`;
