import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  batch,
  collect,
  delta,
  DeltaResetError,
  GraphError,
  isRemoved,
  MalformedResponseError,
  PagingLoopError,
  type GraphClient,
} from '../../src/graph/index.js';
import { startEmulator, type RawGraph } from '../support/raw-graph.js';
import { clientFor } from '../support/graph-client.js';
import type { Emulator } from '../../emulator/server.js';

let emulator: Emulator;
let raw: RawGraph;
let stop: () => Promise<void>;
let client: GraphClient;

beforeAll(async () => {
  ({ emulator, raw, stop } = await startEmulator());
  client = clientFor(emulator.info, { maxAttempts: 4 });
});
afterAll(async () => {
  await client.close();
  await stop();
});

const fault = (f: Record<string, unknown> | Record<string, unknown>[]) => raw.admin('POST', '/faults', f);
async function requestsTo(endpoint: string): Promise<Record<string, number>> {
  const m = (await raw.admin('GET', '/metrics')).json as {
    byEndpoint: Record<string, Record<string, number>>;
  };
  return m.byEndpoint[endpoint] ?? {};
}

describe('paging', () => {
  it('follows nextLink to every item exactly once', async () => {
    const inventory = (await raw.admin('GET', '/inventory')).json as { directory: { users: number } };
    const users = await collect<{ id: string }>(client, '/users?$top=2');
    expect(users.length).toBe(inventory.directory.users);
    expect(new Set(users.map((u) => u.id)).size).toBe(users.length);
  });

  it('stops a nextLink that loops with PagingLoopError', async () => {
    await fault({ path: '^/v1\\.0/users', kind: 'loop-next-link', count: 1 });
    await expect(collect(client, '/users?$top=3')).rejects.toBeInstanceOf(PagingLoopError);
  });
});

describe('malformed and failed answers', () => {
  it('retries a truncated JSON body and succeeds', async () => {
    await fault({ path: '^/v1\\.0/groups$', kind: 'truncate', count: 1 });
    const groups = await client.get<{ value: unknown[] }>('/groups');
    expect(groups.value.length).toBeGreaterThan(0);
  });

  it('raises MalformedResponseError when the JSON stays truncated', async () => {
    await fault({ path: '^/v1\\.0/groups$', kind: 'truncate', count: 10 });
    await expect(client.get('/groups')).rejects.toBeInstanceOf(MalformedResponseError);
    await raw.admin('DELETE', '/faults');
  });

  it('treats a 200 that carries an error object as malformed', async () => {
    await fault({ path: '^/v1\\.0/organization', kind: 'error-in-200', count: 10 });
    const err = await client.get('/organization').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MalformedResponseError);
    expect((err as Error).message).toMatch(/carried an error/);
    await raw.admin('DELETE', '/faults');
  });

  it('retries 5xx and HTML gateway pages, then succeeds', async () => {
    await fault([
      { path: '^/v1\\.0/subscribedSkus', kind: 'status', status: 500, count: 1 },
      { path: '^/v1\\.0/subscribedSkus', kind: 'html', status: 502, count: 1 },
    ]);
    const skus = await client.get<{ value: unknown[] }>('/subscribedSkus');
    expect(skus.value).toHaveLength(1);
    expect(await requestsTo('GET /v1.0/subscribedSkus')).toMatchObject({ '500': 1, '502': 1, '200': 1 });
  });

  it('gives up on persistent 5xx with a GraphError naming the status', async () => {
    await fault({ path: '^/v1\\.0/subscribedSkus', kind: 'html', status: 502, count: 10 });
    const err = await client.get('/subscribedSkus').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).status).toBe(502);
    expect((err as GraphError).message).toMatch(/HTML page/);
    await raw.admin('DELETE', '/faults');
  });

  it('resends a GET whose connection was reset mid-body', async () => {
    await fault({ path: '^/v1\\.0/organization', kind: 'reset', count: 1 });
    const org = await client.get<{ value: unknown[] }>('/organization');
    expect(org.value).toHaveLength(1);
  });

  it('waits out a 429 with Retry-After and retries', async () => {
    await fault({
      path: '^/v1\\.0/groups$',
      kind: 'status',
      status: 429,
      code: 'TooManyRequests',
      retryAfterSeconds: 1,
      count: 1,
    });
    const groups = await client.get<{ value: unknown[] }>('/groups');
    expect(groups.value.length).toBeGreaterThan(0);
    expect(client.governor.snapshot().throttledResponses).toBeGreaterThan(0);
  });

  it('does not resend a POST after an ambiguous 500', async () => {
    await fault({ path: '^/v1\\.0/\\$batch', kind: 'status', status: 500, count: 1 });
    const before = (await requestsTo('POST /v1.0/$batch'))['500'] ?? 0;
    const err = await client
      .json('POST', '/$batch', {
        json: {
          requests: [
            {
              id: '1',
              method: 'POST',
              url: '/users',
              body: {},
              headers: { 'content-type': 'application/json' },
            },
          ],
        },
      })
      .catch((e: unknown) => e);
    expect((err as GraphError).status).toBe(500);
    expect((await requestsTo('POST /v1.0/$batch'))['500']).toBe(before + 1);
  });
});

