import { open, type FileHandle } from 'node:fs/promises';
import type { GraphClient } from './client.js';
import { AbortedError, GraphError, NetworkError, UploadError } from './errors.js';
import { backoffMs } from './governor.js';
import { readBody } from './transport.js';
import { classify, type RequestScope } from './scope.js';

/** Something that can hand out any byte range again (a resumed upload re-reads). */
export interface UploadSource {
  size: number;
  read(offset: number, length: number): Promise<Buffer>;
  close?(): Promise<void>;
}

export function bufferSource(data: Buffer): UploadSource {
  return { size: data.length, read: async (o, l) => data.subarray(o, o + l) };
}

export async function fileSource(path: string): Promise<UploadSource> {
  const fh: FileHandle = await open(path, 'r');
  const { size } = await fh.stat();
  return {
    size,
    read: async (offset, length) => {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    },
    close: () => fh.close(),
  };
}

/** OneDrive's rule: every chunk but the last is a multiple of 320 KiB, and each is under 60 MiB. */
export const CHUNK_MULTIPLE = 327_680;
export const MAX_CHUNK = 60 * 1024 * 1024;

export interface UploadSessionOptions {
  /** Bytes per PUT (default 10 MiB = 32 × 320 KiB). */
  chunkSize?: number;
  /** Outlook attachment sessions take ≤ 4 MB chunks and no 320 KiB rule. */
  attachmentSession?: boolean;
  signal?: AbortSignal;
  onProgress?: (sent: number, total: number) => void;
  /** Recoveries (network failures, 416 resyncs) before giving up (default 20). */
  maxRecoveries?: number;
}

interface SessionStatus {
  uploadUrl?: string;
  nextExpectedRanges?: string[];
  NextExpectedRanges?: string[];
}

function nextOffset(status: SessionStatus, size: number): number {
  const ranges = status.nextExpectedRanges ?? status.NextExpectedRanges ?? [];
  if (ranges.length === 0) return size;
  const m = /^(\d+)-?/.exec(ranges[0] ?? '');
  return m ? Number(m[1]) : 0;
}

export function validateChunkSize(chunk: number, attachment: boolean): void {
  if (attachment) {
    if (!(chunk > 0 && chunk <= 4 * 1024 * 1024))
      throw new RangeError('attachment upload chunks must be 1 byte to 4 MiB');
  } else if (!(chunk > 0 && chunk % CHUNK_MULTIPLE === 0 && chunk < MAX_CHUNK)) {
    throw new RangeError(
      `chunk size must be a multiple of ${CHUNK_MULTIPLE} bytes (320 KiB) and under 60 MiB`,
    );
  }
}

/**
 * Uploads through an upload session: creates it, PUTs chunks with Content-Range to the
 * pre-authenticated URL (no bearer token), recovers from a 416 or a broken connection by asking the
 * session which ranges it still expects, and cancels the session (DELETE) if the upload fails or
 * is aborted. Returns the created item's JSON.
 */
export async function uploadSession(
  client: GraphClient,
  createPath: string,
  createBody: unknown,
  source: UploadSource,
  opts: UploadSessionOptions = {},
): Promise<Record<string, unknown>> {
  const attachment = opts.attachmentSession ?? false;
  const chunkSize = opts.chunkSize ?? (attachment ? 4 * 1024 * 1024 : 32 * CHUNK_MULTIPLE);
  validateChunkSize(chunkSize, attachment);
  if (source.size === 0)
    throw new UploadError('an upload session cannot carry an empty file; use a simple upload');
  const session = await client.post<SessionStatus>(createPath, createBody);
  const uploadUrl = session.uploadUrl;
  if (!uploadUrl) throw new UploadError('createUploadSession answered without an uploadUrl');
  let offset = nextOffset(session, source.size) >= source.size ? 0 : nextOffset(session, source.size);
  // Chunks to a drive's session cost SharePoint write units; an Outlook session counts on its mailbox.
  const scope: RequestScope = attachment
    ? classify('PUT', new URL(client.url(createPath)))
    : { kind: 'sharepoint', key: 'spo', cost: 2 };
  let recoveries = 0;
  const maxRecoveries = opts.maxRecoveries ?? 20;
  let done = false;
  try {
    for (;;) {
      if (opts.signal?.aborted) throw new AbortedError('aborted');
      const length = Math.min(chunkSize, source.size - offset);
      const data = await source.read(offset, length);
      if (data.length !== length)
        throw new UploadError(`the source returned ${data.length} bytes at ${offset}, expected ${length}`);
      let res;
      try {
        res = await client.stream('PUT', uploadUrl, {
          body: data,
          headers: {
            'content-range': `bytes ${offset}-${offset + length - 1}/${source.size}`,
            'content-type': 'application/octet-stream',
          },
          allowStatus: [416],
          idempotent: true,
          scope,
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      } catch (e) {
        if (
          e instanceof AbortedError ||
          !(e instanceof NetworkError || (e instanceof GraphError && e.status >= 500))
        )
          throw e;
        if (++recoveries > maxRecoveries) throw e;
        await client.clock.sleep(backoffMs(recoveries, client.random), opts.signal);
        offset = nextOffset(await sessionStatus(client, uploadUrl, opts.signal), source.size);
        continue;
      }
      const text = (await readBody(res.body, 16 * 1024 * 1024)).toString('utf8');
      const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      if (res.status === 416) {
        if (++recoveries > maxRecoveries)
          throw new UploadError('the upload session kept rejecting ranges (416)');
        offset = nextOffset(await sessionStatus(client, uploadUrl, opts.signal), source.size);
        continue;
      }
      const completed =
        res.status === 200 || res.status === 201
          ? json['id'] !== undefined || (!json['nextExpectedRanges'] && !json['NextExpectedRanges'])
          : false;
      if (completed) {
        done = true;
        opts.onProgress?.(source.size, source.size);
        return Object.keys(json).length ? json : { location: res.headers['location'] };
      }
      offset = nextOffset(json, source.size);
      if (offset >= source.size)
        offset = nextOffset(await sessionStatus(client, uploadUrl, opts.signal), source.size);
      opts.onProgress?.(offset, source.size);
    }
  } finally {
    if (!done) {
      // Cancel so the service does not keep a half-written file (best effort).
      await client
        .stream('DELETE', uploadUrl, { allowStatus: [404], idempotent: true })
        .then((r) => readBody(r.body, 1 << 20))
        .catch(() => undefined);
    }
  }
}

async function sessionStatus(
  client: GraphClient,
  uploadUrl: string,
  signal?: AbortSignal,
): Promise<SessionStatus> {
  return client.get<SessionStatus>(uploadUrl, {
    scope: { kind: 'sharepoint', key: 'spo', cost: 1 },
    ...(signal ? { signal } : {}),
  });
}
