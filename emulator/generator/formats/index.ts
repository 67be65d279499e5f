/** Public surface of the deterministic content generators used by the emulator's seeded data. */
export { buildMime, encodeHeaderWord, formatAddress, formatAddressList, formatRfc5322Date } from './mime.js';
export type { MimeAddress, MimeAttachment, MimeMessageAttachment, MimeMessageSpec } from './mime.js';
export { buildPng } from './png.js';
export { buildPdf, toWinAnsi } from './pdf.js';
export type { PdfDocumentSpec } from './pdf.js';
export { buildDocx, buildPptx, buildXlsx, columnName, xmlEscape } from './ooxml.js';
export type { DocumentProperties, DocxSpec, PptxSlide, PptxSpec, XlsxSheet, XlsxSpec } from './ooxml.js';
export { buildOneNoteSection, ONE_FILE_TYPE_GUID } from './onenote.js';
