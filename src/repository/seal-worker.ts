import { parentPort, workerData } from 'node:worker_threads';
import { sealBlob, type BlobType } from './blob.js';
import type { MasterKeys } from './crypto.js';

/** Seals blobs (compress, encrypt) off the main thread; see seal-pool.ts. */

export interface SealRequest {
  n: number;
  type: BlobType;
  data: Uint8Array;
  id: Uint8Array;
}

export type SealAnswer = { n: number; sealed: Uint8Array } | { n: number; error: string };

const raw = (workerData as { keys: { encrypt: Uint8Array; contentId: Uint8Array } }).keys;
const keys: MasterKeys = { encrypt: Buffer.from(raw.encrypt), contentId: Buffer.from(raw.contentId) };

/** A Uint8Array that owns its whole ArrayBuffer, so it can be transferred without copying others' bytes. */
function own(buf: Buffer): Uint8Array {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) return buf;
  return Uint8Array.prototype.slice.call(buf);
}

parentPort?.on('message', (request: SealRequest) => {
  let answer: SealAnswer;
  try {
    const data = Buffer.from(request.data.buffer, request.data.byteOffset, request.data.byteLength);
    const sealed = own(sealBlob(keys, request.type, data, Buffer.from(request.id)).sealed);
    answer = { n: request.n, sealed };
    parentPort?.postMessage(answer, [sealed.buffer as ArrayBuffer]);
  } catch (e) {
    answer = { n: request.n, error: e instanceof Error ? e.message : String(e) };
    parentPort?.postMessage(answer);
  }
});
