import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Random } from '../random.js';
import { buildMime, encodeHeaderWord, formatAddressList, formatRfc5322Date } from './mime.js';
import type { MimeMessageSpec } from './mime.js';
import { buildPng } from './png.js';
import { TextGenerator } from '../text.js';

// Python's email package is an independent, strict MIME parser: it reports structural problems
// as "defects" and decodes RFC 2047/2231/QP/base64 itself, so agreement with it means the
// messages are well-formed rather than merely consistent with our own encoder.
const PYTHON_PARSER = `
import sys, json, base64, email
from email import policy
def parse(raw):
    msg = email.message_from_bytes(raw, policy=policy.default)
    def addrs(name):
        h = msg[name]
        return None if h is None else [{'name': a.display_name, 'address': a.addr_spec} for a in h.addresses]
    parts = []
    def walk(part, path):
        entry = {'path': path, 'type': part.get_content_type(), 'defects': [type(d).__name__ for d in part.defects]}
        parts.append(entry)
        if part.get_content_type() == 'message/rfc822':
            entry['filename'] = part.get_filename()
            entry['innerSubject'] = str(part.get_payload(0)['subject'])
        elif part.is_multipart():
            entry['relatedType'] = part.get_param('type')
            for i, sub in enumerate(part.iter_parts()):
                walk(sub, path + '.' + str(i))
        else:
            entry['filename'] = part.get_filename()
            entry['disposition'] = part.get_content_disposition()
            entry['contentId'] = part['content-id']
            entry['cte'] = part['content-transfer-encoding']
            if part.get_content_maintype() == 'text' and part.get_filename() is None:
                entry['text'] = part.get_content()
            else:
                entry['base64'] = base64.b64encode(part.get_payload(decode=True)).decode()
    walk(msg, '0')
    return {
        'subject': str(msg['subject']),
        'from': addrs('from'), 'sender': addrs('sender'), 'to': addrs('to'), 'cc': addrs('cc'),
        'bcc': addrs('bcc'), 'replyTo': addrs('reply-to'),
        'date': msg['date'].datetime.isoformat(),
        'messageId': str(msg['message-id']), 'inReplyTo': msg['in-reply-to'], 'references': msg['references'],
        'importance': msg['importance'], 'custom': msg['x-safehold-custom'], 'mimeVersion': msg['mime-version'],
        'parts': parts,
    }
print(json.dumps([parse(base64.b64decode(m)) for m in json.load(sys.stdin)]))
`;

interface ParsedPart {
  path: string;
  type: string;
  defects: string[];
  filename?: string | null;
  disposition?: string | null;
  contentId?: string | null;
  cte?: string | null;
  text?: string;
  base64?: string;
  relatedType?: string | null;
  innerSubject?: string;
}

interface ParsedMessage {
  subject: string;
  from: { name: string; address: string }[];
  sender: { name: string; address: string }[] | null;
  to: { name: string; address: string }[] | null;
  cc: { name: string; address: string }[] | null;
  bcc: { name: string; address: string }[] | null;
  replyTo: { name: string; address: string }[] | null;
  date: string;
  messageId: string;
  inReplyTo: string | null;
  references: string | null;
  importance: string | null;
  custom: string | null;
  mimeVersion: string;
  parts: ParsedPart[];
}

