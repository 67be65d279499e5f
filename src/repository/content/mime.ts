import { CR, HT, LF, parseContentType, parseHeaders, parseTransferEncoding, SP } from './mime-headers.js';
import type { Base64MimeSegment, MimeSegment } from './types.js';

/**
 * MIME-structured splitting (docs/repository-format.md, "MIME-structured objects"): a message is
 * cut into raw spans and base64 spans, so that an attachment's decoded bytes can be stored and
 * deduplicated on their own while the message still renders back byte for byte.
 *
 * The splitter follows the MIME structure (headers, multipart boundaries, nested multiparts,
 * message/rfc822) and only turns a body into a base64 segment after re-encoding the decoded bytes
 * with the detected layout and finding them identical to the original span. Anything it cannot
 * reproduce exactly, or does not understand, stays raw: `renderSegments(splitMime(m))` is always
 * `m`. It never throws on malformed input.
 */

/** Base64 bodies that decode to fewer bytes than this stay raw (not worth a separate object). */
export const MIME_MIN_DECODED_SIZE = 4096;

/** Lines decoded and verified at a time (a multiple of 4, so blocks start at whole quanta). */
const LINES_PER_BLOCK = 4096;

/** How deep nested multiparts and message/rfc822 parts are followed; deeper content stays raw. */
export const MIME_MAX_DEPTH = 32;

export interface SplitMimeOptions {
  /** Default MIME_MIN_DECODED_SIZE. */
  minDecodedSize?: number;
  /** Default MIME_MAX_DEPTH. */
  maxDepth?: number;
}

const EQ = 0x3d;

/** 1 for the base64 alphabet, 2 for the pad character "=", 0 otherwise. */
const B64_CLASS = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  B64_CLASS[c.charCodeAt(0)] = 1;
B64_CLASS[EQ] = 2;

interface Region {
  start: number;
  end: number;
  segment: Base64MimeSegment;
}

/** A candidate base64 span: `fullLines` lines of `width` characters, then a last line. */
interface Layout {
  start: number;
  end: number;
  width: number;
  eol: '\r\n' | '\n';
  finalEol: 0 | 1;
  /** Base64 characters (without line endings). */
  chars: number;
  /** Number of lines, the last one included. */
  lines: number;
}

class Splitter {
  readonly regions: Region[] = [];
  private readonly minDecoded: number;
  private readonly maxDepth: number;

  constructor(
    private readonly buf: Buffer,
    options: SplitMimeOptions,
  ) {
    this.minDecoded = options.minDecodedSize ?? MIME_MIN_DECODED_SIZE;
    this.maxDepth = options.maxDepth ?? MIME_MAX_DEPTH;
  }

  entity(start: number, end: number, depth: number, defaultType: string): void {
    if (depth > this.maxDepth || start >= end) return;
    const headers = parseHeaders(this.buf, start, end, depth === 0);
    const cte = parseTransferEncoding(headers.transferEncoding);
    if (cte === 'base64') {
      this.base64Body(headers.bodyStart, end);
      return;
    }
    const type = headers.contentType === undefined ? undefined : parseContentType(headers.contentType);
    const mediaType = type?.type ?? defaultType;
    const identity = cte === undefined || cte === '7bit' || cte === '8bit' || cte === 'binary';
    if (mediaType.startsWith('multipart/') && identity) {
      const boundary = type?.params.get('boundary');
      if (boundary) {
        this.multipart(headers.bodyStart, end, boundary, depth, mediaType === 'multipart/digest');
      }
    } else if (
      (mediaType === 'message/rfc822' || mediaType === 'message/global' || mediaType === 'message/news') &&
      identity
    ) {
      this.entity(headers.bodyStart, end, depth + 1, 'text/plain');
    }
  }

  /**
   * Parts of a multipart body: between delimiter lines `--boundary` (at a line start, then
   * optional `--`, optional blanks, then the line end). The line ending before a delimiter
   * belongs to it. Without a close delimiter the last part runs to the end.
   */
  private multipart(start: number, end: number, boundary: string, depth: number, digest: boolean): void {
    const buf = this.buf;
    const delimiter = Buffer.from(`--${boundary}`, 'latin1');
    const within = buf.subarray(0, end);
    let partStart = -1;
    let search = start;
    while (search < end) {
      const at = within.indexOf(delimiter, search);
      if (at < 0) break;
      search = at + 1;
      if (at > start && buf[at - 1] !== LF && buf[at - 1] !== CR) continue;
      let p = at + delimiter.length;
      let close = false;
      if (p + 1 < end && buf[p] === 0x2d && buf[p + 1] === 0x2d) {
        close = true;
        p += 2;
      }
      while (p < end && (buf[p] === SP || buf[p] === HT)) p++;
      if (p < end && buf[p] !== CR && buf[p] !== LF) continue;
      const lineEnd = p >= end ? end : p + (buf[p] === CR && p + 1 < end && buf[p + 1] === LF ? 2 : 1);
      if (partStart >= 0) {
        let partEnd = at;
        if (partEnd > start && buf[partEnd - 1] === LF) partEnd--;
        if (partEnd > start && buf[partEnd - 1] === CR) partEnd--;
        this.entity(
          partStart,
          Math.max(partStart, partEnd),
          depth + 1,
          digest ? 'message/rfc822' : 'text/plain',
        );
      }
      if (close) return;
      partStart = lineEnd;
      search = lineEnd;
    }
    if (partStart >= 0) this.entity(partStart, end, depth + 1, digest ? 'message/rfc822' : 'text/plain');
  }

