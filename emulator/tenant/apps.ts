import { randomBytes } from 'node:crypto';
import { badRequest } from '../core/odata.js';
import { stableGuid } from '../generator/random.js';
import { thumbprints } from '../tls.js';
import type { AppRecord } from './records.js';
import type { TenantStore } from './store.js';

export interface AppRegistration {
  displayName?: string;
  permissions?: string[];
  certificatePem?: string;
  certificateEndDateTime?: string;
  redirectUris?: string[];
  delegatedScopes?: string[];
  /** false: no client secret (certificate only). */
  secret?: boolean;
}

export function checkAppLists(b: Record<string, unknown>): void {
  for (const k of ['permissions', 'redirectUris', 'delegatedScopes'])
    if (b[k] !== undefined && !(Array.isArray(b[k]) && b[k].every((x) => typeof x === 'string')))
      throw badRequest(`"${k}" must be an array of strings`);
  for (const uri of (b['redirectUris'] as string[] | undefined) ?? []) {
    if (!URL.canParse(uri)) throw badRequest(`"${uri}" is not an absolute URI`);
  }
}

/** Registers an app (journaled), as an administrator would in Entra ID; returns its id and secret. */
export function registerApp(
  store: TenantStore,
  b: AppRegistration,
): { appId: string; clientSecret: string | null } {
  checkAppLists(b as Record<string, unknown>);
  const appId = stableGuid('app', randomBytes(16).toString('hex'));
  const secret =
    b.secret === false
      ? undefined
      : `${randomBytes(3).toString('hex')}~${randomBytes(27).toString('base64url')}`;
  const app: AppRecord = {
    appId,
    displayName: b.displayName ?? 'Test app',
    secrets: secret
      ? [
          {
            keyId: stableGuid('secret', appId),
            displayName: 'test',
            secret,
            endDateTime: '2099-12-31T00:00:00Z',
          },
        ]
      : [],
    certificates: b.certificatePem
      ? [
          {
            keyId: stableGuid('cert', appId),
            displayName: 'test',
            certPem: b.certificatePem,
            ...thumbprints(b.certificatePem),
            endDateTime: b.certificateEndDateTime ?? '2099-12-31T00:00:00Z',
          },
        ]
      : [],
    permissions: b.permissions ?? [],
    delegatedScopes: b.delegatedScopes ?? ['openid', 'profile', 'email', 'offline_access', 'User.Read'],
    redirectUris: b.redirectUris ?? [],
  };
  store.put('directory:apps', appId, app);
  return { appId, clientSecret: secret ?? null };
}
