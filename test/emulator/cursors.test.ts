import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collection } from '../../emulator/core/collection.js';
import { deltaPage, pageArray, pageCollection } from '../../emulator/core/listing.js';
import { decodeCursor, encodeToken, GraphHttpError, tryDecodeCursor } from '../../emulator/core/odata.js';
import type { EmuRequest, EmuResponse } from '../../emulator/core/types.js';
import { startEmulator, type RawGraph } from '../support/raw-graph.js';

// Paging and delta cursors are opaque to clients but arrive from them: a token that is not one the
// emulator issued must be a 400 (or, for delta, the route's choice of 400 or sync reset), never a
// 500 or a wrong page.

const b64 = (json: string) => Buffer.from(json).toString('base64url');
const NULL_TOKEN = b64('null'); // "bnVsbA"

function request(query: string): EmuRequest {
  return {
    method: 'GET',
    rawPath: '/v1.0/things',
    query: new URLSearchParams(query),
    headers: {},
    body: Buffer.alloc(0),
    params: {},
    apiVersion: 'v1.0',
    origin: 'https://emulator.test',
    inBatch: false,
  };
}

/** The status a listing call answers with: its response's, or a thrown GraphHttpError's. */
function statusOf(run: () => EmuResponse | { expired: boolean }): number | 'expired' {
  try {
    const r = run();
    if ('expired' in r) return r.expired ? 'expired' : 200;
    return r.status;
  } catch (e) {
    if (e instanceof GraphHttpError) return e.status;
    throw e;
  }
}

const items = Array.from({ length: 10 }, (_, i) => ({ id: String(i) }));
const page = (query: string) =>
  pageArray(request(query), 'things', items, (x) => x, { defaultTop: 3, maxTop: 5 });

function things(): Collection<{ id: string }> {
  const c = new Collection<{ id: string }>('test:things');
  for (const x of items) c.put(x.id, x);
  return c;
}

describe('decodeCursor', () => {
  it('accepts exactly the shape asked for and refuses anything else', () => {
    expect(decodeCursor(encodeToken({ o: 3 }), { o: 'count' })).toEqual({ o: 3 });
    expect(
      tryDecodeCursor(encodeToken({ c: 'k', a: 2, i: 1 }), { c: 'string', a: 'count', i: 'flag?' }),
    ).toEqual({ c: 'k', a: 2, i: 1 });
    for (const bad of [
      NULL_TOKEN,
      b64('[1]'),
      b64('"o"'),
      b64('{"o":"1"}'),
      b64('{"o":-3}'),
      b64('{"o":1.5}'),
      b64('{"o":1e300}'),
      b64('{}'),
      b64('{"o":1,"x":2}'),
      'not base64!',
      '%%%',
    ]) {
      expect(tryDecodeCursor(bad, { o: 'count' }), bad).toBeUndefined();
      expect(() => decodeCursor(bad, { o: 'count' })).toThrow(GraphHttpError);
    }
  });
});

describe('pageArray', () => {
  it('refuses malformed $skiptoken values with 400 instead of 500 or a wrong page', () => {
    for (const token of [NULL_TOKEN, b64('{"o":"1"}'), b64('{"o":-3}'), b64('{"o":true}')])
      expect(
        statusOf(() => page(`$skiptoken=${token}`)),
        token,
      ).toBe(400);
  });

  it('refuses a negative or non-numeric $skip with 400', () => {
    expect(statusOf(() => page('$skip=-3'))).toBe(400);
    expect(statusOf(() => page('$skip=abc'))).toBe(400);
    expect(statusOf(() => page('$skip=1.5'))).toBe(400);
    const ok = page('$skip=4') as { json: { value: { id: string }[] } };
    expect(ok.json.value.map((x) => x.id)).toEqual(['4', '5', '6']);
  });

  it('still follows its own tokens', () => {
    const first = page('') as { json: Record<string, unknown> };
    const next = new URL(first.json['@odata.nextLink'] as string);
    const second = page(next.search.slice(1)) as { json: { value: { id: string }[] } };
    expect(second.json.value.map((x) => x.id)).toEqual(['3', '4', '5']);
  });
});

