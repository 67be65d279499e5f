import type { EmuRequest, EmuResponse } from '../core/types.js';
import type { TenantStore } from '../tenant/store.js';
import { resolveTenant } from './clients.js';

/** The OpenID Connect discovery document of `/{tenant}/v2.0/.well-known/openid-configuration`. */
export function openidConfiguration(req: EmuRequest, store: TenantStore, graphOrigin: string): EmuResponse {
  const tenant = req.params['tenant'] as string;
  const tid = ['common', 'organizations'].includes(tenant.toLowerCase())
    ? '{tenantid}'
    : resolveTenant(store, tenant);
  const base = `${req.origin}/${tenant}`;
  return {
    status: 200,
    json: {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${req.origin}/${tid}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${graphOrigin}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'acr',
        'nonce',
        'preferred_username',
        'name',
        'tid',
        'ver',
        'at_hash',
        'c_hash',
        'email',
      ],
      code_challenge_methods_supported: ['plain', 'S256'],
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: new URL(graphOrigin).host,
    },
  };
}

/** MSAL's instance discovery, answered for the emulator's own host. */
export function instanceDiscovery(req: EmuRequest, store: TenantStore): EmuResponse {
  const host = new URL(req.origin).host;
  return {
    status: 200,
    json: {
      tenant_discovery_endpoint: `${req.origin}/${store.identity.tenantId}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    },
  };
}
