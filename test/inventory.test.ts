import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crawlTenant, type TenantInventory } from '../src/connectors/inventory/index.js';
import { startEmulator, type RawGraph } from './support/raw-graph.js';
import { clientFor } from './support/graph-client.js';
import {
  ALL_APP_PERMISSIONS,
  generateClientCertificate,
  registerApp,
  type Emulator,
} from '../emulator/index.js';

/**
 * The foundation's acceptance test: a crawl through the public Graph surface alone (sign-in with
 * MSAL, paging, delta, $batch) finds exactly what the emulator's generator made.
 */
let emulator: Emulator;
let raw: RawGraph;
let stop: () => Promise<void>;
let crawled: TenantInventory;
let generated: Record<string, Record<string, number>>;

beforeAll(async () => {
  ({ emulator, raw, stop } = await startEmulator({ seed: 11 }));
  // A certificate sign-in, so SharePoint REST (list item attachments) answers too.
  const cert = await generateClientCertificate('inventory');
  const { appId } = registerApp(emulator.store, {
    permissions: ALL_APP_PERMISSIONS,
    certificatePem: cert.certPem,
    secret: false,
  });
  const client = clientFor(emulator.info, {
    clientId: appId,
    credential: { kind: 'certificate', certificatePem: cert.certPem, privateKeyPem: cert.keyPem },
    sharepointOrigin: emulator.info.graphUrl,
  });
  crawled = await crawlTenant(client);
  await client.close();
  generated = (await raw.admin('GET', '/inventory')).json;
}, 300_000);
afterAll(() => stop());

/** Crawl key → emulator inventory [service, key]. */
const SAME: Record<string, [string, string]> = {
  'directory.users': ['directory', 'users'],
  'directory.licensedUsers': ['directory', 'licensedUsers'],
  'directory.guests': ['directory', 'guests'],
  'directory.mailboxes': ['directory', 'mailboxes'],
  'directory.archiveMailboxes': ['directory', 'archiveMailboxes'],
  'directory.groups': ['directory', 'groups'],
  'directory.unifiedGroups': ['directory', 'unifiedGroups'],
  'directory.sites': ['directory', 'sites'],
  'mail.folders': ['mail', 'folders'],
  'mail.searchFolders': ['mail', 'searchFolders'],
  'mail.messages': ['mail', 'messages'],
  'mail.messagesWithAttachments': ['mail', 'messagesWithAttachments'],
  'mail.attachments': ['mail', 'attachments'],
  'archive.folders': ['mail', 'archiveFolders'],
  'archive.items': ['mail', 'archiveMessages'],
  'groupMail.conversations': ['mail', 'groupConversations'],
  'groupMail.threads': ['mail', 'groupThreads'],
  'groupMail.posts': ['mail', 'groupPosts'],
  'contacts.folders': ['contacts', 'contactFolders'],
  'contacts.contacts': ['contacts', 'contacts'],
  'calendar.calendars': ['calendar', 'calendars'],
  'calendar.events': ['calendar', 'events'],
  'calendar.seriesMasters': ['calendar', 'seriesMasters'],
  'calendar.exceptions': ['calendar', 'exceptions'],
  'calendar.eventAttachments': ['calendar', 'eventAttachments'],
  'calendar.groupEvents': ['calendar', 'groupEvents'],
  'drives.drives': ['drives', 'drives'],
  'drives.folders': ['drives', 'folders'],
  'drives.files': ['drives', 'files'],
  'drives.notebooks': ['drives', 'notebooks'],
  'drives.versions': ['drives', 'versions'],
  'drives.permissions': ['drives', 'permissions'],
  'drives.bytes': ['drives', 'bytes'],
  'lists.lists': ['lists', 'lists'],
  'lists.documentLibraries': ['lists', 'documentLibraries'],
  'lists.systemLists': ['lists', 'systemLists'],
  'lists.listItems': ['lists', 'listItems'],
  'lists.systemListItems': ['lists', 'systemListItems'],
  'lists.listItemAttachments': ['lists', 'listItemAttachments'],
  'teams.teams': ['teams', 'teams'],
  'teams.channels': ['teams', 'channels'],
  'teams.posts': ['teams', 'posts'],
  'teams.replies': ['teams', 'replies'],
  'teams.hostedContents': ['teams', 'hostedContents'],
  'teams.tabs': ['teams', 'tabs'],
  'teams.teamMembers': ['teams', 'teamMembers'],
};

describe('crawling the emulated tenant through Graph', () => {
  it('meets no errors', () => {
    expect(crawled.warnings).toEqual([]);
  });

  it.each(Object.entries(SAME))('finds every %s the generator made', (crawlKey, [service, key]) => {
    const expected = generated[service]?.[key];
    expect(expected, `emulator inventory lacks ${service}.${key}`).toBeGreaterThan(0);
    expect(crawled.counts[crawlKey]).toBe(expected);
  });

  it('checks every count it makes', () => {
    expect(Object.keys(crawled.counts).filter((k) => !(k in SAME) && k !== 'directory.oneDrives')).toEqual(
      [],
    );
    expect(crawled.counts['directory.oneDrives']).toBe(generated['directory']?.['licensedUsers']);
  });
});
