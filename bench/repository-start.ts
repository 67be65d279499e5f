import os from 'node:os';
import { sourceFingerprint, workerCodeFrom } from './repository-child.js';
import { scaleOf } from './repository-corpus.js';
import { requireRestic } from './repository-restic.js';

/** What the corpus benchmarks note before they start: tools, code, load, scale, runs and seed. */
export async function benchStart(args: Record<string, string | undefined>) {
  return {
    resticVersion: requireRestic(),
    sourceAtStart: sourceFingerprint(),
    codeFrom: await workerCodeFrom(),
    loadAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
    ...scaleOf(args['scale']),
    runs: Number(args['runs'] ?? 1),
    seed: args['seed'] ?? '1',
  };
}
