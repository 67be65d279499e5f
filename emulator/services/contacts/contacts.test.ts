import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawGraph, startEmulator } from '../../../test/support/raw-graph.js';

type Started = Awaited<ReturnType<typeof startEmulator>>;

/** A contact that sets every writable property of the v1.0 contact resource. */
const FULL_CONTACT = {
  assistantName: 'Ægir Þórsson',
  birthday: '1981-02-28T11:59:00Z',
  businessAddress: {
    street: 'Königsallee 92a\n3. OG',
    city: 'Düsseldorf',
    state: 'NRW',
    countryOrRegion: 'Deutschland',
    postalCode: '40212',
  },
  businessHomePage: 'https://www.example.com/über-uns',
  businessPhones: ['+49 211 555 0100', '+49 211 555 0101'],
  categories: ['Customers', 'Important ⭐'],
  children: ['Léa', 'Jonas'],
  companyName: 'Müller & Söhne',
  department: 'Einkauf',
  displayName: 'Dr. Zoë Ångström-佐藤 Jr.',
  emailAddresses: [
    { name: 'Zoë Ångström', address: 'zoe@example.com' },
    { name: 'zoe.private@example.org', address: 'zoe.private@example.org' },
  ],
  fileAs: 'Ångström, Zoë',
  generation: 'Jr.',
  givenName: 'Zoë',
  homeAddress: {
    street: '東京都千代田区丸の内1-1-1',
    city: '千代田区',
    state: '東京都',
    countryOrRegion: '日本',
    postalCode: '100-0005',
  },
  homePhones: ['03-1234-5678'],
  imAddresses: ['sip:zoe@example.com', 'zoe@skype.example'],
  initials: 'Z.Å.',
  jobTitle: 'Projektleiterin',
  manager: 'Jürgen Wójcik',
  middleName: 'Renée',
  mobilePhone: '+81 90-1234-5678',
  nickName: 'Zo',
  officeLocation: 'HQ – Room 3.14',
  otherAddress: { city: 'São Paulo', countryOrRegion: 'Brasil' },
  personalNotes: 'Line one\nLine two\r\n\r\n• bullet 🎂',
  profession: 'Ingénieure',
  spouseName: 'Björn',
  surname: 'Ångström-佐藤',
  title: 'Dr.',
  yomiCompanyName: 'ミュラー',
  yomiGivenName: 'ゾーイ',
  yomiSurname: 'サトウ',
};