/** Parses many messages in one Python process (start-up dominates the cost of a call). */
function parseAllWithPython(messages: Buffer[]): ParsedMessage[] {
  const input = JSON.stringify(messages.map((m) => m.toString('base64')));
  const out = execFileSync('python3', ['-c', PYTHON_PARSER], {
    input,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  return JSON.parse(out) as ParsedMessage[];
}

function parseWithPython(mime: Buffer): ParsedMessage {
  const [parsed] = parseAllWithPython([mime]);
  if (!parsed) throw new Error('python returned no result');
  return parsed;
}

const normalize = (text: string) => text.replace(/\r\n/g, '\n').replace(/\n$/, '');

function richSpec(): MimeMessageSpec {
  const random = new Random('mime-test');
  const inner = buildMime({
    from: { name: 'Søren Østergaard', address: 'soren@contoso.example' },
    to: [{ address: 'team@contoso.example' }],
    subject: 'Ångström measurements – forwarded',
    date: new Date('2023-11-30T23:59:59Z'),
    messageId: 'inner-1@contoso.example',
    textBody: 'Original message body.\n',
  });
  return {
    from: { name: 'Zoë Müller', address: 'zoe@contoso.example' },
    sender: { name: 'Assistant, Executive', address: 'assistant@contoso.example' },
    to: [
      { name: 'José Fernández', address: 'jose@contoso.example' },
      { name: 'Doe, John "JD"', address: 'john@contoso.example' },
      { name: 'محمد الحسن', address: 'mohammed@contoso.example' },
      { address: 'plain@contoso.example' },
      { name: "Mary O'Brien", address: 'mary@contoso.example' },
    ],
    cc: [{ name: '佐藤 さくら', address: 'sakura@contoso.example' }],
    bcc: [{ name: 'Łukasz Wójcik', address: 'lukasz@contoso.example' }],
    replyTo: [{ name: 'נועה כהן', address: 'noa@contoso.example' }],
    subject:
      'Re: Quarterly budget review — 予算案の最終確認 🚀 with a rather long tail that must be folded over several lines',
    date: new Date('2024-03-05T09:07:03Z'),
    messageId: 'AAMkAGI2TG93AAA=@contoso.example',
    inReplyTo: 'parent-1@contoso.example',
    references: ['root-0@contoso.example', 'parent-1@contoso.example'],
    importance: 'high',
    textBody: `Hi José,\n\nPlease find the budget attached. Total: 12 500 €.\n${'A very long line '.repeat(12)}\nTrailing spaces here   \nEquals = sign\tand tab\n`,
    htmlBody: `<html><body><p>Hi José,</p><p>${'Long html line '.repeat(20)}</p><img src="cid:logo@safehold"></body></html>`,
    attachments: [
      {
        filename: 'logo.png',
        contentType: 'image/png',
        content: buildPng(random, 16, 8),
        contentId: 'logo@safehold',
      },
      {
        filename: 'Budget 2024 Q1.xlsx',
        contentType: 'application/octet-stream',
        content: random.bytes(3000),
      },
      {
        filename: 'Отчёт о продажах за первый квартал 2024 года — окончательная версия 🚀.pdf',
        contentType: 'application/pdf',
        content: random.bytes(1234),
      },
      { filename: 'تقرير المبيعات.docx', contentType: 'application/octet-stream', content: random.bytes(10) },
      {
        filename: 'weird "quoted" name.txt',
        contentType: 'text/plain',
        content: Buffer.from('plain text\n'),
      },
      { filename: 'empty.bin', contentType: 'application/octet-stream', content: Buffer.alloc(0) },
    ],
    messageAttachments: [{ filename: 'Forwarded – Ångström.eml', mime: inner }],
    extraHeaders: [['X-Safehold-Custom', 'Wert mit Umlaut ä']],
  };
}

describe('buildMime', () => {
  it('builds a plain 7bit text/plain message for ASCII text', () => {
    const mime = buildMime({
      from: { address: 'a@contoso.example' },
      to: [{ name: 'Bob Smith', address: 'b@contoso.example' }],
      subject: 'Hello',
      date: new Date('2024-01-02T03:04:05Z'),
      messageId: 'simple@contoso.example',
      textBody: 'Hello Bob.\nSee you.',
    });
    const raw = mime.toString('latin1');
    expect(raw).toContain('Content-Type: text/plain; charset=utf-8\r\n');
    expect(raw).toContain('Content-Transfer-Encoding: 7bit\r\n');
    expect(raw).toContain('Date: Tue, 02 Jan 2024 03:04:05 +0000\r\n');
    expect(raw).toContain('MIME-Version: 1.0\r\n');
    const parsed = parseWithPython(mime);
    expect(parsed.subject).toBe('Hello');
    expect(parsed.to).toEqual([{ name: 'Bob Smith', address: 'b@contoso.example' }]);
    expect(parsed.parts).toHaveLength(1);
    expect(parsed.parts[0]?.defects).toEqual([]);
    expect(normalize(parsed.parts[0]?.text ?? '')).toBe('Hello Bob.\nSee you.');
  });

  it('produces a well-formed multipart message that Python decodes back to the inputs', () => {
    const spec = richSpec();
    const mime = buildMime(spec);
    const parsed = parseWithPython(mime);

    expect(parsed.subject).toBe(spec.subject);
    expect(parsed.from).toEqual([{ name: 'Zoë Müller', address: 'zoe@contoso.example' }]);
    expect(parsed.sender).toEqual([{ name: 'Assistant, Executive', address: 'assistant@contoso.example' }]);
    expect(parsed.to).toEqual(spec.to.map((a) => ({ name: a.name ?? '', address: a.address })));
    expect(parsed.cc).toEqual([{ name: '佐藤 さくら', address: 'sakura@contoso.example' }]);
    expect(parsed.bcc).toEqual([{ name: 'Łukasz Wójcik', address: 'lukasz@contoso.example' }]);
    expect(parsed.replyTo).toEqual([{ name: 'נועה כהן', address: 'noa@contoso.example' }]);
    expect(parsed.date).toBe('2024-03-05T09:07:03+00:00');
    expect(parsed.messageId).toBe('<AAMkAGI2TG93AAA=@contoso.example>');
    expect(parsed.inReplyTo).toBe('<parent-1@contoso.example>');
    expect(parsed.references).toBe('<root-0@contoso.example> <parent-1@contoso.example>');
    expect(parsed.importance).toBe('high');
    expect(parsed.custom).toBe('Wert mit Umlaut ä');
    expect(parsed.mimeVersion).toBe('1.0');

    for (const part of parsed.parts) expect(part.defects, part.path).toEqual([]);
    expect(parsed.parts.map((p) => `${p.path} ${p.type}`)).toEqual([
      '0 multipart/mixed',
      '0.0 multipart/related',
      '0.0.0 multipart/alternative',
      '0.0.0.0 text/plain',
      '0.0.0.1 text/html',
      '0.0.1 image/png',
      '0.1 application/octet-stream',
      '0.2 application/pdf',
      '0.3 application/octet-stream',
      '0.4 text/plain',
      '0.5 application/octet-stream',
      '0.6 message/rfc822',
    ]);
    const byPath = new Map(parsed.parts.map((p) => [p.path, p]));
    expect(byPath.get('0.0')?.relatedType).toBe('multipart/alternative');
    expect(normalize(byPath.get('0.0.0.0')?.text ?? '')).toBe(normalize(spec.textBody));
    expect(byPath.get('0.0.0.0')?.cte).toBe('quoted-printable');
    expect(normalize(byPath.get('0.0.0.1')?.text ?? '')).toBe(spec.htmlBody);

    const image = byPath.get('0.0.1');
    expect(image?.contentId).toBe('<logo@safehold>');
    expect(image?.disposition).toBe('inline');
    expect(spec.htmlBody).toContain('cid:logo@safehold');

    const attachments = spec.attachments ?? [];
    const attachmentPaths = ['0.0.1', '0.1', '0.2', '0.3', '0.4', '0.5'];
    attachmentPaths.forEach((path, i) => {
      const part = byPath.get(path);
      const original = attachments[i];
      expect(part?.filename).toBe(original?.filename);
      expect(Buffer.from(part?.base64 ?? '', 'base64').equals(original?.content ?? Buffer.alloc(1))).toBe(
        true,
      );
    });
    expect(byPath.get('0.2')?.disposition).toBe('attachment');

    const forwarded = byPath.get('0.6');
    expect(forwarded?.filename).toBe('Forwarded – Ångström.eml');
    expect(forwarded?.innerSubject).toBe('Ångström measurements – forwarded');
  });

  it('uses CRLF everywhere, short lines and RFC-sized encoded-words', () => {
    const raw = buildMime(richSpec()).toString('latin1');
    expect(raw).not.toMatch(/[^\r]\n/);
    expect(raw).not.toMatch(/\r(?!\n)/);
    expect(raw).not.toMatch(/[\u0080-\uffff]/);
    for (const line of raw.split('\r\n')) expect(line.length, line).toBeLessThanOrEqual(78);
    const words = raw.match(/=\?[^?\s]+\?[BQ]\?[^?\s]*\?=/g) ?? [];
    expect(words.length).toBeGreaterThan(5);
    for (const word of words) expect(word.length).toBeLessThanOrEqual(75);
    // RFC 2231 continuations for the long Cyrillic file name, with an RFC 2047 name= fallback.
    expect(raw).toMatch(/filename\*0\*=UTF-8''%D0/);
    expect(raw).toMatch(/filename\*1\*=/);
    expect(raw).toMatch(/name="=\?UTF-8\?B\?/);
  });

  it('is byte-for-byte deterministic', () => {
    const a = buildMime(richSpec());
    const b = buildMime(richSpec());
    expect(a.equals(b)).toBe(true);
    // Boundaries depend on the Message-ID, so different messages get different boundaries.
    const other = buildMime({ ...richSpec(), messageId: 'other@contoso.example' });
    const boundary = /boundary="([^"]+)"/.exec(a.toString('latin1'))?.[1] ?? '';
    expect(boundary).not.toBe('');
    expect(other.toString('latin1')).not.toContain(boundary);
  });

  it('handles multipart/alternative without attachments and attachments without HTML', () => {
    const base = {
      from: { address: 'a@contoso.example' },
      to: [{ address: 'b@contoso.example' }],
      subject: 'Ünïcode only',
      date: new Date('2024-06-01T00:00:00Z'),
      messageId: 'alt@contoso.example',
      textBody: 'Grüße',
    };
    const alt = parseWithPython(buildMime({ ...base, htmlBody: '<p>Grüße</p>' }));
    expect(alt.parts.map((p) => p.type)).toEqual(['multipart/alternative', 'text/plain', 'text/html']);
    expect(alt.subject).toBe('Ünïcode only');
    // An inline image without an HTML body has nothing to be related to: it becomes a mixed part.
    const image = {
      filename: 'a.png',
      contentType: 'image/png',
      content: Buffer.from([1, 2, 3]),
      contentId: 'x@y',
    };
    const mixed = parseWithPython(buildMime({ ...base, attachments: [image] }));
    expect(mixed.parts.map((p) => p.type)).toEqual(['multipart/mixed', 'text/plain', 'image/png']);
    for (const part of [...alt.parts, ...mixed.parts]) expect(part.defects).toEqual([]);
  });
});

describe('buildMime with generated content', () => {
  it('round-trips 150 random messages through Python without defects', () => {
    const random = new Random('mime-fuzz');
    const text = new TextGenerator(random);
    const person = () => {
      const n = text.personName();
      return { name: `${n.given} ${n.surname}`, address: `${random.int(1, 1e6)}@contoso.example` };
    };
    const specs: MimeMessageSpec[] = Array.from({ length: 150 }, (_, i) => {
      const html = random.bool(0.6);
      const attachments = Array.from({ length: random.int(0, 3) }, () => ({
        filename: text.fileName(random.pick(['pdf', 'docx', 'png', 'txt'])),
        contentType: 'application/octet-stream',
        content: random.bytes(random.int(0, 5000)),
        ...(html && random.bool(0.3) ? { contentId: `img${random.int(1, 1e9)}@safehold` } : {}),
      }));
      const body = `${person().name},\n\n${text.paragraphs(random.int(1, 4)).join('\n\n')}\n`;
      return {
        from: person(),
        to: Array.from({ length: random.int(1, 6) }, person),
        cc: random.bool(0.3) ? [person()] : undefined,
        subject: random.bool(0.5) ? text.fileName('txt').slice(0, -4) : text.sentence(2, 20),
        date: new Date(Date.UTC(2015, 0, 1) + random.int(0, 3e8) * 1000),
        messageId: `fuzz-${i}@contoso.example`,
        textBody: body,
        htmlBody: html ? `<p>${body.replace(/\n/g, '<br>')}</p>` : undefined,
        attachments,
      };
    });
    const messages = specs.map(buildMime);
    const parsed = parseAllWithPython(messages);
    specs.forEach((spec, i) => {
      const p = parsed[i];
      const raw = messages[i]?.toString('latin1') ?? '';
      for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
      expect(p?.subject).toBe(spec.subject);
      expect(p?.from).toEqual([spec.from]);
      expect(p?.to).toEqual(spec.to);
      for (const part of p?.parts ?? []) expect(part.defects).toEqual([]);
      const plain = p?.parts.find((part) => part.type === 'text/plain' && part.text !== undefined);
      expect(normalize(plain?.text ?? '')).toBe(normalize(spec.textBody));
      const decoded = (p?.parts ?? []).filter((part) => part.base64 !== undefined);
      const expected = spec.attachments ?? [];
      expect(decoded.map((part) => part.filename).sort()).toEqual(expected.map((a) => a.filename).sort());
      for (const a of expected) {
        const part = decoded.find(
          (d) => d.filename === a.filename && Buffer.from(d.base64 ?? '', 'base64').equals(a.content),
        );
        expect(part, a.filename).toBeDefined();
      }
    });
  });
});

describe('header helpers', () => {
  it('leaves plain ASCII alone and encodes everything else', () => {
    expect(encodeHeaderWord('Quarterly review')).toBe('Quarterly review');
    // Mostly-ASCII text uses readable Q encoding; mostly non-ASCII uses the shorter B encoding.
    expect(encodeHeaderWord('Quarterly review for the team in München')).toBe(
      '=?UTF-8?Q?Quarterly_review_for_the_team_in_M=C3=BCnchen?=',
    );
    expect(encodeHeaderWord('予算案')).toMatch(/^=\?UTF-8\?B\?/);
    expect(encodeHeaderWord('looks like =?an?= encoded word')).toMatch(/^=\?UTF-8\?/);
  });

  it('formats address lists with quoting where needed', () => {
    expect(
      formatAddressList([
        { name: 'Bob Smith', address: 'bob@x.example' },
        { name: 'Smith, Bob', address: 'bob2@x.example' },
        { address: 'bare@x.example' },
      ]),
    ).toBe('Bob Smith <bob@x.example>, "Smith, Bob" <bob2@x.example>, bare@x.example');
  });

  it('formats RFC 5322 dates in UTC', () => {
    expect(formatRfc5322Date(new Date('2020-02-29T23:05:09.999Z'))).toBe('Sat, 29 Feb 2020 23:05:09 +0000');
  });
});
