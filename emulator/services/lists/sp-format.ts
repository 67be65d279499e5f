import { randomUUID } from 'node:crypto';
import type { EmuRequest, EmuResponse } from '../../core/types.js';

/**
 * SharePoint REST's wire formats (OData v3): JSON light with no or minimal metadata, verbose JSON,
 * and Atom XML, which SharePoint answers when the Accept header asks for no JSON at all. Errors
 * follow the same format: `{"odata.error":…}`, `{"error":…}` or `<m:error>`.
 */

export type SpFormat = 'nometadata' | 'minimalmetadata' | 'verbose' | 'atom';

/** A failure answered in SharePoint's OData error shape (`code` is "HRESULT, Exception type"). */
export class SharePointError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** `-1, Microsoft.SharePoint.Client.InvalidClientQueryException`: a request SharePoint cannot parse. */
export const invalidQuery = (message: string) =>
  new SharePointError(400, '-1, Microsoft.SharePoint.Client.InvalidClientQueryException', message);

/** A complex value (SP.ResourcePath and the like): its type name and string fields. */
export interface SpComplex {
  complexType: string;
  fields: Record<string, string>;
}
export type SpValue = string | SpComplex;

/** An entity: its OData type, absolute id, edit link (relative to `_api/`) and properties in order. */
export interface SpEntity {
  type: string;
  id: string;
  editLink: string;
  properties: Record<string, SpValue>;
}

const CONTENT_TYPES: Record<Exclude<SpFormat, 'atom'>, string> = {
  nometadata: 'application/json;odata=nometadata;streaming=true;charset=utf-8',
  minimalmetadata: 'application/json;odata=minimalmetadata;streaming=true;charset=utf-8',
  verbose: 'application/json;odata=verbose;charset=utf-8',
};

/**
 * The format the Accept header asks for. Plain `application/json` is minimal metadata (SharePoint
 * Online's default); the OData v4 spellings (`odata.metadata=none|minimal|full`) are read as
 * their v3 equivalents and full metadata as minimal; anything without JSON gets Atom.
 */
