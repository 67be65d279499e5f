import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RawGraph } from '../support/raw-graph.js';

// Advanced query capabilities on directory objects (https://learn.microsoft.com/graph/aad-advanced-queries):
// `ne`, `not`, `endsWith` and `$count` need `ConsistencyLevel: eventual` (and, for the operators,
// `$count=true`); without them Graph answers 400 (Request_UnsupportedQuery for operators,
// Request_BadRequest "$count is not currently supported." for the /$count segment) and ignores a
// `$count=true` query parameter. A property the type does not have is 400.
let raw: RawGraph;
let stop: () => Promise<void>;
const EVENTUAL = { ConsistencyLevel: 'eventual' };

beforeAll(async () => {
  ({ raw, stop } = await startEmulator());
});
afterAll(() => stop());

describe('advanced queries on /users and /groups', () => {
  it('refuses ne, not and endsWith without the advanced query parameters', async () => {
    const cases = [
      ['/v1.0/users', 'accountEnabled ne true', 'ne'],
      ['/v1.0/users', "not startswith(displayName,'A')", 'not'],
      ['/v1.0/users', "endswith(mail,'.com')", 'endsWith'],
      ['/v1.0/groups', "proxyAddresses/any(p:endswith(p,'.com'))", 'endsWith'],
      ['/v1.0/groups', 'mailEnabled ne true', 'ne'],
    ] as const;
    for (const [path, filter, op] of cases) {
      const url = `${path}?$filter=${encodeURIComponent(filter)}`;
      for (const [headers, query] of [
        [{}, ''],
        [EVENTUAL, ''],
        [{}, '&$count=true'],
      ] as const) {
        const r = await raw.get(`${url}${query}`, headers);
        expect(r.status, `${url}${query} ${JSON.stringify(headers)}`).toBe(400);
        expect(r.json.error.code).toBe('Request_UnsupportedQuery');
        expect(r.json.error.message).toContain(`Operator '${op}' is not supported`);
      }
    }
  });

  it('answers them in an advanced query, with @odata.count', async () => {
    const all = (await raw.all('/v1.0/users?$select=id,accountEnabled,mail')).items as {
      accountEnabled: boolean;
      mail: string | null;
    }[];
    const disabled = all.filter((u) => !u.accountEnabled).length;
    const r = await raw.get(
      `/v1.0/users?$filter=${encodeURIComponent('accountEnabled ne true')}&$count=true`,
      EVENTUAL,
    );
    expect(r.status).toBe(200);
    expect(r.json['@odata.count']).toBe(disabled);
    expect(r.json.value).toHaveLength(disabled);
    const domain = (all.find((u) => u.mail)?.mail as string).split('@')[1] as string;
    const ends = await raw.get(
      `/v1.0/users?$filter=${encodeURIComponent(`endswith(mail,'@${domain}')`)}&$count=true`,
      EVENTUAL,
    );
    expect(ends.status).toBe(200);
    expect(ends.json['@odata.count']).toBe(all.filter((u) => u.mail?.endsWith(`@${domain}`)).length);
  });

  it('ignores $count=true without ConsistencyLevel, and counts with it', async () => {
    const plain = await raw.get('/v1.0/groups?$count=true');
    expect(plain.status).toBe(200);
    expect(plain.json['@odata.count']).toBeUndefined();
    const counted = await raw.get('/v1.0/groups?$count=true', EVENTUAL);
    expect(counted.json['@odata.count']).toBe(counted.json.value.length);
  });

  it('serves /$count only with ConsistencyLevel: eventual', async () => {
    for (const path of ['/v1.0/users/$count', '/v1.0/groups/$count']) {
      const refused = await raw.get(path);
      expect(refused.status, path).toBe(400);
      expect(refused.json.error).toMatchObject({
        code: 'Request_BadRequest',
        message: '$count is not currently supported.',
      });
      const r = await raw.get(path, EVENTUAL);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/plain/);
      const list = (await raw.all(path.replace('/$count', ''))).items;
      expect(Number(r.body.toString())).toBe(list.length);
    }
    const filtered = await raw.get(
      `/v1.0/users/$count?$filter=${encodeURIComponent('accountEnabled ne true')}`,
      EVENTUAL,
    );
    expect(filtered.status).toBe(200);
    expect(Number(filtered.body.toString())).toBeGreaterThan(0);
  });

  it('refuses a $filter on a property the type does not have', async () => {
    const users = await raw.get(`/v1.0/users?$filter=${encodeURIComponent("nosuchProperty eq 'x'")}`);
    expect(users.status).toBe(400);
    expect(users.json.error.message).toBe(
      "Could not find a property named 'nosuchProperty' on type 'microsoft.graph.user'.",
    );
    const groups = await raw.get(`/v1.0/groups?$filter=${encodeURIComponent("userPrincipalName eq 'x'")}`);
    expect(groups.status).toBe(400);
    // Lambda variables are not properties; the collection is.
    const ok = await raw.get(
      `/v1.0/groups?$filter=${encodeURIComponent("groupTypes/any(c:c eq 'Unified')")}`,
    );
    expect(ok.status).toBe(200);
    expect(ok.json.value.length).toBeGreaterThan(0);
  });
});
