import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, GraphError } from '../../src/graph/index.js';
import { generateClientCertificate } from '../../emulator/tls.js';
import { startEmulator, type RawGraph } from '../support/raw-graph.js';
import { clientFor } from '../support/graph-client.js';
import type { Emulator } from '../../emulator/server.js';

let emulator: Emulator;
let raw: RawGraph;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ emulator, raw, stop } = await startEmulator());
});
afterAll(() => stop());

async function registerApp(
  body: Record<string, unknown>,
): Promise<{ appId: string; clientSecret: string | null }> {
  const r = await raw.admin('POST', '/apps', body);
  expect(r.status).toBe(201);
  return r.json as { appId: string; clientSecret: string | null };
}

describe('sign-in with MSAL against the emulator', () => {
  it('gets a token with the client secret and calls Graph', async () => {
    const client = clientFor(emulator.info);
    const users = await client.get<{ value: unknown[] }>('/users?$top=1');
    expect(users.value).toHaveLength(1);
    await client.close();
  });

  it('reports a wrong client secret with Entra ID code 7000215', async () => {
    const client = clientFor(emulator.info, { credential: { kind: 'secret', secret: 'not-the-secret' } });
    const err = await client.get('/users').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).aadstsCode).toBe(7000215);
    await client.close();
  });

  it('reports an unknown tenant with code 90002', async () => {
    const client = clientFor(emulator.info, { tenantId: '00000000-1111-2222-3333-444444444444' });
    const err = await client.get('/users').catch((e: unknown) => e);
    expect((err as AuthenticationError).aadstsCode).toBe(90002);
    await client.close();
  });

  it('signs in with a certificate whose private key is password-protected', async () => {
    const cert = await generateClientCertificate('safehold-test', { password: 'correct horse' });
    expect(cert.keyPem).toContain('ENCRYPTED PRIVATE KEY');
    const app = await registerApp({
      permissions: ['User.Read.All'],
      certificatePem: cert.certPem,
      secret: false,
    });
    const client = clientFor(emulator.info, {
      clientId: app.appId,
      credential: {
        kind: 'certificate',
        certificatePem: cert.certPem,
        privateKeyPem: cert.keyPem,
        password: 'correct horse',
      },
    });
    const users = await client.get<{ value: unknown[] }>('/users?$top=2');
    expect(users.value).toHaveLength(2);
    await client.close();
  });

  it('refuses a wrong certificate password before any request', async () => {
    const cert = await generateClientCertificate('safehold-test', { password: 'right' });
    expect(() =>
      clientFor(emulator.info, {
        credential: {
          kind: 'certificate',
          certificatePem: cert.certPem,
          privateKeyPem: cert.keyPem,
          password: 'wrong',
        },
      }),
    ).toThrow(AuthenticationError);
  });

  it('reports a certificate the app does not know with code 700027', async () => {
    const registered = await generateClientCertificate('registered');
    const other = await generateClientCertificate('other');
    const app = await registerApp({
      permissions: ['User.Read.All'],
      certificatePem: registered.certPem,
      secret: false,
    });
    const client = clientFor(emulator.info, {
      clientId: app.appId,
      credential: { kind: 'certificate', certificatePem: other.certPem, privateKeyPem: other.keyPem },
    });
    const err = await client.get('/users').catch((e: unknown) => e);
    expect((err as AuthenticationError).aadstsCode).toBe(700027);
    await client.close();
  });

  it('gets 403 for a call the app has no permission for', async () => {
    const app = await registerApp({ permissions: ['Group.Read.All'] });
    const client = clientFor(emulator.info, {
      clientId: app.appId,
      credential: { kind: 'secret', secret: app.clientSecret as string },
    });
    expect((await client.get<{ value: unknown[] }>('/groups')).value.length).toBeGreaterThan(0);
    const err = await client.get('/users').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).status).toBe(403);
    expect((err as GraphError).code).toBe('Authorization_RequestDenied');
    await client.close();
  });

  it('renews its token once when Graph rejects it, then succeeds', async () => {
    const client = clientFor(emulator.info);
    await client.get('/users?$top=1');
    await raw.admin('POST', '/faults', {
      path: '^/v1\\.0/groups',
      kind: 'status',
      status: 401,
      code: 'InvalidAuthenticationToken',
    });
    const groups = await client.get<{ value: unknown[] }>('/groups');
    expect(groups.value.length).toBeGreaterThan(0);
    await client.close();
  });

  it('decorates traffic with the ISV User-Agent', async () => {
    const client = clientFor(emulator.info);
    await client.get('/users?$top=1');
    const metrics = (await raw.admin('GET', '/metrics')).json as { userAgents: Record<string, number> };
    expect(
      Object.keys(metrics.userAgents).some((ua) => /^ISV\|Safehold\|Safehold\/\d+\.\d+\.\d+/.test(ua)),
    ).toBe(true);
    await client.close();
  });
});
