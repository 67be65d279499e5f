/**
 * Base64 with line wrapping, streamed: the inverse of how MIME carries attachments, so a stored
 * attachment renders back to the exact bytes of its message (see MIME-structured objects).
 */

/** Bytes of `n` bytes encoded in base64, wrapped every `width` characters with `eol`, `finalEol` times at the end. */
export function wrappedBase64Length(n: number, width: number, eol: string, finalEol: 0 | 1): number {
  const chars = 4 * Math.ceil(n / 3);
  if (chars === 0) return finalEol * eol.length;
  const lines = Math.ceil(chars / width);
  return chars + (lines - 1) * eol.length + finalEol * eol.length;
}

/**
 * Encodes a byte stream as wrapped base64, chunk by chunk, keeping 3-byte alignment and line
 * position. `startColumn` resumes mid-object: the source starts at a 3-byte group whose first
 * character sits in that column (the line ending before column 0 is not repeated).
 */
export async function* wrapBase64(
  source: AsyncIterable<Buffer>,
  width: number,
  eol: string,
  finalEol: 0 | 1,
  startColumn = 0,
): AsyncGenerator<Buffer> {
  const eolBuf = Buffer.from(eol);
  let carry = Buffer.alloc(0);
  let column = startColumn;
  /** Lays the characters out in lines: one output buffer, filled by copies (no per-line objects). */
  const emit = (text: string): Buffer => {
    const chars = Buffer.from(text, 'latin1');
    if (chars.length === 0) return chars;
    const breaks = Math.floor((column + chars.length - 1) / width);
    const out = Buffer.allocUnsafe(chars.length + breaks * eolBuf.length);
    let at = 0;
    let to = 0;
    while (at < chars.length) {
      if (column === width) {
        to += eolBuf.copy(out, to);
        column = 0;
      }
      const take = Math.min(width - column, chars.length - at);
      to += chars.copy(out, to, at, at + take);
      column += take;
      at += take;
    }
    return to === out.length ? out : out.subarray(0, to);
  };
  for await (const chunk of source) {
    const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const whole = data.length - (data.length % 3);
    carry = Buffer.from(data.subarray(whole));
    if (whole > 0) yield emit(data.subarray(0, whole).toString('base64'));
  }
  const tail = emit(carry.length ? carry.toString('base64') : '');
  const end = finalEol ? eolBuf : Buffer.alloc(0);
  if (tail.length || end.length) yield Buffer.concat([tail, end]);
}
