import { createHash, randomUUID } from 'node:crypto';
import { decodeJwt, importJWK, importPKCS8, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateClientCertificate } from '../../emulator/tls.js';
import { startEmulator, type RawGraph } from '../support/raw-graph.js';

// Contract tests for the emulator's Entra ID endpoints, written from the Microsoft identity
// platform documentation (client credentials, certificate credentials, auth-code flow with PKCE).
let raw: RawGraph;
let stop: () => Promise<void>;
const form = (o: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(o).toString(),
});

beforeAll(async () => {
  ({ raw, stop } = await startEmulator());
});
afterAll(() => stop());

const tokenUrl = () => `${raw.info.loginUrl}/${raw.info.tenantId}/oauth2/v2.0/token`;

async function assertion(opts: {
  appId: string;
  keyPem: string;
  certPem: string;
  alg: 'RS256' | 'PS256';
  exp?: number;
  aud?: string;
}) {
  const key = await importPKCS8(opts.keyPem, opts.alg);
  const der = Buffer.from(opts.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const header =
    opts.alg === 'PS256'
      ? { alg: 'PS256', typ: 'JWT', 'x5t#S256': createHash('sha256').update(der).digest('base64url') }
      : { alg: 'RS256', typ: 'JWT', x5t: createHash('sha1').update(der).digest('base64url') };
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: randomUUID() })
    .setProtectedHeader(header)
    .setIssuer(opts.appId)
    .setSubject(opts.appId)
    .setAudience(opts.aud ?? tokenUrl())
    .setNotBefore(now - 60)
    .setExpirationTime(opts.exp ?? now + 600)
    .sign(key);
}

