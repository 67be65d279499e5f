import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../test/support/raw-graph.js';
import { attachmentFixture, itemApi, literal, names, spRequest } from './sp-test-client.js';

describe('attachments across a restart (journal replay)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('keeps added and deleted attachments, their bytes, and the generated ones byte for byte', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'safehold-sp-'));
    dirs.push(stateDir);
    let env = await startEmulator({ stateDir });
    const fx = await attachmentFixture(env.raw);
    const api = itemApi(fx.list, fx.item.id);
    const send = (method: string, path: string, token: string, body?: Buffer) =>
      spRequest(env.raw, method, fx.site.webUrl, path, token, body ? { body } : {});
    const [generated] = names(await fx.get(`${api}/AttachmentFiles`));
    const generatedPath = `${api}/AttachmentFiles('${literal(generated as string)}')/$value`;
    const generatedBytes = (await fx.get(generatedPath)).body;
    const data = Buffer.from('kept across restarts\n');
    expect(
      (await send('POST', `${api}/AttachmentFiles/add(FileName='kept.txt')`, fx.token, data)).status,
    ).toBe(200);
    expect(
      (await send('POST', `${api}/AttachmentFiles/add(FileName='gone.txt')`, fx.token, data)).status,
    ).toBe(200);
    expect((await send('DELETE', `${api}/AttachmentFiles('gone.txt')`, fx.token)).status).toBe(200);
    const before = names(await fx.get(`${api}/AttachmentFiles`));
    expect(before).toContain('kept.txt');
    expect(before).not.toContain('gone.txt');
    await env.stop();

    env = await startEmulator({ stateDir });
    const token = (await attachmentFixture(env.raw)).token;
    const after = await send('GET', `${api}/AttachmentFiles`, token);
    expect(names(after)).toEqual(before);
    expect((await send('GET', `${api}/AttachmentFiles('kept.txt')/$value`, token)).body.equals(data)).toBe(
      true,
    );
    expect((await send('GET', generatedPath, token)).body.equals(generatedBytes)).toBe(true);
    await env.stop();
  });
});
