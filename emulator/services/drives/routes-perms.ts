import { contextUrl, GraphHttpError, jsonBody, noContent, ok } from '../../core/odata.js';
import type { ServiceContext } from '../../core/service.js';
import type { EmuRequest, EmuResponse, RouteDef } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import { itemRoutes, type Target } from './address.js';
import { permissionJson, permissionsJson } from './json.js';
import {
  invalidRequest,
  isoNow,
  itemNotFound,
  READ_PERMS,
  WRITE_PERMS,
  type DriveInfo,
  type IdentityRef,
  type ItemRecord,
  type PermissionRecord,
} from './model.js';
import { actorOf } from './mutate.js';
import { putItem } from './tree.js';
import { isoExact } from '../shared/time.js';

/** Sharing: list permissions, invite people, create sharing links, remove permissions (5 RU each). */

const ROLES = ['read', 'write'];

/** A recipient of an invite: a tenant user (by object id or address) or an external address. */
function recipient(store: TenantStore, r: unknown): { user: IdentityRef; external: boolean } {
  const rec = (r ?? {}) as Record<string, unknown>;
  const objectId = typeof rec['objectId'] === 'string' ? rec['objectId'] : undefined;
  const email =
    typeof rec['email'] === 'string'
      ? rec['email']
      : typeof rec['alias'] === 'string'
        ? rec['alias']
        : undefined;
  if (objectId) {
    const u = store.users.get(objectId);
    if (!u)
      throw invalidRequest(`The recipient '${objectId}' could not be resolved.`, 'invalidParameterFormat');
    return {
      user: { id: u.id, displayName: u.displayName, ...(u.mail ? { email: u.mail } : {}) },
      external: false,
    };
  }
  if (!email || !/^[^@\s]+@[^@\s]+$/.test(email))
    throw invalidRequest('Each recipient needs an email or objectId.', 'invalidParameterFormat');
  const lower = email.toLowerCase();
  const u = store.users
    .values()
    .find((x) => x.mail?.toLowerCase() === lower || x.userPrincipalName.toLowerCase() === lower);
  if (u)
    return {
      user: { id: u.id, displayName: u.displayName, ...(u.mail ? { email: u.mail } : {}) },
      external: false,
    };
  return { user: { id: '', displayName: email, email }, external: true };
}

function roles(raw: unknown): string[] {
  if (
    !Array.isArray(raw) ||
    raw.length === 0 ||
    !raw.every((r) => typeof r === 'string' && ROLES.includes(r))
  ) {
    throw invalidRequest("roles must contain 'read' or 'write'.", 'invalidParameterFormat');
  }
  return [...new Set(raw as string[])];
}

function expiration(raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string' || Number.isNaN(Date.parse(raw)))
    throw invalidRequest('Invalid expirationDateTime.', 'invalidParameterFormat');
  return isoExact(Date.parse(raw));
}

function savePermissions(
  store: TenantStore,
  drive: DriveInfo,
  item: ItemRecord,
  permissions: PermissionRecord[],
): void {
  // Sharing changes the item (its `shared` facet) but not its lastModifiedDateTime.
  putItem(store, drive.id, { ...item, permissions, rev: item.rev + 1 });
}

export function linkUrl(drive: DriveInfo, item: ItemRecord, kind: string, token: string): string {
  const host = new URL(drive.site.webUrl).host;
  return `https://${host}/:${item.file ? 'w' : 'f'}:/${kind}/${token}`;
}

/** Adds invites (also used by activity); returns the permissions created or updated. */
export function invite(
  ctx: ServiceContext,
  drive: DriveInfo,
  item: ItemRecord,
  body: Record<string, unknown>,
  by: IdentityRef,
): PermissionRecord[] {
  const { store } = ctx;
  const list = body['recipients'];
  if (!Array.isArray(list) || list.length === 0)
    throw invalidRequest('At least one recipient is required.', 'invalidParameterFormat');
  if (body['password'] !== undefined)
    throw new GraphHttpError(
      400,
      'notSupported',
      'Passwords on invitations are only supported for OneDrive personal.',
    );
  const granted = roles(body['roles']);
  const expires = expiration(body['expirationDateTime']);
  const requireSignIn = body['requireSignIn'] !== false;
  const perms = [...(item.permissions ?? [])];
  const out: PermissionRecord[] = [];
  for (const r of list) {
    const { user, external } = recipient(store, r);
    const existing = perms.findIndex(
      (p) => !p.link && p.user && (user.id ? p.user.id === user.id : p.user.email === user.email),
    );
    const id = external
      ? ctx.random.guid()
      : Buffer.from(`i:0#.f|membership|${user.email ?? user.id}`).toString('base64');
    const p: PermissionRecord = {
      id: existing >= 0 ? (perms[existing] as PermissionRecord).id : id,
      roles: granted,
      created: isoNow(),
      user,
      sharedBy: by,
      ...(external ? { invitation: { email: user.email as string, signInRequired: requireSignIn } } : {}),
      ...(expires ? { expirationDateTime: expires } : {}),
    };
    if (existing >= 0) perms[existing] = p;
    else perms.push(p);
    out.push(p);
  }
  savePermissions(store, drive, item, perms);
  return out;
}

