import { Readable } from 'node:stream';
import type { GraphClient } from './client.js';
import { AbortedError, MalformedResponseError, NetworkError } from './errors.js';
import { backoffMs } from './governor.js';
import { discard } from './transport.js';

export interface DownloadOptions {
  signal?: AbortSignal;
  /** First byte wanted (default 0). */
  start?: number;
  /** Times a broken body is resumed before giving up (default 8). */
  maxResumes?: number;
}

const EXPIRED = [401, 403, 404, 410];

/**
 * Streams content from Graph: follows the 302 of `/content` to the pre-authenticated URL (which
 * gets no bearer token), and when the body breaks off resumes with `Range` from the byte reached —
 * fetching a fresh URL if the old one expired, and skipping bytes when a server ignores Range.
 * Also works for answers Graph serves directly (`$value`).
 */
export function download(client: GraphClient, pathOrUrl: string, opts: DownloadOptions = {}): Readable {
  const start = opts.start ?? 0;
  const maxResumes = opts.maxResumes ?? 8;

  async function* body(): AsyncGenerator<Buffer> {
    let delivered = 0;
    let target: string | undefined;
    let resumes = 0;
    let refreshes = 0;
    let total: number | undefined;
    for (;;) {
      const offset = start + delivered;
      const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
      if (total !== undefined && offset >= total) return;
      const res = await client.stream('GET', target ?? pathOrUrl, {
        headers: { ...headers, accept: '*/*' },
        allowStatus: target ? EXPIRED.concat([416]) : [416],
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (res.status >= 300 && res.status < 400) {
        await discard(res.body);
        const location = res.headers['location'];
        if (!location)
          throw new MalformedResponseError('a redirect without Location', res.status, client.url(pathOrUrl));
        target = new URL(location, client.url(pathOrUrl)).href;
        continue;
      }
      if (EXPIRED.includes(res.status)) {
        // The pre-authenticated URL expired: ask Graph for a new one.
        await discard(res.body);
        target = undefined;
        if (++refreshes > 3)
          throw new NetworkError(`download URL keeps failing with ${res.status}`, client.url(pathOrUrl));
        continue;
      }
      if (res.status === 416) {
        await discard(res.body);
        if (offset === 0 || offset === total) return;
        throw new MalformedResponseError(`range ${offset}- not satisfiable`, 416, client.url(pathOrUrl));
      }
      let skip = 0;
      if (res.status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '');
        if (!m || Number(m[1]) !== offset) {
          await discard(res.body);
          throw new MalformedResponseError(
            `unexpected Content-Range '${res.headers['content-range']}' for offset ${offset}`,
            206,
            client.url(pathOrUrl),
          );
        }
        if (m[3] !== '*') total = Number(m[3]);
      } else {
        // A full answer: drop what we already delivered (servers may ignore Range).
        skip = offset;
        const len = Number(res.headers['content-length']);
        if (Number.isFinite(len) && res.headers['content-length'] !== undefined) total = len;
      }
      try {
        for await (const raw of res.body) {
          let chunk = raw as Buffer;
          if (skip > 0) {
            if (chunk.length <= skip) {
              skip -= chunk.length;
              continue;
            }
            chunk = chunk.subarray(skip);
            skip = 0;
          }
          delivered += chunk.length;
          yield chunk;
        }
        if (total !== undefined && start + delivered < total)
          throw new Error(`body ended at ${start + delivered} of ${total} bytes`);
        return;
      } catch (e) {
        res.body.destroy();
        if (opts.signal?.aborted) throw new AbortedError('aborted');
        if (++resumes > maxResumes)
          throw new NetworkError(
            `download broke off ${resumes} times: ${(e as Error).message}`,
            client.url(pathOrUrl),
            e,
          );
        await client.clock.sleep(backoffMs(resumes, client.random, 200, 10_000), opts.signal);
      }
    }
  }

  return Readable.from(body(), { objectMode: false, highWaterMark: 1 });
}
