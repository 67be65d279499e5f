import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AbortedError, collect, download, GraphError, NetworkError } from '../../src/graph/index.js';
import { ContentChangedError } from '../../src/graph/download.js';
import type { Exchange } from './fault-proxy.js';
import { firstUserDrive, rawContent, readAll, sha256, startRig, type TransferRig } from './transfer-rig.js';

/**
 * Downloads with Safehold's client over real HTTPS against the emulator: `/content` redirects,
 * resumption with Range after a broken body, refreshing an expired pre-authenticated URL, offsets,
 * and `$value` answers served directly. The FaultProxy records what crossed the wire and breaks
 * the download URL's connections (the emulator's own faults do not reach that URL).
 */

let rig: TransferRig;
let driveId: string;
let fileId: string;
let expected: Buffer;
const SIZE = 3_000_017;
const DOWNLOAD = /^\/_layouts\/15\/download\.aspx\?/;
const CONTENT = /\/content$/;

const contentPath = () => `/drives/${driveId}/items/${fileId}/content`;
const rangeStart = (e: Exchange | undefined): number => {
  const m = /^bytes=(\d+)-$/.exec(e?.headers['range'] ?? '');
  if (!m) throw new Error(`no open-ended Range header on ${e?.method} ${e?.path}`);
  return Number(m[1]);
};
/** The wire, compactly: which URL, what came back (or which fault broke it), and any Range. */
const wire = () =>
  rig.proxy.log.map((e) => {
    const what = DOWNLOAD.test(e.path) ? 'download' : CONTENT.test(e.path) ? 'content' : e.path;
    const range = e.headers['range'] ? ` ${e.headers['range'].replace(/\d+/, 'N')}` : '';
    return `${e.method} ${what} ${e.fault && e.fault !== 'tap' ? e.fault : e.status}${range}`;
  });

beforeAll(async () => {
  rig = await startRig();
  ({ driveId } = await firstUserDrive(rig.direct));
  const added = await rig.raw.admin('POST', '/activity', {
    op: 'drive.addFile',
    args: { drive: driveId, path: 'Transfer/probe.bin', size: SIZE },
  });
  expect(added.status, added.body.toString()).toBe(200);
  fileId = added.json.result.id;
  expected = await rawContent(rig.raw, driveId, fileId);
  expect(expected.length).toBe(SIZE);
});
afterAll(() => rig.stop());
beforeEach(() => rig.proxy.clear());

