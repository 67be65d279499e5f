import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { generateTls } from '../../emulator/tls.js';

/**
 * An HTTPS reverse proxy between a Graph client and the emulator: it records every request as it
 * arrived on the wire (method, path, headers) with the status it relayed, and breaks exchanges the
 * way a network does. The emulator's own scripted faults only reach `/v1.0` and `/beta` routes, so
 * this is how tests reach the pre-authenticated download and upload URLs. It keeps the client's
 * Host header, so every URL the emulator hands out (302 Location, uploadUrl) points back here.
 */

export type ProxyFaultKind =
  /** Forward; relay `after` bytes of the answer's body, then break the connection. */
  | 'reset-response'
  /** Break the connection without forwarding: the service never sees the request. */
  | 'lose-request'
  /** Forward (the service acts on it), then break the connection before any answer is relayed. */
  | 'lose-response'
  /** Answer `status` with a Graph error body, without forwarding. */
  | 'status'
  /** Forward (the service acts on it), then answer `status` as a gateway that gave up waiting. */
  | 'status-after-forward'
  /** Forward and relay normally; only `onFire` runs, before the answer is relayed. */
  | 'tap';

export interface ProxyFault {
  kind: ProxyFaultKind;
  method?: string;
  /** Tested against the path and query as the client sent them. */
  path: RegExp;
  /** How many matching requests get the fault (default 1). */
  count?: number;
  after?: number;
  status?: number;
  code?: string;
  retryAfterSeconds?: number;
  /** Runs when the fault fires, before the connection breaks or the answer is relayed. */
  onFire?: () => Promise<unknown>;
}

export interface Exchange {
  method: string;
  /** Path and query as received. */
  path: string;
  /** Request headers as received (lower-case names). */
  headers: Record<string, string>;
  /** Status relayed to the client; undefined when the connection broke before any answer. */
  status?: number;
  fault?: ProxyFaultKind;
  /** Answer body bytes relayed to the client. */
  bytes: number;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

function withoutHopByHop(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || HOP_BY_HOP.has(k.toLowerCase())) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Writes with backpressure; false when the client went away. */
function write(res: ServerResponse, chunk: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve(false);
    if (res.write(chunk)) return resolve(true);
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/** Lets what was written reach the socket, then tears the connection down. */
function breakConnection(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const socket = res.socket;
    if (!socket || socket.destroyed) return resolve();
    // An empty write's callback runs once earlier writes are flushed to the kernel.
    socket.write(Buffer.alloc(0), () => {
      socket.destroy();
      resolve();
    });
  });
}

export class FaultProxy {
  readonly log: Exchange[] = [];
  private faults: (ProxyFault & { remaining: number })[] = [];

  private constructor(
    private readonly server: Server,
    private readonly dispatcher: Agent,
    private readonly upstream: string,
    /** The proxy's CA certificate (PEM), for the client's `ca`. */
    readonly ca: string,
    readonly origin: string,
  ) {}

  static async start(upstream: string, upstreamCa: string): Promise<FaultProxy> {
    const tls = await generateTls();
    const dispatcher = new Agent({ connect: { ca: upstreamCa }, keepAliveTimeout: 10_000 });
    const ready: { proxy?: FaultProxy } = {};
    const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
      res.on('error', () => undefined);
      void ready.proxy?.handle(req, res).catch(() => res.socket?.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    ready.proxy = new FaultProxy(server, dispatcher, upstream, tls.caCertPem, `https://127.0.0.1:${port}`);
    return ready.proxy;
  }

  script(fault: ProxyFault): void {
    this.faults.push({ ...fault, remaining: fault.count ?? 1 });
  }

  clear(): void {
    this.faults = [];
    this.log.length = 0;
  }

  /** Exchanges whose method matches and whose path matches `path`, in arrival order. */
  exchanges(method: string, path: RegExp): Exchange[] {
    return this.log.filter((e) => e.method === method && path.test(e.path));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.dispatcher.close();
  }

  private pick(method: string, path: string): ProxyFault | undefined {
    const f = this.faults.find(
      (x) => x.remaining > 0 && (!x.method || x.method === method) && x.path.test(path),
    );
    if (!f) return undefined;
    f.remaining--;
    return f;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const headers = withoutHopByHop(req.headers);
    const body = await readAll(req);
    const ex: Exchange = { method, path, headers, bytes: 0 };
    this.log.push(ex);
    const fault = this.pick(method, path);
    if (fault) ex.fault = fault.kind;

    if (fault?.kind === 'lose-request') {
      await fault.onFire?.();
      await breakConnection(res);
      return;
    }
    if (fault?.kind === 'status-after-forward') {
      const up = await request(`${this.upstream}${path}`, {
        dispatcher: this.dispatcher,
        method: method as 'GET',
        headers,
        body: body.length || !['GET', 'HEAD'].includes(method) ? body : null,
      });
      await up.body.arrayBuffer().catch(() => undefined);
    }
    if (fault?.kind === 'status' || fault?.kind === 'status-after-forward') {
      await fault.onFire?.();
      const status = fault.status ?? 503;
      const json = JSON.stringify({
        error: { code: fault.code ?? 'serviceNotAvailable', message: 'Injected by the test proxy.' },
      });
      const h: Record<string, string | number> = {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(json),
      };
      if (fault.retryAfterSeconds !== undefined) h['retry-after'] = String(fault.retryAfterSeconds);
      ex.status = status;
      res.writeHead(status, h);
      res.end(json);
      return;
    }

    const up = await request(`${this.upstream}${path}`, {
      dispatcher: this.dispatcher,
      method: method as 'GET',
      headers,
      body: body.length || !['GET', 'HEAD'].includes(method) ? body : null,
    }).catch(() => undefined);
    if (!up) {
      await breakConnection(res);
      return;
    }
    if (fault?.kind === 'lose-response') {
      await up.body.arrayBuffer().catch(() => undefined);
      await fault.onFire?.();
      await breakConnection(res);
      return;
    }
    if (fault?.kind === 'tap') await fault.onFire?.();
    ex.status = up.statusCode;
    res.writeHead(up.statusCode, withoutHopByHop(up.headers));
    res.flushHeaders();
    const limit = fault?.kind === 'reset-response' ? (fault.after ?? 0) : Infinity;
    try {
      for await (const raw of up.body) {
        let chunk = raw as Buffer;
        if (ex.bytes + chunk.length >= limit) chunk = chunk.subarray(0, limit - ex.bytes);
        // Counted before the write completes: the client may finish reading before the drain.
        ex.bytes += chunk.length;
        if (chunk.length > 0 && !(await write(res, chunk))) {
          up.body.destroy();
          return;
        }
        if (ex.bytes >= limit) break;
      }
    } catch {
      // The service broke the connection (its own injected reset): break ours too.
      await breakConnection(res);
      return;
    }
    if (ex.bytes >= limit) {
      up.body.destroy();
      await fault?.onFire?.();
      await breakConnection(res);
      return;
    }
    res.end();
  }
}
