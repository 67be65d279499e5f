import type { RawGraph, RawResponse } from '../../../test/support/raw-graph.js';

/** Test helper: a user's delegated Graph access through the authorization-code flow. */

export interface SignInUser {
  userPrincipalName: string;
  password: string;
}

/**
 * Signs `user` in through the authorization-code flow for `scope`, with a new app registration
 * whose delegated scopes are `consented`: the token response and the app.
 */
export async function userToken(
  raw: RawGraph,
  user: SignInUser,
  consented: string[],
  scope: string,
): Promise<RawResponse & { app: { appId: string; clientSecret: string } }> {
  const redirect = 'https://localhost/callback';
  const app = (
    await raw.admin('POST', '/apps', {
      permissions: [],
      redirectUris: [redirect],
      delegatedScopes: consented,
    })
  ).json as { appId: string; clientSecret: string };
  const form = (fields: Record<string, string>) => ({
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const login = raw.info.loginUrl;
  const tenant = raw.info.tenantId;
  const authorize = await raw.send(
    'POST',
    `${login}/${tenant}/oauth2/v2.0/authorize`,
    form({
      client_id: app.appId,
      redirect_uri: redirect,
      response_type: 'code',
      scope,
      username: user.userPrincipalName,
      password: user.password,
    }),
  );
  const code = new URL(authorize.headers['location'] as string).searchParams.get('code') as string;
  const token = await raw.send(
    'POST',
    `${login}/${tenant}/oauth2/v2.0/token`,
    form({
      client_id: app.appId,
      client_secret: app.clientSecret,
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirect,
      scope,
    }),
  );
  return { ...token, app };
}

/** An access token for `user` with the delegated `scope`s, from a new app registration. */
export async function delegatedToken(raw: RawGraph, user: SignInUser, scope: string): Promise<string> {
  const token = await userToken(raw, user, scope.split(' '), scope);
  if (token.status !== 200) throw new Error(`token request failed: ${token.body.toString()}`);
  return (token.json as { access_token: string }).access_token;
}

/** GET as the signed-in user: `path` is relative to the Graph origin. */
export async function delegated(
  raw: RawGraph,
  user: SignInUser,
  scope: string,
): Promise<(path: string) => Promise<RawResponse>> {
  const access = await delegatedToken(raw, user, scope);
  return (path) =>
    raw.send('GET', `${raw.info.graphUrl}${path}`, { headers: { authorization: `Bearer ${access}` } });
}
