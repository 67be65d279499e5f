import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Live memory for "bounded memory" tests. Resident set size and raw ArrayBuffer totals count
 * garbage too: V8 collects large dead Buffers lazily (up to ~64 MiB of them can wait for a
 * collection), so a store that streams correctly can look as big as one that buffers everything.
 * These helpers force a full collection before each reading, so they see only the bytes that are
 * still referenced — what a store actually holds.
 */

// A real gc() without restarting the worker with --expose-gc.
setFlagsFromString('--expose-gc');
// Free dead ArrayBuffers during gc() itself rather than on a background thread a moment later, so
// a reading right after gc() does not count them.
setFlagsFromString('--no-concurrent-array-buffer-sweeping');
const gc = runInNewContext('gc') as () => void;

/** Bytes of ArrayBuffers (Buffers included) still referenced, after a full collection. */
export function liveArrayBufferBytes(): number {
  gc();
  return process.memoryUsage().arrayBuffers;
}

export interface LiveMemoryPeak<T> {
  result: T;
  /**
   * The largest growth of live ArrayBuffer bytes seen while `action` ran, over the level before it.
   * Exact from `collectAbove` up; below it, the raw total (live plus garbage), an upper bound.
   */
  peakGrowth: number;
  /** Readings taken (a handful at least, or the peak means little). */
  samples: number;
}

export interface MeasureOptions {
  /**
   * Collect garbage before a reading only when the raw growth reaches this many bytes (default 0:
   * always). Raw totals are never below the live ones, so a raw reading under the bound a test
   * asserts already proves that bound; collections, which are slow, run only when they matter.
   */
  collectAbove?: number;
  /** Milliseconds between readings (default 10). */
  intervalMs?: number;
}

/** Runs `action` and samples ArrayBuffer memory (see {@link MeasureOptions}) until it settles. */
export async function measureLivePeak<T>(
  action: () => Promise<T>,
  options: MeasureOptions = {},
): Promise<LiveMemoryPeak<T>> {
  const collectAbove = options.collectAbove ?? 0;
  const baseline = liveArrayBufferBytes();
  let peakGrowth = 0;
  let samples = 0;
  const sample = (): void => {
    let growth = process.memoryUsage().arrayBuffers - baseline;
    if (growth >= collectAbove) growth = liveArrayBufferBytes() - baseline;
    peakGrowth = Math.max(peakGrowth, growth);
    samples += 1;
  };
  const timer = setInterval(sample, options.intervalMs ?? 10);
  try {
    const result = await action();
    sample();
    return { result, peakGrowth, samples };
  } finally {
    clearInterval(timer);
  }
}
