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

/** A file on disk; the caller closes it when the upload is over. */
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
    if (!(Number.isInteger(chunk) && chunk > 0 && chunk <= 4 * 1024 * 1024))
      throw new RangeError('attachment upload chunks must be 1 byte to 4 MiB');
  } else if (!(Number.isInteger(chunk) && chunk > 0 && chunk % CHUNK_MULTIPLE === 0 && chunk < MAX_CHUNK)) {
    throw new RangeError(
      `chunk size must be a multiple of ${CHUNK_MULTIPLE} bytes (320 KiB) and under 60 MiB`,
    );
  }
}

/** A chunk's answer that could not be read whole: the chunk may or may not have been taken. */
class BrokenAnswer extends Error {}

/**
 * Uploads through an upload session: creates it, PUTs chunks with Content-Range to the
 * pre-authenticated URL (no bearer token), and cancels the session (DELETE) if the upload fails or
 * is aborted. Returns the created item's JSON; for an Outlook attachment session, which answers
 * 201 without a body, `{location, id}` (the attachment's id, read from Location).
 *
 * A chunk whose outcome is unclear (the connection broke, the answer broke off, a 5xx) is not
 * simply sent again. A drive session is asked where to go on (GET uploadUrl →
 * nextExpectedRanges), as it is after a 416. Outlook documents no such status request, so there
 * the chunk is sent again, and a 416 for that resend means the first attempt was taken.
 *
 * When the answer to the last chunk is unclear the file may be complete already, and the session
 * gone: the result is then looked up (a drive item by the path it was created at, an attachment
 * by name among the message's attachments) and accepted when its size is the uploaded size. A
 * drive session that holds every byte but produced no item (its commit's answer was lost) is
 * committed with an empty POST, as deferCommit sessions are.
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
  const size = source.size;
  const session = await client.post<SessionStatus>(createPath, createBody);
  const uploadUrl = session.uploadUrl;
  if (!uploadUrl) throw new UploadError('createUploadSession answered without an uploadUrl');
  let offset = nextOffset(session, size) >= size ? 0 : nextOffset(session, size);
  // Chunks to a drive's session cost SharePoint write units; an Outlook session counts on its mailbox.
  const scope: RequestScope = attachment
    ? classify('PUT', new URL(client.url(createPath)))
    : { kind: 'sharepoint', key: 'spo', cost: 2 };
  const statusScope: RequestScope = attachment ? scope : { kind: 'sharepoint', key: 'spo', cost: 1 };
  const signal = opts.signal ? { signal: opts.signal } : {};
  let recoveries = 0;
  const maxRecoveries = opts.maxRecoveries ?? 20;
  /** The chunk at this offset was sent without a clear answer (Outlook: it may have been taken). */
  let unclearAt: number | undefined;
  /** A chunk ending at the last byte got no clear answer: the upload may have completed unseen. */
  let lastMayHaveLanded = false;
  let done = false;

  const finish = (result: Record<string, unknown>): Record<string, unknown> => {
    done = true;
    opts.onProgress?.(size, size);
    return result;
  };

  /** The session is gone after the last chunk may have landed: find what it created. */
  const completedUnseen = async (cause: unknown): Promise<Record<string, unknown>> => {
    const base = createPath.replace(/\/createUploadSession$/i, '');
    if (base !== createPath) {
      try {
        if (!attachment) {
          const item = await client.get<Record<string, unknown>>(base, signal);
          if (item['file'] !== undefined && item['size'] === size) return finish(item);
        } else {
          const name = (createBody as { AttachmentItem?: { name?: unknown } } | null)?.AttachmentItem?.name;
          const list = await client.get<{ value?: { id?: string; name?: string; size?: number }[] }>(
            `${base}?$select=id,name,size`,
            signal,
          );
          const found = list.value?.find((a) => a.name === name && a.size === size);
          if (found?.id) return finish({ id: found.id });
        }
      } catch (e) {
        if (!(e instanceof GraphError && e.status === 404)) throw e;
      }
    }
    throw new UploadError(
      `the upload session ended after its last chunk was sent, but what it created was not found: ${(cause as Error).message}`,
    );
  };

  /** Where a drive session wants the next byte; undefined when it is gone after the last chunk may have landed. */
  const resync = async (): Promise<number | undefined> => {
    try {
      return nextOffset(await sessionStatus(client, uploadUrl, statusScope, opts.signal), size);
    } catch (e) {
      if (lastMayHaveLanded && e instanceof GraphError && e.status === 404) return undefined;
      throw e;
    }
  };

  /** Every byte is in but no item came back: commit explicitly (as for deferCommit). */
  const commit = async (): Promise<Record<string, unknown>> => {
    const item = await client.json<Record<string, unknown>>('POST', uploadUrl, {
      body: '',
      headers: { 'content-type': 'application/octet-stream' },
      scope,
      ...signal,
    });
    if (item['id'] === undefined) throw new UploadError('committing the upload session gave no item');
    return item;
  };

  /** Sends one chunk; the answer's status, Location and JSON, or BrokenAnswer. */
  const put = async (data: Buffer, at: number) => {
    const res = await client.stream('PUT', uploadUrl, {
      body: data,
      headers: {
        'content-range': `bytes ${at}-${at + data.length - 1}/${size}`,
        'content-type': 'application/octet-stream',
      },
      allowStatus: [416],
      // Not repeated blindly by the client: after an unclear outcome this function decides.
      idempotent: false,
      scope,
      ...signal,
    });
    let text: string;
    try {
      text = (await readBody(res.body, 16 * 1024 * 1024)).toString('utf8');
    } catch (e) {
      throw new BrokenAnswer(`the answer to a chunk broke off: ${(e as Error).message}`);
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new BrokenAnswer(`the answer to a chunk is not JSON (${text.length} bytes)`);
    }
    if (!json || typeof json !== 'object' || Array.isArray(json))
      throw new BrokenAnswer('the answer to a chunk is not a JSON object');
    return { status: res.status, location: res.headers['location'], json: json as Record<string, unknown> };
  };

  try {
    for (;;) {
      if (opts.signal?.aborted) throw new AbortedError('aborted');
      if (offset >= size) {
        if (attachment) throw new UploadError('the attachment session holds every byte but did not complete');
        return finish(await commit());
      }
      const length = Math.min(chunkSize, size - offset);
      const data = await source.read(offset, length);
      if (data.length !== length)
        throw new UploadError(`the source returned ${data.length} bytes at ${offset}, expected ${length}`);
      let answer: Awaited<ReturnType<typeof put>>;
      try {
        answer = await put(data, offset);
      } catch (e) {
        if (opts.signal?.aborted || e instanceof AbortedError) throw new AbortedError('aborted');
        // The last chunk's earlier attempt completed the upload, and the session went with it.
        if (lastMayHaveLanded && e instanceof GraphError && e.status === 404) return await completedUnseen(e);
        const unclear =
          e instanceof BrokenAnswer ||
          e instanceof NetworkError ||
          (e instanceof GraphError && e.status >= 500);
        if (!unclear || ++recoveries > maxRecoveries)
          throw e instanceof BrokenAnswer ? new UploadError(e.message) : e;
        if (offset + length >= size) lastMayHaveLanded = true;
        await client.clock.sleep(backoffMs(recoveries, client.random), opts.signal).catch((err: unknown) => {
          throw opts.signal?.aborted ? new AbortedError('aborted') : err;
        });
        if (attachment) {
          unclearAt = offset;
          continue;
        }
        const next = await resync();
        if (next === undefined) return await completedUnseen(e);
        offset = next;
        continue;
      }
      const { status, location, json } = answer;
      if (status === 416) {
        if (++recoveries > maxRecoveries)
          throw new UploadError('the upload session kept rejecting ranges (416)');
        if (attachment) {
          // The resend of a chunk whose first attempt went unanswered: that attempt was taken.
          if (unclearAt !== offset)
            throw new UploadError(
              'the attachment session rejected a range (416) and cannot be asked for its state',
            );
          unclearAt = undefined;
          offset += length;
          opts.onProgress?.(offset, size);
          continue;
        }
        const next = await resync();
        if (next === undefined) return await completedUnseen(new Error('416, then the session was gone'));
        offset = next;
        continue;
      }
      unclearAt = undefined;
      const completed =
        status === 200 || status === 201
          ? json['id'] !== undefined || (!json['nextExpectedRanges'] && !json['NextExpectedRanges'])
          : false;
      if (completed) {
        if (Object.keys(json).length) return finish(json);
        const id = /Attachments\('([^']+)'\)/i.exec(location ?? '')?.[1];
        return finish({ location, ...(id ? { id } : {}) });
      }
      offset = nextOffset(json, size);
      opts.onProgress?.(Math.min(offset, size), size);
    }
  } finally {
    if (!done) {
      // Cancel so the service does not keep a half-written file (best effort).
      await client
        .stream('DELETE', uploadUrl, { allowStatus: [404], idempotent: true, scope: statusScope })
        .then((r) => readBody(r.body, 1 << 20))
        .catch(() => undefined);
    }
  }
}

async function sessionStatus(
  client: GraphClient,
  uploadUrl: string,
  scope: RequestScope,
  signal?: AbortSignal,
): Promise<SessionStatus> {
  return client.get<SessionStatus>(uploadUrl, { scope, ...(signal ? { signal } : {}) });
}
