import { createHash } from 'node:crypto';
import { GraphHttpError } from '../../core/odata.js';

/**
 * Exchange-style opaque ids. Real ids are long base64 strings (`AAMkAG…=`) with `-`/`_` in place
 * of `/`/`+`; clients must treat them as opaque and case-sensitive. Ours carry what the emulator
 * needs to find the item again without an index: the mailbox tag (so an id from another mailbox
 * is not found), the folder key for messages (so a move gives a new id, as in Exchange) and the
 * item key.
 */

const KIND = { folder: 1, message: 2, attachment: 3, thread: 4, conversation: 5, post: 6 } as const;
type Kind = keyof typeof KIND;
const PREFIX: Record<Kind, string> = {
  folder: 'AQMkA',
  message: 'AAMkA',
  attachment: 'AAMkA',
  thread: 'AAQkA',
  conversation: 'AAQkA',
  post: 'AAMkA',
};

const toExchangeB64 = (b: Buffer) => b.toString('base64').replace(/\//g, '-').replace(/\+/g, '_');
const fromExchangeB64 = (s: string) => Buffer.from(s.replace(/-/g, '/').replace(/_/g, '+'), 'base64');

/** Six bytes identifying a mailbox (or group) inside ids. */
const tags = new Map<string, Buffer>();
export function mailboxTag(mailboxKey: string): Buffer {
  let t = tags.get(mailboxKey);
  if (!t) {
    t = createHash('sha256').update(`mbx|${mailboxKey}`).digest().subarray(0, 6);
    if (tags.size > 100_000) tags.clear();
    tags.set(mailboxKey, t);
  }
  return t;
}

function encode(kind: Kind, tag: Buffer, parts: string[]): string {
  const chunks: Buffer[] = [Buffer.from([KIND[kind]]), tag];
  for (const p of parts) {
    const b = Buffer.from(p, 'utf8');
    if (b.length > 255) throw new Error('id part too long');
    chunks.push(Buffer.from([b.length]), b);
  }
  return PREFIX[kind] + toExchangeB64(Buffer.concat(chunks));
}

export const malformedId = () => new GraphHttpError(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');

/** Decodes an id of `kind`; throws 400 ErrorInvalidIdMalformed when it is not one of ours. */
function decode(kind: Kind, id: string): { tag: Buffer; parts: string[] } {
  const prefix = PREFIX[kind];
  if (!id.startsWith(prefix) || id.length > 2000) throw malformedId();
  const raw = id.slice(prefix.length);
  if (!/^[A-Za-z0-9_-]+=*$/.test(raw)) throw malformedId();
  const b = fromExchangeB64(raw);
  if (b.length < 7 || b[0] !== KIND[kind] || toExchangeB64(b) !== raw) throw malformedId();
  const parts: string[] = [];
  let i = 7;
  while (i < b.length) {
    const len = b[i] as number;
    if (i + 1 + len > b.length) throw malformedId();
    parts.push(b.subarray(i + 1, i + 1 + len).toString('utf8'));
    i += 1 + len;
  }
  return { tag: b.subarray(1, 7), parts };
}

/** Decodes and checks the mailbox; an id of another mailbox is simply not found here. */
function decodeFor(kind: Kind, mailboxKey: string, id: string, partCount: number): string[] {
  const { tag, parts } = decode(kind, id);
  if (parts.length !== partCount) throw malformedId();
  if (!tag.equals(mailboxTag(mailboxKey))) {
    throw new GraphHttpError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
  }
  return parts;
}

export const folderId = (mailboxKey: string, folderKey: string) =>
  encode('folder', mailboxTag(mailboxKey), [folderKey]);
export const folderKeyOf = (mailboxKey: string, id: string) =>
  decodeFor('folder', mailboxKey, id, 1)[0] as string;
export const isFolderIdShape = (id: string) => id.startsWith(PREFIX.folder);

export const messageId = (mailboxKey: string, folderKey: string, itemKey: string) =>
  encode('message', mailboxTag(mailboxKey), [folderKey, itemKey]);
export function messageKeysOf(mailboxKey: string, id: string): { folderKey: string; itemKey: string } {
  const [folderKey, itemKey] = decodeFor('message', mailboxKey, id, 2) as [string, string];
  return { folderKey, itemKey };
}

/** Attachment ids embed the message's item key and the attachment's own key. */
export const attachmentId = (mailboxKey: string, itemKey: string, attKey: string) =>
  encode('attachment', mailboxTag(mailboxKey), ['att', itemKey, attKey]);
export function attachmentKeysOf(mailboxKey: string, id: string): { itemKey: string; attKey: string } {
  const [marker, itemKey, attKey] = decodeFor('attachment', mailboxKey, id, 3) as [string, string, string];
  if (marker !== 'att') throw malformedId();
  return { itemKey, attKey };
}

export const threadId = (groupId: string, key: string) => encode('thread', mailboxTag(groupId), ['t', key]);
export const conversationIdFor = (groupId: string, key: string) =>
  encode('conversation', mailboxTag(groupId), ['c', key]);
export const postId = (groupId: string, threadKey: string, key: string) =>
  encode('post', mailboxTag(groupId), ['p', threadKey, key]);
export function groupKeysOf(groupId: string, id: string, kind: 'thread' | 'conversation' | 'post'): string[] {
  const n = kind === 'post' ? 3 : 2;
  const parts = decodeFor(kind, groupId, id, n);
  if (parts[0] !== kind.charAt(0)) throw malformedId();
  return parts.slice(1);
}

/** `changeKey` of an item version: base64 like Exchange's `CQAAABYAAAA…`. */
export function changeKey(...parts: (string | number)[]): string {
  const h = createHash('sha256').update(parts.join('|')).digest().subarray(0, 12);
  return `CQAAABYAAAA${h.toString('base64')}`;
}

/** Mailbox-wide conversation id of a thread (`AAQkA…`), from the thread's root Message-ID. */
export function mailConversationId(rootMessageId: string): string {
  const h = createHash('sha256').update(`conv|${rootMessageId}`).digest().subarray(0, 24);
  return `AAQkA${toExchangeB64(h)}`;
}

/**
 * PR_CONVERSATION_INDEX: 22-byte header (reserved byte, 5 bytes of FILETIME, 16-byte GUID) plus
 * a 5-byte child block per reply level.
 */
export function conversationIndex(rootMessageId: string, rootTime: number, depth: number): string {
  const guid = createHash('sha256').update(`guid|${rootMessageId}`).digest().subarray(0, 16);
  const filetime = BigInt(rootTime) * 10000n + 116444736000000000n;
  const header = Buffer.alloc(6);
  header[0] = 1;
  header.writeUIntBE(Number((filetime >> 24n) & 0xffffffffffn), 1, 5);
  const children = Buffer.alloc(5 * Math.max(0, depth));
  for (let i = 0; i < depth; i++) children.writeUInt32BE(0x00100000 + i * 0x1000, i * 5);
  return Buffer.concat([header, guid, children]).toString('base64');
}

/** A string property of a request body, or the default when it is absent or not a string. */
export const strOr = (v: unknown, dflt: string): string => (typeof v === 'string' ? v : dflt);
