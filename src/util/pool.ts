/**
 * Runs `worker` over `items` with at most `concurrency` in flight; resolves when all are done.
 * A failing item rejects the whole run, so workers that must not stop the rest catch their own.
 */
export async function forEachLimit<T>(
  items: Iterable<T>,
  concurrency: number,
  worker: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failed: unknown;
  const lane = async () => {
    for (;;) {
      if (failed !== undefined) return;
      const next = iterator.next();
      if (next.done) return;
      try {
        await worker(next.value);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  if (failed !== undefined)
    throw failed instanceof Error ? failed : new Error(`worker failed: ${JSON.stringify(failed)}`);
}
