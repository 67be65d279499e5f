import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileFilter,
  MAX_FILTER_DEPTH,
  MAX_FILTER_TOKENS,
  parseFilter,
} from '../../emulator/core/filter.js';
import { GraphHttpError } from '../../emulator/core/odata.js';
import { startEmulator, type RawGraph } from '../support/raw-graph.js';

// A hostile $filter must be a 400, not a stack overflow (which would be a 500, or worse).

function statusOf(src: string): number {
  try {
    compileFilter(src);
    return 200;
  } catch (e) {
    if (e instanceof GraphHttpError) return e.status;
    throw e;
  }
}

describe('$filter limits', () => {
  it('refuses deep nesting with 400', () => {
    expect(statusOf(`${'not '.repeat(200_000)}accountEnabled`)).toBe(400);
    expect(statusOf(`${'('.repeat(50_000)}accountEnabled eq true${')'.repeat(50_000)}`)).toBe(400);
    expect(statusOf(`${'not '.repeat(MAX_FILTER_DEPTH + 1)}accountEnabled`)).toBe(400);
    expect(
      statusOf(`${'startswith('.repeat(MAX_FILTER_DEPTH + 1)}a${",'x')".repeat(MAX_FILTER_DEPTH + 1)}`),
    ).toBe(400);
  });

  it('refuses more terms than the limit with 400', () => {
    const terms = Array.from({ length: MAX_FILTER_TOKENS }, (_, i) => `a eq ${i}`).join(' or ');
    expect(statusOf(terms)).toBe(400);
  });

  it('still evaluates reasonable filters, nested up to the limit', () => {
    const test = compileFilter(`${'not '.repeat(10)}(displayName eq 'A' and startswith(mail,'a'))`);
    expect(test({ displayName: 'a', mail: 'a@x' })).toBe(true);
    expect(compileFilter(`${'not '.repeat(MAX_FILTER_DEPTH - 1)}x eq 1`)({ x: 2 })).toBe(true);
    const parsed = parseFilter("proxyAddresses/any(p:endswith(p,'.com')) and accountEnabled ne false");
    expect([...parsed.properties].sort()).toEqual(['accountEnabled', 'proxyAddresses']);
    expect(parsed.operators.has('endswith')).toBe(true);
    expect(parsed.operators.has('ne')).toBe(true);
  });

  it('does not reach prototype members through property names', () => {
    expect(compileFilter("constructor eq 'x'")({})).toBe(false);
    expect(compileFilter('toString ne null')({})).toBe(false);
  });
});

describe('through Graph', () => {
  let raw: RawGraph;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ raw, stop } = await startEmulator());
  });
  afterAll(() => stop());

  it('answers a deeply nested $filter in a $batch sub-request with 400 and keeps serving', async () => {
    // The URL of a sub-request is not bound by HTTP's request-line limits.
    const filter = `${'not '.repeat(200_000)}accountEnabled`;
    const r = await raw.graph('POST', '/v1.0/$batch', {
      json: { requests: [{ id: '1', method: 'GET', url: `/groups?$filter=${encodeURIComponent(filter)}` }] },
    });
    expect(r.status).toBe(200);
    expect(r.json.responses[0].status).toBe(400);
    expect((await raw.get('/v1.0/organization')).status).toBe(200);
  });
});
