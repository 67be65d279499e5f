import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RawGraph } from '../support/raw-graph.js';

// JSON batching as documented: at most 20 requests, unique ids, dependsOn with 424 Failed
// Dependency, per-request status codes and bodies.
let raw: RawGraph;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ raw, stop } = await startEmulator());
});
afterAll(() => stop());

const batch = (requests: unknown[]) => raw.graph('POST', '/v1.0/$batch', { json: { requests } });

describe('$batch', () => {
  it('answers each request with its own status and body', async () => {
    const r = await batch([
      { id: '1', method: 'GET', url: '/users?$top=1' },
      { id: '2', method: 'GET', url: 'groups?$top=1' },
      { id: '3', method: 'GET', url: '/users/not-a-user' },
    ]);
    expect(r.status).toBe(200);
    const byId = Object.fromEntries(r.json.responses.map((x: { id: string }) => [x.id, x]));
    expect(byId['1'].status).toBe(200);
    expect(byId['1'].body.value).toHaveLength(1);
    expect(byId['2'].status).toBe(200);
    expect(byId['3'].status).toBe(404);
    expect(byId['3'].body.error.code).toBe('Request_ResourceNotFound');
  });

  it('refuses more than 20 requests and duplicate ids with 400', async () => {
    const many = Array.from({ length: 21 }, (_, i) => ({
      id: String(i),
      method: 'GET',
      url: '/organization',
    }));
    expect((await batch(many)).status).toBe(400);
    const dup = await batch([
      { id: 'a', method: 'GET', url: '/organization' },
      { id: 'A', method: 'GET', url: '/organization' },
    ]);
    expect(dup.status).toBe(400);
    expect(dup.json.error.code).toBe('BadRequest');
  });

  it('runs dependsOn in order and fails dependents of a failed request with 424', async () => {
    const r = await batch([
      { id: '1', method: 'GET', url: '/users/not-a-user' },
      { id: '2', method: 'GET', url: '/organization', dependsOn: ['1'] },
      { id: '3', method: 'GET', url: '/organization' },
    ]);
    const byId = Object.fromEntries(r.json.responses.map((x: { id: string }) => [x.id, x]));
    expect(byId['1'].status).toBe(404);
    expect(byId['2'].status).toBe(424);
    expect(byId['3'].status).toBe(200);
  });

  it('throttles inside a batch per request, with Retry-After in the sub-response', async () => {
    const users = (await raw.all('/v1.0/users?$select=id')).items as { id: string }[];
    await raw.admin('POST', '/faults', {
      path: `/users/${users[0]?.id}$`,
      kind: 'status',
      status: 429,
      retryAfterSeconds: 2,
    });
    const r = await batch(
      users.slice(0, 3).map((u, i) => ({ id: String(i), method: 'GET', url: `/users/${u.id}` })),
    );
    const statuses = r.json.responses.map((x: { status: number }) => x.status).sort();
    expect(statuses).toEqual([200, 200, 429]);
    const throttled = r.json.responses.find((x: { status: number }) => x.status === 429);
    expect(throttled.headers['retry-after']).toBe('2');
  });
});
