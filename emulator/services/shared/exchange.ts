import { createHash } from 'node:crypto';
import { GraphHttpError, badRequest, jsonBody } from '../../core/odata.js';
import type { EmuRequest, RouteDef, ThrottleScope } from '../../core/types.js';
import type { GroupRecord, UserRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';

/**
 * Helpers shared by the Outlook (Exchange-backed) areas of the emulator (mail, contacts,
 * calendar): mailbox resolution with the delegated-access check, the errors Exchange answers
 * with, the throttling scope, ids and change keys in Outlook's style, and the `/me` aliases.
 */

export const mailboxNotEnabled = () =>
  new GraphHttpError(
    404,
    'MailboxNotEnabledForRESTAPI',
    'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
  );
/** Exchange's answer for a `/users/{id}` that names no recipient. */
export const invalidUser = (id: string) =>
  new GraphHttpError(404, 'ErrorInvalidUser', `The requested user '${id}' is invalid.`);
export const itemNotFound = () =>
  new GraphHttpError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
export const accessDenied = () =>
  new GraphHttpError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');

/**
 * A user mailbox from `/users/{id|upn}`. Delegated callers may only open their own mailbox
 * (sharing and delegate access are not modelled).
 */
export function requireMailbox(store: TenantStore, req: EmuRequest, idOrUpn: string): UserRecord {
  const u = store.findUser(idOrUpn);
  if (!u) throw invalidUser(idOrUpn);
  if (!u.mailbox) throw mailboxNotEnabled();
  if (req.caller?.kind === 'user' && req.caller.userId !== u.id) throw accessDenied();
  return u;
}

/**
 * A group mailbox for this caller: delegated callers reach only groups they are a member or owner
 * of (app-only callers with the permission reach every group).
 */
export function requireGroupAccess(req: EmuRequest, g: GroupRecord): GroupRecord {
  const uid = req.caller?.kind === 'user' ? req.caller.userId : undefined;
  if (req.caller?.kind === 'user' && !(uid && (g.memberIds.includes(uid) || g.ownerIds.includes(uid))))
    throw accessDenied();
  return g;
}

/** A Microsoft 365 group by id or SMTP address (group mailboxes are addressable as `/users/{id}`). */
export function findUnifiedGroup(store: TenantStore, idOrMail: string): GroupRecord | undefined {
  const g = store.groups.get(idOrMail);
  if (g) return g.groupTypes.includes('Unified') ? g : undefined;
  const lower = idOrMail.toLowerCase();
  return store.groups
    .values()
    .find((x) => x.groupTypes.includes('Unified') && x.mail?.toLowerCase() === lower);
}

/**
 * The Exchange throttling budget of a request: keyed by the mailbox's object id when it resolves
 * (a user by id or UPN, a group by id or SMTP address), so every spelling shares one budget.
 */
export function exchangeScope(store: TenantStore, param = 'user'): (req: EmuRequest) => ThrottleScope {
  return (req) => {
    const raw = param === 'me' ? (req.caller?.userId ?? 'me') : (req.params[param] ?? '');
    const id = store.findUser(raw)?.id ?? findUnifiedGroup(store, raw)?.id ?? raw.toLowerCase();
    return { kind: 'exchange', mailbox: id };
  };
}

/**
 * Adds a `/me/...` twin for every `/users/{user}/...` route. `/me` is the signed-in user; app-only
 * tokens get Graph's 400 for it.
 */
export function withMeAliases(routes: RouteDef[], store: TenantStore): RouteDef[] {
  const out = [...routes];
  for (const r of routes) {
    if (!r.path.startsWith('/users/{user}')) continue;
    out.push({
      ...r,
      path: `/me${r.path.slice('/users/{user}'.length)}`,
      scope: exchangeScope(store, 'me'),
      handler: (req) => {
        if (req.caller?.kind !== 'user' || !req.caller.userId) {
          throw badRequest('/me request is only valid with delegated authentication flow.');
        }
        req.params['user'] = req.caller.userId;
        return r.handler(req);
      },
    });
  }
  return out;
}

function b64(data: Buffer): string {
  return data.toString('base64').replace(/\//g, '-').replace(/\+/g, '_');
}

/** An Outlook-looking item id (`AAMkA…`), stable for the same parts. */
export function outlookId(...parts: (string | number)[]): string {
  const h1 = createHash('sha256').update(parts.join('\u0000')).digest();
  const h2 = createHash('sha256').update(h1).digest();
  return `AAMkA${b64(Buffer.concat([h1, h2.subarray(0, 19)]))}`;
}

/** A new change key: changes on every write, as Exchange's does. */
export function changeKeyFor(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest().subarray(0, 21).toString('base64');
}

export const etagOf = (changeKey: string) => `W/"${changeKey}"`;

/** Graph's OData error for a body property the type does not define. */
export function unknownProperty(name: string, type: string): GraphHttpError {
  return new GraphHttpError(
    400,
    'RequestBodyRead',
    `The property '${name}' does not exist on type 'microsoft.graph.${type}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
  );
}

export function invalidValue(name: string, type: string): GraphHttpError {
  return new GraphHttpError(
    400,
    'RequestBodyRead',
    `Cannot convert the literal value of property '${name}' to the expected type '${type}'.`,
  );
}

/** Sorts rows for a simple `$orderby` (`a/b desc, c`), comparing as Exchange does: strings case-insensitively. */
export function orderRows<T>(rows: T[], orderby: string, toRow: (t: T) => Record<string, unknown>): T[] {
  const keys = orderby.split(',').map((part) => {
    const [path = '', dir = 'asc'] = part.trim().split(/\s+/);
    if (!/^[A-Za-z][\w/]*$/.test(path) || !/^(asc|desc)$/i.test(dir))
      throw badRequest(`Invalid $orderby expression '${orderby}'.`);
    return { path: path.split('/'), desc: dir.toLowerCase() === 'desc' };
  });
  const value = (row: Record<string, unknown>, path: string[]) => {
    let cur: unknown = row;
    for (const p of path)
      cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
    return typeof cur === 'string' ? cur.toLowerCase() : cur;
  };
  const decorated = rows.map((r) => ({ r, row: toRow(r) }));
  decorated.sort((a, b) => {
    for (const k of keys) {
      const x = value(a.row, k.path) as string | number | null | undefined;
      const y = value(b.row, k.path) as string | number | null | undefined;
      if (x === y) continue;
      if (x == null) return k.desc ? 1 : -1;
      if (y == null) return k.desc ? -1 : 1;
      return (x < y ? -1 : 1) * (k.desc ? -1 : 1);
    }
    return 0;
  });
  return decorated.map((d) => d.r);
}

/** A string argument from loosely typed JSON (activity args, body fields); anything else is the fallback. */
export function textArg(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fallback;
}

/** A JSON request body that must be an object (a resource or an action's parameters). */
export function objectBody(req: EmuRequest): Record<string, unknown> {
  const b = jsonBody<unknown>(req);
  if (!b || typeof b !== 'object' || Array.isArray(b)) {
    throw new GraphHttpError(400, 'RequestBodyRead', 'The request body must be a JSON object.');
  }
  return b as Record<string, unknown>;
}
