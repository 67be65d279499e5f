import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { Emulator, type EmulatorOptions } from '../../emulator/server.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Parsed JSON body (undefined when the body is not JSON). */
  json: any;
}

/**
 * A deliberately plain HTTP client for emulator contract tests: it speaks the wire format the
 * Graph documentation describes, so the tests do not depend on Safehold's own Graph client.
 */
export class RawGraph {
  readonly dispatcher: Agent;
  private token: string | undefined;

  constructor(
    readonly emulator: Emulator,
    private readonly credentials: { clientId: string; clientSecret: string } = emulator.info,
  ) {
    this.dispatcher = new Agent({
      connect: { ca: readFileSync(emulator.info.caFile, 'utf8') },
      keepAliveTimeout: 10_000,
    });
  }

  get info() {
    return this.emulator.info;
  }

  async accessToken(): Promise<string> {
    if (this.token) return this.token;
    const r = await this.send('POST', `${this.info.loginUrl}/${this.info.tenantId}/oauth2/v2.0/token`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: this.credentials.clientId,
        client_secret: this.credentials.clientSecret,
        grant_type: 'client_credentials',
        scope: `${this.info.graphUrl}/.default`,
      }).toString(),
    });
    if (r.status !== 200) throw new Error(`token request failed: ${r.status} ${r.body.toString()}`);
    this.token = r.json.access_token as string;
    return this.token;
  }

  /** Any request to an absolute URL, without authentication unless headers carry it. */
  async send(
    method: string,
    url: string,
    opts: { headers?: Record<string, string>; body?: string | Buffer } = {},
  ): Promise<RawResponse> {
    const res = await request(url, {
      dispatcher: this.dispatcher,
      method: method as 'GET',
      headers: opts.headers ?? {},
      body: opts.body ?? null,
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    let json: unknown;
    if (/json/.test(headers['content-type'] ?? '')) {
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        json = undefined;
      }
    }
    return { status: res.statusCode, headers, body, json };
  }

  /** An authenticated Graph call; `path` is relative to the Graph origin, e.g. `/v1.0/users`. */
  async graph(
    method: string,
    path: string,
    opts: { headers?: Record<string, string>; json?: unknown; body?: string | Buffer } = {},
  ): Promise<RawResponse> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${await this.accessToken()}`,
      ...opts.headers,
    };
    let body = opts.body;
    if (opts.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(opts.json);
    }
    const url = path.startsWith('https://') ? path : `${this.info.graphUrl}${path}`;
    return this.send(method, url, { headers, ...(body !== undefined ? { body } : {}) });
  }

  get(path: string, headers?: Record<string, string>): Promise<RawResponse> {
    return this.graph('GET', path, headers ? { headers } : {});
  }

  /** Follows `@odata.nextLink` to the end; returns every item and the final page. */
  async all(path: string, headers?: Record<string, string>): Promise<{ items: any[]; last: any }> {
    const items: unknown[] = [];
    let url: string | undefined = path;
    let last: any;
    let guard = 0;
    while (url) {
      const r = await this.get(url, headers);
      if (r.status !== 200) throw new Error(`GET ${url} -> ${r.status} ${r.body.toString().slice(0, 300)}`);
      items.push(...(r.json.value as unknown[]));
      last = r.json;
      url = r.json['@odata.nextLink'] as string | undefined;
      if (++guard > 10_000) throw new Error('nextLink loop');
    }
    return { items, last };
  }

  /** Posts to the emulator's admin API (`/_emulator/...`). */
  async admin(method: string, path: string, json?: unknown): Promise<RawResponse> {
    return this.send(
      method,
      `${this.info.adminUrl}${path}`,
      json === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) },
    );
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** Starts an emulator for a test file; call the returned `stop` in afterAll. */
export async function startEmulator(
  opts: EmulatorOptions = {},
): Promise<{ emulator: Emulator; raw: RawGraph; stop: () => Promise<void> }> {
  const emulator = await Emulator.start({ profile: 'small', seed: 7, ...opts });
  const raw = new RawGraph(emulator);
  return {
    emulator,
    raw,
    stop: async () => {
      await raw.close();
      await emulator.close();
    },
  };
}
