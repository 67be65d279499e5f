import { randomUUID } from 'node:crypto';
import { sharePointToken } from '../../core/auth.js';
import type { Caller, EmuRequest, EmuResponse } from '../../core/types.js';
import type { SiteRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { siteRoster } from './generate.js';
import { SharePointError } from './sp-format.js';

/**
 * Who may call SharePoint REST. Tokens must be for one of the tenant's SharePoint resources;
 * app-only tokens only from a certificate sign-in (SharePoint Online answers an Entra app-only
 * token obtained with a client secret with 401 "Unsupported app only token."); apps need a Sites
 * role, users a SharePoint scope and a place in the site.
 */

/** A token SharePoint does not accept: 401 with `{"error_description": …}` and its diagnostics. */
export class SharePointAuthError extends Error {
  constructor(
    readonly description: string,
    /** `x-ms-diagnostics`: code;reason="…";category="invalid_client". */
    readonly diagnostics: string,
  ) {
    super(description);
  }
}

/** SharePoint's first-party app id, named in its Bearer challenge. */
const SHAREPOINT_APP_ID = '00000003-0000-0ff1-ce00-000000000000';
const TRUSTED_ISSUERS = [
  '00000001-0000-0000-c000-000000000000@*',
  'D3776938-3DBA-481F-A652-4BEDFCAB7CD8@*',
  'https://sts.windows.net/*/',
  'https://login.microsoftonline.com/*/v2.0',
  `${SHAREPOINT_APP_ID}@90140122-8516-11e1-8eff-49304924019b`,
].join(',');

export function authErrorResponse(store: TenantStore, e: SharePointAuthError): EmuResponse {
  return {
    status: 401,
    headers: {
      'content-type': 'application/json;charset=utf-8',
      'www-authenticate': `Bearer realm="${store.identity.tenantId}",client_id="${SHAREPOINT_APP_ID}",trusted_issuers="${TRUSTED_ISSUERS}",authorization_uri="https://login.windows.net/common/oauth2/authorize"`,
      'x-ms-diagnostics': e.diagnostics,
      sprequestguid: randomUUID(),
    },
    json: { error_description: e.description },
  };
}

export const accessDenied = () =>
  new SharePointError(403, '-2147024891, System.UnauthorizedAccessException', 'Access denied.');

const invalidToken = (description: string) =>
  new SharePointAuthError(description, `3000006;reason="${description}";category="invalid_client"`);

/** The caller of a SharePoint REST request, or the 401/403 SharePoint answers. */
export function sharePointCaller(store: TenantStore, req: EmuRequest): Caller {
  // No Authorization header at all is an anonymous request: SharePoint denies it rather than
  // challenging (a challenge, with the tenant as realm, needs at least `Authorization: Bearer`).
  if (req.headers['authorization'] === undefined) throw accessDenied();
  const caller = req.caller;
  const token = sharePointToken(caller);
  if (!caller || !token) throw invalidToken('Invalid issuer or signature.');
  if (token.invalid === 'expired') throw invalidToken('Invalid JWT token. The token is expired.');
  if (token.invalid) throw invalidToken('Invalid issuer or signature.');
  const name = store.identity.name.toLowerCase();
  const audiences = [`https://${name}.sharepoint.com`, `https://${name}-my.sharepoint.com`];
  if (!audiences.includes(token.audience.toLowerCase().replace(/\/$/, ''))) {
    throw new SharePointAuthError(
      "Exception of type 'Microsoft.IdentityModel.Tokens.AudienceUriValidationFailedException' was thrown.",
      `3000003;reason="Invalid audience Uri '${token.audience}'.";category="invalid_client"`,
    );
  }
  if (caller.kind === 'app' && token.appidacr !== '2') {
    throw new SharePointAuthError(
      'Unsupported app only token.',
      '3001000;reason="There has been an error authenticating the request.";category="invalid_client"',
    );
  }
  return caller;
}

const APP_READ = ['Sites.Read.All', 'Sites.ReadWrite.All', 'Sites.Manage.All', 'Sites.FullControl.All'];
const APP_WRITE = ['Sites.ReadWrite.All', 'Sites.Manage.All', 'Sites.FullControl.All'];
const USER_READ = ['AllSites.Read', 'AllSites.Write', 'AllSites.Manage', 'AllSites.FullControl'];
const USER_WRITE = ['AllSites.Write', 'AllSites.Manage', 'AllSites.FullControl'];

/**
 * Read or write access to a site: an app needs a Sites role; a user a SharePoint scope (or, on
 * their own OneDrive, MyFiles.*) and membership of the site (the group's people for team sites,
 * every account for the root and communication sites, the owner for a personal site).
 */
export function requireAccess(store: TenantStore, caller: Caller, site: SiteRecord, write: boolean): void {
  const has = (names: string[]) => names.some((n) => caller.permissions.has(n));
  if (caller.kind === 'app') {
    if (!has(write ? APP_WRITE : APP_READ)) throw accessDenied();
    return;
  }
  const own = site.kind === 'personal' && site.ownerUserId === caller.userId;
  const scoped =
    has(write ? USER_WRITE : USER_READ) ||
    (own && has(write ? ['MyFiles.Write'] : ['MyFiles.Read', 'MyFiles.Write']));
  if (!scoped || !caller.userId || !siteRoster(store, site).includes(caller.userId)) throw accessDenied();
}

/** Who changed an item, as list items record it. */
export const changedBy = (caller: Caller): string | null =>
  caller.kind === 'user' ? (caller.userId ?? null) : `app:${caller.appId}`;
