import { strToU8, zipSync } from 'fflate';
import type { Zippable } from 'fflate';

/**
 * Shared Open Packaging Convention plumbing for the .docx/.xlsx/.pptx builders: XML escaping,
 * relationship and content-type parts, document properties and a deterministic zip.
 */

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

export const NS = {
  relationships: 'http://schemas.openxmlformats.org/package/2006/relationships',
  officeRel: 'http://schemas.openxmlformats.org/officeDocument/2006/relationships',
  contentTypes: 'http://schemas.openxmlformats.org/package/2006/content-types',
} as const;

export const REL_TYPE = {
  officeDocument: `${NS.officeRel}/officeDocument`,
  coreProperties: 'http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties',
  extendedProperties: `${NS.officeRel}/extended-properties`,
} as const;

/**
 * Escapes text for XML content and attribute values, and drops characters XML 1.0 cannot
 * represent at all (most C0 controls, lone surrogates, U+FFFE/U+FFFF), which would otherwise
 * make Office refuse the whole file.
 */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export interface Relationship {
  id: string;
  type: string;
  target: string;
}

export function relationshipsXml(rels: readonly Relationship[]): string {
  const items = rels.map(
    (r) => `<Relationship Id="${r.id}" Type="${r.type}" Target="${xmlEscape(r.target)}"/>`,
  );
  return `${XML_DECLARATION}<Relationships xmlns="${NS.relationships}">${items.join('')}</Relationships>`;
}

/** [Content_Types].xml: defaults for rels/xml (and png) plus one override per main part. */
export function contentTypesXml(overrides: readonly [partName: string, contentType: string][]): string {
  const defaults = [
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>',
    '<Default Extension="xml" ContentType="application/xml"/>',
  ];
  const all = [
    ...overrides,
    ['/docProps/core.xml', 'application/vnd.openxmlformats-package.core-properties+xml'],
    ['/docProps/app.xml', 'application/vnd.openxmlformats-officedocument.extended-properties+xml'],
  ];
  const items = all.map(([part, type]) => `<Override PartName="${part}" ContentType="${type}"/>`);
  return `${XML_DECLARATION}<Types xmlns="${NS.contentTypes}">${defaults.join('')}${items.join('')}</Types>`;
}

/** _rels/.rels pointing at the main part and the two property parts. */
export function packageRelationshipsXml(mainPart: string): string {
  return relationshipsXml([
    { id: 'rId1', type: REL_TYPE.officeDocument, target: mainPart },
    { id: 'rId2', type: REL_TYPE.coreProperties, target: 'docProps/core.xml' },
    { id: 'rId3', type: REL_TYPE.extendedProperties, target: 'docProps/app.xml' },
  ]);
}

export interface DocumentProperties {
  title?: string;
  author?: string;
  /** Defaults to 2020-01-01T00:00:00Z so output never depends on the clock. */
  created?: Date;
}

const DEFAULT_CREATED = new Date('2020-01-01T00:00:00Z');

function w3cdtf(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function corePropertiesXml(props: DocumentProperties): string {
  const created = w3cdtf(props.created ?? DEFAULT_CREATED);
  const parts = [
    props.title !== undefined ? `<dc:title>${xmlEscape(props.title)}</dc:title>` : '',
    props.author !== undefined ? `<dc:creator>${xmlEscape(props.author)}</dc:creator>` : '',
    props.author !== undefined ? `<cp:lastModifiedBy>${xmlEscape(props.author)}</cp:lastModifiedBy>` : '',
    `<dcterms:created xsi:type="dcterms:W3CDTF">${created}</dcterms:created>`,
    `<dcterms:modified xsi:type="dcterms:W3CDTF">${created}</dcterms:modified>`,
  ];
  return (
    `${XML_DECLARATION}<cp:coreProperties` +
    ' xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"' +
    ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"' +
    ' xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `${parts.join('')}</cp:coreProperties>`
  );
}

/** docProps/app.xml; `extra` holds application-specific elements such as <Slides>. */
export function appPropertiesXml(application: string, extra = ''): string {
  return (
    `${XML_DECLARATION}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"` +
    ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">' +
    `<Application>${xmlEscape(application)}</Application>${extra}<AppVersion>16.0000</AppVersion></Properties>`
  );
}

/**
 * fflate writes DOS timestamps from the Date's *local* fields, so a UTC instant would give
 * different bytes in different time zones. A Date built from local fields always encodes as
 * 2020-01-01 00:00:00, whatever TZ the emulator runs in.
 */
const ZIP_MTIME = new Date(2020, 0, 1, 0, 0, 0);

/** Zips parts in the given order ([Content_Types].xml should come first). */
export function zipPackage(parts: readonly [path: string, xml: string][]): Buffer {
  const files: Zippable = {};
  for (const [path, xml] of parts) files[path] = [strToU8(xml), { mtime: ZIP_MTIME }];
  return Buffer.from(zipSync(files, { level: 1, mtime: ZIP_MTIME }));
}