  private base64Body(start: number, end: number): void {
    const buf = this.buf;
    let p = start;
    // Blank lines or blanks before the text stay raw.
    while (p < end && (buf[p] === CR || buf[p] === LF || buf[p] === SP || buf[p] === HT)) p++;
    // Well-formed text is recognised line by line; the precise scan below is for the rest.
    const quick = this.quickLayout(p, end);
    if (quick && this.tryRegion(quick)) return;
    let layout = this.layout(p, end);
    if (!layout) return;
    if (layout.chars % 4 !== 0 || !this.tryRegion(layout)) {
      // A text whose last line is broken may still be whole without it.
      layout = this.withoutLastLine(layout);
      if (layout) this.tryRegion(layout);
    }
  }

  /**
   * The layout of well-formed wrapped base64, judged by line lengths and line endings only: the
   * first line's characters are checked, later lines only where they end (a full line ends in the
   * line ending at the same column; the first shorter line, or one ending in "=", is the last).
   * Whatever it misjudges fails verification, and the precise scan takes over.
   */
  private quickLayout(start: number, end: number): Layout | undefined {
    const first = this.layout(start, Math.min(end, start + 4096));
    if (!first || first.lines < 2) return undefined;
    const buf = this.buf;
    const { width, eol } = first;
    const eolByte = eol === '\r\n' ? CR : LF;
    const step = width + eol.length;
    let at = start + step; // the second line
    let lines = 1;
    // Full lines: the line ending sits right after `width` characters, and no padding.
    while (
      at + step <= end &&
      buf[at + width] === eolByte &&
      (eol.length === 1 || buf[at + width + 1] === LF) &&
      buf[at + width - 1] !== EQ &&
      buf[at] !== CR &&
      buf[at] !== LF
    ) {
      at += step;
      lines++;
    }
    // The last line, scanned character by character.
    let b = at;
    while (b < end && b - at <= width && B64_CLASS[buf[b] as number] !== 0) b++;
    const length = b - at;
    if (length === 0 || length > width) return undefined;
    const lineEol = eol.length === 2 ? buf[b] === CR && buf[b + 1] === LF : buf[b] === LF;
    return {
      start,
      end: lineEol ? b + eol.length : b,
      width,
      eol,
      finalEol: lineEol ? 1 : 0,
      chars: lines * width + length,
      lines: lines + 1,
    };
  }

  /** The longest run of lines from `start` that look like wrapped base64 (same width, same eol). */
  private layout(start: number, end: number): Layout | undefined {
    const buf = this.buf;
    let a = start;
    let b = a;
    let pad = false;
    while (b < end) {
      const k = B64_CLASS[buf[b] as number] as number;
      if (k === 0) break;
      if (k === 2) pad = true;
      b++;
    }
    const width = b - a;
    if (width === 0) return undefined;
    const eolAt = (at: number): 0 | 1 | 2 =>
      at < end && buf[at] === CR && at + 1 < end && buf[at + 1] === LF
        ? 2
        : at < end && buf[at] === LF
          ? 1
          : 0;
    const firstEol = eolAt(b);
    if (firstEol === 0 || pad) {
      // One line, either alone or followed by something other than a line ending.
      return firstEol === 0
        ? { start, end: b, width, eol: '\r\n', finalEol: 0, chars: width, lines: 1 }
        : {
            start,
            end: b + firstEol,
            width,
            eol: firstEol === 2 ? '\r\n' : '\n',
            finalEol: 1,
            chars: width,
            lines: 1,
          };
    }
    const eol = firstEol === 2 ? '\r\n' : '\n';
    const layout: Layout = { start, end: b + firstEol, width, eol, finalEol: 1, chars: width, lines: 1 };
    for (;;) {
      a = layout.end;
      b = a;
      pad = false;
      const limit = Math.min(end, a + width + 1);
      while (b < limit) {
        const k = B64_CLASS[buf[b] as number] as number;
        if (k === 0) break;
        if (k === 2) pad = true;
        b++;
      }
      const length = b - a;
      if (length === 0 || length > width) return layout;
      const lineEol = eolAt(b);
      layout.chars += length;
      layout.lines++;
      if (lineEol !== firstEol) {
        // The text stops inside this line (end of body, or something else follows).
        layout.end = b;
        layout.finalEol = 0;
        return layout;
      }
      layout.end = b + lineEol;
      // A short line, or padding, ends the text.
      if (length < width || pad) return layout;
    }
  }