describe('contacts (contract)', () => {
  let env: Started;
  let raw: RawGraph;
  let user: { id: string; userPrincipalName: string };
  let unlicensed: { id: string };

  beforeAll(async () => {
    env = await startEmulator();
    raw = env.raw;
    const users = (await raw.admin('GET', '/users')).json.value as {
      id: string;
      userPrincipalName: string;
      mailbox: string | null;
      licensed: boolean;
    }[];
    user = users.find((u) => u.mailbox === 'user' && u.licensed) as typeof user;
    unlicensed = users.find((u) => u.mailbox === null) as typeof unlicensed;
  });
  afterAll(async () => env.stop());

  const activity = async (op: string, args: Record<string, unknown>) => {
    const r = await raw.admin('POST', '/activity', { op, args });
    expect(r.status, r.body.toString()).toBe(200);
    return r.json.result;
  };

  /** Runs a delta round to its deltaLink; returns every item and the deltaLink. */
  const deltaRound = async (url: string) => {
    const { items, last } = await raw.all(url);
    expect(last['@odata.deltaLink']).toMatch(/\$deltatoken=/);
    return { items, deltaLink: last['@odata.deltaLink'] as string };
  };

  it('round-trips every contact property (create then get)', async () => {
    const created = await raw.graph('POST', `/v1.0/users/${user.id}/contacts`, { json: FULL_CONTACT });
    expect(created.status, created.body.toString()).toBe(201);
    const got = await raw.get(`/v1.0/users/${user.userPrincipalName}/contacts/${created.json.id}`);
    expect(got.status).toBe(200);
    for (const [k, v] of Object.entries(FULL_CONTACT)) expect(got.json[k], k).toEqual(v);
    expect(got.json.parentFolderId).toBeTruthy();
    expect(got.json['@odata.etag']).toBe(`W/"${got.json.changeKey}"`);
  });

  it('rejects properties the contact type does not define', async () => {
    const r = await raw.graph('POST', `/v1.0/users/${user.id}/contacts`, {
      json: { givenName: 'X', favouriteColour: 'blue' },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('RequestBodyRead');
  });

  it('seeds contacts using every field, some sparse', async () => {
    const { items } = await raw.all(`/v1.0/users/${user.id}/contacts?$top=50`);
    expect(items.length).toBeGreaterThan(3);
    const rich = items.filter(
      (c) =>
        c.emailAddresses.length > 1 && c.children.length > 0 && c.birthday && c.personalNotes.includes('\n'),
    );
    expect(rich.length).toBeGreaterThan(0);
    expect(items.some((c) => Object.keys(c.businessAddress).length > 0)).toBe(true);
  });

  it('pages every contact exactly once', async () => {
    const { items: small } = await raw.all(`/v1.0/users/${user.id}/contacts?$top=3`);
    const { items: big } = await raw.all(`/v1.0/users/${user.id}/contacts?$top=1000`);
    const ids = small.map((c) => c.id as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(big.map((c) => c.id as string).sort());
  });

  it('supports $select and $filter', async () => {
    const r = await raw.get(`/v1.0/users/${user.id}/contacts?$select=displayName,emailAddresses&$top=5`);
    expect(Object.keys(r.json.value[0]).sort()).toEqual(
      ['@odata.etag', 'displayName', 'emailAddresses', 'id'].sort(),
    );
    const f = await raw.get(
      `/v1.0/users/${user.id}/contacts?$filter=${encodeURIComponent("emailAddresses/any(a:a/address eq 'zoe@example.com')")}`,
    );
    expect(f.status).toBe(200);
    expect(f.json.value.map((c: { displayName: string }) => c.displayName)).toEqual([
      FULL_CONTACT.displayName,
    ]);
  });

  it('lists folders, child folders and their contacts', async () => {
    const folders = (await raw.get(`/v1.0/users/${user.id}/contactFolders`)).json.value as {
      id: string;
      parentFolderId: string;
    }[];
    expect(folders.length).toBeGreaterThanOrEqual(1);
    const defaultId = folders[0]?.parentFolderId as string;
    const def = await raw.get(`/v1.0/users/${user.id}/contactFolders/${defaultId}`);
    expect(def.json.displayName).toBe('Contacts');
    for (const f of folders) {
      const kids = await raw.get(`/v1.0/users/${user.id}/contactFolders/${f.id}/childFolders`);
      expect(kids.status).toBe(200);
      const inFolder = await raw.all(`/v1.0/users/${user.id}/contactFolders/${f.id}/contacts`);
      for (const c of inFolder.items) expect(c.parentFolderId).toBe(f.id);
    }
  });

  it('contacts delta after activity returns exactly the changes, deletion as @removed', async () => {
    const url = `/v1.0/users/${user.id}/contacts/delta?$select=displayName`;
    const first = await deltaRound(url);
    expect(first.items.length).toBeGreaterThan(0);
    const [victim, changed] = first.items as { id: string }[];
    const added = await activity('contacts.addContact', {
      user: user.id,
      set: { displayName: 'Delta Person' },
    });
    await activity('contacts.updateContact', {
      user: user.id,
      id: changed?.id,
      set: { displayName: 'Renamed' },
    });
    await activity('contacts.deleteContact', { user: user.id, id: victim?.id });

    const second = await deltaRound(first.deltaLink);
    const byId = new Map(second.items.map((i) => [i.id as string, i]));
    expect([...byId.keys()].sort()).toEqual([added.id, changed?.id, victim?.id].sort());
    expect(byId.get(victim?.id as string)['@removed']).toEqual({ reason: 'deleted' });
    expect(byId.get(changed?.id as string).displayName).toBe('Renamed');
    expect(byId.get(added.id as string).displayName).toBe('Delta Person');

    const third = await deltaRound(second.deltaLink);
    expect(third.items).toEqual([]);
  });

  it('contactFolders delta reports new and deleted folders', async () => {
    const first = await deltaRound(`/v1.0/users/${user.id}/contactFolders/delta`);
    const created = await raw.graph('POST', `/v1.0/users/${user.id}/contactFolders`, {
      json: { displayName: 'Delta folder' },
    });
    expect(created.status).toBe(201);
    const dup = await raw.graph('POST', `/v1.0/users/${user.id}/contactFolders`, {
      json: { displayName: 'Delta folder' },
    });
    expect(dup.status).toBe(409);
    const second = await deltaRound(first.deltaLink);
    expect(second.items.map((i) => i.id)).toEqual([created.json.id]);
    expect(
      (await raw.graph('DELETE', `/v1.0/users/${user.id}/contactFolders/${created.json.id}`)).status,
    ).toBe(204);
    const third = await deltaRound(second.deltaLink);
    expect(third.items).toEqual([
      {
        '@odata.type': '#microsoft.graph.contactFolder',
        id: created.json.id,
        '@removed': { reason: 'deleted' },
      },
    ]);
  });

  it('answers an expired delta token with 410 SyncStateNotFound', async () => {
    const first = await deltaRound(`/v1.0/users/${user.id}/contacts/delta`);
    // Tombstones newer than the token are forgotten, so the token can no longer be served.
    await activity('contacts.addContact', { user: user.id });
    await raw.admin('POST', '/delta/expire', { prefix: `contacts:${user.id}` });
    const r = await raw.get(first.deltaLink);
    expect(r.status).toBe(410);
    expect(r.json.error.code).toBe('SyncStateNotFound');
  });

  it('answers 404 for a user without a mailbox and 403 without Contacts permissions', async () => {
    const none = await raw.get(`/v1.0/users/${unlicensed.id}/contacts`);
    expect(none.status).toBe(404);
    expect(none.json.error.code).toBe('MailboxNotEnabledForRESTAPI');
    const app = (await raw.admin('POST', '/apps', { permissions: ['Mail.Read', 'Calendars.Read'] })).json;
    const limited = new RawGraph(env.emulator, { clientId: app.appId, clientSecret: app.clientSecret });
    try {
      const r = await limited.get(`/v1.0/users/${user.id}/contacts`);
      expect(r.status).toBe(403);
      expect(r.json.error.code).toBe('ErrorAccessDenied');
      const readOnly = (await raw.admin('POST', '/apps', { permissions: ['Contacts.Read'] })).json;
      const reader = new RawGraph(env.emulator, {
        clientId: readOnly.appId,
        clientSecret: readOnly.clientSecret,
      });
      expect((await reader.get(`/v1.0/users/${user.id}/contacts`)).status).toBe(200);
      expect(
        (await reader.graph('POST', `/v1.0/users/${user.id}/contacts`, { json: { givenName: 'No' } })).status,
      ).toBe(403);
      await reader.close();
    } finally {
      await limited.close();
    }
  });

  it('counts inventory exactly', async () => {
    const inv = (await raw.admin('GET', '/inventory')).json.contacts as {
      contacts: number;
      contactFolders: number;
    };
    const users = (await raw.admin('GET', '/users')).json.value as { id: string; mailbox: string | null }[];
    let contacts = 0;
    let folders = 0;
    const walk = async (uid: string, id: string): Promise<void> => {
      folders++;
      contacts += (await raw.all(`/v1.0/users/${uid}/contactFolders/${id}/contacts?$top=100`)).items.length;
      for (const child of (await raw.all(`/v1.0/users/${uid}/contactFolders/${id}/childFolders`)).items)
        await walk(uid, child.id as string);
    };
    for (const u of users.filter((x) => x.mailbox)) {
      const firstContact = await raw.get(`/v1.0/users/${u.id}/contactFolders`);
      const top = firstContact.json.value as { parentFolderId: string }[];
      const def =
        top[0]?.parentFolderId ?? (await raw.get(`/v1.0/users/${u.id}/contactFolders/contacts`)).json.id;
      await walk(u.id, def as string);
    }
    expect({ contacts, contactFolders: folders }).toEqual(inv);
  });
});
