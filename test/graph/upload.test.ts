import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AbortedError,
  bufferSource,
  CHUNK_MULTIPLE,
  download,
  fileSource,
  GraphError,
  uploadSession,
  type UploadSource,
} from '../../src/graph/index.js';
import type { Exchange } from './fault-proxy.js';
import {
  chunkRanges,
  firstUserDrive,
  rawContent,
  ranges,
  readAll,
  sha256,
  startRig,
  type TransferRig,
} from './transfer-rig.js';

/**
 * Upload sessions with Safehold's client over real HTTPS against the emulator: OneDrive sessions
 * (320 KiB multiples, resumption, 416 resyncs, cancellation, conflicts). The FaultProxy records the chunk PUTs and breaks them; the emulator's own faults do not
 * reach upload URLs.
 */

const UNIT = CHUNK_MULTIPLE;
const CHUNK = 2 * UNIT;
const SESSION = /^\/_api\/v2\.0\/drives\/[^/]+\/uploadSession\/[^/?]+\?/;

let rig: TransferRig;
let driveId: string;
let folderId: string;
let counter = 0;

const createPath = (name: string) =>
  `/drives/${driveId}/items/${folderId}:/${encodeURIComponent(name)}:/createUploadSession`;
const createBody = (name: string, behavior = 'fail') => ({
  item: { '@microsoft.graph.conflictBehavior': behavior, name },
});
const fresh = (prefix: string) => `${prefix}-${++counter}.bin`;
const puts = () => rig.proxy.exchanges('PUT', SESSION);
const inOrder = (size: number, chunk = CHUNK) => chunkRanges(size, chunk);
/** The session URL as the emulator serves it (bypassing the proxy). */
const direct = (e: Exchange | undefined) => `${rig.emulator.info.graphUrl}${e?.path}`;

async function contentOf(id: string): Promise<Buffer> {
  return readAll(download(rig.proxied, `/drives/${driveId}/items/${id}/content`));
}

beforeAll(async () => {
  rig = await startRig();
  ({ driveId } = await firstUserDrive(rig.direct));
  const folder = await rig.direct.post<{ id: string }>(`/drives/${driveId}/root/children`, {
    name: 'Upload tests',
    folder: {},
    '@microsoft.graph.conflictBehavior': 'rename',
  });
  folderId = folder.id;
});
afterAll(() => rig.stop());
beforeEach(() => rig.proxy.clear());

