import { GraphHttpError } from '../../core/odata.js';
import type { EmuRequest, Handler, RouteDef, ThrottleScope } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import { requireGroup, requireSite, requireUser } from '../directory-records.js';
import {
  invalidRequest,
  itemNotFound,
  requireDrive,
  wrap,
  type DriveInfo,
  type ItemRecord,
} from './model.js';
import { getItem, resolvePath, rootOf } from './tree.js';

/**
 * How a request names a drive and an item. Graph accepts the same item operations under five
 * drive prefixes and four item forms (`/root`, `/items/{id}`, `/root:/path:`,
 * `/items/{id}:/path:`); routes are generated for every combination.
 */

const siteDrive = (store: TenantStore, siteId: string, what: string): DriveInfo => {
  const site = store.sites.get(siteId);
  const id = site?.driveIds[0];
  if (!id) throw new GraphHttpError(404, 'itemNotFound', `The ${what} has no document library.`);
  return requireDrive(store, id);
};

/** A user's OneDrive; users without one get the answer Graph gives ("User's mysite not found."). */
export function userDrive(store: TenantStore, userIdOrUpn: string): DriveInfo {
  const user = requireUser(store, userIdOrUpn);
  const site = user.hasDrive
    ? store.sites.values().find((s) => s.kind === 'personal' && s.ownerUserId === user.id)
    : undefined;
  if (!site?.driveIds[0]) throw new GraphHttpError(404, 'ResourceNotFound', "User's mysite not found.");
  return requireDrive(store, site.driveIds[0]);
}

export interface DrivePrefix {
  path: string;
  drive(store: TenantStore, req: EmuRequest): DriveInfo;
}

export const PREFIXES: DrivePrefix[] = [
  { path: '/drives/{drive}', drive: (s, req) => requireDrive(s, req.params['drive'] as string) },
  { path: '/users/{user}/drive', drive: (s, req) => userDrive(s, req.params['user'] as string) },
  {
    path: '/sites/{site}/drive',
    drive: (s, req) => siteDrive(s, requireSite(s, req.params['site'] as string).id, 'site'),
  },
  {
    path: '/groups/{group}/drive',
    drive: (s, req) => {
      const g = requireGroup(s, req.params['group'] as string);
      if (!g.siteId) throw new GraphHttpError(404, 'itemNotFound', 'The group has no team site.');
      return siteDrive(s, g.siteId, 'group');
    },
  },
  {
    path: '/me/drive',
    drive: (s, req) => {
      if (!req.caller?.userId)
        throw new GraphHttpError(
          400,
          'BadRequest',
          '/me request is only valid with delegated authentication flow.',
        );
      return userDrive(s, req.caller.userId);
    },
  },
];

export type ItemForm = 'root' | 'item' | 'rootPath' | 'itemPath';
export const FORMS: { form: ItemForm; path: string }[] = [
  { form: 'root', path: '/root' },
  { form: 'item', path: '/items/{item}' },
  { form: 'rootPath', path: '/root:/{path*}:' },
  { form: 'itemPath', path: '/items/{item}:/{path*}:' },
];

/** A drive-relative path split into segments, percent-decoded one segment at a time. */
export function decodeSegments(raw: string): string[] {
  return raw
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw invalidRequest('The path is malformed.', 'invalidPath');
      }
    });
}

/** Path segments of `root:/a/b:` addressing. */
export function pathSegments(req: EmuRequest): string[] {
  return decodeSegments(/\/(?:root|items\/[^/:]+):\/?([^:]*)/.exec(req.rawPath)?.[1] ?? '');
}

export interface Target {
  drive: DriveInfo;
  form: ItemForm;
  /** The addressed item (path forms: the item at the full path). */
  item(): ItemRecord;
  /** Path forms: the parent folder and last name (for creating); item forms: the item itself. */
  parentAndName(): { parent: ItemRecord; name: string } | { existing: ItemRecord };
}

export function target(store: TenantStore, req: EmuRequest, prefix: DrivePrefix, form: ItemForm): Target {
  const drive = prefix.drive(store, req);
  // `items/root` is an alias of the root.
  const byRoot = form === 'root' || form === 'rootPath' || req.params['item']?.toLowerCase() === 'root';
  const base = (): ItemRecord =>
    byRoot ? rootOf(store, drive.id) : getItem(store, drive.id, req.params['item'] as string);
  const isPath = form === 'rootPath' || form === 'itemPath';
  return {
    drive,
    form,
    item: () => (isPath ? resolvePath(store, drive.id, base(), pathSegments(req)) : base()),
    parentAndName: () => {
      if (!isPath) return { existing: base() };
      const segs = pathSegments(req);
      const name = segs.pop();
      if (name === undefined) return { existing: base() };
      const parent = resolvePath(store, drive.id, base(), segs);
      if (parent.kind === 'file') throw itemNotFound();
      return { parent, name };
    },
  };
}

export const spo =
  (cost: number) =>
  (req: EmuRequest): ThrottleScope => ({
    kind: 'sharepoint',
    cost: expands(req).has('permissions') ? 5 : cost,
  });

/** `$expand` values; the ones a route does not support are rejected as Graph rejects unknown ones. */
export function expands(req: EmuRequest, allowed?: readonly string[]): Set<string> {
  const raw = req.query.get('$expand') ?? req.query.get('expand');
  const out = new Set(
    (raw ?? '')
      .split(',')
      .map((s) => s.trim().replace(/\(.*\)$/, ''))
      .filter(Boolean),
  );
  if (allowed)
    for (const e of out)
      if (!allowed.includes(e))
        throw invalidRequest(`Expanding '${e}' is not supported on this resource.`, 'invalidQueryOption');
  return out;
}

export type ItemHandler = (req: EmuRequest, t: Target) => ReturnType<Handler>;

export interface ItemRouteSpec {
  method: string;
  /** After the item form, e.g. '' or '/children'. */
  suffix: string;
  permissions: readonly string[];
  cost: number | ((req: EmuRequest) => number);
  forms?: readonly ItemForm[];
  handler: ItemHandler;
  deltaExpired?: RouteDef['deltaExpired'];
}

/** One route per drive prefix and item form for an item operation. */
export function itemRoutes(store: TenantStore, spec: ItemRouteSpec): RouteDef[] {
  const out: RouteDef[] = [];
  for (const prefix of PREFIXES) {
    for (const { form, path } of FORMS) {
      if (spec.forms && !spec.forms.includes(form)) continue;
      const paths = [`${prefix.path}${path}${spec.suffix}`];
      // `root:/a/b` may omit the closing colon when nothing follows it.
      if (spec.suffix === '' && path.endsWith(':')) paths.push(`${prefix.path}${path.slice(0, -1)}`);
      for (const p of paths) {
        out.push({
          method: spec.method,
          path: p,
          permissions: spec.permissions,
          scope: (req) => {
            const base = typeof spec.cost === 'number' ? spec.cost : spec.cost(req);
            return { kind: 'sharepoint', cost: expands(req).has('permissions') ? 5 : base };
          },
          handler: wrap((req) => spec.handler(req, target(store, req, prefix, form))),
          ...(spec.deltaExpired ? { deltaExpired: spec.deltaExpired } : {}),
        });
      }
    }
  }
  return out;
}
