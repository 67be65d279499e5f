import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { EmuRequest, EmuResponse, RouteDef } from '../core/types.js';
import type { TenantStore } from '../tenant/store.js';
import type { AppRecord, UserRecord } from '../tenant/records.js';
import { AadError, aadDescription, aadErrorResponse } from './aad-errors.js';
import { grantedScopes, isOidc } from './consent.js';
import { signOut } from './sign-out.js';
import { authenticateClient, resolveTenant } from './clients.js';
import type { SigningKey } from './keys.js';
import { instanceDiscovery, openidConfiguration } from './discovery.js';
import { signInPage, formPostPage } from './signin-page.js';

const TOKEN_LIFETIME = 3599;
const CODE_LIFETIME_MS = 10 * 60_000;
/** Graph's well-known application id, accepted as a resource alias. */
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** SharePoint's delegated permissions (Office 365 SharePoint Online API), as opposed to Graph's. */
const SHAREPOINT_DELEGATED =
  /^(AllSites\.(Read|Write|Manage|FullControl)|MyFiles\.(Read|Write)|Sites\.Search\.All|Sites\.Selected|TermStore\.(Read|ReadWrite)\.All)$/;

interface PendingCode {
  clientId: string;
  userId: string;
  redirectUri: string;
  scope: string;
  nonce?: string;
  challenge?: string;
  challengeMethod?: string;
  expires: number;
  used: boolean;
}

interface RefreshGrant {
  clientId: string;
  userId: string;
  scope: string;
}

/** Entra ID's endpoints as the emulator serves them on its login origin. */
export class IdentityService {
  private readonly codes = new Map<string, PendingCode>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();

  constructor(
    private readonly store: TenantStore,
    private readonly key: SigningKey,
    /** Graph origins accepted as the token audience (the emulator's own first). */
    private readonly graphOrigins: () => string[],
  ) {}

  routes(): RouteDef[] {
    const wrap = (fn: (req: EmuRequest) => Promise<EmuResponse> | EmuResponse) => async (req: EmuRequest) => {
      try {
        return await fn(req);
      } catch (e) {
        if (e instanceof AadError) return aadErrorResponse(e);
        throw e;
      }
    };
    const r = (
      method: string,
      path: string,
      handler: (req: EmuRequest) => Promise<EmuResponse> | EmuResponse,
    ): RouteDef => ({
      method,
      path,
      permissions: null,
      handler: wrap(handler),
    });
    return [
      r('GET', '/{tenant}/v2.0/.well-known/openid-configuration', (req) =>
        openidConfiguration(req, this.store, this.graphOrigins()[0] as string),
      ),
      r('GET', '/{tenant}/.well-known/openid-configuration', (req) =>
        openidConfiguration(req, this.store, this.graphOrigins()[0] as string),
      ),
      r('GET', '/discovery/v2.0/keys', () => ({ status: 200, json: this.key.jwks() })),
      r('GET', '/{tenant}/discovery/v2.0/keys', () => ({ status: 200, json: this.key.jwks() })),
      r('GET', '/common/discovery/instance', (req) => instanceDiscovery(req, this.store)),
      r('POST', '/{tenant}/oauth2/v2.0/token', (req) => this.token(req)),
      r('GET', '/{tenant}/oauth2/v2.0/authorize', (req) => this.authorize(req, req.query, undefined)),
      r('POST', '/{tenant}/oauth2/v2.0/authorize', (req) => {
        const form = new URLSearchParams(req.body.toString('utf8'));
        return this.authorize(req, form, form);
      }),
      r('GET', '/{tenant}/oauth2/v2.0/logout', (req) => signOut(this.store, this.key, req)),
    ];
  }

  private issuer(req: EmuRequest, tenantId: string): string {
    return `${req.origin}/${tenantId}/v2.0`;
  }

