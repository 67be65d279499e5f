import {
  appPropertiesXml,
  contentTypesXml,
  corePropertiesXml,
  packageRelationshipsXml,
  relationshipsXml,
  XML_DECLARATION,
  xmlEscape,
  zipPackage,
} from './ooxml-package.js';

/** Minimal WordprocessingML document: a Title paragraph followed by Normal paragraphs. */

export interface DocxSpec {
  title: string;
  author?: string;
  paragraphs: string[];
  /** Core-properties date; defaults to 2020-01-01. */
  created?: Date;
}

const W_NS = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';

/** Line breaks inside a paragraph become <w:br/>, tabs <w:tab/>, as Word itself writes them. */
function runXml(text: string): string {
  const pieces = text.split(/(\r\n|\n|\r|\t)/);
  const content = pieces
    .map((piece) => {
      if (piece === '\t') return '<w:tab/>';
      if (/^[\r\n]+$/.test(piece)) return '<w:br/>';
      return piece === '' ? '' : `<w:t xml:space="preserve">${xmlEscape(piece)}</w:t>`;
    })
    .join('');
  return `<w:r>${content}</w:r>`;
}

function paragraphXml(text: string, style?: string): string {
  const props = style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : '';
  return `<w:p>${props}${text === '' ? '' : runXml(text)}</w:p>`;
}

function documentXml(spec: DocxSpec): string {
  const body = [paragraphXml(spec.title, 'Title'), ...spec.paragraphs.map((p) => paragraphXml(p))].join('');
  // Letter page with 1" margins; Word requires sectPr to be the last child of body.
  const section =
    '<w:sectPr><w:pgSz w:w="12240" w:h="15840"/>' +
    '<w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" w:header="720" w:footer="720" w:gutter="0"/>' +
    '</w:sectPr>';
  return `${XML_DECLARATION}<w:document xmlns:w="${W_NS}"><w:body>${body}${section}</w:body></w:document>`;
}

function stylesXml(): string {
  return (
    `${XML_DECLARATION}<w:styles xmlns:w="${W_NS}">` +
    '<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:eastAsia="Calibri" w:cs="Calibri"/>' +
    '<w:sz w:val="22"/><w:szCs w:val="22"/><w:lang w:val="en-US"/></w:rPr></w:rPrDefault>' +
    '<w:pPrDefault><w:pPr><w:spacing w:after="160" w:line="259" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>' +
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>' +
    '<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/>' +
    '<w:next w:val="Normal"/><w:qFormat/><w:pPr><w:spacing w:after="240"/></w:pPr>' +
    '<w:rPr><w:sz w:val="56"/><w:szCs w:val="56"/></w:rPr></w:style>' +
    '</w:styles>'
  );
}

export function buildDocx(spec: DocxSpec): Buffer {
  const main = 'application/vnd.openxmlformats-officedocument.wordprocessingml';
  return zipPackage([
    [
      '[Content_Types].xml',
      contentTypesXml([
        ['/word/document.xml', `${main}.document.main+xml`],
        ['/word/styles.xml', `${main}.styles+xml`],
      ]),
    ],
    ['_rels/.rels', packageRelationshipsXml('word/document.xml')],
    ['docProps/core.xml', corePropertiesXml(spec)],
    ['docProps/app.xml', appPropertiesXml('Microsoft Office Word')],
    ['word/document.xml', documentXml(spec)],
    [
      'word/_rels/document.xml.rels',
      relationshipsXml([
        {
          id: 'rId1',
          type: 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles',
          target: 'styles.xml',
        },
      ]),
    ],
    ['word/styles.xml', stylesXml()],
  ]);
}
