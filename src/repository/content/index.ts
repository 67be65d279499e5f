/** Content handling for the repository: chunk boundaries and MIME-structured objects. */
export { DEFAULT_CHUNKER } from './types.js';
export type { Base64MimeSegment, ChunkerParams, MimeSegment, RawMimeSegment } from './types.js';
export {
  chunkBuffer,
  chunkStream,
  cut,
  GEAR_SEED_LABEL,
  gearTable,
  MAX_CHUNK_SIZE_LIMIT,
  prepareChunker,
  scan,
} from './fastcdc.js';
export type { PreparedChunker, ScanState } from './fastcdc.js';
export {
  Base64LineEncoder,
  base64RenderedLength,
  renderedLength,
  renderSegment,
  renderSegments,
  renderSegmentsIter,
  renderSegmentsStream,
} from './mime-render.js';
export { MIME_MAX_DEPTH, MIME_MIN_DECODED_SIZE, splitMime } from './mime.js';
export type { SplitMimeOptions } from './mime.js';
