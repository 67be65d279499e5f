/**
 * Persisted shapes of the mail service (journaled as plain JSON). A generated message is only a
 * generator index plus whatever changed; messages created through Graph keep their properties
 * here and their MIME and attachment bytes in the blob store.
 */

export interface Recipient {
  emailAddress: { name: string; address: string };
}

export interface DateTimeTimeZone {
  dateTime: string;
  timeZone: string;
}

export interface FollowupFlag {
  flagStatus: 'notFlagged' | 'flagged' | 'complete';
  startDateTime?: DateTimeTimeZone;
  dueDateTime?: DateTimeTimeZone;
  completedDateTime?: DateTimeTimeZone;
}

export interface FolderRecord {
  id: string;
  key: string;
  /** Key of the parent folder; null for the mailbox root. */
  parentKey: string | null;
  displayName: string;
  wellKnownName: string | null;
  isHidden: boolean;
  /** Folder class (`IPF.Note`), as the mailbox import/export API reports it. */
  type: string;
  search?: { filterQuery: string; sourceKeys: string[]; includeNestedFolders: boolean };
  created: string;
  /** Bumped on every change, for the folder's changeKey. */
  v: number;
}

/** Changes to a generated message's state (content changes turn it into a stored message). */
export interface MessagePatch {
  isRead?: boolean;
  flag?: FollowupFlag;
  categories?: string[];
  inferenceClassification?: 'focused' | 'other';
}

export interface StoredAttachment {
  key: string;
  kind: 'file' | 'item' | 'reference';
  name: string;
  contentType: string;
  size: number;
  isInline: boolean;
  contentId: string | null;
  /** sha256 of the bytes (file) or of the embedded MIME (item) in the blob store. */
  blob: string | null;
  modified: string;
  url?: string;
}

export interface StoredMessage {
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
  from: Recipient | null;
  sender: Recipient | null;
  to: Recipient[];
  cc: Recipient[];
  bcc: Recipient[];
  replyTo: Recipient[];
  importance: 'low' | 'normal' | 'high';
  isDraft: boolean;
  isRead: boolean;
  flag: FollowupFlag;
  categories: string[];
  inferenceClassification: 'focused' | 'other';
  received: string;
  sent: string | null;
  created: string;
  internetMessageId: string;
  conversationId: string;
  conversationIndex: string;
  inReplyTo?: string;
  references?: string[];
  isDeliveryReceiptRequested: boolean | null;
  isReadReceiptRequested: boolean;
  /** Custom `internetMessageHeaders` given on create, or the headers of an uploaded MIME. */
  headers: { name: string; value: string }[];
  attachments: StoredAttachment[];
  /** sha256 of the MIME served by `$value` (uploaded as is, or built from the properties). */
  mime: string;
  /** Whether `mime` is the client's own upload (kept byte-for-byte until the content changes). */
  uploaded: boolean;
  ext: { id: string; value: string }[];
  nextAttachment: number;
}

export interface MessageRecord {
  /** Item key: with the folder key it makes the message id. */
  k: string;
  /** Index into the mailbox's generated plan. */
  g?: number;
  /** A message added by the `mail.addMessage` activity: content from this number, received at `at`. */
  act?: { n: number; at: string };
  s?: StoredMessage;
  p?: MessagePatch;
  /** Version, bumped by every change: the changeKey. */
  v: number;
  /** Seq of the collection when the item entered this folder (0: generated), for changeType. */
  c0: number;
  /** lastModifiedDateTime of a runtime change. */
  m?: string;
  /** createdDateTime of a runtime copy. */
  cr?: string;
}

export interface GroupThreadRecord {
  key: string;
  conversationKey: string;
  /** Generator index, or stored topic for threads created through Graph. */
  g?: number;
  topic?: string;
  created?: string;
  v: number;
}

export interface GroupPostRecord {
  key: string;
  g?: number;
  stored?: {
    body: { contentType: 'text' | 'html'; content: string };
    from: Recipient;
    created: string;
    attachments: StoredAttachment[];
    inReplyTo: string | null;
  };
  v: number;
}