  /** The same layout without its last line, if what remains is whole base64 quanta. */
  private withoutLastLine(layout: Layout): Layout | undefined {
    if (layout.lines < 2) return undefined;
    const lines = layout.lines - 1;
    const chars = lines * layout.width;
    if (chars % 4 !== 0) return undefined;
    const end = layout.start + lines * (layout.width + layout.eol.length);
    return { ...layout, end, chars, lines, finalEol: 1 };
  }

  /** Decodes the layout's text, re-encodes it and keeps it as a region if identical. */
  private tryRegion(layout: Layout): boolean {
    if (layout.chars % 4 !== 0) return false;
    const buf = this.buf;
    let padding = 0;
    if (buf[layout.end - layout.finalEol * layout.eol.length - 1] === EQ) padding++;
    if (buf[layout.end - layout.finalEol * layout.eol.length - 2] === EQ) padding++;
    const decodedLength = (layout.chars / 4) * 3 - padding;
    if (decodedLength < this.minDecoded) return false;
    const decoded = this.decode(layout, decodedLength);
    if (!decoded) return false;
    const segment: Base64MimeSegment = {
      kind: 'base64',
      decoded,
      width: layout.width,
      eol: layout.eol,
      finalEol: layout.finalEol,
    };
    if (!this.reproduces(segment, layout)) return false;
    const previous = this.regions.at(-1);
    if (previous && previous.end > layout.start) return false;
    this.regions.push({ start: layout.start, end: layout.end, segment });
    return true;
  }

  /**
   * The layout's base64 text decoded, in blocks of whole lines (Node's decoder skips the line
   * endings; it is lenient, and verification catches anything odd).
   */
  private decode(layout: Layout, decodedLength: number): Buffer | undefined {
    const out = Buffer.allocUnsafe((layout.chars / 4) * 3);
    const step = layout.width + layout.eol.length;
    let written = 0;
    for (let line = 0; line < layout.lines; line += LINES_PER_BLOCK) {
      const a = layout.start + line * step;
      const b = Math.min(layout.end, a + LINES_PER_BLOCK * step);
      written += out.write(this.buf.toString('latin1', a, b), written, 'base64');
    }
    return written === decodedLength ? out.subarray(0, decodedLength) : undefined;
  }

  /**
   * Whether rendering the segment gives exactly buf[layout.start, layout.end). layout() has
   * checked the line structure (lengths, line endings, final line ending), so what is left is
   * that each line holds the canonical encoding: re-encoded block by block, compared line by line.
   */
  private reproduces(segment: Base64MimeSegment, layout: Layout): boolean {
    const { decoded } = segment;
    const { width } = layout;
    const step = width + layout.eol.length;
    if (Math.ceil(decoded.length / 3) * 4 !== layout.chars) return false;
    for (let first = 0; first < layout.lines; first += LINES_PER_BLOCK) {
      const lines = Math.min(LINES_PER_BLOCK, layout.lines - first);
      // Blocks start at a multiple of 4 lines, so at a whole base64 quantum whatever the width.
      const from = ((first * width) / 4) * 3;
      const to = Math.min(decoded.length, (((first + lines) * width) / 4) * 3);
      const encoded = Buffer.from(decoded.toString('base64', from, to), 'latin1');
      for (let i = 0; i < lines; i++) {
        const at = layout.start + (first + i) * step;
        const length = Math.min(width, encoded.length - i * width);
        if (this.buf.compare(encoded, i * width, i * width + length, at, at + length) !== 0) return false;
      }
    }
    return true;
  }
}

/**
 * Cuts a MIME message into raw spans and base64 spans (see the module comment). Raw segments
 * are views of `message`; decoded bytes are new buffers. An empty message gives no segments.
 */
export function splitMime(message: Buffer, options: SplitMimeOptions = {}): MimeSegment[] {
  if (message.length === 0) return [];
  let regions: Region[];
  try {
    const splitter = new Splitter(message, options);
    splitter.entity(0, message.length, 0, 'text/plain');
    regions = splitter.regions;
  } catch {
    // Whatever went wrong, the message is still stored exactly.
    regions = [];
  }
  const segments: MimeSegment[] = [];
  let pos = 0;
  for (const region of regions) {
    if (region.start > pos) segments.push({ kind: 'raw', bytes: message.subarray(pos, region.start) });
    segments.push(region.segment);
    pos = region.end;
  }
  if (pos < message.length) segments.push({ kind: 'raw', bytes: message.subarray(pos) });
  return segments;
}
