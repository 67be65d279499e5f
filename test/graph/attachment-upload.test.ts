import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bufferSource, download, uploadSession } from '../../src/graph/index.js';
import {
  chunkRanges,
  firstUserDrive,
  ranges,
  readAll,
  sha256,
  startRig,
  type TransferRig,
} from './transfer-rig.js';

/**
 * Outlook attachment upload sessions (≤ 4 MiB chunks, no 320 KiB rule, final 201 with Location)
 * with Safehold's client against the emulator, through the FaultProxy that records and breaks
 * the chunk PUTs.
 */

let rig: TransferRig;
let userId: string;

beforeAll(async () => {
  rig = await startRig();
  ({ userId } = await firstUserDrive(rig.direct));
});
afterAll(() => rig.stop());
beforeEach(() => rig.proxy.clear());

describe('Outlook attachment upload session', () => {
  const ATTACH_SESSION =
    /^\/api\/v2\.0\/Users\('[^']+'\)\/Messages\('[^']+'\)\/AttachmentSessions\('[^']+'\)\?/;
  let messageId: string;

  beforeAll(async () => {
    const draft = await rig.direct.post<{ id: string }>(`/users/${userId}/messages`, {
      subject: 'Attachment upload session',
      body: { contentType: 'text', content: 'see attachment' },
    });
    messageId = draft.id;
  });

  const attach = (name: string, data: Buffer, chunkSize: number) =>
    uploadSession(
      rig.proxied,
      `/users/${userId}/messages/${messageId}/attachments/createUploadSession`,
      { AttachmentItem: { attachmentType: 'file', name, size: data.length } },
      bufferSource(data),
      { attachmentSession: true, chunkSize },
    );

  async function attachmentBytes(name: string): Promise<{ id: string; bytes: Buffer }> {
    const list = await rig.direct.get<{ value: { id: string; name: string; size: number }[] }>(
      `/users/${userId}/messages/${messageId}/attachments?$select=id,name,size`,
    );
    const named = list.value.filter((a) => a.name === name);
    // Exactly one: a resent chunk must not have attached the file twice.
    expect(named).toHaveLength(1);
    const att = named[0]!;
    const path = `/users/${userId}/messages/${messageId}/attachments/${att.id}/$value`;
    const bytes = await readAll(download(rig.proxied, path));
    const raw = await rig.raw.get(`/v1.0${path}`);
    expect(raw.body.equals(bytes)).toBe(true);
    return { id: att.id, bytes };
  }

  it('uploads in ≤ 4 MiB chunks without the bearer token; the attachment’s $value equals the source', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 333);
    const chunk = 2 * 1024 * 1024;
    const result = await attach('report.bin', data, chunk);
    const sent = rig.proxy.exchanges('PUT', ATTACH_SESSION);
    expect(ranges(sent)).toEqual(chunkRanges(data.length, chunk));
    expect(sent.map((e) => e.status)).toEqual([200, 200, 201]);
    for (const e of sent) expect(e.headers['authorization']).toBeUndefined();
    const { id, bytes } = await attachmentBytes('report.bin');
    expect(sha256(bytes)).toBe(sha256(data));
    // The final 201 has no body; its Location names the attachment, whose id is returned too.
    expect(String(result['location'])).toContain(`Attachments('${id}')`);
    expect(result['id']).toBe(id);
  });

  it('resends a chunk whose connection broke before the service saw it', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    rig.proxy.script({ kind: 'lose-request', method: 'PUT', path: ATTACH_SESSION, count: 1 });
    await attach('retried.bin', data, 1024 * 1024);
    const sent = rig.proxy.exchanges('PUT', ATTACH_SESSION);
    expect(sent.map((e) => e.fault ?? e.status)).toEqual(['lose-request', 200, 200, 200, 201]);
    expect(sha256((await attachmentBytes('retried.bin')).bytes)).toBe(sha256(data));
  });

  it('resends a chunk whose answer was lost; the 416 for the resend means the first attempt was taken', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    rig.proxy.script({ kind: 'lose-response', method: 'PUT', path: ATTACH_SESSION, count: 1 });
    await attach('answer-lost.bin', data, 1024 * 1024);
    const sent = rig.proxy.exchanges('PUT', ATTACH_SESSION);
    const r = chunkRanges(data.length, 1024 * 1024);
    expect(sent.map((e) => `${e.fault ?? e.status} ${e.headers['content-range']}`)).toEqual([
      `lose-response ${r[0]}`,
      `416 ${r[0]}`,
      `200 ${r[1]}`,
      `200 ${r[2]}`,
      `201 ${r[3]}`,
    ]);
    expect(sha256((await attachmentBytes('answer-lost.bin')).bytes)).toBe(sha256(data));
  });

  it('finds the attachment when the answer to the last chunk was lost after it was created', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 5);
    let armed = false;
    const result = await uploadSession(
      rig.proxied,
      `/users/${userId}/messages/${messageId}/attachments/createUploadSession`,
      { AttachmentItem: { attachmentType: 'file', name: 'final-lost.bin', size: data.length } },
      bufferSource(data),
      {
        attachmentSession: true,
        chunkSize: 2 * 1024 * 1024,
        onProgress: () => {
          if (!armed) rig.proxy.script({ kind: 'lose-response', method: 'PUT', path: ATTACH_SESSION });
          armed = true;
        },
      },
    );
    expect(rig.proxy.exchanges('PUT', ATTACH_SESSION).map((e) => e.fault ?? e.status)).toEqual([
      200,
      'lose-response',
      404,
    ]);
    const { id, bytes } = await attachmentBytes('final-lost.bin');
    expect(result['id']).toBe(id);
    expect(sha256(bytes)).toBe(sha256(data));
    expect(rig.proxy.exchanges('DELETE', ATTACH_SESSION)).toEqual([]);
  });

  it('refuses chunks over 4 MiB locally', async () => {
    await expect(attach('too-big.bin', randomBytes(10), 4 * 1024 * 1024 + 1)).rejects.toBeInstanceOf(
      RangeError,
    );
    expect(rig.proxy.log).toEqual([]);
  });
});
