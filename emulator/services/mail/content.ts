import { createHash } from 'node:crypto';
import { Random } from '../../generator/random.js';
import { searchableKeyword, TextGenerator } from '../../generator/text.js';
import { asciiAlias } from '../../tenant/directory.js';
import { CONTENT_TYPES, type FileType, type GeneratedFile } from './attachment-bytes.js';

/**
 * Generated message content: subject, people, bodies and the attachment plan, all derived from a
 * seed label. Content is shared by every copy of a message (the sender's Sent Items and each
 * recipient's copy); per-copy state (folder, read flag, received time) lives in generated.ts.
 */

export interface Person {
  name: string;
  address: string;
}

export interface AttPlan {
  /** Key of the attachment within its message. */
  key: string;
  kind: 'file' | 'item' | 'reference';
  name: string;
  contentType: string;
  inline: boolean;
  contentId?: string;
  file?: GeneratedFile;
  /** OneDrive/SharePoint link of a reference attachment. */
  url?: string;
}

export interface Content {
  label: string;
  subject: string;
  from: Person;
  to: Person[];
  cc: Person[];
  bcc: Person[];
  replyTo: Person[];
  sent: number;
  /** Without angle brackets. */
  messageId: string;
  inReplyTo?: string;
  references: string[];
  rootMessageId: string;
  rootSent: number;
  depth: number;
  importance: 'low' | 'normal' | 'high';
  text: string;
  html?: string;
  /** The part of the body new in this message (replies quote their parent below it). */
  uniqueText: string;
  attachments: AttPlan[];
  keyword?: string;
}

const UNICODE_SUBJECTS: ((t: string) => string)[] = [
  (t) => `Überprüfung: ${t}`,
  (t) => `Réunion « ${t} »`,
  (t) => `会议纪要：${t}`,
  (t) => `Отчёт: ${t}`,
  (t) => `🚀 ${t}`,
  (t) => `${t} ✅`,
  (t) => `تحديث: ${t}`,
  (t) => `Προσφορά – ${t}`,
  (t) => `予定の確認 ${t}`,
  (t) => `Zoë’s notes on ${t}`,
];
const PREFIXES = ['', '', '', '', '[Action required] ', 'FYI: ', 'Reminder: ', 'Updated: '];
const COMPANY_DOMAINS = [
  'fabrikam.example',
  'northwind.example',
  'litware.example',
  'partner.example',
  'adatum.example',
  'wingtip.example',
];

export function subjectLine(r: Random, text: TextGenerator): string {
  const title = text.title(r.int(2, 6));
  if (r.bool(0.22)) return r.pick(UNICODE_SUBJECTS)(title);
  return `${r.pick(PREFIXES)}${title}`;
}

/** An address outside the tenant, stable for its number. */
export function externalPerson(seed: string, x: number): Person {
  const r = new Random(seed, 'external-person', x);
  const n = new TextGenerator(r).personName();
  const alias = `${asciiAlias(n.given)}.${asciiAlias(n.surname)}`.replace(/^\.|\.$/g, '');
  const local = alias.length >= 3 ? alias : `contact${x}`;
  return { name: `${n.given} ${n.surname}`, address: `${local}@${r.pick(COMPANY_DOMAINS)}` };
}

/** A Message-ID as Exchange Online writes them (without the angle brackets); outside mail uses the sender's host. */
export function messageIdFor(label: string, from: Person, internal: boolean): string {
  const h = createHash('sha256').update(`msgid|${label}`).digest('hex').toUpperCase();
  if (!internal)
    return `${h.slice(10, 34).toLowerCase()}@mail.${from.address.split('@')[1] ?? 'partner.example'}`;
  const host = `${h.slice(0, 4)}PR${h.slice(4, 6)}MB${h.slice(6, 10)}`;
  return `${host}${h.slice(10, 30)}@${host}.namprd${h.slice(30, 32)}.prod.outlook.com`;
}

const htmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function textToHtml(text: string, extra = ''): string {
  const paras = text.split(/\n{2,}/).map((p) => `<p>${htmlEscape(p).replace(/\n/g, '<br>')}</p>`);
  return `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><div>${paras.join('')}${extra}</div></body></html>`;
}

export interface AttachmentPlan {
  attachments: AttPlan[];
  keyword?: string;
  html: boolean;
  extraHtml: string[];
  extraText: string[];
}

/**
 * Body format and attachments of a message, from its label alone (cheap: inventory and keyword
 * reports use it without generating bodies).
 */