describe('pageCollection', () => {
  it('refuses malformed $skiptoken values with 400', () => {
    const coll = things();
    const run = (token: string) => () =>
      pageCollection(request(`$skiptoken=${token}`), 'things', coll, (x) => x, { defaultTop: 3, maxTop: 5 });
    for (const token of [NULL_TOKEN, b64('{"s":"2"}'), b64('{"s":-1}'), b64('{"o":2}')])
      expect(statusOf(run(token)), token).toBe(400);
    expect(statusOf(run(encodeToken({ s: 3 })))).toBe(200);
  });
});

describe('deltaPage', () => {
  const opts = (coll: Collection<{ id: string }>, malformedToken?: 'badRequest' | 'expired') => ({
    collection: coll,
    context: 'things',
    project: (x: { id: string }) => x,
    style: 'odata' as const,
    defaultTop: 100,
    maxTop: 999,
    ...(malformedToken ? { malformedToken } : {}),
  });

  it('tells a malformed token from an expired one', () => {
    const coll = things();
    const malformed = [
      NULL_TOKEN,
      b64('{"c":"test:things","a":"1"}'),
      b64('{"c":"test:things","a":-3}'),
      'bogus',
    ];
    for (const token of malformed) {
      // Routes that opt in answer 400; the others get the outcome flagged as malformed.
      expect(
        statusOf(() => deltaPage(request(`$deltatoken=${token}`), opts(coll, 'badRequest'))),
        token,
      ).toBe(400);
      expect(deltaPage(request(`$deltatoken=${token}`), opts(coll))).toEqual({
        expired: true,
        malformed: true,
      });
    }
    // A well-formed token the collection can no longer serve is expired, not malformed.
    const old = encodeToken({ c: coll.key, a: 1 });
    coll.remove('1');
    coll.forgetTombstones();
    expect(deltaPage(request(`$deltatoken=${old}`), opts(coll, 'badRequest'))).toEqual({ expired: true });
    const other = encodeToken({ c: 'test:other', a: coll.lastSeq });
    expect(deltaPage(request(`$deltatoken=${other}`), opts(coll, 'badRequest'))).toEqual({ expired: true });
    const current = encodeToken({ c: coll.key, a: coll.lastSeq });
    expect(deltaPage(request(`$deltatoken=${current}`), opts(coll, 'badRequest')).expired).toBe(false);
  });
});

describe('through Graph', () => {
  let raw: RawGraph;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ raw, stop } = await startEmulator());
  });
  afterAll(() => stop());

  it('answers malformed paging input on /users with 400', async () => {
    for (const q of [`$skiptoken=${NULL_TOKEN}`, `$skiptoken=${b64('{"o":"1"}')}`, '$skip=-3', '$skip=abc']) {
      const r = await raw.get(`/v1.0/users?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json.error.code).toBe('BadRequest');
    }
  });

  it('answers a garbled users delta token with 400 and an expired one with 410 syncStateNotFound', async () => {
    const garbled = await raw.get(`/v1.0/users/delta?$deltatoken=${NULL_TOKEN}`);
    expect(garbled.status).toBe(400);
    expect(garbled.json.error.code).toBe('Request_BadRequest');
    const { last } = await raw.all('/v1.0/users/delta');
    expect((await raw.admin('POST', '/activity', { op: 'addUser', args: {} })).status).toBe(200);
    await raw.admin('POST', '/delta/expire', { prefix: 'directory:users' });
    const expired = await raw.get(last['@odata.deltaLink'] as string);
    expect(expired.status).toBe(410);
    expect(expired.json.error.code).toBe('syncStateNotFound');
  });
});
