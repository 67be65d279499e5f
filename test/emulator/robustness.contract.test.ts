import { connect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../../emulator/core/odata.js';
import type { ServiceModule } from '../../emulator/core/service.js';
import type { RouteDef } from '../../emulator/core/types.js';
import { sendableHeaderValue } from '../../emulator/core/http-io.js';
import { allServices } from '../../emulator/services/index.js';
import { startEmulator, type RawGraph } from '../support/raw-graph.js';

// Whatever a request or a handler does, the emulator answers and keeps serving. These run the
// emulator in this test process: a crash (an exception escaping the request handler) fails the
// run, and every test checks that the next request is still served.

const route = (path: string, handler: RouteDef['handler']): RouteDef => ({
  method: 'GET',
  path,
  permissions: [],
  handler,
});

/** Test-only routes whose answers Node refuses to send as they are. */
const testModule: ServiceModule = {
  name: 'robustness-test',
  routes: () => [
    route('/_test/attachment', () => ({
      status: 200,
      headers: {
        // As a stored attachment's contentType can be (Node throws ERR_INVALID_CHAR on it).
        'content-type': 'text/plain; name="✓.txt"',
        'content-disposition': 'attachment; filename="✓ report.txt"',
      },
      body: 'hello',
    })),
    route('/_test/redirect', () => ({ status: 302, headers: { location: 'https://example.test/✓ x?q=é' } })),
    route('/_test/control', () => ({ status: 200, headers: { 'x-note': 'a\r\nb\u0000c' }, body: 'ok' })),
    route('/_test/bad-status', () => ({ status: 1234, body: 'x' })),
    route('/_test/bad-name', () => ({ status: 200, headers: { 'bad name': 'x', ok: 'y' }, body: 'ok' })),
    route('/_test/stream-fails', () => ({
      status: 200,
      stream: {
        length: 10,
        open: () => {
          throw new Error('no bytes today');
        },
      },
    })),
    route('/_test/ok', () => ok({ fine: true })),
  ],
};

let raw: RawGraph;
let stop: () => Promise<void>;
const MAX_BODY = 64 * 1024;

beforeAll(async () => {
  ({ raw, stop } = await startEmulator({
    services: [...allServices(), testModule],
    maxRequestBytes: MAX_BODY,
  }));
});
afterAll(() => stop());

const stillServing = async () => expect((await raw.get('/v1.0/_test/ok')).json).toEqual({ fine: true });

describe('header values Node cannot send', () => {
  it('sends parameters with non-Latin-1 characters in their RFC 8187 form', async () => {
    const r = await raw.get('/v1.0/_test/attachment');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('hello');
    expect(r.headers['content-type']).toBe("text/plain; name*=UTF-8''%E2%9C%93.txt");
    expect(r.headers['content-disposition']).toBe("attachment; filename*=UTF-8''%E2%9C%93%20report.txt");
    await stillServing();
  });

  it('percent-encodes a Location and any other value with characters Node refuses', async () => {
    const r = await raw.get('/v1.0/_test/redirect');
    expect(r.status).toBe(302);
    expect(r.headers['location']).toBe('https://example.test/%E2%9C%93%20x?q=%C3%A9');
    const c = await raw.get('/v1.0/_test/control');
    expect(c.status).toBe(200);
    expect(c.headers['x-note']).toBe('a%0D%0Ab%00c');
    await stillServing();
  });

  it('drops an invalid header name and answers an impossible status with a Graph 500', async () => {
    const named = await raw.get('/v1.0/_test/bad-name');
    expect(named.status).toBe(200);
    expect(named.headers['ok']).toBe('y');
    const status = await raw.get('/v1.0/_test/bad-status');
    expect(status.status).toBe(500);
    expect(status.json.error.code).toBe('generalException');
    await stillServing();
  });

  it('cuts the connection when a stream fails after the headers, and keeps serving', async () => {
    await expect(
      raw.get('/v1.0/_test/stream-fails').then((r) => r.body.length === 10 && r.status === 200),
    ).rejects.toThrow();
    await stillServing();
  });
});

describe('malformed requests', () => {
  it('answers a malformed percent-encoded path with 400', async () => {
    const r = await raw.get('/v1.0/%zz');
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('BadRequest');
    await stillServing();
  });

  it('keeps one metrics key for all unmatched paths', async () => {
    await raw.admin('POST', '/metrics/reset');
    for (const p of ['/v1.0/nope-1', '/v1.0/nope-2/x', '/whatever/else', '/v1.0/%zz'])
      expect((await raw.get(p)).status).toBeGreaterThanOrEqual(400);
    const keys = Object.keys((await raw.admin('GET', '/metrics')).json.byEndpoint);
    expect(keys.filter((k) => /nope|whatever|%zz/.test(k))).toEqual([]);
    expect(keys).toContain('<unmatched>');
  });

  it('keys mailboxes that do not resolve as one unknown mailbox', async () => {
    await raw.admin('POST', '/metrics/reset');
    for (let i = 0; i < 5; i++) await raw.get(`/v1.0/users/nobody-${i}@nowhere.test/messages`);
    const metrics = (await raw.admin('GET', '/metrics')).json;
    const mailboxes = Object.keys(metrics.maxConcurrencyByMailbox);
    expect(mailboxes.filter((m) => m.includes('nobody'))).toEqual([]);
    expect(mailboxes).toContain('<unknown>');
  });

  it('answers an invalid fault pattern or kind with 400', async () => {
    const bad = await raw.admin('POST', '/faults', { path: '(', kind: 'status' });
    expect(bad.status).toBe(400);
    const kind = await raw.admin('POST', '/faults', { path: 'x', kind: 'explode' });
    expect(kind.status).toBe(400);
    const status = await raw.admin('POST', '/faults', { path: 'x', kind: 'status', status: 1234 });
    expect(status.status).toBe(400);
    await stillServing();
  });
});

/** Sends raw bytes over TLS and returns what came back within `ms`. */
function rawExchange(write: (send: (chunk: string | Buffer) => void) => void, ms = 5000): Promise<string> {
  const url = new URL(raw.info.graphUrl);
  return new Promise((resolve) => {
    const socket = connect({
      host: url.hostname,
      port: Number(url.port),
      ca: readFileSync(raw.info.caFile, 'utf8'),
      servername: 'localhost',
    });
    let got = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (/\r\n\r\n[\s\S]*\}/.test(got)) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.on('secureConnect', () => write((c) => socket.write(c)));
  });
}