  /**
   * The tenant's SharePoint resources (`https://{name}.sharepoint.com` and its `-my` host for
   * OneDrive): tokens for them carry that `aud`, which SharePoint REST checks and Graph refuses.
   */
  private sharePointResources(): string[] {
    const name = this.store.identity.name;
    return [`https://${name}.sharepoint.com`, `https://${name}-my.sharepoint.com`];
  }

  private acceptedResource(scope: string): string | undefined {
    const resource = scope.replace(/\/\.default$/, '').replace(/\/$/, '');
    const known = [...this.graphOrigins(), 'https://graph.microsoft.com', GRAPH_APP_ID];
    if (known.includes(resource)) return resource;
    return this.sharePointResources().find((r) => r === resource.toLowerCase());
  }

  /**
   * The resource a user token is for: a SharePoint resource when every scope asked (OIDC ones
   * aside) is one of its scopes (`https://contoso.sharepoint.com/AllSites.Read`, or `/.default`),
   * else Graph as before.
   */
  private userResource(scopes: string[]): string | undefined {
    const named = scopes.filter((s) => !isOidc(s));
    const resources = new Set(
      named.map((s) => this.sharePointResources().find((r) => s.toLowerCase().startsWith(`${r}/`))),
    );
    const [only] = resources;
    return named.length > 0 && resources.size === 1 ? only : undefined;
  }

  private async token(req: EmuRequest): Promise<EmuResponse> {
    const tenantId = resolveTenant(this.store, req.params['tenant'] as string);
    const form = new URLSearchParams(req.body.toString('utf8'));
    const grant = form.get('grant_type');
    if (!grant) throw new AadError('missingParameter', { param: 'grant_type' });
    const endpoints = [
      `${req.origin}/${req.params['tenant']}/oauth2/v2.0/token`,
      `${req.origin}/${tenantId}/oauth2/v2.0/token`,
      `${req.origin}/${this.store.identity.domain}/oauth2/v2.0/token`,
    ];
    const client = await authenticateClient(this.store, form, req.headers, endpoints);
    if (grant === 'client_credentials') {
      const scope = form.get('scope');
      if (!scope) throw new AadError('missingParameter', { param: 'scope' });
      if (!/\/\.default$/.test(scope)) throw new AadError('invalidScope', { scope });
      const resource = this.acceptedResource(scope);
      if (!resource)
        throw new AadError('invalidResource', {
          resource: scope.replace(/\/\.default$/, ''),
          tenant: tenantId,
        });
      const iss = `https://sts.windows.net/${tenantId}/`;
      const spId = createHash('sha256').update(`sp:${client.app.appId}`).digest('hex');
      const servicePrincipal = `${spId.slice(0, 8)}-${spId.slice(8, 12)}-${spId.slice(12, 16)}-${spId.slice(16, 20)}-${spId.slice(20, 32)}`;
      const accessToken = await this.key.sign(
        {
          aud: resource,
          iss,
          idp: iss,
          appid: client.app.appId,
          app_displayname: client.app.displayName,
          appidacr: client.method,
          idtyp: 'app',
          oid: servicePrincipal,
          sub: servicePrincipal,
          roles: client.app.permissions,
          tid: tenantId,
          uti: randomBytes(16).toString('base64url'),
          ver: '1.0',
        },
        TOKEN_LIFETIME,
      );
      return tokenResponse({
        token_type: 'Bearer',
        expires_in: TOKEN_LIFETIME,
        ext_expires_in: TOKEN_LIFETIME,
        access_token: accessToken,
      });
    }
    if (grant === 'authorization_code') return this.redeemCode(req, tenantId, client.app, form);
    if (grant === 'refresh_token') {
      const rt = form.get('refresh_token') ?? '';
      const g = this.refreshTokens.get(rt);
      if (!g || g.clientId !== client.app.appId) throw new AadError('codeExpired');
      const user = this.store.users.get(g.userId);
      if (!user?.accountEnabled) throw new AadError('accountDisabled');
      // A refresh may ask for other scopes of the same resource; they need consent as well.
      const scope = form.get('scope') ?? g.scope;
      grantedScopes(client.app, scope);
      this.refreshTokens.delete(rt);
      return this.userTokens(req, tenantId, client.app, user, scope, undefined);
    }
    throw new AadError('unsupportedGrant');
  }

