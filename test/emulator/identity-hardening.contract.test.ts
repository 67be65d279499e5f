import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RawGraph } from '../support/raw-graph.js';

// Sign-out redirects, delegated consent and client authentication, from the Microsoft identity
// platform documentation (v2-protocols-oidc sign-out, v2-oauth2-auth-code-flow, reference-error-codes).
let raw: RawGraph;
let stop: () => Promise<void>;
let user: { userPrincipalName: string; password: string };
const REDIRECT = 'https://app.example/callback';

const form = (o: Record<string, string>, headers: Record<string, string> = {}) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(o).toString(),
});
const tokenUrl = () => `${raw.info.loginUrl}/${raw.info.tenantId}/oauth2/v2.0/token`;
const authorizeUrl = () => `${raw.info.loginUrl}/${raw.info.tenantId}/oauth2/v2.0/authorize`;
const logoutUrl = (q: Record<string, string>) =>
  `${raw.info.loginUrl}/${raw.info.tenantId}/oauth2/v2.0/logout?${new URLSearchParams(q).toString()}`;

beforeAll(async () => {
  ({ raw, stop } = await startEmulator());
  const users = (await raw.admin('GET', '/users')).json.value as (typeof user & {
    accountEnabled: boolean;
    userType: string;
  })[];
  user = users.find((u) => u.accountEnabled && u.userType === 'Member') as typeof user;
});
afterAll(() => stop());

async function registerApp(delegatedScopes: string[], redirectUris = [REDIRECT]) {
  return (await raw.admin('POST', '/apps', { permissions: [], redirectUris, delegatedScopes })).json as {
    appId: string;
    clientSecret: string;
  };
}

/** Signs the user in for `scope`; returns the redirect's query parameters. */
async function signIn(appId: string, scope: string): Promise<URLSearchParams> {
  const r = await raw.send(
    'POST',
    authorizeUrl(),
    form({
      client_id: appId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope,
      state: 's1',
      username: user.userPrincipalName,
      password: user.password,
    }),
  );
  expect(r.status).toBe(302);
  return new URL(r.headers['location'] as string).searchParams;
}

describe('sign-out', () => {
  it('does not redirect to a post_logout_redirect_uri the app has not registered', async () => {
    const app = await registerApp(['openid']);
    const queries: Record<string, string>[] = [
      { post_logout_redirect_uri: 'https://evil.example/' },
      { post_logout_redirect_uri: 'https://evil.example/', client_id: app.appId },
      { post_logout_redirect_uri: '✓' },
    ];
    for (const q of queries) {
      const r = await raw.send('GET', logoutUrl(q));
      expect(r.status, JSON.stringify(q)).toBe(200);
      expect(r.headers['location']).toBeUndefined();
      expect(r.body.toString()).toContain('signed out');
    }
  });

  it('redirects to a registered URI named by client_id or by the id_token_hint audience', async () => {
    const unicode = 'https://app.example/✓';
    const app = await registerApp(['openid', 'profile'], [REDIRECT, unicode]);
    const byClient = await raw.send(
      'GET',
      logoutUrl({ post_logout_redirect_uri: REDIRECT, client_id: app.appId, state: 'z' }),
    );
    expect(byClient.status).toBe(302);
    expect(byClient.headers['location']).toBe(`${REDIRECT}?state=z`);
    // The id_token names the app in `aud`.
    const code = (await signIn(app.appId, 'openid profile')).get('code') as string;
    const tokens = await raw.send(
      'POST',
      tokenUrl(),
      form({
        client_id: app.appId,
        client_secret: app.clientSecret,
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
      }),
    );
    const idToken = tokens.json.id_token as string;
    const byHint = await raw.send(
      'GET',
      logoutUrl({ post_logout_redirect_uri: unicode, id_token_hint: idToken }),
    );
    expect(byHint.status).toBe(302);
    expect(byHint.headers['location']).toBe('https://app.example/%E2%9C%93');
    const forged = await raw.send(
      'GET',
      logoutUrl({ post_logout_redirect_uri: unicode, id_token_hint: `${idToken.slice(0, -4)}AAAA` }),
    );
    expect(forged.status).toBe(200);
  });
});

