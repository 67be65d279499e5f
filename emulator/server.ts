import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScaledClock } from './core/clock.js';
import { DownloadRegistry } from './core/downloads.js';
import { FaultInjector } from './core/faults.js';
import { Metrics } from './core/metrics.js';
import { dispatch, type Dispatched, type PipelineDeps } from './core/pipeline.js';
import { Router } from './core/router.js';
import { ThrottleModel, type ThrottleMode } from './core/throttle.js';
import { TokenValidator } from './core/auth.js';
import { batchRoute } from './core/batch.js';
import { contentLength, discardBody, failed, readBody, tooLarge, write } from './core/http-io.js';
import type { EmuRequest } from './core/types.js';
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
  /** Largest request body accepted (default 64 MiB, above Graph's 60 MiB upload fragments). */
  maxRequestBytes?: number;
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
      knownMailbox: mailboxResolver(store),
    };
    const maxBody = opts.maxRequestBytes ?? MAX_BODY;
    router.addGraph([batchRoute(() => deps)]);
    for (const s of services) router.addGraph(s.routes(ctx));
    router.addPlain(new IdentityService(store, key, () => [origin]).routes());
    router.addPlain([downloads.route()]);
    for (const s of services) router.addPlain(s.plainRoutes?.(ctx) ?? []);
    router.addPlain(adminModule({ ctx, metrics, faults, services, info: () => emulator.info }));

    const server = createServer(
      { cert: tls.certPem, key: tls.keyPem, keepAliveTimeout: 30_000 },
      (req, res) => {
        // handle() catches everything itself; this is the last line of defence for the process.
        handle(deps, req, res, maxBody).catch((e: unknown) => {
          console.error('emulator: request handling failed', e);
          res.destroy();
        });
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

/**
 * Exchange throttling keys that name a mailbox of the tenant: a user (id or UPN), a group (id or
 * address), or a primary or archive mailbox id. Resolved keys are remembered (bounded by the
 * tenant); anything else shares the pipeline's `<unknown>` budget.
 */
function mailboxResolver(store: TenantStore): (mailbox: string) => boolean {
  const known = new Set<string>();
  return (mailbox) => {
    const key = mailbox.toLowerCase();
    if (known.has(key)) return true;
    const found =
      !!store.findUser(mailbox) ||
      !!store.groups.get(mailbox) ||
      !!store.groups.get(key) ||
      store.groups.values().some((g) => g.mail?.toLowerCase() === key) ||
      store.users
        .values()
        .some((u) => u.archiveMailboxId?.toLowerCase() === key || u.primaryMailboxId?.toLowerCase() === key);
    if (found) known.add(key);
    return found;
  };
}

/**
 * Whether the request gets as far as its handler: a route matches and, if it needs a token, the
 * token is valid and carries a permission of the route. Anything else is answered (by dispatch,
 * as usual) without reading the body, so an unauthenticated client cannot make the emulator
 * buffer a large upload.
 */
async function needsBody(deps: PipelineDeps, req: EmuRequest): Promise<boolean> {
  const match = deps.router.match(req.method, req.rawPath);
  if (!('def' in match)) return false;
  const perms = match.def.permissions;
  if (perms === null) return true;
  try {
    const caller = await deps.tokens.authenticate(req);
    return perms.length === 0 || perms.some((p) => caller.permissions.has(p));
  } catch {
    return false;
  }
}

async function handle(
  deps: PipelineDeps,
  req: IncomingMessage,
  res: ServerResponse,
  maxBody: number,
): Promise<void> {
  res.on('error', () => undefined);
  req.on('error', () => undefined);
  let out: Dispatched | undefined;
  try {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const emuReq: EmuRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      rawPath: q < 0 ? url : url.slice(0, q),
      query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
      headers,
      body: Buffer.alloc(0),
      params: {},
      apiVersion: '',
      origin: `https://${headers['host'] ?? 'localhost'}`,
      inBatch: false,
    };
    // A declared length over the limit is refused before a byte of the body is read.
    if ((contentLength(req) ?? 0) > maxBody) return tooLarge(req, res);
    const readsBody = await needsBody(deps, emuReq);
    if (readsBody) {
      const body = await readBody(req, maxBody);
      if (body === 'too-large') return tooLarge(req, res);
      emuReq.body = body;
    }
    const dispatched = await dispatch(deps, emuReq);
    out = dispatched;
    if (!readsBody) discardBody(req);
    // 'close' fires on a later tick, so listening after write() misses nothing.
    const written = write(res, emuReq, out.response, out.resetMidBody);
    res.once('close', () => dispatched.finish(written));
  } catch (e) {
    console.error('emulator: request failed', req.method, req.url, e);
    out?.finish();
    failed(res);
  }
}
