import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import {
  ConfidentialClientApplication,
  type Configuration,
  type INetworkModule,
  type NetworkResponse,
} from '@azure/msal-node';
import { CLOUDS, type GraphConfig, type ResolvedEndpoints } from './config.js';
import { AuthenticationError } from './errors.js';
import { readBody, type Transport } from './transport.js';

/** Hosts MSAL knows as Microsoft clouds; any other login host is declared a known authority. */
const MICROSOFT_LOGIN_HOSTS = new Set(Object.values(CLOUDS).map((c) => new URL(c.loginUrl).host));

/** MSAL's network calls go through our transport, so the custom CA and keep-alive apply. */
function networkModule(transport: Transport): INetworkModule {
  const call = async <T>(
    method: string,
    url: string,
    options?: { headers?: Record<string, string>; body?: string },
  ): Promise<NetworkResponse<T>> => {
    const res = await transport.send({
      method,
      url,
      headers: options?.headers ?? {},
      ...(options?.body !== undefined ? { body: options.body } : {}),
      headersTimeoutMs: 60_000,
    });
    const text = (await readBody(res.body, 4 * 1024 * 1024)).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = {
        error: 'invalid_response',
        error_description: `non-JSON answer from the identity endpoint (HTTP ${res.status})`,
      };
    }
    return { headers: res.headers, body: body as T, status: res.status };
  };
  return {
    sendGetRequestAsync: (url, options) => call('GET', url, options),
    sendPostRequestAsync: (url, options) => call('POST', url, options),
  };
}

/** Decrypts a password-protected key so MSAL can sign client assertions with it. */
function unlockPrivateKey(pem: string, password: string | undefined): string {
  try {
    return createPrivateKey(password ? { key: pem, passphrase: password } : pem)
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
  } catch (e) {
    const msg = password
      ? 'the certificate private key could not be decrypted: wrong password or not a PEM private key'
      : 'the certificate private key could not be read (is it encrypted? give its password)';
    throw new AuthenticationError(msg, undefined, e);
  }
}

/**
 * App-only sign-in with MSAL (client credentials by secret or certificate). MSAL caches the
 * token in memory and renews it shortly before it expires; `token(true)` forces a new one after
 * Graph rejected the current token.
 */
export class TokenProvider {
  private readonly app: ConfidentialClientApplication;
  private readonly scope: string;
  private readonly discoveryUrl: string;

  constructor(
    cfg: GraphConfig,
    endpoints: ResolvedEndpoints,
    private readonly transport: Transport,
  ) {
    this.discoveryUrl = `${endpoints.loginUrl}/${encodeURIComponent(cfg.tenantId)}/v2.0/.well-known/openid-configuration`;
    const loginHost = new URL(endpoints.loginUrl).host;
    const auth: Configuration['auth'] = {
      clientId: cfg.clientId,
      authority: `${endpoints.loginUrl}/${cfg.tenantId}`,
      ...(MICROSOFT_LOGIN_HOSTS.has(loginHost) ? {} : { knownAuthorities: [loginHost] }),
    };
    if (cfg.credential.kind === 'secret') {
      auth.clientSecret = cfg.credential.secret;
    } else {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(cfg.credential.certificatePem);
      } catch (e) {
        throw new AuthenticationError('the certificate is not a valid PEM X.509 certificate', undefined, e);
      }
      auth.clientCertificate = {
        thumbprintSha256: createHash('sha256').update(cert.raw).digest('hex'),
        privateKey: unlockPrivateKey(cfg.credential.privateKeyPem, cfg.credential.password),
      };
    }
    this.app = new ConfidentialClientApplication({
      auth,
      system: { networkClient: networkModule(transport) },
    });
    this.scope = `${endpoints.graphUrl}/.default`;
  }

  /** A token for Graph, or for another resource (e.g. `https://contoso.sharepoint.com`). */
  async token(forceRefresh = false, resource?: string): Promise<string> {
    try {
      const result = await this.app.acquireTokenByClientCredential({
        scopes: [resource ? `${resource}/.default` : this.scope],
        skipCache: forceRefresh,
      });
      if (!result?.accessToken)
        throw new AuthenticationError('the identity platform returned no access token', undefined);
      return result.accessToken;
    } catch (e) {
      if (e instanceof AuthenticationError) throw e;
      const err = e as { errorCode?: string; errorMessage?: string; message?: string };
      if (err.errorCode === 'endpoints_resolution_error') throw await this.explainDiscoveryFailure(e);
      const text = err.errorMessage || err.message || String(e);
      const code = /AADSTS(\d+)/.exec(text)?.[1];
      throw new AuthenticationError(
        `sign-in failed: ${err.errorCode ? `${err.errorCode}: ` : ''}${text.split(/\r?\n| Trace ID:/)[0]}`,
        code ? Number(code) : undefined,
        e,
      );
    }
  }

  /** MSAL hides why it could not read the tenant's metadata; ask the endpoint ourselves. */
  private async explainDiscoveryFailure(cause: unknown): Promise<AuthenticationError> {
    try {
      const res = await this.transport.send({
        method: 'GET',
        url: this.discoveryUrl,
        headers: {},
        headersTimeoutMs: 30_000,
      });
      const body = JSON.parse((await readBody(res.body, 1 << 20)).toString('utf8')) as {
        error_description?: string;
      };
      const text = body.error_description ?? `HTTP ${res.status}`;
      const code = /AADSTS(\d+)/.exec(text)?.[1];
      return new AuthenticationError(
        `sign-in failed: ${text.split(/\r?\n| Trace ID:/)[0]}`,
        code ? Number(code) : undefined,
        cause,
      );
    } catch (e) {
      return new AuthenticationError(
        `sign-in failed: the login endpoint ${this.discoveryUrl} could not be read (${(e as Error).message})`,
        undefined,
        cause,
      );
    }
  }
}
