import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawGraph, startEmulator } from '../../../test/support/raw-graph.js';
import type { Emulator } from '../../server.js';
import { fileContainsText, mailboxUsers, parseWithPython, type TestUser } from './test-helpers.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('mail messages (Graph v1.0 message)', () => {
  let emulator: Emulator;
  let raw: RawGraph;
  let stop: () => Promise<void>;
  let users: TestUser[];
  let user: TestUser;
  let all: any[];

  beforeAll(async () => {
    ({ emulator, raw, stop } = await startEmulator());
    users = await mailboxUsers(raw);
    user = users[0] as TestUser;
    all = (await raw.all(`/v1.0/users/${user.id}/messages?$top=1000`)).items;
  });
  afterAll(async () => stop());

  it('returns the documented message shape', () => {
    const m = all[0];
    expect(m['@odata.etag']).toBe(`W/"${m.changeKey}"`);
    for (const k of ['receivedDateTime', 'sentDateTime', 'createdDateTime', 'lastModifiedDateTime'])
      expect(m[k]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(m.internetMessageId).toMatch(/^<.+@.+>$/);
    for (const k of [
      'parentFolderId',
      'conversationId',
      'subject',
      'bodyPreview',
      'body',
      'from',
      'sender',
      'toRecipients',
      'flag',
      'importance',
      'isRead',
      'isDraft',
      'hasAttachments',
    ])
      expect(m).toHaveProperty(k);
    expect(m).not.toHaveProperty('uniqueBody');
    expect(m).not.toHaveProperty('internetMessageHeaders');
    const sorted = [...all].sort((a, b) => b.receivedDateTime.localeCompare(a.receivedDateTime));
    expect(all.map((x) => x.receivedDateTime)).toEqual(sorted.map((x) => x.receivedDateTime));
  });

  it('pages with the default size of 10 and returns every message exactly once', async () => {
    const first = await raw.get(`/v1.0/users/${user.id}/messages`);
    expect(first.json.value).toHaveLength(10);
    const paged = (await raw.all(`/v1.0/users/${user.id}/messages?$top=7&$select=subject`)).items;
    expect(paged.map((m: any) => m.id).sort()).toEqual(all.map((m) => m.id).sort());
    expect(new Set(paged.map((m: any) => m.id)).size).toBe(paged.length);
    expect(Object.keys(paged[0]).sort()).toEqual(['@odata.etag', 'id', 'subject']);
    const skipped = await raw.get(`/v1.0/users/${user.id}/messages?$top=5&$skip=5`);
    expect(skipped.json.value.map((m: any) => m.id)).toEqual(all.slice(5, 10).map((m) => m.id));
  });

  it('filters on receivedDateTime, isRead and hasAttachments', async () => {
    const cut = all[Math.floor(all.length / 2)].receivedDateTime;
    const recent = (
      await raw.all(`/v1.0/users/${user.id}/messages?$top=1000&$filter=receivedDateTime ge ${cut}`)
    ).items;
    expect(recent.length).toBe(all.filter((m) => m.receivedDateTime >= cut).length);
    const unread = (await raw.all(`/v1.0/users/${user.id}/messages?$top=1000&$filter=isRead eq false`)).items;
    expect(unread.length).toBe(all.filter((m) => !m.isRead).length);
    const withAtt = (
      await raw.all(`/v1.0/users/${user.id}/messages?$top=1000&$filter=hasAttachments eq true`)
    ).items;
    expect(withAtt.length).toBe(all.filter((m) => m.hasAttachments).length);
    expect(withAtt.length).toBeGreaterThan(0);
  });

  it('listings and folder counts follow changes made between requests', async () => {
    const inbox = `/v1.0/users/${user.id}/mailFolders/inbox`;
    const counts = async () => {
      const f = (await raw.get(inbox)).json;
      const unread = (await raw.all(`${inbox}/messages?$filter=isRead eq false&$top=1000&$select=id`)).items;
      return { total: f.totalItemCount, unread: f.unreadItemCount, listed: unread.length };
    };
    const start = await counts();
    expect(start.unread).toBe(start.listed);
    const first = (await raw.get(`${inbox}/messages?$orderby=subject&$top=5&$select=subject`)).json;
    const victim = (await raw.get(`${inbox}/messages?$filter=isRead eq false&$top=1`)).json.value[0];
    await raw.graph('PATCH', `/v1.0/users/${user.id}/messages/${victim.id}`, { json: { isRead: true } });
    expect(await counts()).toEqual({ ...start, unread: start.unread - 1, listed: start.listed - 1 });
    const created = await raw.graph('POST', `${inbox}/messages`, {
      json: { subject: '!!! first by subject', body: { contentType: 'text', content: 'x' } },
    });
    expect(created.status).toBe(201);
    const after = await counts();
    expect(after.total).toBe(start.total + 1);
    const bySubject = (await raw.all(`${inbox}/messages?$orderby=subject&$top=5&$select=subject`)).items;
    expect(bySubject[0].id).toBe(created.json.id);
    expect(bySubject).toHaveLength(start.total + 1);
    // The page links handed out before the change still page the listing.
    expect((await raw.get(first['@odata.nextLink'])).status).toBe(200);
    await raw.graph('DELETE', `/v1.0/users/${user.id}/messages/${created.json.id}`);
    await raw.graph('PATCH', `/v1.0/users/${user.id}/messages/${victim.id}`, { json: { isRead: false } });
    expect(await counts()).toEqual(start);
  });

  it('serves uniqueBody and internetMessageHeaders only when $select asks', async () => {
    const r = await raw.get(
      `/v1.0/users/${user.id}/messages/${all[0].id}?$select=subject,uniqueBody,internetMessageHeaders`,
    );
    expect(r.json.uniqueBody.content.length).toBeGreaterThan(0);
    expect(r.json.internetMessageHeaders.some((h: any) => h.name === 'Message-ID')).toBe(true);
  });

  it('seeded keywords in attachment text are listed by mail.keywords and found by $search', async () => {
    const report = (await raw.admin('POST', '/activity', { op: 'mail.keywords', args: { user: user.id } }))
      .json.result;
    const hit = report[0].keywords[0];
    expect(report[0].messages).toBe(all.length);
    expect(hit.keyword).toMatch(/^[a-z]+-\d{4}$/);
    const found = (await raw.all(`/v1.0/users/${user.id}/messages?$search="${hit.keyword}"`)).items;
    expect(found.map((m: any) => m.id)).toContain(hit.id);
    const m = found.find((x: any) => x.id === hit.id);
    const atts = (await raw.get(`/v1.0/users/${user.id}/messages/${m.id}/attachments`)).json.value;
    const holders = atts.filter(
      (a: any) => a.contentBytes && fileContainsText(Buffer.from(a.contentBytes, 'base64'), hit.keyword),
    );
    expect(holders.length).toBeGreaterThan(0);
  });

  it('honours Prefer: outlook.body-content-type="text"', async () => {
    const html = all.find((m) => m.body.contentType === 'html');
    const r = await raw.get(`/v1.0/users/${user.id}/messages/${html.id}`, {
      prefer: 'outlook.body-content-type="text"',
    });
    expect(r.json.body.contentType).toBe('text');
    expect(r.json.body.content).not.toMatch(/<p>/);
    expect(r.headers['preference-applied']).toBe('outlook.body-content-type="text"');
  });

  it('$value is byte-identical across calls and Python email parses it with attachments intact', async () => {
    const withFiles = all.filter((m) => m.hasAttachments).slice(0, 6);
    expect(withFiles.length).toBeGreaterThan(0);
    for (const m of withFiles) {
      const a = await raw.get(`/v1.0/users/${user.id}/messages/${m.id}/$value`);
      const b = await raw.get(`/v1.0/users/${user.id}/messages/${m.id}/$value`);
      expect(a.status).toBe(200);
      expect(sha(a.body)).toBe(sha(b.body));
      const report = parseWithPython(a.body);
      expect(report.defects).toBe(0);
      expect(report.subject).toBe(m.subject);
      const atts = (await raw.get(`/v1.0/users/${user.id}/messages/${m.id}/attachments`)).json.value;
      for (const att of atts.filter((x: any) => x['@odata.type'] === '#microsoft.graph.fileAttachment')) {
        const bytes = Buffer.from(att.contentBytes, 'base64');
        expect(bytes.length).toBe(att.size);
        const part = report.parts.find((p) => p.filename === att.name);
        expect(part, `${att.name} in MIME`).toBeTruthy();
        expect(part?.sha256).toBe(sha(bytes));
        const value = await raw.get(`/v1.0/users/${user.id}/messages/${m.id}/attachments/${att.id}/$value`);
        expect(sha(value.body)).toBe(sha(bytes));
      }
    }
  });

  it('has item attachments (message/rfc822) with an expandable item, and reference attachments whose $value is 405', async () => {
    let item: any;
    let reference: any;
    for (const u of users) {
      const msgs = (await raw.all(`/v1.0/users/${u.id}/messages?$top=1000&$expand=attachments&$select=id`))
        .items;
      for (const m of msgs) {
        for (const a of m.attachments) {
          if (!item && a['@odata.type'] === '#microsoft.graph.itemAttachment') item = { u, m, a };
          if (!reference && a['@odata.type'] === '#microsoft.graph.referenceAttachment')
            reference = { u, m, a };
        }
      }
      if (item && reference) break;
    }
    expect(item && reference).toBeTruthy();
    const expanded = await raw.get(
      `/v1.0/users/${item.u.id}/messages/${item.m.id}/attachments/${item.a.id}?$expand=microsoft.graph.itemattachment/item`,
    );
    expect(expanded.json.item['@odata.type']).toBe('#microsoft.graph.message');
    expect(expanded.json.item.subject.length).toBeGreaterThan(0);
    const mime = await raw.get(
      `/v1.0/users/${item.u.id}/messages/${item.m.id}/attachments/${item.a.id}/$value`,
    );
    expect(parseWithPython(mime.body).subject).toBe(expanded.json.item.subject);
    const ref = await raw.get(
      `/v1.0/users/${reference.u.id}/messages/${reference.m.id}/attachments/${reference.a.id}/$value`,
    );
    expect(ref.status).toBe(405);
  });

  it('delivers the one shared large attachment with identical bytes to several mailboxes', async () => {
    const profileBytes = 5 * 1024 * 1024;
    const hashes = new Set<string>();
    const messageIds = new Set<string>();
    let deliveries = 0;
    for (const u of users) {
      const hits = (await raw.all(`/v1.0/users/${u.id}/messages?$top=1000&$search="Site survey raw data"`))
        .items;
      for (const m of hits) {
        const atts = (await raw.get(`/v1.0/users/${u.id}/messages/${m.id}/attachments?$select=name,size`))
          .json.value;
        const big = atts.find((a: any) => a.size === profileBytes);
        if (!big) continue;
        deliveries++;
        messageIds.add(m.internetMessageId);
        const bytes = await raw.get(`/v1.0/users/${u.id}/messages/${m.id}/attachments/${big.id}/$value`);
        expect(bytes.body.length).toBe(profileBytes);
        hashes.add(sha(bytes.body));
      }
    }
    expect(deliveries).toBe(5);
    expect(messageIds.size).toBe(5);
    expect(hashes.size).toBe(1);
  });

  it('keeps both copies of internal mail: the sender has it in Sent Items with the same Message-ID', async () => {
    const emails = new Map(users.map((u) => [(u.mail ?? '').toLowerCase(), u]));
    const inbox = (await raw.all(`/v1.0/users/${user.id}/mailFolders/inbox/messages?$top=1000`)).items;
    const internal = inbox.find(
      (m: any) =>
        emails.has(m.from.emailAddress.address.toLowerCase()) &&
        m.from.emailAddress.address.toLowerCase() !== (user.mail ?? '').toLowerCase(),
    );
    expect(internal).toBeTruthy();
    const sender = emails.get(internal.from.emailAddress.address.toLowerCase()) as TestUser;
    const sent = (
      await raw.all(
        `/v1.0/users/${sender.id}/mailFolders/sentitems/messages?$top=1000&$select=internetMessageId,conversationId`,
      )
    ).items;
    const copy = sent.find((m: any) => m.internetMessageId === internal.internetMessageId);
    expect(copy).toBeTruthy();
    expect(copy.conversationId).toBe(internal.conversationId);
  });

  it('threads replies: In-Reply-To/References and a shared conversationId', async () => {
    const replies = all.filter((m) => /^RE: /.test(m.subject));
    expect(replies.length).toBeGreaterThan(0);
    const r = replies[0];
    const mime = (await raw.get(`/v1.0/users/${user.id}/messages/${r.id}/$value`)).body.toString('latin1');
    expect(mime).toMatch(/\r\nIn-Reply-To: <[^>]+>\r\n/);
    expect(mime).toMatch(/\r\nReferences: <[^>]+>/);
  });

  it('JSON create with 0x0E07 (no unsent bit) makes a non-draft and keeps 0x0E06 / 0x0039 dates', async () => {
    const body = {
      subject: 'Imported – Grüße 👋',
      body: { contentType: 'html', content: '<p>Hello <b>there</b></p>' },
      from: { emailAddress: { name: 'Émile Zola', address: 'emile@example.org' } },
      toRecipients: [{ emailAddress: { name: user.userPrincipalName, address: user.mail } }],
      singleValueExtendedProperties: [
        { id: 'Integer 0x0E07', value: '1' },
        { id: 'SystemTime 0x0E06', value: '2021-03-04T05:06:07Z' },
        { id: 'SystemTime 0x0039', value: '2021-03-04T05:00:00Z' },
      ],
      attachments: [
        {
          '@odata.type': '#microsoft.graph.fileAttachment',
          name: 'naïve résumé.txt',
          contentType: 'text/plain',
          contentBytes: Buffer.from('hello attachment').toString('base64'),
        },
      ],
    };
    const r = await raw.graph('POST', `/v1.0/users/${user.id}/mailFolders/inbox/messages`, { json: body });
    expect(r.status).toBe(201);
    expect(r.json.isDraft).toBe(false);
    expect(r.json.isRead).toBe(true);
    expect(r.json.receivedDateTime).toBe('2021-03-04T05:06:07Z');
    expect(r.json.sentDateTime).toBe('2021-03-04T05:00:00Z');
    expect(r.json.hasAttachments).toBe(true);
    const ext = await raw.get(
      `/v1.0/users/${user.id}/messages/${r.json.id}?$expand=singleValueExtendedProperties($filter=id eq 'Integer 0x0E07')`,
    );
    expect(ext.json.singleValueExtendedProperties).toEqual([
      { id: 'Integer 0xe07', value: String(0x1 | 0x10) },
    ]);
    const mime = await raw.get(`/v1.0/users/${user.id}/messages/${r.json.id}/$value`);
    const report = parseWithPython(mime.body);
    expect(report.subject).toBe(body.subject);
    expect(report.parts.find((p) => p.filename === 'naïve résumé.txt')?.sha256).toBe(
      sha(Buffer.from('hello attachment')),
    );
    const plain = await raw.graph('POST', `/v1.0/users/${user.id}/messages`, {
      json: { subject: 'A draft' },
    });
    expect(plain.json.isDraft).toBe(true);
    const drafts = await raw.get(`/v1.0/users/${user.id}/mailFolders/drafts`);
    expect(plain.json.parentFolderId).toBe(drafts.json.id);
  });

  it('MIME create (base64, text/plain) makes a draft whose $value is the uploaded MIME; bad base64 is 400', async () => {
    const mime = Buffer.from(
      'From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.org>\r\nTo: a@example.org\r\nSubject: =?UTF-8?B?8J+To0gTUlNRSBpbXBvcnQ=?=\r\nDate: Tue, 05 Mar 2024 09:07:03 +0000\r\nMessage-ID: <mime-import-1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody line\r\n',
    );
    const r = await raw.graph('POST', `/v1.0/users/${user.id}/messages`, {
      headers: { 'content-type': 'text/plain' },
      body: mime.toString('base64'),
    });
    expect(r.status).toBe(201);
    expect(r.json.isDraft).toBe(true);
    expect(r.json.sentDateTime).toBe('2024-03-05T09:07:03Z');
    expect(r.json.from.emailAddress.name).toBe('Jürgen');
    const back = await raw.get(`/v1.0/users/${user.id}/messages/${r.json.id}/$value`);
    expect(back.body.equals(mime)).toBe(true);
    const bad = await raw.graph('POST', `/v1.0/users/${user.id}/messages`, {
      headers: { 'content-type': 'text/plain' },
      body: 'not base64!!',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('ErrorMimeContentInvalidBase64String');
  });

  it('works inside $batch, including a MIME create', async () => {
    const mime = Buffer.from(
      'From: b@example.org\r\nSubject: batched\r\nMessage-ID: <batch-1@example.org>\r\n\r\nhi\r\n',
    );
    const r = await raw.graph('POST', '/v1.0/$batch', {
      json: {
        requests: [
          { id: '1', method: 'GET', url: `/users/${user.id}/messages/${all[0].id}?$select=subject` },
          {
            id: '2',
            method: 'POST',
            url: `/users/${user.id}/messages`,
            headers: { 'content-type': 'text/plain' },
            body: mime.toString('base64'),
          },
        ],
      },
    });
    expect(r.status).toBe(200);
    const byId = Object.fromEntries(r.json.responses.map((x: any) => [x.id, x]));
    expect(byId['1'].status).toBe(200);
    expect(byId['1'].body.subject).toBe(all[0].subject);
    expect(byId['2'].status).toBe(201);
    expect(byId['2'].body.subject).toBe('batched');
    expect(byId['2'].body.isDraft).toBe(true);
  });

  it('move returns 201 with a new id; copy leaves the original; PATCH and DELETE work', async () => {
    const m = all.find((x) => !x.isDraft && x.parentFolderId);
    const archive = await raw.get(`/v1.0/users/${user.id}/mailFolders/archive`);
    const moved = await raw.graph('POST', `/v1.0/users/${user.id}/messages/${m.id}/move`, {
      json: { destinationId: 'deleteditems' },
    });
    expect(moved.status).toBe(201);
    expect(moved.json.id).not.toBe(m.id);
    expect(moved.json.internetMessageId).toBe(m.internetMessageId);
    expect((await raw.get(`/v1.0/users/${user.id}/messages/${m.id}`)).status).toBe(404);
    const copy = await raw.graph('POST', `/v1.0/users/${user.id}/messages/${moved.json.id}/copy`, {
      json: { destinationId: archive.json.id },
    });
    expect(copy.status).toBe(201);
    expect((await raw.get(`/v1.0/users/${user.id}/messages/${moved.json.id}`)).status).toBe(200);
    const patched = await raw.graph('PATCH', `/v1.0/users/${user.id}/messages/${copy.json.id}`, {
      json: { isRead: false, categories: ['Blue category'], flag: { flagStatus: 'flagged' } },
    });
    expect(patched.json.isRead).toBe(false);
    expect(patched.json.categories).toEqual(['Blue category']);
    expect(patched.json.changeKey).not.toBe(copy.json.changeKey);
    const sentEdit = await raw.graph('PATCH', `/v1.0/users/${user.id}/messages/${copy.json.id}`, {
      json: { subject: 'changed' },
    });
    expect(sentEdit.status).toBe(400);
    expect((await raw.graph('DELETE', `/v1.0/users/${user.id}/messages/${copy.json.id}`)).status).toBe(204);
    expect((await raw.get(`/v1.0/users/${user.id}/messages/${copy.json.id}`)).status).toBe(404);
  });

  it('adds small attachments and uploads large ones through an upload session', async () => {
    const draft = await raw.graph('POST', `/v1.0/users/${user.id}/messages`, {
      json: { subject: 'with attachments', toRecipients: [{ emailAddress: { address: 'x@example.org' } }] },
    });
    const small = await raw.graph('POST', `/v1.0/users/${user.id}/messages/${draft.json.id}/attachments`, {
      json: {
        '@odata.type': '#microsoft.graph.fileAttachment',
        name: 'small.bin',
        contentBytes: Buffer.from([1, 2, 3]).toString('base64'),
      },
    });
    expect(small.status).toBe(201);
    const size = 5 * 1024 * 1024 + 123;
    const data = createHash('sha512').update('seed').digest();
    const big = Buffer.alloc(size);
    for (let i = 0; i < size; i += data.length) data.copy(big, i);
    const session = await raw.graph(
      'POST',
      `/v1.0/users/${user.id}/messages/${draft.json.id}/attachments/createUploadSession`,
      {
        json: { AttachmentItem: { attachmentType: 'file', name: 'größe.bin', size } },
      },
    );
    expect(session.status).toBe(201);
    expect(session.json.nextExpectedRanges).toEqual(['0-']);
    // The upload URL is pre-authenticated: a bearer token sent along is refused, the session lives on.
    const withToken = await raw.send('PUT', session.json.uploadUrl, {
      headers: {
        authorization: `Bearer ${await raw.accessToken()}`,
        'content-type': 'application/octet-stream',
        'content-range': `bytes 0-2/${size}`,
      },
      body: big.subarray(0, 3),
    });
    expect(withToken.status).toBe(401);
    const chunk = 4 * 1024 * 1024;
    let last: any;
    for (let start = 0; start < size; start += chunk) {
      const end = Math.min(size, start + chunk) - 1;
      last = await raw.send('PUT', session.json.uploadUrl, {
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `bytes ${start}-${end}/${size}`,
        },
        body: big.subarray(start, end + 1),
      });
      if (end + 1 < size) {
        expect(last.status).toBe(200);
        expect(last.json.nextExpectedRanges).toEqual([String(end + 1)]);
      }
    }
    expect(last.status).toBe(201);
    const attId = /Attachments\('([^']+)'\)/.exec(last.headers['location'])?.[1] as string;
    const got = await raw.get(`/v1.0/users/${user.id}/messages/${draft.json.id}/attachments/${attId}/$value`);
    expect(sha(got.body)).toBe(sha(big));
    const mime = await raw.get(`/v1.0/users/${user.id}/messages/${draft.json.id}/$value`);
    const report = parseWithPython(mime.body);
    expect(report.parts.find((p) => p.filename === 'größe.bin')?.sha256).toBe(sha(big));
    expect(report.parts.find((p) => p.filename === 'small.bin')?.size).toBe(3);
  });

  it('Mail.ReadBasic.All sees messages without body; attachments need Mail.Read', async () => {
    const app = await raw.admin('POST', '/apps', {
      displayName: 'basic',
      permissions: ['Mail.ReadBasic.All'],
    });
    const basic = new RawGraph(emulator, { clientId: app.json.appId, clientSecret: app.json.clientSecret });
    const r = await basic.get(`/v1.0/users/${user.id}/messages/${all[1].id}`);
    expect(r.status).toBe(200);
    expect(r.json).not.toHaveProperty('body');
    expect(r.json).not.toHaveProperty('bodyPreview');
    expect((await basic.get(`/v1.0/users/${user.id}/messages/${all[1].id}/$value`)).status).toBe(403);
    expect(
      (await basic.graph('PATCH', `/v1.0/users/${user.id}/messages/${all[1].id}`, { json: { isRead: true } }))
        .status,
    ).toBe(403);
    await basic.close();
  });
});
