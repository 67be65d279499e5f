import { errors as joseErrors } from 'jose';
import type { SigningKey } from '../identity/keys.js';
import { GraphHttpError } from './odata.js';
import type { Caller, EmuRequest } from './types.js';

const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

const unauthorized = (message: string) =>
  new GraphHttpError(401, 'InvalidAuthenticationToken', message, {
    'www-authenticate':
      'Bearer realm="", authorization_uri="", client_id="00000003-0000-0000-c000-000000000000"',
  });

/** Validates Graph bearer tokens issued by the emulator's identity endpoints. */
export class TokenValidator {
  private readonly cache = new Map<string, { caller: Caller; exp: number }>();

  constructor(
    private readonly key: SigningKey,
    private readonly tenantId: string,
    private readonly audiences: () => string[],
  ) {}

  async authenticate(req: EmuRequest): Promise<Caller> {
    const header = req.headers['authorization'] ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw unauthorized('Access token is empty.');
    const token = m[1] as string;
    const now = Date.now() / 1000;
    const cached = this.cache.get(token);
    if (cached && cached.exp > now) return cached.caller;

    let payload: Awaited<ReturnType<SigningKey['verify']>>;
    try {
      payload = await this.key.verify(token);
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired)
        throw unauthorized('Lifetime validation failed, the token is expired.');
      throw unauthorized('Access token validation failure.');
    }
    const aud = String(payload.aud ?? '');
    if (![...this.audiences(), 'https://graph.microsoft.com', GRAPH_APP_ID].includes(aud)) {
      throw unauthorized('Access token validation failure. Invalid audience.');
    }
    if (payload['tid'] !== this.tenantId)
      throw unauthorized('Access token validation failure. Invalid issuer.');
    const roles = Array.isArray(payload['roles']) ? (payload['roles'] as string[]) : [];
    const scp = typeof payload['scp'] === 'string' ? payload['scp'].split(' ') : [];
    const caller: Caller = {
      appId: typeof payload['appid'] === 'string' ? payload['appid'] : '',
      tenantId: this.tenantId,
      permissions: new Set(scp.length ? scp : roles),
      kind: scp.length ? 'user' : 'app',
      ...(scp.length ? { userId: String(payload['oid']) } : {}),
    };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(token, { caller, exp: payload.exp ?? now + 60 });
    return caller;
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