describe('$batch', () => {
  it('answers 25 requests in order across two batches', async () => {
    const users = await collect<{ id: string }>(client, '/users');
    const reqs = Array.from({ length: 25 }, (_, i) => ({
      method: 'GET',
      url: `/users/${(users[i % users.length] as { id: string }).id}?$select=id`,
    }));
    const answers = await batch(client, reqs);
    expect(answers).toHaveLength(25);
    answers.forEach((a, i) => {
      expect(a.status).toBe(200);
      expect((a.body as { id: string }).id).toBe((users[i % users.length] as { id: string }).id);
    });
  });

  it('retries only the sub-request that was throttled', async () => {
    const users = await collect<{ id: string }>(client, '/users');
    const target = (users[1] as { id: string }).id;
    await fault({ path: `/users/${target}$`, kind: 'status', status: 429, retryAfterSeconds: 1, count: 1 });
    const ids = users.slice(0, 5).map((u) => u.id);
    const before = await requestsTo('GET /v1.0/users/{user}');
    const answers = await batch(
      client,
      ids.map((id) => ({ method: 'GET', url: `/users/${id}` })),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const after = await requestsTo('GET /v1.0/users/{user}');
    expect((after['200'] ?? 0) - (before['200'] ?? 0)).toBe(5);
    expect((after['429'] ?? 0) - (before['429'] ?? 0)).toBe(1);
  });

  it('reports a failed sub-request as its own answer, not an exception', async () => {
    const answers = await batch(client, [
      { method: 'GET', url: '/users/does-not-exist' },
      { method: 'GET', url: '/organization' },
    ]);
    expect(answers[0]?.status).toBe(404);
    expect(answers[1]?.status).toBe(200);
  });
});

describe('delta', () => {
  async function round(start: string): Promise<{ items: Record<string, unknown>[]; link: string }> {
    const items: Record<string, unknown>[] = [];
    let link = '';
    for await (const page of delta(client, start)) {
      items.push(...page.value);
      if (page.deltaLink) link = page.deltaLink;
    }
    return { items, link };
  }

  it('returns exactly the changes since the last round, removals as @removed', async () => {
    const first = await round('/users/delta?$top=3');
    expect(first.items.length).toBeGreaterThan(3);
    const empty = await round(first.link);
    expect(empty.items).toEqual([]);

    const added = (
      await raw.admin('POST', '/activity', { op: 'addUser', args: { displayName: 'Delta Probe' } })
    ).json as { result: { id: string } };
    const second = await round(empty.link);
    expect(second.items.map((u) => u['id'])).toEqual([added.result.id]);

    await raw.admin('POST', '/activity', { op: 'deleteUser', args: { id: added.result.id } });
    const third = await round(second.link);
    expect(third.items).toHaveLength(1);
    expect(isRemoved(third.items[0] as Record<string, unknown>)).toBe(true);
  });

  it('signals a reset when the token has expired', async () => {
    const first = await round('/users/delta');
    await raw.admin('POST', '/activity', { op: 'addUser', args: {} });
    await raw.admin('POST', '/delta/expire', { prefix: 'directory:users' });
    const err = await round(first.link).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeltaResetError);
  });
});
