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

/**
 * Minimal SpreadsheetML workbook. Text cells go through the shared-string table (as Excel writes
 * them), numbers are stored as numbers so formulas and sorting behave in a restored file.
 */

export interface XlsxSheet {
  name: string;
  rows: (string | number)[][];
}

export interface XlsxSpec {
  title?: string;
  author?: string;
  sheets: XlsxSheet[];
  /** Core-properties date; defaults to 2020-01-01. */
  created?: Date;
}

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_BASE = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const SHEET_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml';

/** 0 -> A, 25 -> Z, 26 -> AA. */
export function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  }
  return name;
}

/**
 * Excel rejects sheet names that are empty, longer than 31 characters, contain : \ / ? * [ ]
 * or repeat (case-insensitively), so names are cleaned and de-duplicated.
 */
function sheetNames(sheets: readonly XlsxSheet[]): string[] {
  const used = new Set<string>();
  return sheets.map((sheet, i) => {
    const base =
      Array.from(sheet.name.replace(/[:\\/?*[\]]/g, '_').replace(/^'+|'+$/g, ''))
        .slice(0, 31)
        .join('')
        .trim() || `Sheet${i + 1}`;
    let name = base;
    for (let n = 2; used.has(name.toLowerCase()); n++) {
      const suffix = ` (${n})`;
      name =
        Array.from(base)
          .slice(0, 31 - suffix.length)
          .join('') + suffix;
    }
    used.add(name.toLowerCase());
    return name;
  });
}

class SharedStrings {
  private readonly index = new Map<string, number>();
  readonly strings: string[] = [];
  references = 0;

  add(text: string): number {
    this.references++;
    let i = this.index.get(text);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(text);
      this.index.set(text, i);
    }
    return i;
  }

  xml(): string {
    const items = this.strings.map((s) => `<si><t xml:space="preserve">${xmlEscape(s)}</t></si>`).join('');
    return `${XML_DECLARATION}<sst xmlns="${MAIN_NS}" count="${this.references}" uniqueCount="${this.strings.length}">${items}</sst>`;
  }
}

function sheetXml(sheet: XlsxSheet, strings: SharedStrings): string {
  const rows = sheet.rows.map((row, r) => {
    const cells = row.map((value, c) => {
      const ref = `${columnName(c)}${r + 1}`;
      // NaN and Infinity have no SpreadsheetML number form; keep them visible as text.
      if (typeof value === 'number' && Number.isFinite(value)) return `<c r="${ref}"><v>${value}</v></c>`;
      return `<c r="${ref}" t="s"><v>${strings.add(String(value))}</v></c>`;
    });
    return `<row r="${r + 1}">${cells.join('')}</row>`;
  });
  return `${XML_DECLARATION}<worksheet xmlns="${MAIN_NS}"><sheetData>${rows.join('')}</sheetData></worksheet>`;
}

/** The smallest stylesheet Excel accepts: one font, the two mandatory fills, one border, one xf. */
function stylesXml(): string {
  return (
    `${XML_DECLARATION}<styleSheet xmlns="${MAIN_NS}">` +
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>' +
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
    '</styleSheet>'
  );
}

export function buildXlsx(spec: XlsxSpec): Buffer {
  // A workbook needs at least one sheet to open.
  const sheets = spec.sheets.length > 0 ? spec.sheets : [{ name: 'Sheet1', rows: [] }];
  const names = sheetNames(sheets);
  const strings = new SharedStrings();
  const sheetParts = sheets.map((sheet, i): [string, string] => [
    `xl/worksheets/sheet${i + 1}.xml`,
    sheetXml(sheet, strings),
  ]);
  const workbook =
    `${XML_DECLARATION}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_BASE}"><sheets>` +
    names
      .map((name, i) => `<sheet name="${xmlEscape(name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`)
      .join('') +
    '</sheets></workbook>';
  const workbookRels = relationshipsXml([
    ...sheets.map((_, i) => ({
      id: `rId${i + 1}`,
      type: `${REL_BASE}/worksheet`,
      target: `worksheets/sheet${i + 1}.xml`,
    })),
    { id: `rId${sheets.length + 1}`, type: `${REL_BASE}/sharedStrings`, target: 'sharedStrings.xml' },
    { id: `rId${sheets.length + 2}`, type: `${REL_BASE}/styles`, target: 'styles.xml' },
  ]);
  return zipPackage([
    [
      '[Content_Types].xml',
      contentTypesXml([
        ['/xl/workbook.xml', `${SHEET_TYPE}.sheet.main+xml`],
        ...sheets.map((_, i): [string, string] => [
          `/xl/worksheets/sheet${i + 1}.xml`,
          `${SHEET_TYPE}.worksheet+xml`,
        ]),
        ['/xl/sharedStrings.xml', `${SHEET_TYPE}.sharedStrings+xml`],
        ['/xl/styles.xml', `${SHEET_TYPE}.styles+xml`],
      ]),
    ],
    ['_rels/.rels', packageRelationshipsXml('xl/workbook.xml')],
    ['docProps/core.xml', corePropertiesXml(spec)],
    ['docProps/app.xml', appPropertiesXml('Microsoft Excel')],
    ['xl/workbook.xml', workbook],
    ['xl/_rels/workbook.xml.rels', workbookRels],
    ...sheetParts,
    ['xl/sharedStrings.xml', strings.xml()],
    ['xl/styles.xml', stylesXml()],
  ]);
}
