import type { Base64MimeSegment, MimeSegment } from './types.js';

/** Rendering MIME-structured segments back into the message bytes (the inverse of splitMime). */

/** Decoded bytes per encoder step: 64 Ki quanta, 256 KiB of base64 text. */
const ENCODE_BLOCK = 3 * 65536;

function checkSegment(segment: Base64MimeSegment): void {
  if (!Number.isSafeInteger(segment.width) || segment.width < 1) {
    throw new RangeError(`base64 segment width must be a positive integer, got ${String(segment.width)}`);
  }
  if (segment.eol !== '\r\n' && segment.eol !== '\n') {
    throw new RangeError(`base64 segment eol must be CRLF or LF, got ${JSON.stringify(segment.eol)}`);
  }
  if (segment.finalEol !== 0 && segment.finalEol !== 1) {
    throw new RangeError(`base64 segment finalEol must be 0 or 1, got ${String(segment.finalEol)}`);
  }
}

/** Bytes a base64 segment renders to, without rendering it. */
export function base64RenderedLength(
  decodedLength: number,
  width: number,
  eol: '\r\n' | '\n',
  finalEol: 0 | 1,
): number {
  const chars = Math.ceil(decodedLength / 3) * 4;
  const lines = Math.ceil(chars / width);
  return chars + eol.length * (Math.max(0, lines - 1) + finalEol);
}

/**
 * Incremental base64 encoder with line wrapping, for rendering a base64 segment whose decoded
 * bytes arrive in pieces (e.g. blob by blob). `push` returns the text for the complete 3-byte
 * groups so far; `end` returns the rest, then the final line ending when `finalEol` is 1.
 * Output: `lines.join(eol) + (finalEol ? eol : '')` where lines are the base64 text cut every
 * `width` characters.
 */
export class Base64LineEncoder {
  private readonly eol: Buffer;
  private carry: Buffer = Buffer.alloc(0);
  /** Characters on the current line. */
  private column = 0;
  /** A full line was written; its line ending goes out only if more text follows. */
  private pendingEol = false;
  private ended = false;

  constructor(
    private readonly width: number,
    eol: '\r\n' | '\n',
    private readonly finalEol: 0 | 1,
  ) {
    checkSegment({ kind: 'base64', decoded: Buffer.alloc(0), width, eol, finalEol });
    this.eol = Buffer.from(eol, 'latin1');
  }

  push(bytes: Uint8Array): Buffer {
    if (this.ended) throw new Error('Base64LineEncoder: push after end');
    let input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out: Buffer[] = [];
    if (this.carry.length > 0) {
      const need = 3 - this.carry.length;
      if (input.length < need) {
        this.carry = Buffer.concat([this.carry, input]);
        return Buffer.alloc(0);
      }
      out.push(this.wrap(Buffer.concat([this.carry, input.subarray(0, need)]).toString('base64')));
      input = input.subarray(need);
      this.carry = Buffer.alloc(0);
    }
    const whole = input.length - (input.length % 3);
    for (let i = 0; i < whole; i += ENCODE_BLOCK) {
      out.push(this.wrap(input.toString('base64', i, Math.min(whole, i + ENCODE_BLOCK))));
    }
    if (whole < input.length) this.carry = Buffer.from(input.subarray(whole));
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }

  end(): Buffer {
    if (this.ended) throw new Error('Base64LineEncoder: end called twice');
    this.ended = true;
    const parts: Buffer[] = [];
    if (this.carry.length > 0) parts.push(this.wrap(this.carry.toString('base64')));
    if (this.finalEol === 1) parts.push(this.eol);
    return Buffer.concat(parts);
  }

  /** Writes base64 text into lines, deferring the line ending after a full line. */
  private wrap(text: string): Buffer {
    const { width } = this;
    const eolLength = this.eol.length;
    const bound = text.length + eolLength * (Math.floor((this.column + text.length) / width) + 1);
    const out = Buffer.allocUnsafe(bound);
    const src = Buffer.from(text, 'latin1');
    let o = 0;
    let i = 0;
    while (i < src.length) {
      if (this.pendingEol) {
        o += this.eol.copy(out, o);
        this.pendingEol = false;
      }
      const take = Math.min(width - this.column, src.length - i);
      o += src.copy(out, o, i, i + take);
      i += take;
      this.column += take;
      if (this.column === width) {
        this.column = 0;
        this.pendingEol = true;
      }
    }
    return out.subarray(0, o);
  }
}

/** The bytes of one segment, in pieces of at most about 256 KiB for base64 segments. */
export function* renderSegment(segment: MimeSegment): Generator<Buffer, void, undefined> {
  if (segment.kind === 'raw') {
    if (segment.bytes.length > 0) yield segment.bytes;
    return;
  }
  const encoder = new Base64LineEncoder(segment.width, segment.eol, segment.finalEol);
  const { decoded } = segment;
  for (let i = 0; i < decoded.length; i += ENCODE_BLOCK) {
    const piece = encoder.push(decoded.subarray(i, i + ENCODE_BLOCK));
    if (piece.length > 0) yield piece;
  }
  const last = encoder.end();
  if (last.length > 0) yield last;
}

/** The message the segments describe, piece by piece. */
export function* renderSegmentsIter(segments: Iterable<MimeSegment>): Generator<Buffer, void, undefined> {
  for (const segment of segments) yield* renderSegment(segment);
}

/** Streaming variant of renderSegments, for segments that arrive asynchronously. */
export async function* renderSegmentsStream(
  segments: AsyncIterable<MimeSegment> | Iterable<MimeSegment>,
): AsyncGenerator<Buffer, void, undefined> {
  for await (const segment of segments) yield* renderSegment(segment);
}

/** Size in bytes of the message the segments render to. */
export function renderedLength(segments: Iterable<MimeSegment>): number {
  let total = 0;
  for (const s of segments) {
    if (s.kind === 'raw') total += s.bytes.length;
    else {
      checkSegment(s);
      total += base64RenderedLength(s.decoded.length, s.width, s.eol, s.finalEol);
    }
  }
  return total;
}

/** The message the segments describe. */
export function renderSegments(segments: readonly MimeSegment[]): Buffer {
  const out = Buffer.allocUnsafe(renderedLength(segments));
  let o = 0;
  for (const piece of renderSegmentsIter(segments)) o += piece.copy(out, o);
  if (o !== out.length) throw new Error(`renderSegments: rendered ${o} bytes, expected ${out.length}`);
  return out;
}