describe('drive upload session', () => {
  it('uploads a multi-chunk file in 320 KiB multiples, without the bearer token, and returns the driveItem', async () => {
    const data = randomBytes(3 * CHUNK + 4321);
    const name = fresh('happy');
    const progress: number[] = [];
    const item = await uploadSession(rig.proxied, createPath(name), createBody(name), bufferSource(data), {
      chunkSize: CHUNK,
      onProgress: (sent) => progress.push(sent),
    });
    expect(item['name']).toBe(name);
    expect(item['size']).toBe(data.length);
    expect(typeof item['id']).toBe('string');
    expect(item['file']).toBeDefined();

    const sent = puts();
    expect(ranges(sent)).toEqual(inOrder(data.length));
    expect(sent.map((e) => e.status)).toEqual([202, 202, 202, 201]);
    for (const e of sent) expect(e.headers['authorization']).toBeUndefined();
    // The create call, on Graph, did carry it.
    const [create] = rig.proxy.exchanges('POST', /createUploadSession$/);
    expect(create?.headers['authorization']).toMatch(/^Bearer /);
    expect(progress).toEqual([CHUNK, 2 * CHUNK, 3 * CHUNK, data.length]);

    expect((await contentOf(item['id'] as string)).equals(data)).toBe(true);
    expect(sha256(await rawContent(rig.raw, driveId, item['id'] as string))).toBe(sha256(data));
  });

  it('uploads straight to the emulator, which refuses upload PUTs that carry a token', async () => {
    const data = randomBytes(UNIT + 99);
    const name = fresh('direct');
    const item = await uploadSession(rig.direct, createPath(name), createBody(name), bufferSource(data), {
      chunkSize: UNIT,
    });
    expect(sha256(await rawContent(rig.raw, driveId, item['id'] as string))).toBe(sha256(data));
  });

  it('resends a chunk whose connection broke before the service saw it', async () => {
    const data = randomBytes(3 * CHUNK + 10);
    const name = fresh('lost-request');
    // The first PUT passes; its progress report arms the fault for the second one.
    let armed = false;
    const item = await uploadSession(rig.proxied, createPath(name), createBody(name), bufferSource(data), {
      chunkSize: CHUNK,
      onProgress: () => {
        if (!armed) rig.proxy.script({ kind: 'lose-request', method: 'PUT', path: SESSION });
        armed = true;
      },
    });
    expect((await contentOf(item['id'] as string)).equals(data)).toBe(true);
    const sent = puts();
    expect(sent.map((e) => e.fault ?? e.status)).toEqual([202, 'lose-request', 202, 202, 201]);
    expect(ranges(sent)[2]).toBe(ranges(sent)[1]);
  });

  it('asks the session where to go on when the answer to a chunk is lost (the chunk was taken)', async () => {
    const data = randomBytes(3 * CHUNK + 10);
    const name = fresh('lost-answer');
    let armed = false;
    const item = await uploadSession(rig.proxied, createPath(name), createBody(name), bufferSource(data), {
      chunkSize: CHUNK,
      onProgress: () => {
        if (!armed) rig.proxy.script({ kind: 'lose-response', method: 'PUT', path: SESSION });
        armed = true;
      },
    });
    expect((await contentOf(item['id'] as string)).equals(data)).toBe(true);
    const r = inOrder(data.length);
    const session = rig.proxy.log.filter((e) => SESSION.test(e.path));
    expect(
      session.map((e) => `${e.method} ${e.fault ?? e.status} ${e.headers['content-range'] ?? ''}`),
    ).toEqual([
      `PUT 202 ${r[0]}`,
      `PUT lose-response ${r[1]}`,
      'GET 200 ',
      `PUT 202 ${r[2]}`,
      `PUT 201 ${r[3]}`,
    ]);
    expect(session.every((e) => e.headers['authorization'] === undefined)).toBe(true);
  });

  it('resyncs from nextExpectedRanges when a resent chunk duplicates a range the service has (416)', async () => {
    const data = randomBytes(3 * CHUNK + 10);
    const name = fresh('duplicate');
    let armed = false;
    // A gateway answers 503 after the service took the chunk: the client resends it (a 503 means
    // "not processed"), and the service answers the duplicate with 416.
    const item = await uploadSession(rig.proxied, createPath(name), createBody(name), bufferSource(data), {
      chunkSize: CHUNK,
      onProgress: () => {
        if (!armed)
          rig.proxy.script({
            kind: 'status-after-forward',
            method: 'PUT',
            path: SESSION,
            status: 503,
            retryAfterSeconds: 0.01,
          });
        armed = true;
      },
    });
    expect((await contentOf(item['id'] as string)).equals(data)).toBe(true);
    const r = inOrder(data.length);
    const session = rig.proxy.log.filter((e) => SESSION.test(e.path));
    expect(session.map((e) => `${e.method} ${e.status} ${e.headers['content-range'] ?? ''}`)).toEqual([
      `PUT 202 ${r[0]}`,
      `PUT 503 ${r[1]}`,
      `PUT 416 ${r[1]}`,
      'GET 200 ',
      `PUT 202 ${r[2]}`,
      `PUT 201 ${r[3]}`,
    ]);
  });

  it('resyncs after a 416 and resends from where the session says', async () => {
    const data = randomBytes(2 * CHUNK + 10);
    const name = fresh('416');
    let armed = false;
    const item = await uploadSession(rig.proxied, createPath(name), createBody(name), bufferSource(data), {
      chunkSize: CHUNK,
      onProgress: () => {
        if (!armed)
          rig.proxy.script({
            kind: 'status',
            method: 'PUT',
            path: SESSION,
            status: 416,
            code: 'invalidRange',
          });
        armed = true;
      },
    });
    expect((await contentOf(item['id'] as string)).equals(data)).toBe(true);
    const session = rig.proxy.log.filter((e) => SESSION.test(e.path));
    expect(session.map((e) => `${e.method} ${e.status}`)).toEqual([
      'PUT 202',
      'PUT 416',
      'GET 200',
      'PUT 202',
      'PUT 201',
    ]);
    expect(ranges(puts())).toEqual([
      inOrder(data.length)[0],
      ...inOrder(data.length).slice(1, 2),
      ...inOrder(data.length).slice(1),
    ]);
  });

  it('retries a chunk answered 503 with Retry-After', async () => {
    const data = randomBytes(2 * CHUNK + 10);
    const name = fresh('503');
    let armed = false;
    const item = await uploadSession(rig.proxied, createPath(name), createBody(name), bufferSource(data), {
      chunkSize: CHUNK,
      onProgress: () => {
        if (!armed)
          rig.proxy.script({
            kind: 'status',
            method: 'PUT',
            path: SESSION,
            status: 503,
            retryAfterSeconds: 0.05,
          });
        armed = true;
      },
    });
    expect((await contentOf(item['id'] as string)).equals(data)).toBe(true);
    expect(puts().map((e) => e.status)).toEqual([202, 503, 202, 201]);
  });

  it('recovers when the answer to a chunk breaks off mid-body (the chunk was taken)', async () => {
    const data = randomBytes(2 * CHUNK + 10);
    const name = fresh('broken-answer');
    rig.proxy.script({ kind: 'reset-response', method: 'PUT', path: SESSION, after: 10 });
    const item = await uploadSession(rig.proxied, createPath(name), createBody(name), bufferSource(data), {
      chunkSize: CHUNK,
    });
    expect((await contentOf(item['id'] as string)).equals(data)).toBe(true);
    const session = rig.proxy.log.filter((e) => SESSION.test(e.path));
    expect(session.map((e) => `${e.method} ${e.fault ?? e.status}`)).toEqual([
      'PUT reset-response',
      'GET 200',
      'PUT 202',
      'PUT 201',
    ]);
  });

  it('returns the item when the answer to the last chunk is lost after the service committed it', async () => {
    const data = randomBytes(CHUNK + 10);
    const name = fresh('lost-final');
    let armed = false;
    const item = await uploadSession(rig.proxied, createPath(name), createBody(name), bufferSource(data), {
      chunkSize: CHUNK,
      onProgress: () => {
        if (!armed) rig.proxy.script({ kind: 'lose-response', method: 'PUT', path: SESSION });
        armed = true;
      },
    });
    expect(item['name']).toBe(name);
    expect(item['size']).toBe(data.length);
    expect((await contentOf(item['id'] as string)).equals(data)).toBe(true);
    // Asked where to go on, the session was gone (committed); the item was read from its path.
    const session = rig.proxy.log.filter((e) => SESSION.test(e.path));
    expect(session.map((e) => `${e.method} ${e.fault ?? e.status}`)).toEqual([
      'PUT 202',
      'PUT lose-response',
      'GET 404',
    ]);
    const lookup = rig.proxy.exchanges('GET', new RegExp(`:/${name}:$`));
    expect(lookup.map((e) => e.status)).toEqual([200]);
  });

  it('refuses a chunk size that is not a multiple of 320 KiB, or too big, before creating a session', async () => {
    const src = bufferSource(randomBytes(10));
    for (const chunkSize of [UNIT + 1, UNIT / 2, 0, -UNIT, 192 * UNIT, 1.5 * UNIT])
      await expect(
        uploadSession(rig.proxied, createPath('never.bin'), createBody('never.bin'), src, { chunkSize }),
      ).rejects.toBeInstanceOf(RangeError);
    expect(rig.proxy.log).toEqual([]);
  });

  /** Asserts the session was cancelled: a DELETE went to it, and it no longer exists. */
  async function expectCancelled(): Promise<void> {
    const [del, ...more] = rig.proxy.exchanges('DELETE', SESSION);
    expect(more).toEqual([]);
    expect(del?.status).toBe(204);
    expect(del?.headers['authorization']).toBeUndefined();
    const gone = await rig.raw.send('GET', direct(del));
    expect(gone.status).toBe(404);
  }

  it('cancels the session with DELETE when the service refuses a chunk for good', async () => {
    const data = randomBytes(3 * CHUNK);
    const name = fresh('fatal');
    let armed = false;
    const err = await uploadSession(rig.proxied, createPath(name), createBody(name), bufferSource(data), {
      chunkSize: CHUNK,
      onProgress: () => {
        if (!armed)
          rig.proxy.script({
            kind: 'status',
            method: 'PUT',
            path: SESSION,
            status: 400,
            code: 'invalidRequest',
          });
        armed = true;
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).status).toBe(400);
    await expectCancelled();
    // Nothing was committed under that name.
    const probe = await rig.raw.get(`/v1.0/drives/${driveId}/items/${folderId}:/${name}`);
    expect(probe.status).toBe(404);
  });

  it('cancels the session when the source fails', async () => {
    const data = randomBytes(3 * CHUNK);
    const name = fresh('source-fails');
    const failing: UploadSource = {
      size: data.length,
      read: async (offset, length) => {
        if (offset > 0) throw new Error('disk on fire');
        return data.subarray(offset, offset + length);
      },
    };
    await expect(
      uploadSession(rig.proxied, createPath(name), createBody(name), failing, { chunkSize: CHUNK }),
    ).rejects.toThrow('disk on fire');
    expect(puts()).toHaveLength(1);
    await expectCancelled();
  });

  it('cancels the session when aborted, and stops sending', async () => {
    const data = randomBytes(4 * CHUNK);
    const name = fresh('aborted');
    const ac = new AbortController();
    const err = await uploadSession(rig.proxied, createPath(name), createBody(name), bufferSource(data), {
      chunkSize: CHUNK,
      signal: ac.signal,
      onProgress: () => ac.abort(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(puts()).toHaveLength(1);
    await expectCancelled();
  });

  it('surfaces conflictBehavior fail as GraphError 409 nameAlreadyExists, leaving the existing file alone', async () => {
    const name = fresh('conflict');
    const first = randomBytes(UNIT + 5);
    const item = await uploadSession(rig.proxied, createPath(name), createBody(name), bufferSource(first), {
      chunkSize: UNIT,
    });
    rig.proxy.clear();
    const err = await uploadSession(
      rig.proxied,
      createPath(name),
      createBody(name, 'fail'),
      bufferSource(randomBytes(UNIT + 7)),
      { chunkSize: UNIT },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).status).toBe(409);
    expect((err as GraphError).hasCode('nameAlreadyExists')).toBe(true);
    await expectCancelled();
    expect((await contentOf(item['id'] as string)).equals(first)).toBe(true);
  });

  it('surfaces the 409 even when the answer to the last chunk was lost (commits the full session explicitly)', async () => {
    const name = fresh('conflict-lost');
    const first = randomBytes(UNIT);
    await uploadSession(rig.proxied, createPath(name), createBody(name), bufferSource(first), {
      chunkSize: UNIT,
    });
    rig.proxy.clear();
    rig.proxy.script({ kind: 'lose-response', method: 'PUT', path: SESSION });
    const err = await uploadSession(
      rig.proxied,
      createPath(name),
      createBody(name, 'fail'),
      bufferSource(randomBytes(UNIT - 1)),
      { chunkSize: UNIT },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).status).toBe(409);
    expect((err as GraphError).hasCode('nameAlreadyExists')).toBe(true);
    const session = rig.proxy.log.filter((e) => SESSION.test(e.path));
    expect(session.map((e) => `${e.method} ${e.fault ?? e.status}`)).toEqual([
      'PUT lose-response',
      'GET 200',
      'POST 409',
      'DELETE 204',
    ]);
  });

  it('replaces the existing file with conflictBehavior replace', async () => {
    const name = fresh('replace');
    const first = await uploadSession(
      rig.proxied,
      createPath(name),
      createBody(name),
      bufferSource(randomBytes(UNIT)),
      {
        chunkSize: UNIT,
      },
    );
    const second = randomBytes(2 * UNIT + 3);
    const item = await uploadSession(
      rig.proxied,
      createPath(name),
      createBody(name, 'replace'),
      bufferSource(second),
      {
        chunkSize: UNIT,
      },
    );
    expect(item['id']).toBe(first['id']);
    expect((await contentOf(item['id'] as string)).equals(second)).toBe(true);
  });

  it('uploads from a file on disk with fileSource', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safehold-upload-'));
    try {
      const data = randomBytes(5 * UNIT + 777);
      const path = join(dir, 'source.bin');
      await writeFile(path, data);
      const src = await fileSource(path);
      expect(src.size).toBe(data.length);
      const name = fresh('from-disk');
      let item: Record<string, unknown>;
      try {
        item = await uploadSession(rig.proxied, createPath(name), createBody(name), src, {
          chunkSize: 2 * UNIT,
        });
      } finally {
        await src.close?.();
      }
      expect(ranges(puts())).toEqual(inOrder(data.length, 2 * UNIT));
      expect((await contentOf(item['id'] as string)).equals(data)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
