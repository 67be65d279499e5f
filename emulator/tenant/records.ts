/**
 * Persisted shapes of the emulator's directory objects. They are journaled as JSON, so they hold
 * plain data only. Service data (messages, drive items, ...) is owned by each service module.
 */

export type MailboxKind = 'user' | 'shared' | 'room' | 'equipment';

export interface UserRecord {
  id: string;
  userPrincipalName: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  jobTitle: string | null;
  department: string | null;
  officeLocation: string | null;
  mobilePhone: string | null;
  businessPhones: string[];
  preferredLanguage: string | null;
  usageLocation: string | null;
  accountEnabled: boolean;
  userType: 'Member' | 'Guest';
  createdDateTime: string;
  /** SKU ids of assigned licenses; empty for unlicensed accounts. */
  licenses: string[];
  /** Exchange recipient kind; null when the account has no mailbox (guests, unlicensed users). */
  mailbox: MailboxKind | null;
  primaryMailboxId: string | null;
  /** Set when an in-place archive is enabled. */
  archiveMailboxId: string | null;
  /** Whether the user has a provisioned OneDrive (personal site). */
  hasDrive: boolean;
  /** Password for the sign-in page (auth-code flow). */
  password: string;
  /** Position in the seeded directory; drives what the generator makes for this account. */
  seedIndex: number;
}

export interface GroupRecord {
  id: string;
  displayName: string;
  description: string | null;
  mailNickname: string;
  mail: string | null;
  groupTypes: string[];
  mailEnabled: boolean;
  securityEnabled: boolean;
  visibility: 'Public' | 'Private' | null;
  createdDateTime: string;
  resourceProvisioningOptions: string[];
  ownerIds: string[];
  memberIds: string[];
  /** Team site of a Microsoft 365 group. */
  siteId: string | null;
  seedIndex: number;
}

export type SiteKind = 'team' | 'communication' | 'personal' | 'root';

export interface SiteRecord {
  id: string;
  name: string;
  displayName: string;
  description: string | null;
  webUrl: string;
  createdDateTime: string;
  kind: SiteKind;
  groupId: string | null;
  ownerUserId: string | null;
  /** The default document library's drive id, plus any other libraries. */
  driveIds: string[];
  seedIndex: number;
}

export interface AppCredentialSecret {
  keyId: string;
  displayName: string;
  secret: string;
  endDateTime: string;
}

export interface AppCredentialCertificate {
  keyId: string;
  displayName: string;
  certPem: string;
  x5t: string;
  x5tS256: string;
  endDateTime: string;
}

export interface AppRecord {
  appId: string;
  displayName: string;
  secrets: AppCredentialSecret[];
  certificates: AppCredentialCertificate[];
  /** Application permissions granted with admin consent (Graph `roles`). */
  permissions: string[];
  /** Delegated scopes users may grant (for the sign-in flow). */
  delegatedScopes: string[];
  redirectUris: string[];
}
