import type { CorpusFile } from './repository-corpus.js';

/**
 * Jobs for the Safehold benchmark worker (repository-worker.ts) and what it answers. This module
 * has no runtime imports, so the worker stays light.
 */

export const PASSPHRASE = 'bench-passphrase';

export interface IngestJob {
  kind: 'ingest';
  repoDir: string;
  cacheDir: string;
  /** Create the repository (first pass) or open it. */
  init: boolean;
  root: string;
  files: CorpusFile[];
  /** Records of the previous pass whose files did not change (JSON file of {key, ref}). */
  carryFile?: string;
  /** Where to write this pass's records (JSON file of {key, ref}). */
  recordsOut: string;
}

export interface IngestResult {
  /** From before the repository is opened to after the session is closed (node start-up excluded). */
  seconds: number;
  /** User plus system CPU seconds over the same span (all threads). */
  cpuSeconds: number;
  bytesIn: number;
  newBlobs: number;
  dedupedBlobs: number;
  packs: number;
  maxRssBytes: number;
  processSeconds: number;
  /** The repository's chunker and pack size, from its config. */
  repoConfig: { chunker: Record<string, unknown>; packTarget: number };
}

export interface ReadJob {
  kind: 'read';
  repoDir: string;
  cacheDir: string;
  root: string;
  recordsFile: string;
  restoreDir: string;
  /** Random ranges to read from these files. */
  ranges: number;
  /** Files to read one by one (single-item restore). */
  singles: string[];
  seed: string;
}

export interface ReadResult {
  openSeconds: number;
  restore: { seconds: number; cpuSeconds: number; bytes: number; files: number };
  /** Every object read and dropped; `large*` for the large files (`files/…`) alone. */
  wholeToNull: { seconds: number; bytes: number; largeSeconds: number; largeBytes: number };
  ranges: { seconds: number; bytes: number; count: number; medianMs: number; verified: number };
  singles: { seconds: number; bytes: number; count: number; medianMs: number };
  maxRssBytes: number;
  processSeconds: number;
}

export interface StreamJob {
  kind: 'stream';
  repoDir: string;
  cacheDir: string;
  bytes: number;
  seed: string;
}

export interface StreamResult {
  seconds: number;
  cpuSeconds: number;
  bytes: number;
  storedBytes: number;
  newBlobs: number;
  maxRssBytes: number;
  /** Peak of process.memoryUsage() samples (every 100 ms): rss, heapUsed, external, arrayBuffers. */
  peakSampled: Record<string, number>;
  /** Peak RSS so far after each tenth of the stream. */
  maxRssTimeline: number[];
  processSeconds: number;
}

export type Job = IngestJob | ReadJob | StreamJob;
/** Every result also says the worker's RSS before any work (node, tsx, modules loaded). */
export type ResultOf<J extends Job> = (J extends IngestJob
  ? IngestResult
  : J extends ReadJob
    ? ReadResult
    : StreamResult) & {
  startRssBytes: number;
};
