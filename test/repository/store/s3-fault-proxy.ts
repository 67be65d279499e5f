import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A plain HTTP proxy between an S3Store and moto_server that breaks chosen exchanges the way S3 and
 * networks do, since moto cannot: it answers with an S3 error status (503 SlowDown, 500
 * InternalError, 403 AccessDenied, …) without forwarding, resets the connection without answering,
 * or forwards and cuts the answer's body after some bytes. Every request is recorded.
 */

export type S3FaultKind =
  /** Answer `status` with an S3 XML error `code`, without forwarding (the request body is drained). */
  | 'status'
  /** Destroy the connection without forwarding or answering. */
  | 'reset'
  /** Forward, relay the status, headers and `afterBytes` bytes of the body, then destroy the connection. */
  | 'cut-body';

export interface S3Fault {
  kind: S3FaultKind;
  method?: string;
  /** Tested against the path and query as received. */
  path?: RegExp;
  /** How many matching requests get the fault (default 1). */
  count?: number;
  status?: number;
  code?: string;
  afterBytes?: number;
}

export interface S3Exchange {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  status?: number;
  fault?: S3FaultKind;
}

interface ActiveFault extends S3Fault {
  left: number;
}

export class S3FaultProxy {
  readonly exchanges: S3Exchange[] = [];
  private faults: ActiveFault[] = [];

  private readonly server: Server;
  private readonly target: URL;
  /** `http://127.0.0.1:<port>`, once started. */
  url = '';

  private constructor(target: string) {
    this.target = new URL(target);
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  /** A proxy in front of `target` (e.g. moto's endpoint), listening on a free local port. */
  static async start(target: string): Promise<S3FaultProxy> {
    const proxy = new S3FaultProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.server.address() as AddressInfo;
    proxy.url = `http://127.0.0.1:${port}`;
    return proxy;
  }

  add(fault: S3Fault): void {
    this.faults.push({ ...fault, left: fault.count ?? 1 });
  }

  clear(): void {
    this.faults = [];
    this.exchanges.length = 0;
  }

  /** Requests seen with this method (and path pattern). */
  count(method: string, path?: RegExp): number {
    return this.exchanges.filter((e) => e.method === method && (path === undefined || path.test(e.path)))
      .length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const exchange: S3Exchange = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: { ...req.headers },
    };
    this.exchanges.push(exchange);
    const fault = this.faults.find(
      (f) =>
        f.left > 0 &&
        (f.method === undefined || f.method === exchange.method) &&
        (f.path === undefined || f.path.test(exchange.path)),
    );
    if (fault !== undefined) {
      fault.left -= 1;
      exchange.fault = fault.kind;
    }
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      const status = fault.status ?? 503;
      const code = fault.code ?? 'SlowDown';
      exchange.status = status;
      req.resume();
      req.once('end', () => {
        const body =
          exchange.method === 'HEAD'
            ? ''
            : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected ${code}</Message><RequestId>proxy</RequestId></Error>`;
        res.writeHead(status, {
          'content-type': 'application/xml',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      });
      return;
    }
    const upstream = request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        exchange.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (fault?.kind !== 'cut-body') {
          answer.pipe(res);
          return;
        }
        let left = fault.afterBytes ?? 0;
        if (left <= 0) {
          res.flushHeaders();
          answer.destroy();
          setImmediate(() => res.socket?.destroy());
          return;
        }
        answer.on('data', (chunk: Buffer) => {
          if (left <= 0) return;
          const piece = chunk.subarray(0, left);
          left -= piece.length;
          res.write(piece, () => {
            if (left <= 0) {
              answer.destroy();
              res.socket?.destroy();
            }
          });
        });
      },
    );
    upstream.on('error', () => res.socket?.destroy());
    req.pipe(upstream);
  }
}
