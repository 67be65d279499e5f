import type { Readable } from 'node:stream';
import type { GraphClient, RequestOptions } from './client.js';
import { download } from './download.js';
import { AuthenticationError, MalformedResponseError } from './errors.js';
import type { RequestScope } from './scope.js';
import { readBody } from './transport.js';

/**
 * The slice of SharePoint's REST API that Graph lacks: list item attachments. Its token audience
 * is the site's origin, and Microsoft accepts app-only tokens there only when the app signed in
 * with a certificate, so these helpers refuse a secret up front.
 */

/** SharePoint REST has no published unit cost; Microsoft says it costs more than Graph's calls. */
const REST_SCOPE: RequestScope = { kind: 'sharepoint', key: 'spo', cost: 2 };
const NOMETADATA = 'application/json;odata=nometadata';

export interface AttachmentFile {
  fileName: string;
  serverRelativeUrl: string;
}

interface Target {
  url: string;
  resource: string;
}

/** Where a REST call for a site goes (`sharepointOrigin` may reroute it) and its token audience. */
export function sharePointTarget(client: GraphClient, webUrl: string, apiPath: string): Target {
  if (client.config.credential.kind !== 'certificate') {
    throw new AuthenticationError(
      'SharePoint REST (list item attachments) needs a certificate credential: Microsoft refuses app-only tokens obtained with a client secret there',
      undefined,
    );
  }
  const site = new URL(webUrl);
  const base = (client.config.sharepointOrigin ?? site.origin).replace(/\/+$/, '');
  return { url: `${base}${site.pathname.replace(/\/+$/, '')}/_api/${apiPath}`, resource: site.origin };
}

/** OData string literal in a REST path: quotes doubled, then percent-encoded. */
const literal = (s: string) => encodeURIComponent(s.replace(/'/g, "''"));

const itemPath = (listId: string, itemId: string | number) =>
  `web/lists(guid'${literal(listId)}')/items(${Number(itemId)})`;

async function restJson(
  client: GraphClient,
  method: string,
  target: Target,
  opts: RequestOptions = {},
): Promise<Record<string, unknown>> {
  const res = await client.send(method, target.url, {
    ...opts,
    resource: target.resource,
    scope: REST_SCOPE,
    headers: { accept: NOMETADATA, ...opts.headers },
  });
  if (res.body.length === 0) return {};
  try {
    return JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new MalformedResponseError(
      'SharePoint REST answered with something that is not JSON',
      res.status,
      target.url,
    );
  }
}

function toAttachment(raw: Record<string, unknown>): AttachmentFile {
  return { fileName: String(raw['FileName']), serverRelativeUrl: String(raw['ServerRelativeUrl']) };
}

/** The attachments of a list item (name and server-relative URL of each). */
export async function listItemAttachments(
  client: GraphClient,
  webUrl: string,
  listId: string,
  itemId: string | number,
  signal?: AbortSignal,
): Promise<AttachmentFile[]> {
  const target = sharePointTarget(client, webUrl, `${itemPath(listId, itemId)}/AttachmentFiles`);
  const body = await restJson(client, 'GET', target, signal ? { signal } : {});
  const value = body['value'];
  if (!Array.isArray(value))
    throw new MalformedResponseError("AttachmentFiles answer without a 'value' array", 200, target.url);
  return (value as Record<string, unknown>[]).map(toAttachment);
}

/** Streams a file by its server-relative URL (an attachment, or any file of the site). */
export function downloadSiteFile(
  client: GraphClient,
  webUrl: string,
  serverRelativeUrl: string,
  opts: { signal?: AbortSignal; start?: number } = {},
): Readable {
  const target = sharePointTarget(
    client,
    webUrl,
    `web/GetFileByServerRelativePath(decodedurl='${literal(serverRelativeUrl)}')/$value`,
  );
  return download(client, target.url, { ...opts, resource: target.resource });
}

/** Adds an attachment to a list item (restore); fails if the name is taken. */
export async function addListItemAttachment(
  client: GraphClient,
  webUrl: string,
  listId: string,
  itemId: string | number,
  fileName: string,
  data: Buffer,
): Promise<AttachmentFile> {
  const target = sharePointTarget(
    client,
    webUrl,
    `${itemPath(listId, itemId)}/AttachmentFiles/add(FileName='${literal(fileName)}')`,
  );
  const body = await restJson(client, 'POST', target, {
    body: data,
    headers: { 'content-type': 'application/octet-stream' },
  });
  return toAttachment(body);
}

/** Removes an attachment from a list item. */
export async function deleteListItemAttachment(
  client: GraphClient,
  webUrl: string,
  listId: string,
  itemId: string | number,
  fileName: string,
): Promise<void> {
  const target = sharePointTarget(
    client,
    webUrl,
    `${itemPath(listId, itemId)}/AttachmentFiles('${literal(fileName)}')`,
  );
  const res = await client.stream('DELETE', target.url, {
    resource: target.resource,
    scope: REST_SCOPE,
    headers: { accept: NOMETADATA },
  });
  await readBody(res.body, 1 << 20);
}