describe('discovery', () => {
  it('publishes the OpenID configuration and signing keys that verify its tokens', async () => {
    const cfg = await raw.send(
      'GET',
      `${raw.info.loginUrl}/${raw.info.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    expect(cfg.status).toBe(200);
    expect(cfg.json.issuer).toBe(`${raw.info.loginUrl}/${raw.info.tenantId}/v2.0`);
    expect(cfg.json.token_endpoint).toBe(tokenUrl());
    const jwks = await raw.send('GET', `${raw.info.loginUrl}/discovery/v2.0/keys`);
    expect(jwks.json.keys[0]).toMatchObject({ kty: 'RSA', use: 'sig' });
    const token = await raw.accessToken();
    const header = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString());
    expect(jwks.json.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid);
  });

  it('answers an unknown tenant with AADSTS90002', async () => {
    const r = await raw.send(
      'POST',
      `${raw.info.loginUrl}/nosuch.onmicrosoft.com/oauth2/v2.0/token`,
      form({
        client_id: raw.info.clientId,
        client_secret: raw.info.clientSecret,
        grant_type: 'client_credentials',
        scope: `${raw.info.graphUrl}/.default`,
      }),
    );
    expect(r.status).toBe(400);
    expect(r.json.error_codes).toEqual([90002]);
  });
});

describe('client credentials', () => {
  it('refuses a bad client secret with invalid_client / AADSTS7000215', async () => {
    const r = await raw.send(
      'POST',
      tokenUrl(),
      form({
        client_id: raw.info.clientId,
        client_secret: 'wrong',
        grant_type: 'client_credentials',
        scope: `${raw.info.graphUrl}/.default`,
      }),
    );
    expect(r.status).toBe(401);
    expect(r.json.error).toBe('invalid_client');
    expect(r.json.error_codes).toEqual([7000215]);
    expect(r.json.error_description).toMatch(/^AADSTS7000215: .*\r\nTrace ID: /);
  });

  it('requires a /.default scope (AADSTS1002012) and an existing app (AADSTS700016)', async () => {
    const scope = await raw.send(
      'POST',
      tokenUrl(),
      form({
        client_id: raw.info.clientId,
        client_secret: raw.info.clientSecret,
        grant_type: 'client_credentials',
        scope: 'User.Read',
      }),
    );
    expect(scope.json.error_codes).toEqual([1002012]);
    const app = await raw.send(
      'POST',
      tokenUrl(),
      form({
        client_id: randomUUID(),
        client_secret: 'x',
        grant_type: 'client_credentials',
        scope: `${raw.info.graphUrl}/.default`,
      }),
    );
    expect(app.json.error_codes).toEqual([700016]);
  });

  it('accepts certificate assertions in both documented forms (PS256 + x5t#S256, RS256 + x5t)', async () => {
    const cert = await generateClientCertificate('contract');
    const reg = (
      await raw.admin('POST', '/apps', {
        permissions: ['User.Read.All'],
        certificatePem: cert.certPem,
        secret: false,
      })
    ).json;
    for (const alg of ['PS256', 'RS256'] as const) {
      const jwt = await assertion({ appId: reg.appId, keyPem: cert.keyPem, certPem: cert.certPem, alg });
      const r = await raw.send(
        'POST',
        tokenUrl(),
        form({
          client_id: reg.appId,
          grant_type: 'client_credentials',
          scope: `${raw.info.graphUrl}/.default`,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: jwt,
        }),
      );
      expect(r.status).toBe(200);
      const claims = decodeJwt(r.json.access_token);
      expect(claims['roles']).toEqual(['User.Read.All']);
      expect(claims['appidacr']).toBe('2');
    }
  });

  it('refuses an expired assertion (AADSTS700024) and one signed by another key (AADSTS700027)', async () => {
    const cert = await generateClientCertificate('contract');
    const other = await generateClientCertificate('other');
    const reg = (
      await raw.admin('POST', '/apps', { permissions: [], certificatePem: cert.certPem, secret: false })
    ).json;
    const expired = await assertion({
      appId: reg.appId,
      keyPem: cert.keyPem,
      certPem: cert.certPem,
      alg: 'RS256',
      exp: Math.floor(Date.now() / 1000) - 3600,
    });
    const r1 = await raw.send(
      'POST',
      tokenUrl(),
      form({
        client_id: reg.appId,
        grant_type: 'client_credentials',
        scope: `${raw.info.graphUrl}/.default`,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: expired,
      }),
    );
    expect(r1.json.error_codes).toEqual([700024]);
    // Right thumbprint, wrong key: the signature does not verify.
    const forged = await assertion({
      appId: reg.appId,
      keyPem: other.keyPem,
      certPem: cert.certPem,
      alg: 'RS256',
    });
    const r2 = await raw.send(
      'POST',
      tokenUrl(),
      form({
        client_id: reg.appId,
        grant_type: 'client_credentials',
        scope: `${raw.info.graphUrl}/.default`,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: forged,
      }),
    );
    expect(r2.json.error_codes).toEqual([700027]);
    // A tampered assertion (payload changed after signing) fails the same way.
    const good = await assertion({
      appId: reg.appId,
      keyPem: cert.keyPem,
      certPem: cert.certPem,
      alg: 'RS256',
    });
    const [h, , s] = good.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(good), exp: 9999999999 })).toString('base64url')}.${s}`;
    const r3 = await raw.send(
      'POST',
      tokenUrl(),
      form({
        client_id: reg.appId,
        grant_type: 'client_credentials',
        scope: `${raw.info.graphUrl}/.default`,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: tampered,
      }),
    );
    expect(r3.json.error_codes).toEqual([700027]);
  });
});

describe('Graph token checks', () => {
  it('rejects a missing, forged or foreign token with 401 InvalidAuthenticationToken', async () => {
    const none = await raw.send('GET', `${raw.info.graphUrl}/v1.0/users`);
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe('InvalidAuthenticationToken');
    const token = await raw.accessToken();
    const [h, p] = token.split('.');
    const forged = await raw.send('GET', `${raw.info.graphUrl}/v1.0/users`, {
      headers: { authorization: `Bearer ${h}.${p}.AAAA` },
    });
    expect(forged.status).toBe(401);
  });
});

describe('authorization code flow with PKCE', () => {
  it('signs a user in and issues an id_token that verifies against the JWKS', async () => {
    const redirectUri = 'https://app.example/callback';
    const reg = (await raw.admin('POST', '/apps', { redirectUris: [redirectUri], permissions: [] })).json;
    const users = (await raw.admin('GET', '/users')).json.value as {
      userPrincipalName: string;
      password: string;
      accountEnabled: boolean;
      id: string;
    }[];
    const user = users.find(
      (u) => u.accountEnabled && !u.userPrincipalName.includes('#EXT#'),
    ) as (typeof users)[number];
    const verifier = 'v'.repeat(50);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const params = {
      client_id: reg.appId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid profile email offline_access',
      state: 's1',
      nonce: 'n1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    const authorize = `${raw.info.loginUrl}/${raw.info.tenantId}/oauth2/v2.0/authorize`;
    const page = await raw.send('GET', `${authorize}?${new URLSearchParams(params).toString()}`);
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain('name="password"');

    const wrong = await raw.send(
      'POST',
      authorize,
      form({ ...params, username: user.userPrincipalName, password: 'nope' }),
    );
    expect(wrong.body.toString()).toContain('AADSTS50126');
    const ok = await raw.send(
      'POST',
      authorize,
      form({ ...params, username: user.userPrincipalName, password: user.password }),
    );
    expect(ok.status).toBe(302);
    const location = new URL(ok.headers['location'] as string);
    expect(location.searchParams.get('state')).toBe('s1');
    const code = location.searchParams.get('code') as string;

    const badVerifier = await raw.send(
      'POST',
      tokenUrl(),
      form({
        client_id: reg.appId,
        client_secret: reg.clientSecret,
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: 'w'.repeat(50),
      }),
    );
    expect(badVerifier.json.error_codes).toEqual([501481]);
    const ok2 = await raw.send(
      'POST',
      authorize,
      form({ ...params, username: user.userPrincipalName, password: user.password }),
    );
    const code2 = new URL(ok2.headers['location'] as string).searchParams.get('code') as string;
    const tokens = await raw.send(
      'POST',
      tokenUrl(),
      form({
        client_id: reg.appId,
        client_secret: reg.clientSecret,
        grant_type: 'authorization_code',
        code: code2,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      }),
    );
    expect(tokens.status).toBe(200);
    expect(tokens.json.refresh_token).toBeTruthy();
    const keys = (await raw.send('GET', `${raw.info.loginUrl}/${raw.info.tenantId}/discovery/v2.0/keys`))
      .json;
    const key = await importJWK(keys.keys[0], 'RS256');
    const { payload } = await jwtVerify(tokens.json.id_token, key, {
      issuer: `${raw.info.loginUrl}/${raw.info.tenantId}/v2.0`,
      audience: reg.appId,
    });
    expect(payload).toMatchObject({
      nonce: 'n1',
      oid: user.id,
      preferred_username: user.userPrincipalName,
      tid: raw.info.tenantId,
      ver: '2.0',
    });

    const reused = await raw.send(
      'POST',
      tokenUrl(),
      form({
        client_id: reg.appId,
        client_secret: reg.clientSecret,
        grant_type: 'authorization_code',
        code: code2,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      }),
    );
    expect(reused.json.error_codes).toEqual([54005]);
  });
});