describe('request bodies', () => {
  it('refuses a declared Content-Length over the limit at once, without waiting for the body', async () => {
    const token = await raw.accessToken();
    const answer = await rawExchange((send) => {
      send(
        `POST /v1.0/$batch HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n{"requests":`,
      );
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('RequestEntityTooLarge');
    await stillServing();
  });

  it('answers 413 to a chunked body that grows past the limit, and the answer arrives', async () => {
    const token = await raw.accessToken();
    const answer = await rawExchange((send) => {
      send(
        `POST /v1.0/$batch HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
          'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      const chunk = Buffer.alloc(16 * 1024, 'a');
      for (let i = 0; i < 6; i++)
        send(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    await stillServing();
  });

  it('answers an unauthenticated upload without reading its body', async () => {
    const answer = await rawExchange((send) => {
      send(
        'POST /v1.0/$batch HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
          `Content-Length: ${MAX_BODY - 1}\r\n\r\n{`,
      );
    });
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toContain('InvalidAuthenticationToken');
    await stillServing();
  });
});

describe('sendableHeaderValue', () => {
  it('keeps sendable values and rewrites the rest', () => {
    expect(sendableHeaderValue('content-type', 'text/plain; charset=utf-8')).toBe(
      'text/plain; charset=utf-8',
    );
    expect(sendableHeaderValue('content-type', 'text/plain; name="café.txt"')).toBe(
      'text/plain; name="café.txt"',
    );
    expect(sendableHeaderValue('content-type', 'text/plain; name="a\\"✓"; charset=utf-8')).toBe(
      "text/plain; name*=UTF-8''a%22%E2%9C%93; charset=utf-8",
    );
    // An extended form already there makes the plain parameter redundant; `name` is not `filename`.
    expect(
      sendableHeaderValue('content-disposition', `attachment; filename="✓"; filename*=UTF-8''%E2%9C%93`),
    ).toBe(`attachment; filename*=UTF-8''%E2%9C%93`);
    expect(sendableHeaderValue('content-type', `x/y; name="✓"; filename*=UTF-8''a`)).toBe(
      `x/y; name*=UTF-8''%E2%9C%93; filename*=UTF-8''a`,
    );
    expect(sendableHeaderValue('location', 'https://h/a b/é?x=%41')).toBe('https://h/a%20b/%C3%A9?x=%41');
  });
});
