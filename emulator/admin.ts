import type { FaultInjector, FaultKind, ScriptedFault } from './core/faults.js';
import type { Metrics } from './core/metrics.js';
import { badRequest, jsonBody, notFound, ok } from './core/odata.js';
import type { ActivityOp, ServiceContext, ServiceModule } from './core/service.js';
import type { RouteDef, EmuRequest } from './core/types.js';
import type { AppRecord } from './tenant/records.js';
import type { EmulatorInfo } from './server.js';
import { directoryActivity } from './tenant/activity.js';
import { checkAppLists, registerApp } from './tenant/apps.js';

interface AdminDeps {
  ctx: ServiceContext;
  metrics: Metrics;
  faults: FaultInjector;
  services: ServiceModule[];
  info: () => EmulatorInfo;
}

const FAULT_KINDS: readonly FaultKind[] = [
  'status',
  'reset',
  'slow',
  'truncate',
  'html',
  'error-in-200',
  'loop-next-link',
  'expire-delta',
];

/** A scripted fault as `POST /_emulator/faults` accepts it; anything else is 400, not 500. */
function checkFault(f: unknown): asserts f is ScriptedFault {
  if (!f || typeof f !== 'object' || Array.isArray(f)) throw badRequest('a fault must be a JSON object');
  const { path, kind, method, count, status, retryAfterSeconds, delayMs } = f as Record<string, unknown>;
  if (typeof path !== 'string' || !path || typeof kind !== 'string')
    throw badRequest('a fault needs "path" (a regular expression) and "kind"');
  if (!FAULT_KINDS.includes(kind as FaultKind))
    throw badRequest(`unknown fault kind '${kind}'; known: ${FAULT_KINDS.join(', ')}`);
  if (method !== undefined && typeof method !== 'string') throw badRequest('"method" must be a string');
  if (count !== undefined && !(typeof count === 'number' && Number.isInteger(count) && count > 0))
    throw badRequest('"count" must be a positive integer');
  if (
    status !== undefined &&
    !(Number.isInteger(status) && (status as number) >= 200 && (status as number) <= 599)
  )
    throw badRequest('"status" must be an HTTP status from 200 to 599');
  for (const [name, v] of [
    ['retryAfterSeconds', retryAfterSeconds],
    ['delayMs', delayMs],
  ] as const)
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0))
      throw badRequest(`"${name}" must be a non-negative number`);
  try {
    new RegExp(path);
  } catch (e) {
    throw badRequest(`"path" is not a valid regular expression: ${(e as Error).message}`);
  }
}

/** An app's lists are arrays of strings, and redirect URIs absolute URLs (sign-in builds on them). */

/**
 * `/_emulator/*`: the test harness's side door — metrics, scripted faults, app registrations,
 * sign-in credentials, inventory of generated data, and tenant activity between backups. It is
 * not part of Graph; the emulator listens on loopback only by default.
 */
export function adminModule(d: AdminDeps): RouteDef[] {
  const { store } = d.ctx;
  const ops: Record<string, ActivityOp> = { ...directoryActivity(d.ctx) };
  for (const s of d.services) Object.assign(ops, s.activity?.(d.ctx) ?? {});
  const r = (method: string, path: string, handler: RouteDef['handler']): RouteDef => ({
    method,
    path: `/_emulator${path}`,
    permissions: null,
    handler,
  });
  const body = (req: EmuRequest) => (req.body.length ? jsonBody<Record<string, unknown>>(req) : {});

  return [
    r('GET', '', () =>
      ok({
        ...d.info(),
        tenant: store.identity,
        seed: store.seed,
        profile: store.profile.name,
        activity: Object.keys(ops).sort(),
      }),
    ),
    r('GET', '/metrics', () => ok(d.metrics.snapshot())),
    r('POST', '/metrics/reset', () => {
      d.metrics.reset();
      return ok({ reset: true });
    }),
    r('POST', '/faults', (req) => {
      const raw = jsonBody<ScriptedFault | ScriptedFault[]>(req);
      const list = Array.isArray(raw) ? raw : [raw];
      // Every fault is checked before any is armed, so a bad entry leaves nothing half-scripted.
      for (const f of list) checkFault(f);
      for (const f of list) d.faults.script(f);
      return ok({ scripted: list.length });
    }),
    r('DELETE', '/faults', () => {
      d.faults.clear();
      return ok({ cleared: true });
    }),
    r('POST', '/downloads/expire', () => {
      d.ctx.downloads.expireAll();
      return ok({ expired: true });
    }),
    r('GET', '/users', () =>
      ok({
        value: store.users.values().map((u) => ({
          id: u.id,
          userPrincipalName: u.userPrincipalName,
          displayName: u.displayName,
          password: u.password,
          accountEnabled: u.accountEnabled,
          userType: u.userType,
          mailbox: u.mailbox,
          archive: u.archiveMailboxId !== null,
          licensed: u.licenses.length > 0,
          hasDrive: u.hasDrive,
        })),
      }),
    ),
    r('POST', '/apps', (req) => {
      const registered = registerApp(store, body(req));
      return ok({ ...registered, tenantId: store.identity.tenantId }, 201);
    }),
    r('PATCH', '/apps/{appId}', (req) => {
      const app = store.apps.get(req.params['appId'] as string);
      if (!app) throw notFound('No such app registration.');
      const b = body(req) as Partial<Pick<AppRecord, 'permissions' | 'redirectUris' | 'delegatedScopes'>>;
      checkAppLists(b);
      // Only these three may change (anything else in the body is ignored, not stored).
      const updated: AppRecord = {
        ...app,
        ...(b.permissions ? { permissions: b.permissions } : {}),
        ...(b.redirectUris ? { redirectUris: b.redirectUris } : {}),
        ...(b.delegatedScopes ? { delegatedScopes: b.delegatedScopes } : {}),
      };
      store.put('directory:apps', app.appId, updated);
      return ok({ appId: app.appId, permissions: updated.permissions, redirectUris: updated.redirectUris });
    }),
    r('GET', '/inventory', () => {
      const out: Record<string, Record<string, number>> = {};
      for (const s of d.services) if (s.inventory) out[s.name] = s.inventory(d.ctx);
      return ok(out);
    }),
    r('POST', '/activity', async (req) => {
      const b = body(req) as { op?: string; args?: Record<string, unknown> };
      const op = ops[b.op ?? ''];
      if (!op)
        throw badRequest(`unknown activity op '${b.op}'; known: ${Object.keys(ops).sort().join(', ')}`);
      return ok({ op: b.op, result: await op(b.args ?? {}) });
    }),
    r('POST', '/delta/expire', (req) => {
      const b = body(req) as { prefix?: string };
      const prefix = b.prefix ?? '';
      let n = 0;
      for (const key of store.materializedKeys()) {
        if (key.startsWith(prefix)) {
          store.expireDeltaTokens(key);
          n++;
        }
      }
      return ok({ expired: n });
    }),
  ];
}