export function planAttachments(
  seed: string,
  label: string,
  allowAttachments: boolean,
  oneDriveHost: string,
): AttachmentPlan {
  const r = new Random(seed, 'attachment-plan', label);
  const text = new TextGenerator(r);
  const roll = allowAttachments ? r.next() : r.next() * 0.5;
  const out: AttachmentPlan = { attachments: [], html: true, extraHtml: [], extraText: [] };
  let n = 0;
  const add = (type: FileType, inline: boolean, kind: 'file' | 'item' = 'file') => {
    const key = String(n++);
    const name =
      type === 'rfc822'
        ? `${text.title(r.int(2, 4))}.eml`
        : inline
          ? `image${String(n).padStart(3, '0')}.png`
          : text.fileName(type);
    const file: GeneratedFile = { type, label: `${label}/${key}`, title: name.replace(/\.[a-z0-9]+$/i, '') };
    if (['pdf', 'docx', 'xlsx', 'pptx'].includes(type) && r.bool(0.3)) {
      file.keyword = searchableKeyword(r);
      out.keyword ??= file.keyword;
    }
    const att: AttPlan = {
      key,
      kind,
      name: kind === 'item' ? file.title : name,
      contentType: CONTENT_TYPES[type],
      inline,
      file,
    };
    if (inline) {
      att.contentId = `image${n}.png@${createHash('sha1').update(file.label).digest('hex').slice(0, 16)}`;
      out.extraHtml.push(`<p><img src="cid:${att.contentId}" alt="${name}"></p>`);
    }
    out.attachments.push(att);
  };
  const files = () => {
    for (let i = r.int(1, 3); i > 0; i--)
      add(r.pick<FileType>(['pdf', 'pdf', 'docx', 'docx', 'xlsx', 'pptx', 'png', 'csv', 'txt']), false);
  };
  if (roll < 0.12) out.html = false;
  else if (roll < 0.5) void 0;
  else if (roll < 0.6) for (let i = r.int(1, 2); i > 0; i--) add('png', true);
  else if (roll < 0.85) {
    files();
    if (r.bool(0.1)) add('png', true);
  } else if (roll < 0.91) {
    add('rfc822', false, 'item');
  } else if (roll < 0.96) {
    const name = text.fileName(r.pick(['docx', 'xlsx', 'pptx', 'pdf']));
    const url = `https://${oneDriveHost}/Documents/${encodeURIComponent(name)}`;
    out.attachments.push({
      key: String(n++),
      kind: 'reference',
      name,
      contentType: CONTENT_TYPES.txt,
      inline: false,
      url,
    });
    out.extraHtml.push(`<p>I've shared <a href="${htmlEscape(url)}">${htmlEscape(name)}</a> with you.</p>`);
    out.extraText.push(`I've shared ${name} with you: ${url}`);
  } else {
    out.html = false;
    files();
  }
  return out;
}

/** Whether a message may carry attachments: replies rarely do. */
export const allowsAttachments = (seed: string, label: string, isReply: boolean) =>
  !isReply || new Random(seed, 'reply-attachments', label).bool(0.3);

export interface ContentInput {
  label: string;
  from: Person;
  to: Person[];
  cc?: Person[];
  bcc?: Person[];
  sent: number;
  /** Sent from inside the tenant (Exchange Online Message-ID). */
  internal: boolean;
  parent?: Content;
  allowAttachments: boolean;
  subject?: string;
  /** Host of the sender's OneDrive, for reference attachments. */
  oneDriveHost: string;
}

/** Builds a message's content from its label; replies quote their parent. */
export function makeContent(seed: string, input: ContentInput): Content {
  const r = new Random(seed, 'content', input.label);
  const text = new TextGenerator(r);
  const parent = input.parent;
  const subject =
    input.subject ?? (parent ? `RE: ${parent.subject.replace(/^(RE|FW): /i, '')}` : subjectLine(r, text));
  const greet = input.to[0]?.name.split(' ')[0] ?? 'all';
  const unique = `Hi ${greet},\n\n${text.paragraphs(r.int(1, 3)).join('\n\n')}\n\nBest regards,\n${input.from.name}`;
  const sentLine = parent ? new Date(parent.sent).toUTCString() : '';
  const quoted = parent
    ? `\n\n-----Original Message-----\nFrom: ${parent.from.name} <${parent.from.address}>\nSent: ${sentLine}\nTo: ${parent.to.map((p) => p.name).join('; ')}\nSubject: ${parent.subject}\n\n${parent.uniqueText}`
    : '';
  const messageId = messageIdFor(input.label, input.from, input.internal);
  const c: Content = {
    label: input.label,
    subject,
    from: input.from,
    to: input.to,
    cc: input.cc ?? [],
    bcc: input.bcc ?? [],
    replyTo: !parent && r.bool(0.05) ? [externalPerson(seed, r.int(0, 999_999))] : [],
    sent: input.sent,
    messageId,
    references: parent ? [...parent.references, parent.messageId] : [],
    rootMessageId: parent?.rootMessageId ?? messageId,
    rootSent: parent?.rootSent ?? input.sent,
    depth: parent ? parent.depth + 1 : 0,
    importance: r.bool(0.08) ? 'high' : r.bool(0.04) ? 'low' : 'normal',
    text: `${unique}${quoted}`,
    uniqueText: unique,
    attachments: [],
  };
  if (parent) c.inReplyTo = parent.messageId;
  const plan = planAttachments(seed, input.label, input.allowAttachments, input.oneDriveHost);
  c.attachments = plan.attachments;
  if (plan.keyword) c.keyword = plan.keyword;
  if (plan.extraText.length) c.text = `${c.text}\n\n${plan.extraText.join('\n')}`;
  if (plan.html) c.html = textToHtml(c.text, plan.extraHtml.join(''));
  return c;
}
