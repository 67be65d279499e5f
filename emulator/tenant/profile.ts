import { readFile } from 'node:fs/promises';

/**
 * How big and varied a generated tenant is. Counts per account are means; each account draws its
 * own from the seed. A profile file (`--profile FILE.json`) may override any field of a preset
 * named by its `base` field (default `small`).
 */
export interface ProfileSpec {
  name: string;
  /** Licensed member users with mailboxes and OneDrive. */
  users: number;
  /** Extra accounts of special kinds. */
  unlicensedUsers: number;
  disabledUsers: number;
  guestUsers: number;
  sharedMailboxes: number;
  roomMailboxes: number;
  /** Fraction of licensed users with an archive mailbox. */
  archiveRatio: number;
  /** Microsoft 365 groups; `teams` of them are team-enabled. */
  groups: number;
  teams: number;
  communicationSites: number;
  /** Mail per mailbox across all folders. */
  messagesPerMailbox: number;
  archiveMessagesPerMailbox: number;
  customFoldersPerMailbox: number;
  contactsPerMailbox: number;
  eventsPerMailbox: number;
  driveItemsPerUser: number;
  listItemsPerList: number;
  postsPerChannel: number;
  repliesPerPost: number;
  groupEventsPerGroup: number;
  /** One attachment of this size delivered to `sharedAttachmentRecipients` mailboxes. */
  sharedAttachmentBytes: number;
  sharedAttachmentRecipients: number;
  /** Size of the biggest file, generated lazily; 0 for none. */
  largeFileBytes: number;
}

const small: ProfileSpec = {
  name: 'small',
  users: 6,
  unlicensedUsers: 1,
  disabledUsers: 1,
  guestUsers: 1,
  sharedMailboxes: 1,
  roomMailboxes: 1,
  archiveRatio: 0.5,
  groups: 3,
  teams: 2,
  communicationSites: 1,
  messagesPerMailbox: 60,
  archiveMessagesPerMailbox: 20,
  customFoldersPerMailbox: 3,
  contactsPerMailbox: 15,
  eventsPerMailbox: 20,
  driveItemsPerUser: 40,
  listItemsPerList: 10,
  postsPerChannel: 8,
  repliesPerPost: 2,
  groupEventsPerGroup: 6,
  sharedAttachmentBytes: 5 * 1024 * 1024,
  sharedAttachmentRecipients: 5,
  largeFileBytes: 0,
};

const medium: ProfileSpec = {
  ...small,
  name: 'medium',
  users: 42,
  unlicensedUsers: 2,
  disabledUsers: 2,
  guestUsers: 3,
  sharedMailboxes: 2,
  roomMailboxes: 2,
  groups: 10,
  teams: 6,
  communicationSites: 3,
  messagesPerMailbox: 1500,
  archiveMessagesPerMailbox: 300,
  customFoldersPerMailbox: 8,
  contactsPerMailbox: 100,
  eventsPerMailbox: 150,
  driveItemsPerUser: 250,
  listItemsPerList: 100,
  postsPerChannel: 60,
  repliesPerPost: 3,
  groupEventsPerGroup: 40,
  sharedAttachmentRecipients: 40,
  largeFileBytes: 1024 * 1024 * 1024,
};

const large: ProfileSpec = {
  ...medium,
  name: 'large',
  users: 460,
  unlicensedUsers: 10,
  disabledUsers: 10,
  guestUsers: 10,
  sharedMailboxes: 6,
  roomMailboxes: 4,
  groups: 60,
  teams: 30,
  communicationSites: 10,
  sharedAttachmentRecipients: 100,
  largeFileBytes: 2 * 1024 * 1024 * 1024,
};

export const PROFILES: Record<string, ProfileSpec> = { small, medium, large };

export async function loadProfile(nameOrFile: string): Promise<ProfileSpec> {
  const preset = PROFILES[nameOrFile];
  if (preset) return preset;
  let raw: string;
  try {
    raw = await readFile(nameOrFile, 'utf8');
  } catch {
    throw new Error(`unknown profile '${nameOrFile}': use small, medium, large or a JSON file`);
  }
  const parsed = JSON.parse(raw) as Partial<ProfileSpec> & { base?: string };
  const base = PROFILES[parsed.base ?? 'small'];
  if (!base) throw new Error(`profile file ${nameOrFile}: unknown base '${parsed.base}'`);
  const out: ProfileSpec = { ...base, name: parsed.name ?? nameOrFile };
  for (const [k, v] of Object.entries(parsed)) {
    if (k === 'base' || k === 'name') continue;
    if (!(k in base)) throw new Error(`profile file ${nameOrFile}: unknown field '${k}'`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new Error(`profile file ${nameOrFile}: '${k}' must be a non-negative number`);
    }
    (out as unknown as Record<string, number>)[k] = v;
  }
  return out;
}