describe('delegated consent', () => {
  it('grants only consented scopes and refuses others at authorize with consent_required', async () => {
    const app = await registerApp(['openid', 'offline_access', 'User.Read', 'Mail.Read']);
    const refused = await signIn(app.appId, 'openid https://graph.microsoft.com/Mail.ReadWrite');
    expect(refused.get('error')).toBe('consent_required');
    expect(refused.get('error_description')).toMatch(/^AADSTS65001: /);
    expect(refused.get('state')).toBe('s1');
    expect(refused.get('code')).toBeNull();

    const granted = await signIn(app.appId, 'openid offline_access https://graph.microsoft.com/mail.read');
    const tokens = await raw.send(
      'POST',
      tokenUrl(),
      form({
        client_id: app.appId,
        client_secret: app.clientSecret,
        grant_type: 'authorization_code',
        code: granted.get('code') as string,
        redirect_uri: REDIRECT,
      }),
    );
    expect(tokens.status).toBe(200);
    expect(decodeJwt(tokens.json.access_token)['scp']).toBe('Mail.Read');
    expect(tokens.json.scope).toBe('Mail.Read openid offline_access');

    // A refresh asking for more than was consented fails with AADSTS65001 / invalid_grant.
    const refresh = await raw.send(
      'POST',
      tokenUrl(),
      form({
        client_id: app.appId,
        client_secret: app.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: tokens.json.refresh_token,
        scope: 'Mail.Read Files.ReadWrite.All offline_access',
      }),
    );
    expect(refresh.status).toBe(400);
    expect(refresh.json.error).toBe('invalid_grant');
    expect(refresh.json.error_codes).toEqual([65001]);
    expect(refresh.json.suberror).toBe('consent_required');
    // The refresh token was not spent by the refused request.
    const again = await raw.send(
      'POST',
      tokenUrl(),
      form({
        client_id: app.appId,
        client_secret: app.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: tokens.json.refresh_token,
        scope: 'User.Read offline_access',
      }),
    );
    expect(again.status).toBe(200);
    expect(decodeJwt(again.json.access_token)['scp']).toBe('User.Read');
  });

  it('refuses a code redemption whose scope asks for an unconsented scope', async () => {
    const app = await registerApp(['openid', 'User.Read']);
    const code = (await signIn(app.appId, 'openid User.Read')).get('code') as string;
    const r = await raw.send(
      'POST',
      tokenUrl(),
      form({
        client_id: app.appId,
        client_secret: app.clientSecret,
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        scope: 'User.Read Sites.FullControl.All',
      }),
    );
    expect(r.status).toBe(400);
    expect(r.json.error_codes).toEqual([65001]);
  });
});

describe('client authentication', () => {
  it('answers a malformed Basic header with invalid_client, not 500', async () => {
    for (const basic of [
      Buffer.from('%zz:x').toString('base64'),
      Buffer.from(`${raw.info.clientId}:%E0%A4%A`).toString('base64'),
      Buffer.from('no-colon').toString('base64'),
      '!!!not-base64!!!',
    ]) {
      const r = await raw.send(
        'POST',
        tokenUrl(),
        form(
          { grant_type: 'client_credentials', scope: `${raw.info.graphUrl}/.default` },
          { authorization: `Basic ${basic}` },
        ),
      );
      expect(r.status, basic).toBe(401);
      expect(r.json.error).toBe('invalid_client');
      expect(r.json.error_description).toMatch(/^AADSTS\d+: /);
    }
  });

  it('still accepts a well-formed Basic header', async () => {
    const basic = Buffer.from(
      `${encodeURIComponent(raw.info.clientId)}:${encodeURIComponent(raw.info.clientSecret)}`,
    ).toString('base64');
    const r = await raw.send(
      'POST',
      tokenUrl(),
      form(
        { grant_type: 'client_credentials', scope: `${raw.info.graphUrl}/.default` },
        { authorization: `Basic ${basic}` },
      ),
    );
    expect(r.status).toBe(200);
  });
});