export function formatOf(req: EmuRequest): SpFormat {
  for (const part of (req.headers['accept'] ?? '').split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (type !== 'application/json') continue;
    const level = params.map((p) => /^odata(?:\.metadata)?=(.*)$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (level === 'verbose') return 'verbose';
    if (level === 'nometadata' || level === 'none') return 'nometadata';
    return 'minimalmetadata';
  }
  return 'atom';
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function jsonValue(v: SpValue, verbose: boolean): unknown {
  if (typeof v === 'string') return v;
  return verbose ? { __metadata: { type: v.complexType }, ...v.fields } : { ...v.fields };
}

function jsonEntity(e: SpEntity, format: SpFormat): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (format === 'minimalmetadata')
    Object.assign(out, { 'odata.type': e.type, 'odata.id': e.id, 'odata.editLink': e.editLink });
  if (format === 'verbose') out['__metadata'] = { id: e.id, uri: e.id, type: e.type };
  for (const [k, v] of Object.entries(e.properties)) out[k] = jsonValue(v, format === 'verbose');
  return out;
}

const ATOM_NS =
  'xmlns="http://www.w3.org/2005/Atom" xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns:georss="http://www.georss.org/georss" xmlns:gml="http://www.opengis.net/gml"';

function atomEntry(e: SpEntity, root: string): string {
  const props = Object.entries(e.properties)
    .map(([k, v]) =>
      typeof v === 'string'
        ? `<d:${k}>${xmlEscape(v)}</d:${k}>`
        : `<d:${k} m:type="${v.complexType}">${Object.entries(v.fields)
            .map(([f, x]) => `<d:${f}>${xmlEscape(x)}</d:${f}>`)
            .join('')}</d:${k}>`,
    )
    .join('');
  return (
    `<entry${root}><id>${xmlEscape(e.id)}</id>` +
    `<category term="${e.type}" scheme="http://schemas.microsoft.com/ado/2007/08/dataservices/scheme" />` +
    `<link rel="edit" href="${xmlEscape(e.editLink)}" /><title /><updated>${new Date().toISOString()}</updated>` +
    `<author><name /></author><content type="application/xml"><m:properties>${props}</m:properties></content></entry>`
  );
}

const XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>';

function headers(contentType: string): Record<string, string> {
  // SharePoint's correlation id, sent with every answer.
  return { 'content-type': contentType, sprequestguid: randomUUID(), 'x-content-type-options': 'nosniff' };
}

/** A collection of entities (`entitySet` names it in the minimal metadata context URL). */
export function collectionResponse(
  format: SpFormat,
  apiBase: string,
  entitySet: string,
  selfUrl: string,
  entities: SpEntity[],
): EmuResponse {
  if (format === 'atom') {
    const body = `${XML_HEAD}<feed xml:base="${xmlEscape(apiBase)}" ${ATOM_NS}><id>${xmlEscape(selfUrl)}</id><title /><updated>${new Date().toISOString()}</updated>${entities.map((e) => atomEntry(e, '')).join('')}</feed>`;
    return { status: 200, headers: headers('application/atom+xml;type=feed;charset=utf-8'), body };
  }
  const value = entities.map((e) => jsonEntity(e, format));
  const json =
    format === 'verbose'
      ? { d: { results: value } }
      : format === 'minimalmetadata'
        ? { 'odata.metadata': `${apiBase}$metadata#${entitySet}`, value }
        : { value };
  return { status: 200, headers: headers(CONTENT_TYPES[format]), json };
}

/** One entity (`status` 200, or 201 where SharePoint creates). */
export function entityResponse(
  format: SpFormat,
  apiBase: string,
  entitySet: string,
  e: SpEntity,
  status = 200,
): EmuResponse {
  if (format === 'atom') {
    const body = `${XML_HEAD}${atomEntry(e, ` xml:base="${xmlEscape(apiBase)}" ${ATOM_NS}`)}`;
    return { status, headers: headers('application/atom+xml;type=entry;charset=utf-8'), body };
  }
  const entity = jsonEntity(e, format);
  const json =
    format === 'verbose'
      ? { d: entity }
      : format === 'minimalmetadata'
        ? { 'odata.metadata': `${apiBase}$metadata#${entitySet}/@Element`, ...entity }
        : entity;
  return { status, headers: headers(CONTENT_TYPES[format]), json };
}

/** The empty 200 SharePoint sends for a deletion. */
export const emptyResponse = (): EmuResponse => ({
  status: 200,
  headers: { sprequestguid: randomUUID() },
  body: '',
});

export function errorResponse(format: SpFormat, e: SharePointError): EmuResponse {
  if (format === 'atom') {
    const body = `${XML_HEAD}<m:error xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"><m:code>${xmlEscape(e.code)}</m:code><m:message xml:lang="en-US">${xmlEscape(e.message)}</m:message></m:error>`;
    return { status: e.status, headers: headers('application/xml;charset=utf-8'), body };
  }
  const error = { code: e.code, message: { lang: 'en-US', value: e.message } };
  return {
    status: e.status,
    headers: headers(CONTENT_TYPES[format]),
    json: format === 'verbose' ? { error } : { 'odata.error': error },
  };
}

/** `$select` on entities of `type` (whose properties are `names`): case-insensitive; unknown ones refused. */
export function selectProperties(
  req: EmuRequest,
  entities: SpEntity[],
  type: string,
  names: readonly string[],
): SpEntity[] {
  const raw = req.query.get('$select');
  if (!raw || raw.trim() === '*') return entities;
  const keep = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((w) => {
      const name = names.find((n) => n.toLowerCase() === w.toLowerCase());
      if (!name)
        throw invalidQuery(
          `The property '${w}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type.`,
        );
      return name;
    });
  return entities.map((e) => ({
    ...e,
    properties: Object.fromEntries(Object.entries(e.properties).filter(([k]) => keep.includes(k))),
  }));
}