  private async redeemCode(
    req: EmuRequest,
    tenantId: string,
    app: AppRecord,
    form: URLSearchParams,
  ): Promise<EmuResponse> {
    const clientId = app.appId;
    const code = this.codes.get(form.get('code') ?? '');
    if (!code || code.clientId !== clientId) throw new AadError('codeInvalid');
    if (code.used) throw new AadError('codeRedeemed');
    if (code.expires < Date.now()) throw new AadError('codeExpired');
    if ((form.get('redirect_uri') ?? '') !== code.redirectUri) {
      throw new AadError('redirectMismatch', { redirect: form.get('redirect_uri') ?? '', app: clientId });
    }
    if (code.challenge) {
      const verifier = form.get('code_verifier') ?? '';
      const computed =
        code.challengeMethod === 'S256'
          ? createHash('sha256').update(verifier).digest('base64url')
          : verifier;
      if (computed !== code.challenge) throw new AadError('pkceMismatch');
    }
    // The redemption's `scope` (a Microsoft extension) may name the scopes wanted; any scope
    // without consent is refused before the code is spent.
    const scope = form.get('scope') ? `${code.scope} ${form.get('scope')}` : code.scope;
    const wanted = form.get('scope') ?? code.scope;
    grantedScopes(app, scope);
    code.used = true;
    const user = this.store.users.get(code.userId);
    if (!user?.accountEnabled) throw new AadError('accountDisabled');
    return this.userTokens(req, tenantId, app, user, wanted, code.nonce);
  }

