import { errors as joseErrors } from 'jose';
import type { SigningKey } from '../identity/keys.js';
import { GraphHttpError } from './odata.js';
import type { Caller, EmuRequest } from './types.js';

const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

const GRAPH_CHALLENGE = {
  'www-authenticate':
    'Bearer realm="", authorization_uri="", client_id="00000003-0000-0000-c000-000000000000"',
};
const unauthorized = (message: string) =>
  new GraphHttpError(401, 'InvalidAuthenticationToken', message, GRAPH_CHALLENGE);

/**
 * Facts of a bearer token that SharePoint REST judges itself, in its own error shapes, where
 * Graph's `Caller` has no room for them: the audience, how an app authenticated, or why the token
 * is no token at all.
 */
export interface SharePointToken {
  /** The `aud` claim ('' when the token is not valid). */
  audience: string;
  /** `appidacr` of the token: '1' client secret, '2' certificate ('' for user tokens). */
  appidacr: string;
  /** Set when the token is missing, malformed, badly signed, expired or of another tenant. */
  invalid?: 'missing' | 'expired' | 'signature' | 'issuer';
}

const sharePointTokens = new WeakMap<Caller, SharePointToken>();

/** What SharePoint REST needs to know of the token a caller came with. */
export function sharePointToken(caller: Caller | undefined): SharePointToken | undefined {
  return caller ? sharePointTokens.get(caller) : undefined;
}

/**
 * SharePoint REST requests (`{site path}/_api/...`, outside the Graph versions): their token is for
 * a SharePoint resource, not Graph, and SharePoint answers a bad one in its own shape, so the
 * validator records what it found and leaves the verdict to the SharePoint handlers.
 */
export const isSharePointRest = (rawPath: string) =>
  !/^\/(v1\.0|beta)(\/|$)/.test(rawPath) && /\/_api(\/|$|\?)/i.test(rawPath);

/** A token that is no valid token of this tenant: Graph's 401, or SharePoint's (see `invalid`). */
class TokenFailure extends GraphHttpError {
  constructor(
    readonly reason: NonNullable<SharePointToken['invalid']>,
    message: string,
  ) {
    super(401, 'InvalidAuthenticationToken', message, GRAPH_CHALLENGE);
  }
}

interface Verified {
  caller: Caller;
  audience: string;
  exp: number;
}

/** Validates bearer tokens issued by the emulator's identity endpoints: Graph's, and SharePoint's. */
export class TokenValidator {
  private readonly cache = new Map<string, Verified>();

  constructor(
    private readonly key: SigningKey,
    private readonly tenantId: string,
    private readonly audiences: () => string[],
  ) {}

  async authenticate(req: EmuRequest): Promise<Caller> {
    if (!isSharePointRest(req.rawPath)) {
      const v = await this.verified(req);
      if (![...this.audiences(), 'https://graph.microsoft.com', GRAPH_APP_ID].includes(v.audience)) {
        throw unauthorized('Access token validation failure. Invalid audience.');
      }
      return v.caller;
    }
    try {
      return (await this.verified(req)).caller;
    } catch (e) {
      if (!(e instanceof TokenFailure)) throw e;
      const nobody: Caller = { appId: '', tenantId: this.tenantId, permissions: new Set(), kind: 'app' };
      sharePointTokens.set(nobody, { audience: '', appidacr: '', invalid: e.reason });
      return nobody;
    }
  }

  /** The caller of a genuine, unexpired token of this tenant, whatever its audience. */
  private async verified(req: EmuRequest): Promise<Verified> {
    const header = req.headers['authorization'] ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new TokenFailure('missing', 'Access token is empty.');
    const token = m[1] as string;
    const now = Date.now() / 1000;
    const cached = this.cache.get(token);
    if (cached && cached.exp > now) return cached;

    let payload: Awaited<ReturnType<SigningKey['verify']>>;
    try {
      payload = await this.key.verify(token);
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired)
        throw new TokenFailure('expired', 'Lifetime validation failed, the token is expired.');
      throw new TokenFailure('signature', 'Access token validation failure.');
    }
    if (payload['tid'] !== this.tenantId)
      throw new TokenFailure('issuer', 'Access token validation failure. Invalid issuer.');
    const roles = Array.isArray(payload['roles']) ? (payload['roles'] as string[]) : [];
    const scp = typeof payload['scp'] === 'string' ? payload['scp'].split(' ') : [];
    const caller: Caller = {
      appId: typeof payload['appid'] === 'string' ? payload['appid'] : '',
      tenantId: this.tenantId,
      permissions: new Set(scp.length ? scp : roles),
      kind: scp.length ? 'user' : 'app',
      ...(scp.length ? { userId: String(payload['oid']) } : {}),
    };
    const audience = String(payload.aud ?? '');
    sharePointTokens.set(caller, {
      audience,
      appidacr: typeof payload['appidacr'] === 'string' && !scp.length ? payload['appidacr'] : '',
    });
    const v: Verified = { caller, audience, exp: payload.exp ?? now + 60 };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(token, v);
    return v;
  }
}

/** Graph answers a missing permission differently per workload. */
export function forbidden(scopeKind: string, required: readonly string[] = []): GraphHttpError {
  if (scopeKind === 'teams') {
    return new GraphHttpError(
      403,
      'Forbidden',
      `Missing role permissions on the request. API requires one of '${required.join(', ')}'. Roles on the request ''.`,
    );
  }
  if (scopeKind === 'exchange')
    return new GraphHttpError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  if (scopeKind === 'sharepoint') return new GraphHttpError(403, 'accessDenied', 'Access denied');
  return new GraphHttpError(
    403,
    'Authorization_RequestDenied',
    'Insufficient privileges to complete the operation.',
  );
}
