import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawGraph, startEmulator } from '../../../test/support/raw-graph.js';
import type { Emulator } from '../../server.js';

describe('Microsoft 365 group conversations', () => {
  let emulator: Emulator;
  let raw: RawGraph;
  let stop: () => Promise<void>;
  let groups: any[];

  beforeAll(async () => {
    ({ emulator, raw, stop } = await startEmulator());
    groups = (await raw.all('/v1.0/groups')).items;
  });
  afterAll(async () => stop());

  it('lists conversations, threads and posts; counts match the inventory', async () => {
    let conversations = 0;
    let threads = 0;
    let posts = 0;
    let attachments = 0;
    for (const g of groups.filter((x) => x.groupTypes.includes('Unified'))) {
      const convs = (await raw.all(`/v1.0/groups/${g.id}/conversations`)).items;
      conversations += convs.length;
      const threadsBefore = threads;
      for (const c of convs) {
        for (const k of [
          'id',
          'topic',
          'hasAttachments',
          'lastDeliveredDateTime',
          'uniqueSenders',
          'preview',
        ])
          expect(c).toHaveProperty(k);
        const ts = (await raw.all(`/v1.0/groups/${g.id}/conversations/${c.id}/threads`)).items;
        expect(ts.length).toBeGreaterThan(0);
        threads += ts.length;
        for (const t of ts) {
          const ps = (await raw.all(`/v1.0/groups/${g.id}/threads/${t.id}/posts`)).items;
          posts += ps.length;
          expect(ps[0].conversationThreadId).toBe(t.id);
          expect(ps[0].conversationId).toBe(c.id);
          for (const p of ps.filter((x: any) => x.hasAttachments)) {
            const atts = (await raw.get(`/v1.0/groups/${g.id}/threads/${t.id}/posts/${p.id}/attachments`))
              .json.value;
            expect(atts.length).toBeGreaterThan(0);
            expect(Buffer.from(atts[0].contentBytes, 'base64').length).toBe(atts[0].size);
            attachments += atts.length;
          }
        }
      }
      const flat = (await raw.all(`/v1.0/groups/${g.id}/threads`)).items;
      expect(flat.length).toBe(threads - threadsBefore);
    }
    const inv = (await raw.admin('GET', '/inventory')).json.mail;
    expect(conversations).toBe(inv.groupConversations);
    expect(threads).toBe(inv.groupThreads);
    expect(posts).toBe(inv.groupPosts);
    expect(threads).toBeGreaterThan(conversations);
    expect(attachments).toBeGreaterThan(0);
  });

  it('creates a thread and replies to it', async () => {
    const g = groups.find((x) => x.groupTypes.includes('Unified'));
    const created = await raw.graph('POST', `/v1.0/groups/${g.id}/threads`, {
      json: {
        topic: 'Neues Thema – ✨',
        posts: [{ body: { contentType: 'html', content: '<p>Erster Beitrag</p>' } }],
      },
    });
    expect(created.status).toBe(201);
    expect(created.json.topic).toBe('Neues Thema – ✨');
    const reply = await raw.graph('POST', `/v1.0/groups/${g.id}/threads/${created.json.id}/reply`, {
      json: { post: { body: { contentType: 'text', content: 'Antwort' } } },
    });
    expect(reply.status).toBe(202);
    const posts = (await raw.all(`/v1.0/groups/${g.id}/threads/${created.json.id}/posts`)).items;
    expect(posts).toHaveLength(2);
    expect(posts[1].body.content).toBe('Antwort');
  });

  it('security groups have no conversations; permissions are enforced', async () => {
    const sec = groups.find((x) => !x.groupTypes.includes('Unified'));
    expect((await raw.get(`/v1.0/groups/${sec.id}/conversations`)).status).toBe(404);
    const app = await raw.admin('POST', '/apps', { displayName: 'mail only', permissions: ['Mail.Read'] });
    const limited = new RawGraph(emulator, { clientId: app.json.appId, clientSecret: app.json.clientSecret });
    const g = groups.find((x) => x.groupTypes.includes('Unified'));
    expect((await limited.get(`/v1.0/groups/${g.id}/threads`)).status).toBe(403);
    await limited.close();
  });
});
