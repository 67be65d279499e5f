import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RawGraph } from '../../../test/support/raw-graph.js';
import {
  certificateApp,
  certificateToken,
  secretToken,
  spRequest,
  tokenUrl,
  userToken,
} from './sp-test-client.js';

/**
 * Who SharePoint REST lets in, from Microsoft's documentation of app-only access to SharePoint
 * ("Granting access via Entra ID App-Only": certificates only) and the Microsoft identity platform:
 * tokens for the tenant's SharePoint resources, certificate app-only tokens with a Sites role,
 * delegated tokens with a SharePoint scope; Graph tokens are not SharePoint's and vice versa.
 */

type Json = Record<string, any>;

let raw: RawGraph;
let stop: () => Promise<void>;
/** `https://{name}.sharepoint.com` and its `-my` twin. */
let spo: string;
let my: string;
/** A team site with a custom list item, its people, and a team site of other people. */
let site: Json;
let other: Json;
let member: Json;
let listId: string;
let itemId: string;

const attachmentsOf = (webUrl: string, token: string | undefined, headers: Record<string, string> = {}) =>
  spRequest(raw, 'GET', webUrl, `web/lists(guid'${listId}')/items(${itemId})/AttachmentFiles`, token, {
    headers,
  });
const add = (token: string, name: string) =>
  spRequest(
    raw,
    'POST',
    site.webUrl,
    `web/lists(guid'${listId}')/items(${itemId})/AttachmentFiles/add(FileName='${name}')`,
    token,
    { body: 'x' },
  );

beforeAll(async () => {
  ({ raw, stop } = await startEmulator());
  const sites = (await raw.all('/v1.0/sites/getAllSites')).items;
  spo = new URL(sites.find((s) => s.root)?.webUrl as string).origin;
  my = spo.replace('.sharepoint.com', '-my.sharepoint.com');
  const users = (await raw.admin('GET', '/users')).json.value as Json[];
  const groups = (await raw.all('/v1.0/groups')).items.filter((g) => g.groupTypes.includes('Unified'));
  const people = async (g: Json) =>
    new Set(
      [
        ...(await raw.all(`/v1.0/groups/${g.id}/members`)).items,
        ...(await raw.all(`/v1.0/groups/${g.id}/owners`)).items,
      ].map((u) => u.id as string),
    );
  const inGroup = new Map<string, Set<string>>();
  for (const g of groups) inGroup.set(g.id, await people(g));
  search: for (const g of groups) {
    for (const outside of groups) {
      const candidate = users.find(
        (u) =>
          u.accountEnabled &&
          u.mailbox === 'user' &&
          inGroup.get(g.id)?.has(u.id) &&
          !inGroup.get(outside.id)?.has(u.id),
      );
      if (!candidate) continue;
      member = candidate;
      site = (await raw.get(`/v1.0/groups/${g.id}/sites/root`)).json;
      other = (await raw.get(`/v1.0/groups/${outside.id}/sites/root`)).json;
      break search;
    }
  }
  const list = (await raw.all(`/v1.0/sites/${site.id}/lists`)).items.find(
    (l) => l.list.template === 'genericList',
  );
  listId = list.id;
  itemId = (await raw.all(`/v1.0/sites/${site.id}/lists/${listId}/items`)).items[0].id;
});
afterAll(() => stop());

describe('tokens for the SharePoint resource', () => {
  it('are issued for both SharePoint hosts of the tenant, with that audience, and for no other', async () => {
    const app = await certificateApp(raw, ['Sites.Read.All']);
    for (const resource of [spo, my]) {
      const r = await certificateToken(raw, app, resource);
      expect(r.status).toBe(200);
      expect(decodeJwt(r.json.access_token)).toMatchObject({ aud: resource, appidacr: '2' });
      expect((await attachmentsOf(site.webUrl, r.json.access_token)).status).toBe(200);
    }
    const foreign = await certificateToken(raw, app, 'https://fabrikam.sharepoint.com');
    expect(foreign.status).toBe(400);
    expect(foreign.json.error_codes).toEqual([500011]);
  });

  it('are refused by Graph, and Graph tokens by SharePoint', async () => {
    const app = await certificateApp(raw, ['Sites.Read.All']);
    const sp = (await certificateToken(raw, app, spo)).json.access_token;
    const graph = await raw.send('GET', `${raw.info.graphUrl}/v1.0/sites/${site.id}`, {
      headers: { authorization: `Bearer ${sp}` },
    });
    expect(graph.status).toBe(401);
    expect(graph.json.error.code).toBe('InvalidAuthenticationToken');
    const r = await attachmentsOf(site.webUrl, await raw.accessToken());
    expect(r.status).toBe(401);
    expect(r.json).toEqual({
      error_description:
        "Exception of type 'Microsoft.IdentityModel.Tokens.AudienceUriValidationFailedException' was thrown.",
    });
    expect(r.headers['x-ms-diagnostics']).toMatch(/^3000003;reason="Invalid audience Uri/);
  });

  it('answers an app-only token from a client secret with 401 "Unsupported app only token."', async () => {
    const t = await secretToken(raw, spo);
    expect(t.status).toBe(200);
    expect(decodeJwt(t.json.access_token)['appidacr']).toBe('1');
    const r = await attachmentsOf(site.webUrl, t.json.access_token);
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ error_description: 'Unsupported app only token.' });
    expect(r.headers['www-authenticate']).toContain(`Bearer realm="${raw.info.tenantId}"`);
    expect(r.headers['www-authenticate']).toContain('client_id="00000003-0000-0ff1-ce00-000000000000"');
  });

  it('denies an anonymous request and challenges a bad bearer token', async () => {
    const anonymous = await attachmentsOf(site.webUrl, undefined);
    expect(anonymous.status).toBe(403);
    expect(anonymous.json['odata.error'].code).toBe('-2147024891, System.UnauthorizedAccessException');
    const forged = await attachmentsOf(site.webUrl, 'eyJhbGciOiJub25lIn0.e30.');
    expect(forged.status).toBe(401);
    expect(forged.json).toEqual({ error_description: 'Invalid issuer or signature.' });
    expect(forged.headers['www-authenticate']).toMatch(/^Bearer realm=/);
  });
});

