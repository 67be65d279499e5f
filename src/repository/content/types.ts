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
