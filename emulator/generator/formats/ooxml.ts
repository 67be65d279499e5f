/** Office Open XML builders (.docx, .xlsx, .pptx); each lives in its own module. */
export { buildDocx } from './docx.js';
export type { DocxSpec } from './docx.js';
export { buildXlsx, columnName } from './xlsx.js';
export type { XlsxSheet, XlsxSpec } from './xlsx.js';
export { buildPptx } from './pptx.js';
export type { PptxSlide, PptxSpec } from './pptx.js';
export { xmlEscape } from './ooxml-package.js';
export type { DocumentProperties } from './ooxml-package.js';