describe('permissions', () => {
  it('needs a Sites role to read and a write role to change', async () => {
    const none = await certificateApp(raw, ['User.Read.All']);
    const denied = await attachmentsOf(
      site.webUrl,
      (await certificateToken(raw, none, spo)).json.access_token,
    );
    expect(denied.status).toBe(403);
    expect(denied.json['odata.error']).toEqual({
      code: '-2147024891, System.UnauthorizedAccessException',
      message: { lang: 'en-US', value: 'Access denied.' },
    });
    const reader = await certificateApp(raw, ['Sites.Read.All']);
    const token = (await certificateToken(raw, reader, spo)).json.access_token;
    expect((await attachmentsOf(site.webUrl, token)).status).toBe(200);
    const write = await add(token, 'reader.txt');
    expect(write.status).toBe(403);
    const verbose = await attachmentsOf(
      site.webUrl,
      (await certificateToken(raw, none, spo)).json.access_token,
      {
        accept: 'application/json;odata=verbose',
      },
    );
    expect(verbose.json.error.code).toBe('-2147024891, System.UnauthorizedAccessException');
  });

  it('lets a signed-in member with a SharePoint scope in, and nobody else', async () => {
    const readOnly = await userToken(raw, member as never, ['AllSites.Read'], `${spo}/AllSites.Read`);
    expect(readOnly.status).toBe(200);
    expect(decodeJwt(readOnly.json.access_token)).toMatchObject({ aud: spo, scp: 'AllSites.Read' });
    expect(readOnly.json.scope).toBe(`${spo}/AllSites.Read`);
    const token = readOnly.json.access_token as string;
    expect((await attachmentsOf(site.webUrl, token)).status).toBe(200);
    expect((await add(token, 'user.txt')).status).toBe(403);
    const elsewhere = await spRequest(
      raw,
      'GET',
      other.webUrl,
      `web/lists/getbytitle('Nothing')/items(1)/AttachmentFiles`,
      token,
    );
    expect(elsewhere.status).toBe(403);
  });

  it('turns a Graph sign-in into a SharePoint token with the refresh token (.default)', async () => {
    const graph = await userToken(
      raw,
      member as never,
      ['User.Read', 'AllSites.Write', 'offline_access'],
      'User.Read offline_access',
    );
    expect(decodeJwt(graph.json.access_token)['aud']).not.toBe(spo);
    const refreshed = await raw.send('POST', tokenUrl(raw), {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: graph.app.appId,
        client_secret: graph.app.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: graph.json.refresh_token,
        scope: `${spo}/.default offline_access`,
      }).toString(),
    });
    expect(refreshed.status).toBe(200);
    // `.default` of SharePoint: the consented scopes that are SharePoint's, not User.Read.
    expect(decodeJwt(refreshed.json.access_token)).toMatchObject({ aud: spo, scp: 'AllSites.Write' });
    expect((await add(refreshed.json.access_token, 'delegated.txt')).status).toBe(200);
  });
});

describe('throttling', () => {
  it('charges SharePoint REST 2 resource units a request', async () => {
    const app = await certificateApp(raw, ['Sites.Read.All']);
    const token = (await certificateToken(raw, app, spo)).json.access_token;
    await raw.admin('POST', '/metrics/reset');
    for (let i = 0; i < 3; i++) await attachmentsOf(site.webUrl, token);
    expect((await raw.admin('GET', '/metrics')).json.resourceUnits).toBe(6);
  });
});
