import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScaledClock } from './core/clock.js';
import { DownloadRegistry } from './core/downloads.js';
import { FaultInjector } from './core/faults.js';
import { Metrics } from './core/metrics.js';
import { dispatch, type PipelineDeps } from './core/pipeline.js';
import { Router } from './core/router.js';
import { ThrottleModel, type ThrottleMode } from './core/throttle.js';
import { TokenValidator } from './core/auth.js';
import { batchRoute } from './core/batch.js';
import type { EmuRequest, EmuResponse } from './core/types.js';
import type { ServiceContext, ServiceModule } from './core/service.js';
import { Random } from './generator/random.js';
import { SigningKey } from './identity/keys.js';
import { IdentityService } from './identity/service.js';
import { loadOrCreateTls } from './tls.js';
import { BlobFiles } from './tenant/blobs.js';
import { installDirectory, tenantIdentity } from './tenant/directory.js';
import { Journal } from './tenant/journal.js';
import { loadProfile, type ProfileSpec } from './tenant/profile.js';
import { TenantStore } from './tenant/store.js';
import { adminModule } from './admin.js';
import { allServices } from './services/index.js';

export interface EmulatorOptions {
  profile?: string | ProfileSpec;
  seed?: string | number;
  host?: string;
  port?: number;
  throttle?: ThrottleMode;
  timeScale?: number;
  /** Probability (0..1) that a Graph request meets a random fault. */
  faults?: number;
  /** Directory that keeps the tenant (journal, uploads, TLS, keys) across restarts. */
  stateDir?: string;
  /** Service modules to serve (all by default). */
  services?: ServiceModule[];
}

/** The line `safehold emulator --json` prints once ready. */
export interface EmulatorInfo {
  graphUrl: string;
  loginUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  caFile: string;
  adminUrl: string;
}

const MAX_BODY = 64 * 1024 * 1024;
const JSON_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** A running Microsoft 365 tenant emulator: Graph, Entra ID sign-in and the admin API on one HTTPS origin. */
export class Emulator {
  private constructor(
    readonly info: EmulatorInfo,
    readonly store: TenantStore,
    readonly metrics: Metrics,
    readonly faults: FaultInjector,
    readonly downloads: DownloadRegistry,
    private readonly server: Server,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async start(opts: EmulatorOptions = {}): Promise<Emulator> {
    const seed = String(opts.seed ?? 1);
    const profile =
      typeof opts.profile === 'object' ? opts.profile : await loadProfile(opts.profile ?? 'small');
    const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'safehold-emulator-')));
    const ownsState = opts.stateDir === undefined;
    await mkdir(stateDir, { recursive: true });
    const [tls, key] = await Promise.all([loadOrCreateTls(join(stateDir, 'tls')), SigningKey.load(stateDir)]);
    const caFile = join(stateDir, 'tls', 'ca.pem');
    await writeFile(caFile, tls.caCertPem);

    const journalPath = join(stateDir, 'journal.jsonl');
    const priorOps = ownsState ? [] : Journal.read(journalPath);
    const store = new TenantStore(
      seed,
      profile,
      tenantIdentity(seed),
      new BlobFiles(join(stateDir, 'blobs')),
      new Journal(journalPath),
    );
    installDirectory(store);
    const services = opts.services ?? allServices();
    for (const s of services) s.install?.(store);
    // The directory is generated before anything else, always from the seed alone, so content
    // derived from it (sites, groups, mailboxes) is the same whatever the journal replays.
    void [store.users, store.groups, store.sites, store.apps];
    store.replay(priorOps);

    const mode = opts.throttle ?? 'off';
    const clock = new ScaledClock(opts.timeScale ?? 1);
    const runtimeRandom = new Random(seed, 'runtime', Date.now());
    const rnd = () => runtimeRandom.next();
    const licenses = () => store.users.values().filter((u) => u.licenses.length > 0).length;
    const metrics = new Metrics(clock, mode, licenses);
    const faults = new FaultInjector(opts.faults ?? 0, rnd);
    const downloads = new DownloadRegistry();
    const ctx: ServiceContext = { store, clock, downloads, random: runtimeRandom };

    let origin = '';
    const router = new Router();
    const deps: PipelineDeps = {
      router,
      tokens: new TokenValidator(key, store.identity.tenantId, () => [origin]),
      throttle: new ThrottleModel(mode, clock, licenses, rnd),
      metrics,
      faults,
      clock,
      random: rnd,
    };
    router.addGraph([batchRoute(() => deps)]);
    for (const s of services) router.addGraph(s.routes(ctx));
    router.addPlain(new IdentityService(store, key, () => [origin]).routes());
    router.addPlain([downloads.route()]);
    for (const s of services) router.addPlain(s.plainRoutes?.(ctx) ?? []);
    router.addPlain(adminModule({ ctx, metrics, faults, services, info: () => emulator.info }));

    const server = createServer(
      { cert: tls.certPem, key: tls.keyPem, keepAliveTimeout: 30_000 },
      (req, res) => {
        void handle(deps, req, res);
      },
    );
    server.headersTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const host = opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1';
    origin = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    const app = store.apps.values()[0];
    if (!app) throw new Error('emulator: no app registration');
    const info: EmulatorInfo = {
      graphUrl: origin,
      loginUrl: origin,
      tenantId: store.identity.tenantId,
      clientId: app.appId,
      clientSecret: app.secrets[0]?.secret ?? '',
      caFile,
      adminUrl: `${origin}/_emulator`,
    };
    const emulator: Emulator = new Emulator(info, store, metrics, faults, downloads, server, async () => {
      store.close();
      if (ownsState) await rm(stateDir, { recursive: true, force: true });
    });
    return emulator;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.cleanup();
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function handle(deps: PipelineDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.on('error', () => undefined);
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const body = await readBody(req).catch(() => undefined);
  if (body === undefined) {
    writeSimple(res, 413, {
      error: { code: 'RequestEntityTooLarge', message: 'The request body is too large.' },
    });
    return;
  }
  const emuReq: EmuRequest = {
    method: (req.method ?? 'GET').toUpperCase(),
    rawPath: q < 0 ? url : url.slice(0, q),
    query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
    headers,
    body,
    params: {},
    apiVersion: '',
    origin: `https://${headers['host'] ?? 'localhost'}`,
    inBatch: false,
  };
  const out = await dispatch(deps, emuReq);
  res.once('close', () => out.finish());
  write(res, emuReq, out.response, out.resetMidBody);
}

