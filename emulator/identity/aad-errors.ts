import { randomUUID } from 'node:crypto';
import type { EmuResponse } from '../core/types.js';

/** Entra ID (AADSTS) failures of the token and authorize endpoints, with their OAuth error codes. */
export const AADSTS = {
  invalidSecret: {
    code: 7000215,
    error: 'invalid_client',
    status: 401,
    text: "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{app}'.",
  },
  tenantNotFound: {
    code: 90002,
    error: 'invalid_request',
    status: 400,
    text: "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
  },
  appNotFound: {
    code: 700016,
    error: 'unauthorized_client',
    status: 400,
    text: "Application with identifier '{app}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
  },
  assertionExpired: {
    code: 700024,
    error: 'invalid_client',
    status: 401,
    text: 'Client assertion is not within its valid time range. Current time: {now}, assertion valid from {nbf}, expiry time of assertion {exp}.',
  },
  assertionBadSignature: {
    code: 700027,
    error: 'invalid_client',
    status: 401,
    text: "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '{thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{app}'.]",
  },
  assertionInvalid: {
    code: 50027,
    error: 'invalid_request',
    status: 400,
    text: 'JWT token is invalid or malformed.',
  },
  assertionAudience: {
    code: 700212,
    error: 'invalid_client',
    status: 401,
    text: "No matching federated identity record found for presented assertion audience '{aud}'.",
  },
  invalidBasicAuth: {
    // The code Entra ID gives a malformed Basic header is not documented; 70002 InvalidClient
    // ("Error validating the credentials") from the reference table is the closest.
    code: 70002,
    error: 'invalid_client',
    status: 401,
    text: 'Error validating credentials. The client credentials in the Authorization header are malformed.',
  },
  consentRequired: {
    // Reference table: 65001 DelegationDoesNotExist, OAuth error invalid_grant (suberror
    // consent_required), "The user or administrator has not consented to use the application…".
    code: 65001,
    error: 'invalid_grant',
    status: 400,
    text: "The user or administrator has not consented to use the application with ID '{app}' named '{name}'. Send an interactive authorization request for this user and resource.",
  },
  noCredential: {
    code: 7000218,
    error: 'invalid_client',
    status: 401,
    text: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  },
  unsupportedGrant: {
    code: 70003,
    error: 'unsupported_grant_type',
    status: 400,
    text: 'The app requested an unsupported grant type.',
  },
  invalidScope: {
    code: 1002012,
    error: 'invalid_scope',
    status: 400,
    text: 'The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).',
  },
  invalidResource: {
    code: 500011,
    error: 'invalid_resource',
    status: 400,
    text: 'The resource principal named {resource} was not found in the tenant named {tenant}.',
  },
  missingParameter: {
    code: 900144,
    error: 'invalid_request',
    status: 400,
    text: "The request body must contain the following parameter: '{param}'.",
  },
  badCredentials: {
    code: 50126,
    error: 'invalid_grant',
    status: 400,
    text: 'Error validating credentials due to invalid username or password.',
  },
  accountDisabled: {
    code: 50057,
    error: 'invalid_grant',
    status: 400,
    text: 'The user account is disabled.',
  },
  codeRedeemed: {
    code: 54005,
    error: 'invalid_grant',
    status: 400,
    text: 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
  },
  codeExpired: {
    code: 70008,
    error: 'invalid_grant',
    status: 400,
    text: 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
  },
  codeInvalid: {
    code: 9002313,
    error: 'invalid_grant',
    status: 400,
    text: 'Invalid request. Request is malformed or invalid.',
  },
  pkceMismatch: {
    code: 501481,
    error: 'invalid_grant',
    status: 400,
    text: 'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
  },
  redirectMismatch: {
    code: 50011,
    error: 'invalid_request',
    status: 400,
    text: "The redirect URI '{redirect}' specified in the request does not match the redirect URIs configured for the application '{app}'.",
  },
  unsupportedResponseType: {
    code: 700054,
    error: 'unsupported_response_type',
    status: 400,
    text: "response_type '{type}' is not enabled for the application.",
  },
} as const;

export type AadFailure = keyof typeof AADSTS;

export class AadError extends Error {
  constructor(
    readonly failure: AadFailure,
    readonly vars: Record<string, string> = {},
  ) {
    super(failure);
  }
}

/** The `error_description` text of a failure, as sent in token responses and error redirects. */
export function aadDescription(err: AadError, traceId: string, correlationId: string, timestamp: string) {
  const def = AADSTS[err.failure];
  const text = def.text.replace(/\{(\w+)\}/g, (_, k: string) => err.vars[k] ?? '');
  return `AADSTS${def.code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`;
}

export function aadErrorResponse(err: AadError): EmuResponse {
  const def = AADSTS[err.failure];
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    status: def.status,
    headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache', 'x-ms-request-id': traceId },
    json: {
      error: def.error,
      error_description: aadDescription(err, traceId, correlationId, timestamp),
      ...(err.failure === 'consentRequired' ? { suberror: 'consent_required' } : {}),
      error_codes: [def.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${def.code}`,
    },
  };
}
