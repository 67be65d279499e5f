import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RawGraph } from '../support/raw-graph.js';

// JSON batching payload rules (https://learn.microsoft.com/graph/json-batching): the body is an
// object with a `requests` array; `dependsOn` "is an array of strings"; a malformed batch is 400
// for the whole batch. A sub-request may not be another $batch.
let raw: RawGraph;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ raw, stop } = await startEmulator());
});
afterAll(() => stop());

const post = (body: string) =>
  raw.graph('POST', '/v1.0/$batch', { headers: { 'content-type': 'application/json' }, body });

describe('$batch payload validation', () => {
  it('answers a body that is not an object, or requests that are not objects, with 400', async () => {
    for (const body of [
      'null',
      '[]',
      '"x"',
      '42',
      '{"requests":[null]}',
      '{"requests":[5]}',
      '{"requests":"x"}',
    ]) {
      const r = await post(body);
      expect(r.status, body).toBe(400);
      expect(r.json.error.code, body).toBe('BadRequest');
    }
  });

  it('requires dependsOn to be an array of request ids', async () => {
    const base = { method: 'GET', url: '/organization' };
    for (const dependsOn of [5, '12', { a: 1 }, [1], [null]]) {
      const r = await post(
        JSON.stringify({
          requests: [
            { id: '1', ...base },
            { id: '12', ...base, dependsOn },
          ],
        }),
      );
      expect(r.status, JSON.stringify(dependsOn)).toBe(400);
      expect(r.json.error.code).toBe('BadRequest');
    }
    const ok = await post(
      JSON.stringify({
        requests: [
          { id: '1', ...base },
          { id: '2', ...base, dependsOn: ['1'] },
        ],
      }),
    );
    expect(ok.status).toBe(200);
    expect(ok.json.responses.map((x: { status: number }) => x.status)).toEqual([200, 200]);
  });

  it('requires headers to be an object of strings', async () => {
    const r = await post(
      JSON.stringify({ requests: [{ id: '1', method: 'GET', url: '/organization', headers: 'abc' }] }),
    );
    expect(r.status).toBe(400);
  });

  it('refuses a nested $batch sub-request with 400 without running it', async () => {
    const inner = { requests: [{ id: 'a', method: 'GET', url: '/organization' }] };
    await raw.admin('POST', '/metrics/reset');
    const r = await post(
      JSON.stringify({
        requests: [
          {
            id: '1',
            method: 'POST',
            url: '/$batch',
            headers: { 'content-type': 'application/json' },
            body: inner,
          },
          { id: '2', method: 'GET', url: '/organization' },
        ],
      }),
    );
    expect(r.status).toBe(200);
    const byId = Object.fromEntries(r.json.responses.map((x: { id: string }) => [x.id, x]));
    expect(byId['1'].status).toBe(400);
    expect(byId['1'].body.error.code).toBe('BadRequest');
    expect(byId['2'].status).toBe(200);
    const metrics = (await raw.admin('GET', '/metrics')).json;
    // Only the outer batch and request 2 reached a route: the inner batch's /organization did not run.
    expect(metrics.byEndpoint['GET /v1.0/organization']).toEqual({ '200': 1 });
  });
});