/** Creates (201) or returns the existing (200) sharing link of a type and scope. */
export function createLink(
  ctx: ServiceContext,
  drive: DriveInfo,
  item: ItemRecord,
  body: Record<string, unknown>,
  by: IdentityRef,
): { permission: PermissionRecord; created: boolean } {
  const { store } = ctx;
  const type = body['type'];
  if (type === 'embed')
    throw new GraphHttpError(400, 'notSupported', 'Embed links are only supported for OneDrive personal.');
  if (type !== 'view' && type !== 'edit')
    throw invalidRequest("type must be 'view', 'edit' or 'embed'.", 'invalidParameterFormat');
  const scope = body['scope'] ?? 'organization';
  if (scope !== 'anonymous' && scope !== 'organization' && scope !== 'users')
    throw invalidRequest("scope must be 'anonymous', 'organization' or 'users'.", 'invalidParameterFormat');
  if (body['retainInheritedPermissions'] !== undefined)
    throw new GraphHttpError(
      400,
      'notSupported',
      'retainInheritedPermissions is not supported by the emulator.',
    );
  const expires = expiration(body['expirationDateTime']);
  const password = typeof body['password'] === 'string' && body['password'].length > 0;
  if ((expires || password) && scope !== 'anonymous')
    throw invalidRequest('Passwords and expiration apply to anonymous links only.', 'invalidParameterFormat');
  const grantees =
    scope === 'users' && Array.isArray(body['recipients'])
      ? (body['recipients'] as unknown[]).map((r) => recipient(store, r).user)
      : undefined;
  const perms = [...(item.permissions ?? [])];
  const same = perms.find(
    (p) =>
      p.link?.type === type &&
      p.link.scope === scope &&
      !p.hasPassword &&
      !p.expirationDateTime &&
      !expires &&
      !password &&
      !grantees,
  );
  if (same) return { permission: same, created: false };
  const id = ctx.random.guid();
  const p: PermissionRecord = {
    id,
    roles: [type === 'edit' ? 'write' : 'read'],
    created: isoNow(),
    link: {
      type,
      scope,
      webUrl: linkUrl(
        drive,
        item,
        scope === 'anonymous' ? 's' : 'g',
        ctx.random.bytes(16).toString('base64url'),
      ),
    },
    shareId: `u!${Buffer.from(id).toString('base64url')}`,
    sharedBy: by,
    ...(password ? { hasPassword: true } : {}),
    ...(expires ? { expirationDateTime: expires } : {}),
    ...(grantees ? { grantees } : {}),
  };
  savePermissions(store, drive, item, [...perms, p]);
  return { permission: p, created: true };
}

export function permissionRoutes(ctx: ServiceContext): RouteDef[] {
  const { store } = ctx;
  const list = (req: EmuRequest, t: Target): EmuResponse => {
    const item = t.item();
    return ok({
      '@odata.context': contextUrl(req, `drives('${t.drive.id}')/items('${item.id}')/permissions`),
      value: permissionsJson(store, t.drive, item),
    });
  };
  const getOne = (req: EmuRequest, t: Target): EmuResponse => {
    const p = permissionsJson(store, t.drive, t.item()).find((x) => x['id'] === req.params['perm']);
    if (!p) throw itemNotFound();
    return ok({ '@odata.context': contextUrl(req, 'permission/$entity'), ...p });
  };
  const remove = (req: EmuRequest, t: Target): EmuResponse => {
    const item = t.item();
    const own = item.permissions ?? [];
    const id = req.params['perm'];
    if (!own.some((p) => p.id === id)) {
      if (permissionsJson(store, t.drive, item).some((p) => p['id'] === id))
        throw invalidRequest('Only sharing permissions that are not inherited can be deleted.');
      throw itemNotFound();
    }
    savePermissions(
      store,
      t.drive,
      item,
      own.filter((p) => p.id !== id),
    );
    return noContent();
  };
  return [
    ...itemRoutes(store, {
      method: 'GET',
      suffix: '/permissions',
      permissions: READ_PERMS,
      cost: 5,
      handler: list,
    }),
    ...itemRoutes(store, {
      method: 'GET',
      suffix: '/permissions/{perm}',
      permissions: READ_PERMS,
      cost: 5,
      handler: getOne,
    }),
    ...itemRoutes(store, {
      method: 'DELETE',
      suffix: '/permissions/{perm}',
      permissions: WRITE_PERMS,
      cost: 5,
      handler: remove,
    }),
    ...itemRoutes(store, {
      method: 'POST',
      suffix: '/invite',
      permissions: WRITE_PERMS,
      cost: 5,
      handler: (req, t) =>
        ok({
          '@odata.context': contextUrl(req, 'Collection(permission)'),
          value: invite(ctx, t.drive, t.item(), jsonBody(req), actorOf(store, req)).map((p) =>
            permissionJson(p),
          ),
        }),
    }),
    ...itemRoutes(store, {
      method: 'POST',
      suffix: '/createLink',
      permissions: WRITE_PERMS,
      cost: 5,
      handler: (req, t) => {
        const { permission, created } = createLink(
          ctx,
          t.drive,
          t.item(),
          jsonBody(req),
          actorOf(store, req),
        );
        return ok(
          { '@odata.context': contextUrl(req, 'permission/$entity'), ...permissionJson(permission) },
          created ? 201 : 200,
        );
      },
    }),
  ];
}
