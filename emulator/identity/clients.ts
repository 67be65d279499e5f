import { timingSafeEqual } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importX509, jwtVerify, errors as joseErrors } from 'jose';
import type { AppRecord } from '../tenant/records.js';
import type { TenantStore } from '../tenant/store.js';
import { AadError } from './aad-errors.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Resolves `/{tenant}/` in login URLs: the tenant id or a verified domain. */
export function resolveTenant(store: TenantStore, tenant: string): string {
  const t = tenant.toLowerCase();
  if (t === store.identity.tenantId || t === store.identity.domain.toLowerCase())
    return store.identity.tenantId;
  throw new AadError('tenantNotFound', { tenant });
}

export interface AuthenticatedClient {
  app: AppRecord;
  /** `appidacr`: 1 for a client secret, 2 for a certificate. */
  method: '1' | '2';
}

/**
 * Authenticates the confidential client of a token request by secret (post or basic) or by a
 * certificate-signed client assertion, with Entra ID's checks and error codes.
 */
export async function authenticateClient(
  store: TenantStore,
  form: URLSearchParams,
  headers: Record<string, string>,
  tokenEndpoints: string[],
): Promise<AuthenticatedClient> {
  let clientId = form.get('client_id') ?? undefined;
  let secret = form.get('client_secret') ?? undefined;
  const basic = /^Basic\s+(.+)$/i.exec(headers['authorization'] ?? '');
  if (basic) ({ clientId, secret } = basicCredentials(basic[1] as string));
  const assertion = form.get('client_assertion') ?? undefined;
  if (!clientId && assertion) {
    try {
      clientId = decodeJwt(assertion).sub;
    } catch {
      throw new AadError('assertionInvalid');
    }
  }
  if (!clientId) throw new AadError('missingParameter', { param: 'client_id' });
  const app = store.apps.get(clientId);
  if (!app) throw new AadError('appNotFound', { app: clientId, tenant: store.identity.tenantId });

  if (secret !== undefined) {
    const now = Date.now();
    const okSecret = app.secrets.some((s) => sameSecret(s.secret, secret) && Date.parse(s.endDateTime) > now);
    if (!okSecret) throw new AadError('invalidSecret', { app: app.appId });
    return { app, method: '1' };
  }
  if (assertion) {
    if (form.get('client_assertion_type') !== ASSERTION_TYPE) throw new AadError('assertionInvalid');
    await verifyAssertion(app, assertion, tokenEndpoints);
    return { app, method: '2' };
  }
  throw new AadError('noCredential');
}

/**
 * `Authorization: Basic base64(urlencode(client_id):urlencode(secret))` (RFC 6749 §2.3.1). A
 * header that is not that (not base64, no colon, bad percent-encoding) is a failed client
 * authentication: `invalid_client`, as Entra ID answers a client it cannot authenticate.
 */
function basicCredentials(encoded: string): { clientId: string; secret: string } {
  const text = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded.trim())
    ? Buffer.from(encoded.trim(), 'base64').toString('utf8')
    : '';
  const colon = text.indexOf(':');
  if (colon < 0) throw new AadError('invalidBasicAuth');
  try {
    return {
      clientId: decodeURIComponent(text.slice(0, colon)),
      secret: decodeURIComponent(text.slice(colon + 1)),
    };
  } catch {
    throw new AadError('invalidBasicAuth');
  }
}

async function verifyAssertion(app: AppRecord, assertion: string, tokenEndpoints: string[]): Promise<void> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  let claims: ReturnType<typeof decodeJwt>;
  try {
    header = decodeProtectedHeader(assertion);
    claims = decodeJwt(assertion);
  } catch {
    throw new AadError('assertionInvalid');
  }
  const x5tS256 = header['x5t#S256'] as string | undefined;
  const x5t = header.x5t;
  const thumbprint = x5tS256 ?? x5t ?? '';
  const cred = app.certificates.find((c) => (x5tS256 ? c.x5tS256 === x5tS256 : c.x5t === x5t));
  if (!cred || Date.parse(cred.endDateTime) < Date.now()) {
    throw new AadError('assertionBadSignature', { thumbprint, app: app.appId });
  }
  const alg = header.alg ?? 'RS256';
  if (!['RS256', 'PS256'].includes(alg)) throw new AadError('assertionInvalid');
  const now = Math.floor(Date.now() / 1000);
  if (
    (claims.exp !== undefined && claims.exp < now - 300) ||
    (claims.nbf !== undefined && claims.nbf > now + 300)
  ) {
    throw new AadError('assertionExpired', {
      now: String(now),
      nbf: String(claims.nbf ?? ''),
      exp: String(claims.exp ?? ''),
    });
  }
  try {
    const key = await importX509(cred.certPem.trim(), alg);
    await jwtVerify(assertion, key, { algorithms: [alg], clockTolerance: 300 });
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) {
      throw new AadError('assertionExpired', {
        now: String(now),
        nbf: String(claims.nbf ?? ''),
        exp: String(claims.exp ?? ''),
      });
    }
    throw new AadError('assertionBadSignature', { thumbprint, app: app.appId });
  }
  if (claims.iss !== app.appId || claims.sub !== app.appId) throw new AadError('assertionInvalid');
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud ?? ''];
  if (!aud.some((a) => tokenEndpoints.includes(a)))
    throw new AadError('assertionAudience', { aud: aud.join(',') });
}
