import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addListItemAttachment,
  AuthenticationError,
  collect,
  deleteListItemAttachment,
  downloadSiteFile,
  GraphError,
  listItemAttachments,
  type GraphClient,
} from '../../src/graph/index.js';
import {
  ALL_APP_PERMISSIONS,
  generateClientCertificate,
  registerApp,
  type Emulator,
} from '../../emulator/index.js';
import { startEmulator } from '../support/raw-graph.js';
import { clientFor } from '../support/graph-client.js';

// SharePoint REST through Safehold's client: list item attachments, which Graph cannot reach.
let emulator: Emulator;

let stop: () => Promise<void>;
let client: GraphClient;
let item: { webUrl: string; listId: string; itemId: string };

beforeAll(async () => {
  ({ emulator, stop } = await startEmulator({ seed: 41 }));
  const cert = await generateClientCertificate('sp');
  const { appId } = registerApp(emulator.store, {
    permissions: ALL_APP_PERMISSIONS,
    certificatePem: cert.certPem,
    secret: false,
  });
  client = clientFor(emulator.info, {
    clientId: appId,
    credential: { kind: 'certificate', certificatePem: cert.certPem, privateKeyPem: cert.keyPem },
    sharepointOrigin: emulator.info.graphUrl,
  });
  // The first list item whose Attachments field is set, found through Graph.
  for (const site of await collect<{ id: string; webUrl: string }>(client, '/sites?search=*')) {
    for (const list of await collect<{ id: string; list: { template: string } }>(
      client,
      `/sites/${site.id}/lists?$select=id,list`,
    )) {
      if (list.list.template === 'documentLibrary') continue;
      const items = await collect<{ id: string; fields: { Attachments?: boolean } }>(
        client,
        `/sites/${site.id}/lists/${list.id}/items?$expand=fields($select=Attachments)`,
      );
      const hit = items.find((i) => i.fields.Attachments === true);
      if (hit) {
        item = { webUrl: site.webUrl, listId: list.id, itemId: hit.id };
        return;
      }
    }
  }
  throw new Error('no list item with attachments in the seeded tenant');
});
afterAll(async () => {
  await client.close();
  await stop();
});

const bytes = async (s: NodeJS.ReadableStream) => {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

describe('list item attachments through SharePoint REST', () => {
  it('lists, downloads, adds and deletes attachments', async () => {
    const before = await listItemAttachments(client, item.webUrl, item.listId, item.itemId);
    expect(before.length).toBeGreaterThan(0);
    const first = before[0]!;
    const data = await bytes(downloadSiteFile(client, item.webUrl, first.serverRelativeUrl));
    expect(data.length).toBeGreaterThan(0);
    expect(await bytes(downloadSiteFile(client, item.webUrl, first.serverRelativeUrl))).toEqual(data);
    expect(await bytes(downloadSiteFile(client, item.webUrl, first.serverRelativeUrl, { start: 5 }))).toEqual(
      data.subarray(5),
    );

    const name = `restored 'copy' ✓.bin`;
    const added = await addListItemAttachment(
      client,
      item.webUrl,
      item.listId,
      item.itemId,
      name,
      Buffer.from('restored bytes'),
    );
    expect(added.fileName).toBe(name);
    expect((await bytes(downloadSiteFile(client, item.webUrl, added.serverRelativeUrl))).toString()).toBe(
      'restored bytes',
    );
    const duplicate = await addListItemAttachment(
      client,
      item.webUrl,
      item.listId,
      item.itemId,
      name,
      Buffer.from('x'),
    ).catch((e: unknown) => e);
    expect(duplicate).toBeInstanceOf(GraphError);
    await deleteListItemAttachment(client, item.webUrl, item.listId, item.itemId, name);
    expect(
      (await listItemAttachments(client, item.webUrl, item.listId, item.itemId)).map((a) => a.fileName),
    ).toEqual(before.map((a) => a.fileName));
  });

  it('refuses a secret sign-in before sending anything, as Microsoft would refuse its token', async () => {
    const secretClient = clientFor(emulator.info, { sharepointOrigin: emulator.info.graphUrl });
    await expect(
      listItemAttachments(secretClient, item.webUrl, item.listId, item.itemId),
    ).rejects.toBeInstanceOf(AuthenticationError);
    await secretClient.close();
  });
});
