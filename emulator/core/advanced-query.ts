import { parseFilter } from './filter.js';
import { GraphHttpError } from './odata.js';
import type { EmuRequest, EmuResponse } from './types.js';

/**
 * Graph's advanced query rules for directory objects (users and groups):
 * https://learn.microsoft.com/graph/aad-advanced-queries. Kept apart from the directory service
 * because they are rules of the query engine, not of the data.
 */

/** Properties `userJson` / `groupJson` serve: the ones a directory `$filter` may name here. */
export const USER_PROPERTIES = new Set([
  'id',
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'accountEnabled',
  'userType',
  'createdDateTime',
  'department',
  'usageLocation',
  'assignedLicenses',
  'mailNickname',
  'proxyAddresses',
]);
export const GROUP_PROPERTIES = new Set([
  'id',
  'createdDateTime',
  'description',
  'displayName',
  'groupTypes',
  'mail',
  'mailEnabled',
  'mailNickname',
  'securityEnabled',
  'visibility',
  'resourceProvisioningOptions',
  'proxyAddresses',
]);
/** Operators directory objects support only in advanced queries, with Graph's spelling. */
const ADVANCED_OPERATORS: Record<string, string> = { ne: 'ne', not: 'not', endswith: 'endsWith' };

/** `ConsistencyLevel: eventual`: the header every advanced query on directory objects needs. */
export const eventual = (req: EmuRequest) =>
  (req.headers['consistencylevel'] ?? '').trim().toLowerCase() === 'eventual';

/**
 * `$filter` on users or groups with Graph's advanced-query rules
 * (https://learn.microsoft.com/graph/aad-advanced-queries): `ne`, `not` and `endsWith` need the
 * advanced query parameters, `ConsistencyLevel: eventual` and `$count=true` (a `/$count` segment
 * stands for the latter), else 400 `Request_UnsupportedQuery`; a property the resource does not
 * have is 400 `BadRequest`, as Graph's OData parser answers.
 */
export function directoryFiltered<T>(
  req: EmuRequest,
  rows: T[],
  toRow: (t: T) => Record<string, unknown>,
  type: 'user' | 'group',
  countSegment = false,
): T[] {
  const f = req.query.get('$filter');
  if (!f) return rows;
  const parsed = parseFilter(f);
  const known = type === 'user' ? USER_PROPERTIES : GROUP_PROPERTIES;
  for (const path of parsed.properties) {
    const head = path.split('/')[0] as string;
    if (!known.has(head))
      throw new GraphHttpError(
        400,
        'BadRequest',
        `Could not find a property named '${head}' on type 'microsoft.graph.${type}'.`,
      );
  }
  const advanced = eventual(req) && (countSegment || req.query.get('$count') === 'true');
  const needs = Object.keys(ADVANCED_OPERATORS).find((op) => parsed.operators.has(op));
  if (needs && !advanced)
    throw new GraphHttpError(
      400,
      'Request_UnsupportedQuery',
      `Operator '${ADVANCED_OPERATORS[needs]}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information`,
    );
  return rows.filter((r) => parsed.test(toRow(r)));
}

/**
 * `/users/$count`, `/groups/$count`: only in advanced queries; without `ConsistencyLevel:
 * eventual` Graph answers 400 `Request_BadRequest` "$count is not currently supported.".
 */
export function countOf(req: EmuRequest, n: () => number): EmuResponse {
  if (!eventual(req))
    throw new GraphHttpError(400, 'Request_BadRequest', '$count is not currently supported.');
  return { status: 200, headers: { 'content-type': 'text/plain;charset=utf-8' }, body: String(n()) };
}

/** Directory lists count (`@odata.count`) only in advanced queries and ignore `$count` otherwise. */
export const directoryPage = (req: EmuRequest) => ({
  defaultTop: 100,
  maxTop: 999,
  count: eventual(req) && req.query.get('$count') === 'true',
});
