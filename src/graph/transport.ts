import { Agent } from 'undici';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  signal?: AbortSignal;
  /** Time allowed until response headers arrive. */
  headersTimeoutMs?: number;
  /** Time allowed between body chunks. */
  bodyIdleTimeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Readable;
}

/** The HTTP layer: keep-alive connections, an optional extra CA, no automatic redirects. */
export interface Transport {
  send(req: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

/** undici with keep-alive; a custom CA is added to the system roots, not substituted for them. */
export class UndiciTransport implements Transport {
  private readonly agent: Agent;

  constructor(opts: { ca?: string; connectionsPerOrigin?: number } = {}) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connections: opts.connectionsPerOrigin ?? 256,
      connect: opts.ca ? { ca: [...rootCertificates, opts.ca] } : {},
    });
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url);
    const res = await this.agent.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: req.method,
      headers: req.headers,
      body: req.body ?? null,
      signal: req.signal ?? null,
      headersTimeout: req.headersTimeoutMs ?? 120_000,
      bodyTimeout: req.bodyIdleTimeoutMs ?? 120_000,
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    return { status: res.statusCode, headers, body: res.body };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Reads a whole body, failing past `limit` bytes so a hostile answer cannot exhaust memory. */
export async function readBody(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new RangeError(`response body larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Drains a body we do not need so the connection can be reused. */
export async function discard(body: Readable): Promise<void> {
  try {
    for await (const _ of body) {
      // drain
    }
  } catch {
    // a broken body does not matter here
  }
}