function writeSimple(res: ServerResponse, status: number, json: unknown): void {
  const body = JSON.stringify(json);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Parses a single `bytes=` range; undefined when absent or multi-range (served whole). */
function parseRange(
  header: string | undefined,
  length: number,
): [number, number] | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a, b] = m;
  let start: number;
  let end: number;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    start = Math.max(0, length - Number(b));
    end = length - 1;
  } else {
    start = Number(a);
    end = b === '' ? length - 1 : Math.min(Number(b), length - 1);
  }
  if (start >= length || start > end) return 'unsatisfiable';
  return [start, end];
}

function write(res: ServerResponse, req: EmuRequest, r: EmuResponse, resetMidBody: boolean): void {
  const headers: Record<string, string | number> = {
    'request-id': r.headers?.['request-id'] ?? randomUUID(),
    'client-request-id': req.headers['client-request-id'] ?? r.headers?.['request-id'] ?? randomUUID(),
    'strict-transport-security': 'max-age=31536000',
    ...r.headers,
  };
  if (r.stream) {
    const total = r.stream.length;
    const range = r.status === 200 ? parseRange(req.headers['range'], total) : undefined;
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${total}`, 'content-length': 0 });
      res.end();
      return;
    }
    const [start, end] = range ?? [0, total - 1];
    const length = total === 0 ? 0 : end - start + 1;
    if (range) headers['content-range'] = `bytes ${start}-${end}/${total}`;
    headers['content-length'] = length;
    res.writeHead(range ? 206 : r.status, headers);
    if (length === 0) {
      res.end();
      return;
    }
    const stream = r.stream.open(start, end);
    if (resetMidBody) {
      let sent = 0;
      stream.on('data', (c: Buffer) => {
        sent += c.length;
        if (sent >= length / 2) {
          stream.destroy();
          res.socket?.destroy();
        }
      });
    }
    stream.on('error', () => res.socket?.destroy());
    stream.pipe(res);
    return;
  }
  let body: Buffer;
  if (r.json !== undefined) {
    body = Buffer.from(JSON.stringify(r.json));
    headers['content-type'] ??= JSON_TYPE;
  } else {
    body = r.body === undefined ? Buffer.alloc(0) : typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  }
  headers['content-length'] = body.length;
  res.writeHead(r.status, headers);
  if (resetMidBody && body.length > 1) {
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
    return;
  }
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}