describe('download from /content', () => {
  it('follows the 302 to the pre-authenticated URL, without the bearer token, and gets the same bytes', async () => {
    const got = await readAll(download(rig.proxied, contentPath()));
    expect(got.length).toBe(SIZE);
    expect(sha256(got)).toBe(sha256(expected));

    const [content, ...moreContent] = rig.proxy.exchanges('GET', CONTENT);
    const [dl, ...moreDl] = rig.proxy.exchanges('GET', DOWNLOAD);
    expect(moreContent).toEqual([]);
    expect(moreDl).toEqual([]);
    expect(content?.status).toBe(302);
    // The proxy does see the token when the client sends one: its absence below is meaningful.
    expect(content?.headers['authorization']).toMatch(/^Bearer \S+/);
    expect(dl?.status).toBe(200);
    expect(dl?.headers['authorization']).toBeUndefined();
    expect(dl?.headers['range']).toBeUndefined();
    expect(dl?.bytes).toBe(SIZE);
    expect(rig.proxy.log.indexOf(dl as Exchange)).toBeGreaterThan(rig.proxy.log.indexOf(content as Exchange));
  });

  it('gets the same bytes straight from the emulator (no proxy)', async () => {
    const got = await readAll(download(rig.direct, contentPath()));
    expect(sha256(got)).toBe(sha256(expected));
  });

  it('resumes with Range from the byte reached when the connection resets mid-body', async () => {
    rig.proxy.script({ kind: 'reset-response', method: 'GET', path: DOWNLOAD, after: 1_000_000 });
    const got = await readAll(download(rig.proxied, contentPath()));
    expect(sha256(got)).toBe(sha256(expected));

    expect(wire()).toEqual(['GET content 302', 'GET download reset-response', 'GET download 206 bytes=N-']);
    const [broken, resumed] = rig.proxy.exchanges('GET', DOWNLOAD);
    expect(broken?.bytes).toBe(1_000_000);
    const at = rangeStart(resumed);
    // It resumes where the bytes it delivered end: past 0, at most what reached it.
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThanOrEqual(1_000_000);
    expect(resumed?.path).toBe(broken?.path);
    expect(resumed?.headers['authorization']).toBeUndefined();
    expect(resumed?.bytes).toBe(SIZE - at);
  });

  it('resumes across several resets', async () => {
    rig.proxy.script({ kind: 'reset-response', method: 'GET', path: DOWNLOAD, after: 400_000, count: 3 });
    const got = await readAll(download(rig.proxied, contentPath()));
    expect(sha256(got)).toBe(sha256(expected));
    const dl = rig.proxy.exchanges('GET', DOWNLOAD);
    expect(dl.map((e) => e.fault ?? e.status)).toEqual([
      'reset-response',
      'reset-response',
      'reset-response',
      206,
    ]);
    const starts = dl.slice(1).map(rangeStart);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(new Set(starts).size).toBe(3);
  });

  it('fetches a fresh URL from /content when the old one expired between a reset and the resume', async () => {
    rig.proxy.script({
      kind: 'reset-response',
      method: 'GET',
      path: DOWNLOAD,
      after: 700_000,
      onFire: () => rig.raw.admin('POST', '/downloads/expire'),
    });
    const got = await readAll(download(rig.proxied, contentPath()));
    expect(sha256(got)).toBe(sha256(expected));

    expect(wire()).toEqual([
      'GET content 302',
      'GET download reset-response',
      'GET download 401 bytes=N-',
      'GET content 302 bytes=N-',
      'GET download 206 bytes=N-',
    ]);
    const dl = rig.proxy.exchanges('GET', DOWNLOAD);
    expect(dl[2]?.path).not.toBe(dl[1]?.path);
    expect(rangeStart(dl[2])).toBe(rangeStart(dl[1]));
  });

  it('fetches a fresh URL when the one it was handed expired before the first read', async () => {
    rig.proxy.script({
      kind: 'tap',
      method: 'GET',
      path: CONTENT,
      onFire: () => rig.raw.admin('POST', '/downloads/expire'),
    });
    const got = await readAll(download(rig.proxied, contentPath()));
    expect(sha256(got)).toBe(sha256(expected));
    expect(wire()).toEqual(['GET content 302', 'GET download 401', 'GET content 302', 'GET download 200']);
  });

  it('keeps resuming while each attempt makes progress, even past maxResumes breaks', async () => {
    rig.proxy.script({ kind: 'reset-response', method: 'GET', path: DOWNLOAD, after: 300_000, count: 5 });
    const got = await readAll(download(rig.proxied, contentPath(), { maxResumes: 2 }));
    expect(sha256(got)).toBe(sha256(expected));
    expect(rig.proxy.exchanges('GET', DOWNLOAD)).toHaveLength(6);
  });

  it('gives up with a NetworkError after maxResumes breaks in a row without progress', async () => {
    rig.proxy.script({ kind: 'reset-response', method: 'GET', path: DOWNLOAD, after: 0, count: 10 });
    const err = await readAll(download(rig.proxied, contentPath(), { maxResumes: 2 })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NetworkError);
    expect(rig.proxy.exchanges('GET', DOWNLOAD)).toHaveLength(3);
  });

  it('raises ContentChangedError instead of splicing two versions when the file changes mid-download', async () => {
    const added = await rig.raw.admin('POST', '/activity', {
      op: 'drive.addFile',
      args: { drive: driveId, path: 'Transfer/changing.bin', size: 2_000_000 },
    });
    const id = added.json.result.id as string;
    rig.proxy.script({
      kind: 'reset-response',
      method: 'GET',
      path: DOWNLOAD,
      after: 500_000,
      onFire: async () => {
        await rig.raw.admin('POST', '/activity', {
          op: 'drive.modifyFile',
          args: { drive: driveId, id, size: 2_100_000 },
        });
        await rig.raw.admin('POST', '/downloads/expire');
      },
    });
    const path = `/drives/${driveId}/items/${id}/content`;
    const err = await readAll(download(rig.proxied, path)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContentChangedError);
    // Starting again gets the new version whole.
    const fresh = await readAll(download(rig.proxied, path));
    expect(sha256(fresh)).toBe(sha256(await rawContent(rig.raw, driveId, id)));
    expect(fresh.length).toBe(2_100_000);
  });

  it('stops with AbortedError when aborted mid-stream', async () => {
    const ac = new AbortController();
    let seen = 0;
    const err = await (async () => {
      for await (const c of download(rig.proxied, contentPath(), { signal: ac.signal })) {
        seen += (c as Buffer).length;
        if (seen > 100_000) ac.abort();
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(seen).toBeLessThan(SIZE);
  });

  it('gives up with a GraphError when /content keeps failing', async () => {
    const err = await readAll(download(rig.proxied, `/drives/${driveId}/items/nonexistent/content`)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).status).toBe(404);
  });
});

describe('download from an offset', () => {
  it('returns exactly the tail, asking for it with Range', async () => {
    const start = 1_234_567;
    const got = await readAll(download(rig.proxied, contentPath(), { start }));
    expect(got.equals(expected.subarray(start))).toBe(true);
    const [dl] = rig.proxy.exchanges('GET', DOWNLOAD);
    expect(dl?.headers['range']).toBe(`bytes=${start}-`);
    expect(dl?.status).toBe(206);
    expect(dl?.bytes).toBe(SIZE - start);
  });

  it('resumes from the offset plus what it delivered after a reset', async () => {
    const start = 500_001;
    rig.proxy.script({ kind: 'reset-response', method: 'GET', path: DOWNLOAD, after: 600_000 });
    const got = await readAll(download(rig.proxied, contentPath(), { start }));
    expect(got.equals(expected.subarray(start))).toBe(true);
    const [first, resumed] = rig.proxy.exchanges('GET', DOWNLOAD);
    expect(first?.headers['range']).toBe(`bytes=${start}-`);
    expect(rangeStart(resumed)).toBeGreaterThan(start);
    expect(rangeStart(resumed)).toBeLessThanOrEqual(start + 600_000);
  });

  it('returns the last byte alone, and nothing from the end of the file', async () => {
    expect(
      (await readAll(download(rig.proxied, contentPath(), { start: SIZE - 1 }))).equals(
        expected.subarray(-1),
      ),
    ).toBe(true);
    expect(await readAll(download(rig.proxied, contentPath(), { start: SIZE }))).toHaveLength(0);
  });

  it('refuses an offset past the end with a RangeError', async () => {
    const err = await readAll(download(rig.proxied, contentPath(), { start: SIZE + 10 })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RangeError);
  });
});

describe('download of $value (served directly, no redirect)', () => {
  let userId: string;
  let messageId: string;
  let mime: Buffer;
  const valuePath = () => `/users/${userId}/messages/${messageId}/$value`;
  const VALUE = /\/\$value$/;

  beforeAll(async () => {
    // The largest message in the first mailbox that has mail, found with the client's paging.
    for (const u of await collect<{ id: string }>(rig.direct, '/users?$select=id')) {
      const msgs = await collect<{ id: string }>(
        rig.direct,
        `/users/${u.id}/messages?$select=id&$top=100`,
      ).catch(() => []);
      if (msgs.length === 0) continue;
      userId = u.id;
      let best = 0;
      for (const m of msgs.slice(0, 30)) {
        const r = await rig.raw.get(`/v1.0/users/${u.id}/messages/${m.id}/$value`);
        expect(r.status).toBe(200);
        if (r.body.length > best) [best, messageId, mime] = [r.body.length, m.id, r.body];
      }
      break;
    }
    expect(mime.length).toBeGreaterThan(1000);
  });

  it('is byte-identical to a plain fetch, in one request, with the token', async () => {
    const got = await readAll(download(rig.proxied, valuePath()));
    expect(got.equals(mime)).toBe(true);
    const [ex, ...more] = rig.proxy.exchanges('GET', VALUE);
    expect(more).toEqual([]);
    expect(ex?.status).toBe(200);
    expect(ex?.headers['authorization']).toMatch(/^Bearer /);
  });

  it('survives the service resetting the connection mid-body: re-fetches and skips what it had', async () => {
    const faults = async () =>
      ((await rig.raw.admin('GET', '/metrics')).json.faultsInjected as Record<string, number>)['reset'] ?? 0;
    const before = await faults();
    // The emulator's own fault: headers and half the body, then the connection is destroyed.
    await rig.raw.admin('POST', '/faults', {
      path: `/messages/${messageId}/\\$value$`,
      kind: 'reset',
      count: 1,
    });
    const got = await readAll(download(rig.proxied, valuePath()));
    expect(got.equals(mime)).toBe(true);
    expect(await faults()).toBe(before + 1);

    const [broken, resumed, ...more] = rig.proxy.exchanges('GET', VALUE);
    expect(more).toEqual([]);
    expect(broken?.bytes).toBeLessThan(mime.length);
    // It asked for the rest; the service ignores Range on $value and sends everything again.
    expect(rangeStart(resumed)).toBeGreaterThan(0);
    expect(resumed?.status).toBe(200);
    expect(resumed?.bytes).toBe(mime.length);
  });

  it('survives a proxy reset too, and honours start when Range is ignored', async () => {
    rig.proxy.script({
      kind: 'reset-response',
      method: 'GET',
      path: VALUE,
      after: Math.floor(mime.length / 3),
    });
    const got = await readAll(download(rig.proxied, valuePath(), { start: 17 }));
    expect(got.equals(mime.subarray(17))).toBe(true);
    expect(rig.proxy.exchanges('GET', VALUE).map((e) => e.fault ?? e.status)).toEqual([
      'reset-response',
      200,
    ]);
  });
});
