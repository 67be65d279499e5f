import type { AppRecord } from '../tenant/records.js';
import { AadError } from './aad-errors.js';

/** OpenID Connect scopes: always allowed, never in an access token's `scp`. */
const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

export const isOidc = (s: string) => OIDC_SCOPES.includes(s.toLowerCase());
/** `https://graph.microsoft.com/Mail.Read` → `Mail.Read` (any resource prefix). */
const bareScope = (s: string) => s.replace(/^(https?:\/\/[^/]+|[0-9a-f-]{36})\//i, '');

/**
 * The Graph scopes a user token carries: those requested (`.default`: all the app's), each of
 * which must be among the app's consented delegated scopes (`AppRecord.delegatedScopes`);
 * OIDC scopes are always allowed. A request for any other is refused with AADSTS65001, as Entra
 * ID refuses scopes nobody consented to (reference-error-codes: 65001 DelegationDoesNotExist,
 * invalid_grant; v2-oauth2-auth-code-flow: consent_required "returned when a scope parameter was
 * used on the code redemption flow that the client app doesn't have permission to request").
 * Nothing requested: the app's consented Graph scopes.
 */
export function grantedScopes(app: AppRecord, scope: string): string[] {
  const consented = app.delegatedScopes.filter((s) => !isOidc(s));
  const byName = new Map(consented.map((s) => [s.toLowerCase(), s]));
  const requested = scope
    .split(/\s+/)
    .filter((s) => s && !isOidc(s))
    .map(bareScope);
  if (requested.some((s) => s.toLowerCase() === '.default')) return consented;
  const missing = requested.filter((s) => !byName.has(s.toLowerCase()));
  if (missing.length) throw new AadError('consentRequired', { app: app.appId, name: app.displayName });
  const granted = [...new Set(requested.map((s) => byName.get(s.toLowerCase()) as string))];
  return granted.length ? granted : consented;
}