  private async userTokens(
    req: EmuRequest,
    tenantId: string,
    app: AppRecord,
    user: UserRecord,
    scope: string,
    nonce: string | undefined,
  ) {
    const clientId = app.appId;
    const scopes = scope.split(/\s+/).filter(Boolean);
    const sharePoint = this.userResource(scopes);
    const asked = grantedScopes(app, scope);
    // `.default` for SharePoint: the consented scopes that are SharePoint's own.
    const granted = sharePoint ? asked.filter((s) => SHAREPOINT_DELEGATED.test(s)) : asked;
    // Without any scope consented the token still needs a `scp` (else it reads as app-only).
    const graphScopes = granted.length ? granted : ['openid'];
    const sub = createHash('sha256').update(`${user.id}:${clientId}`).digest('base64url').slice(0, 43);
    const common = {
      tid: tenantId,
      oid: user.id,
      name: user.displayName,
      preferred_username: user.userPrincipalName,
    };
    const accessToken = await this.key.sign(
      {
        ...common,
        aud: sharePoint ?? this.graphOrigins()[0],
        iss: `https://sts.windows.net/${tenantId}/`,
        appid: clientId,
        idtyp: 'user',
        scp: graphScopes.join(' '),
        sub,
        upn: user.userPrincipalName,
        uti: randomBytes(16).toString('base64url'),
        ver: '1.0',
      },
      TOKEN_LIFETIME,
    );
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      // Scopes of a resource other than Graph come back with the resource in front, as Entra sends them.
      scope: graphScopes
        .map((s) => (sharePoint && !isOidc(s) ? `${sharePoint}/${s}` : s))
        .concat(scopes.filter((s) => isOidc(s) && !graphScopes.includes(s)))
        .join(' '),
      expires_in: TOKEN_LIFETIME,
      ext_expires_in: TOKEN_LIFETIME,
      access_token: accessToken,
    };
    if (scopes.includes('openid')) {
      body['id_token'] = await this.key.sign(
        {
          ...common,
          aud: clientId,
          iss: this.issuer(req, tenantId),
          sub,
          email: user.mail ?? undefined,
          ...(nonce ? { nonce } : {}),
          ver: '2.0',
          uti: randomBytes(16).toString('base64url'),
        },
        TOKEN_LIFETIME,
      );
    }
    if (scopes.includes('offline_access')) {
      const rt = randomBytes(32).toString('base64url');
      this.refreshTokens.set(rt, { clientId, userId: user.id, scope });
      body['refresh_token'] = rt;
    }
    return tokenResponse(body);
  }

  /** GET shows the sign-in form; POST checks the user's password and sends the code back. */
  private authorize(
    req: EmuRequest,
    params: URLSearchParams,
    posted: URLSearchParams | undefined,
  ): EmuResponse {
    const tenantId = resolveTenant(this.store, req.params['tenant'] as string);
    const clientId = params.get('client_id') ?? '';
    const app = this.store.apps.get(clientId);
    if (!app) throw new AadError('appNotFound', { app: clientId, tenant: tenantId });
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!app.redirectUris.includes(redirectUri))
      throw new AadError('redirectMismatch', { redirect: redirectUri, app: clientId });
    const responseType = params.get('response_type') ?? '';
    if (responseType !== 'code') throw new AadError('unsupportedResponseType', { type: responseType });
    const hidden = [...params].filter(([k]) => !['username', 'password'].includes(k));
    if (!posted) return html(signInPage({ hidden, loginHint: params.get('login_hint') ?? '' }));

    const username = (posted.get('username') ?? '').trim().toLowerCase();
    const user = this.store.users.values().find((u) => u.userPrincipalName.toLowerCase() === username);
    if (!user || user.password !== posted.get('password')) {
      return html(
        signInPage({
          hidden,
          loginHint: username,
          error: 'AADSTS50126: Error validating credentials due to invalid username or password.',
        }),
        400,
      );
    }
    if (!user.accountEnabled)
      return html(
        signInPage({ hidden, loginHint: username, error: 'AADSTS50057: The user account is disabled.' }),
        400,
      );
    const state = params.get('state');
    const reply = (fields: [string, string][]): EmuResponse => {
      if (state !== null) fields.splice(1, 0, ['state', state]);
      if (params.get('response_mode') === 'form_post') return html(formPostPage(redirectUri, fields));
      const target = new URL(redirectUri);
      for (const [k, v] of fields) target.searchParams.set(k, v);
      return { status: 302, headers: { location: target.toString() } };
    };
    try {
      grantedScopes(app, params.get('scope') ?? 'openid');
    } catch (e) {
      if (!(e instanceof AadError)) throw e;
      // Entra asks the user to consent at this point; the emulator has no consent step, so a
      // scope the app has no consent for ends the flow as an error redirect — `consent_required`
      // (OpenID Connect Core §3.1.2.6, what Entra sends when it cannot prompt) with AADSTS65001.
      const timestamp = new Date()
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
      return reply([
        ['error', 'consent_required'],
        ['error_description', aadDescription(e, randomUUID(), randomUUID(), timestamp)],
      ]);
    }
    const code = randomBytes(48).toString('base64url');
    const nonce = params.get('nonce');
    const challenge = params.get('code_challenge');
    this.codes.set(code, {
      clientId,
      userId: user.id,
      redirectUri,
      scope: params.get('scope') ?? 'openid',
      ...(nonce ? { nonce } : {}),
      ...(challenge ? { challenge, challengeMethod: params.get('code_challenge_method') ?? 'plain' } : {}),
      expires: Date.now() + CODE_LIFETIME_MS,
      used: false,
    });
    return reply([
      ['code', code],
      ['session_state', randomUUID()],
    ]);
  }
}

function tokenResponse(json: Record<string, unknown>): EmuResponse {
  return { status: 200, headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' }, json };
}

function html(body: string, status = 200): EmuResponse {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action *",
      'x-frame-options': 'DENY',
    },
    body,
  };
}
