/** Parameters of FastCDC; fixed per repository (they decide where chunks end). */
export interface ChunkerParams {
  minSize: number;
  avgSize: number;
  maxSize: number;
  /** FastCDC normalization level (2 in the paper's recommendation). */
  normalization: number;
}

export const DEFAULT_CHUNKER: ChunkerParams = {
  minSize: 256 * 1024,
  avgSize: 1024 * 1024,
  maxSize: 8 * 1024 * 1024,
  normalization: 2,
};

/** A span of a MIME message kept byte for byte. */
export interface RawMimeSegment {
  kind: 'raw';
  bytes: Buffer;
}

/**
 * A span of a MIME message that is exactly the base64 encoding of `decoded`, wrapped every
 * `width` characters with `eol` between lines and `finalEol` (0 or 1) line endings after the
 * last line. The `{"b": ref, "w", "e", "t"}` segment of a MIME-structured object.
 */
export interface Base64MimeSegment {
  kind: 'base64';
  decoded: Buffer;
  width: number;
  eol: '\r\n' | '\n';
  finalEol: 0 | 1;
}

export type MimeSegment = RawMimeSegment | Base64MimeSegment;
