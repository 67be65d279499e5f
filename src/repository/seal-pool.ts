import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { sealBlob, type BlobType, type SealedBlob } from './blob.js';
import type { MasterKeys } from './crypto.js';
import { RepositoryError } from './errors.js';
import type { SealAnswer, SealRequest } from './seal-worker.js';

/**
 * Compression and encryption on worker threads, so chunking and hashing on the main thread
 * overlap with them (they are most of the CPU time of a backup). With no threads it seals inline.
 */
export class SealPool {
  private readonly workers: { worker: Worker; pending: number }[] = [];
  private readonly waiting = new Map<
    number,
    { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }
  >();
  private next = 0;
  private broken: Error | undefined;

  constructor(
    private readonly keys: MasterKeys,
    readonly threads: number = defaultSealThreads(),
  ) {
    for (let i = 0; i < threads; i++) this.workers.push({ worker: this.start(), pending: 0 });
  }

  private start(): Worker {
    const keys = { encrypt: this.keys.encrypt, contentId: this.keys.contentId };
    const fromSource = import.meta.url.endsWith('.ts');
    const worker = fromSource
      ? new Worker(new URL('./dev-worker.mjs', import.meta.url), {
          workerData: { keys, entry: new URL('./seal-worker.ts', import.meta.url).href },
        })
      : new Worker(new URL('./seal-worker.js', import.meta.url), { workerData: { keys } });
    worker.on('message', (answer: SealAnswer) => {
      const slot = this.workers.find((w) => w.worker === worker);
      // Busy threads keep the process alive (a seal is awaited); idle ones do not.
      if (slot && --slot.pending === 0) worker.unref();
      const waiter = this.waiting.get(answer.n);
      this.waiting.delete(answer.n);
      if (!waiter) return;
      if ('error' in answer) waiter.reject(new RepositoryError(`sealing a blob failed: ${answer.error}`));
      else waiter.resolve(answer.sealed);
    });
    const die = (e: Error) => {
      this.broken ??= new RepositoryError(`a sealing worker stopped: ${e.message}`);
      for (const waiter of this.waiting.values()) waiter.reject(this.broken);
      this.waiting.clear();
    };
    worker.on('error', die);
    worker.on('exit', (code) => {
      if (code !== 0) die(new Error(`exit code ${code}`));
    });
    // After the listeners (adding one refs the thread again).
    worker.unref();
    return worker;
  }

  /** Compresses (when it pays) and encrypts one blob whose id is already known. */
  async seal(type: BlobType, plaintext: Buffer, id: Buffer): Promise<SealedBlob> {
    if (this.broken) throw this.broken;
    if (this.workers.length === 0) return sealBlob(this.keys, type, plaintext, id);
    const slot = this.workers.reduce((a, b) => (b.pending < a.pending ? b : a));
    if (slot.pending++ === 0) slot.worker.ref();
    const n = this.next++;
    // A copy the worker can own: the chunk may be a view into a larger buffer.
    const data = new Uint8Array(plaintext);
    const sealed = await new Promise<Uint8Array>((resolve, reject) => {
      this.waiting.set(n, { resolve, reject });
      const request: SealRequest = { n, type, data, id: new Uint8Array(id) };
      slot.worker.postMessage(request, [data.buffer]);
    });
    return {
      type,
      id,
      sealed: Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength),
      rawLength: plaintext.length,
    };
  }

  /** Stops the threads; seals still waiting, and later ones, fail. */
  async close(): Promise<void> {
    this.broken ??= new RepositoryError('the sealing pool is closed');
    for (const waiter of this.waiting.values()) waiter.reject(this.broken);
    this.waiting.clear();
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

/** One thread fewer than the machine has (the main thread chunks and hashes), at least 1, at most 4. */
export function defaultSealThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}
