import { createHash, randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import type { RawGraph, RawResponse } from '../../../test/support/raw-graph.js';
import { generateClientCertificate } from '../../tls.js';

/**
 * Test helper: SharePoint REST as a client sees it — a token for the tenant's SharePoint resource
 * (client credentials with a certificate assertion, or a secret), and requests to a site's `_api`
 * on the emulator's origin.
 */

const form = (o: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(o).toString(),
});

export const tokenUrl = (raw: RawGraph) => `${raw.info.loginUrl}/${raw.info.tenantId}/oauth2/v2.0/token`;

/** An app registered with a certificate (no secret) and these application permissions. */
export async function certificateApp(raw: RawGraph, permissions: string[]) {
  const cert = await generateClientCertificate('sp-rest');
  const reg = (await raw.admin('POST', '/apps', { permissions, certificatePem: cert.certPem, secret: false }))
    .json as { appId: string };
  return { appId: reg.appId, cert };
}

/** A client-credentials token request signed with the app's certificate (RS256, x5t). */
export async function certificateToken(
  raw: RawGraph,
  app: Awaited<ReturnType<typeof certificateApp>>,
  resource: string,
): Promise<RawResponse> {
  const key = await importPKCS8(app.cert.keyPem, 'RS256');
  const der = Buffer.from(app.cert.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', x5t: createHash('sha1').update(der).digest('base64url') })
    .setIssuer(app.appId)
    .setSubject(app.appId)
    .setAudience(tokenUrl(raw))
    .setNotBefore(now - 60)
    .setExpirationTime(now + 600)
    .sign(key);
  return raw.send(
    'POST',
    tokenUrl(raw),
    form({
      client_id: app.appId,
      grant_type: 'client_credentials',
      scope: `${resource}/.default`,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }),
  );
}

/** The default app's client-secret token for `resource`. */
export function secretToken(raw: RawGraph, resource: string): Promise<RawResponse> {
  return raw.send(
    'POST',
    tokenUrl(raw),
    form({
      client_id: raw.info.clientId,
      client_secret: raw.info.clientSecret,
      grant_type: 'client_credentials',
      scope: `${resource}/.default`,
    }),
  );
}

export { userToken } from '../shared/delegated-client.js';

/** A request to `{site path}/_api/{api}` on the emulator, with a bearer token. */
export function spRequest(
  raw: RawGraph,
  method: string,
  webUrl: string,
  api: string,
  token: string | undefined,
  opts: { headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<RawResponse> {
  const path = new URL(webUrl).pathname.replace(/\/$/, '');
  return raw.send(method, `${raw.info.graphUrl}${path}/_api/${api}`, {
    headers: {
      accept: 'application/json;odata=nometadata',
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
      ...opts.headers,
    },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  });
}

/** OData string literal for a REST path: quotes doubled, then percent-encoded. */
export const literal = (s: string) => encodeURIComponent(s.replace(/'/g, "''"));

/** What the tests read of Graph's site, list and list item. */
export interface SiteJson {
  id: string;
  webUrl: string;
  root?: object;
}
export interface ListJson {
  id: string;
  name: string;
  displayName: string;
  list: { template: string };
}
export interface ItemJson {
  id: string;
  fields: Record<string, unknown>;
}

/**
 * A tenant to test attachments on: an app-only SharePoint token (certificate,
 * Sites.ReadWrite.All), a team site, a custom list, an item with generated attachments and one
 * without, and shorthands for requests to that site.
 */
export async function attachmentFixture(raw: RawGraph) {
  const sites = (await raw.all('/v1.0/sites/getAllSites')).items as SiteJson[];
  const resource = new URL(sites.find((s) => s.root)?.webUrl as string).origin;
  const app = await certificateApp(raw, ['Sites.ReadWrite.All']);
  const token = ((await certificateToken(raw, app, resource)).json as { access_token: string }).access_token;
  for (const site of sites.filter((x) => x.webUrl.includes('/sites/'))) {
    for (const list of (await raw.all(`/v1.0/sites/${site.id}/lists`)).items as ListJson[]) {
      if (list.list.template === 'documentLibrary') continue;
      const items = (await raw.all(`/v1.0/sites/${site.id}/lists/${list.id}/items?$expand=fields`))
        .items as ItemJson[];
      const item = items.find((i) => i.fields['Attachments'] === true);
      const bare = items.find((i) => i.fields['Attachments'] === false);
      if (!item || !bare) continue;
      const get = (
        api: string,
        accept = 'application/json;odata=nometadata',
        headers: Record<string, string> = {},
      ) => spRequest(raw, 'GET', site.webUrl, api, token, { headers: { accept, ...headers } });
      return { token, sites, site, list, item, bare, get };
    }
  }
  throw new Error('no list item with attachments in the generated tenant');
}

/** `web/lists(guid'…')/items(n)` */
export const itemApi = (l: { id?: unknown }, id: string | number) =>
  `web/lists(guid'${String(l.id)}')/items(${id})`;

/** The file names of an AttachmentFiles answer (no metadata). */
export const names = (r: RawResponse) =>
  ((r.json as { value: { FileName: string }[] }).value ?? []).map((a) => a.FileName);
