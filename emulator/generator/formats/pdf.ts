import { createHash } from 'node:crypto';

/**
 * Minimal text PDFs (PDF 1.4): Helvetica with WinAnsiEncoding, uncompressed content streams
 * drawn with Tj so text extraction and indexing work, and an xref table with exact offsets.
 * Deterministic: no creation clock, and the trailer /ID is a hash of the document content.
 */

export interface PdfDocumentSpec {
  title: string;
  author?: string;
  paragraphs: string[];
}

const PAGE_WIDTH = 612; // US Letter, in points
const PAGE_HEIGHT = 792;
const MARGIN = 72;
const BODY_SIZE = 11;
const BODY_LEADING = 15;
const TITLE_SIZE = 18;
const TITLE_LEADING = 26;
const TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN;

// Helvetica advance widths (1/1000 em) for 0x20..0x7E, from the standard core-14 font metrics.
// Used only for line wrapping; other characters fall back to DEFAULT_WIDTH.
// prettier-ignore
const HELVETICA_WIDTHS = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
  1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
  333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
  556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
const DEFAULT_WIDTH = 600;

// Unicode code points of WinAnsiEncoding bytes 0x80..0x9F (0 = unassigned in WinAnsi).
// prettier-ignore
const WIN_ANSI_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
  0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];
const UNICODE_TO_WIN_ANSI = new Map<number, number>();
WIN_ANSI_HIGH.forEach((cp, i) => {
  if (cp !== 0) UNICODE_TO_WIN_ANSI.set(cp, 0x80 + i);
});

/** Text as WinAnsi bytes (one latin1 char per byte); characters outside WinAnsi become '?'. */
export function toWinAnsi(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0x3f;
    if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) out += ch;
    else if (cp === 0x09) out += ' ';
    else out += String.fromCharCode(UNICODE_TO_WIN_ANSI.get(cp) ?? 0x3f);
  }
  return out;
}

function textWidth(winAnsi: string, size: number): number {
  let units = 0;
  for (let i = 0; i < winAnsi.length; i++) {
    const code = winAnsi.charCodeAt(i);
    units += code >= 0x20 && code <= 0x7e ? (HELVETICA_WIDTHS[code - 0x20] ?? DEFAULT_WIDTH) : DEFAULT_WIDTH;
  }
  return (units * size) / 1000;
}

/** Greedy word wrap; words wider than a line are broken by characters. */
function wrap(winAnsi: string, size: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of winAnsi.split(/ +/).filter((w) => w.length > 0)) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (textWidth(candidate, size) <= TEXT_WIDTH) {
      line = candidate;
      continue;
    }
    if (line !== '') lines.push(line);
    line = '';
    for (const ch of word) {
      if (line !== '' && textWidth(line + ch, size) > TEXT_WIDTH) {
        lines.push(line);
        line = '';
      }
      line += ch;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** A PDF literal string; bytes outside printable ASCII as octal escapes keep the file ASCII. */
function pdfString(winAnsi: string): string {
  let out = '(';
  for (let i = 0; i < winAnsi.length; i++) {
    const code = winAnsi.charCodeAt(i);
    const ch = winAnsi[i] ?? '';
    if (ch === '(' || ch === ')' || ch === '\\') out += `\\${ch}`;
    else if (code < 0x20 || code > 0x7e) out += `\\${code.toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out})`;
}

/** Info-dictionary text string: plain ASCII literal, or UTF-16BE with BOM for anything else. */
function pdfTextString(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return pdfString(text);
  const utf16 = Buffer.from(text, 'utf16le').swap16();
  return `<FEFF${utf16.toString('hex').toUpperCase()}>`;
}

interface Line {
  text: string;
  size: number;
  leading: number;
  font: 'F1' | 'F2';
}

function layoutLines(doc: PdfDocumentSpec): Line[] {
  const lines: Line[] = [];
  for (const text of wrap(toWinAnsi(doc.title.replace(/\s+/g, ' ')), TITLE_SIZE)) {
    lines.push({ text, size: TITLE_SIZE, leading: TITLE_LEADING, font: 'F2' });
  }
  if (lines.length > 0) lines.push({ text: '', size: BODY_SIZE, leading: BODY_LEADING, font: 'F1' });
  for (const paragraph of doc.paragraphs) {
    for (const text of wrap(toWinAnsi(paragraph.replace(/\s+/g, ' ')), BODY_SIZE)) {
      lines.push({ text, size: BODY_SIZE, leading: BODY_LEADING, font: 'F1' });
    }
    lines.push({ text: '', size: BODY_SIZE, leading: BODY_LEADING, font: 'F1' }); // paragraph gap
  }
  return lines;
}

/** Splits lines into pages by height and renders each page's content stream. */
function pageStreams(lines: Line[]): string[] {
  const pages: string[] = [];
  let ops: string[] = [];
  let y = PAGE_HEIGHT - MARGIN;
  const flush = () => {
    pages.push(`BT\n${ops.join('\n')}\nET\n`);
    ops = [];
    y = PAGE_HEIGHT - MARGIN;
  };
  for (const line of lines) {
    if (y - line.leading < MARGIN && ops.length > 0) flush();
    y -= line.leading;
    if (line.text === '') continue;
    // Absolute positioning per line (Tm) keeps each line independent of the previous one.
    ops.push(`/${line.font} ${line.size} Tf 1 0 0 1 ${MARGIN} ${y} Tm ${pdfString(line.text)} Tj`);
  }
  if (ops.length > 0 || pages.length === 0) flush();
  return pages;
}

export function buildPdf(doc: PdfDocumentSpec): Buffer {
  const streams = pageStreams(layoutLines(doc));
  // Object numbers: 1 catalog, 2 page tree, 3-4 fonts, 5 info, then a page + content per page.
  const pageObject = (i: number) => 6 + i * 2;
  const objects: string[] = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${streams.map((_, i) => `${pageObject(i)} 0 R`).join(' ')}] /Count ${streams.length} >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>',
    [
      `<< /Title ${pdfTextString(doc.title)}`,
      doc.author !== undefined ? ` /Author ${pdfTextString(doc.author)}` : '',
      ' /Producer (Safehold M365 emulator) /CreationDate (D:20200101000000Z) >>',
    ].join(''),
  ];
  streams.forEach((stream, i) => {
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}]` +
        ` /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ${pageObject(i) + 1} 0 R >>`,
      // Streams are ASCII (see pdfString), so the string length is the byte length.
      `<< /Length ${stream.length} >>\nstream\n${stream}endstream`,
    );
  });

  // The second header line holds bytes >= 0x80 so transfer tools treat the file as binary.
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xrefOffset = out.length;
  // Each xref entry is exactly 20 bytes: 10-digit offset, 5-digit generation, type, 2-byte EOL.
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  const id = createHash('md5').update(out, 'latin1').digest('hex').toUpperCase();
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 5 0 R /ID [<${id}> <${id}>] >>\n`;
  out += `startxref\n${xrefOffset}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
