import { afterEach, beforeEach, describe } from 'vitest';
import type { BlobStore } from '../../../src/repository/store/index.js';
import { fileContract } from './conformance-files.js';
import { streamContract } from './conformance-streams.js';

/**
 * The BlobStore contract, run against every implementation. `open` returns a fresh, empty store for
 * each test (a new temp folder, a new key prefix); the suite closes it afterwards. Two parts: files
 * (names, ranges, listing) and streams (large and failing sources, concurrency, memory).
 */
export interface ConformanceOptions {
  /** Called after each test with the store it used (e.g. to delete a temp folder). */
  dispose?: (store: BlobStore) => Promise<void>;
  /** Timeout for the large-file and many-file tests (default 180 s). */
  slowTimeoutMs?: number;
}

/** What the two parts of the suite get: the current test's store, and a way to open another. */
export interface ConformanceContext {
  store(): BlobStore;
  open(): Promise<BlobStore>;
  options: ConformanceOptions;
  slowTimeoutMs: number;
}

export function blobStoreConformance(
  label: string,
  open: () => Promise<BlobStore>,
  options: ConformanceOptions = {},
): void {
  describe(`BlobStore conformance: ${label}`, () => {
    let current: BlobStore | undefined;

    beforeEach(async () => {
      current = await open();
    });

    afterEach(async () => {
      if (current === undefined) return;
      await current.close();
      await options.dispose?.(current);
      current = undefined;
    });

    const context: ConformanceContext = {
      store: () => {
        if (current === undefined) throw new Error('no store: the beforeEach hook did not run');
        return current;
      },
      open,
      options,
      slowTimeoutMs: options.slowTimeoutMs ?? 180_000,
    };
    describe('files', () => fileContract(context));
    describe('streams', () => streamContract(context));
  });
}
