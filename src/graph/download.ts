import { Readable } from 'node:stream';
import type { GraphClient } from './client.js';
import { AbortedError, GraphClientError, MalformedResponseError, NetworkError } from './errors.js';
import { backoffMs } from './governor.js';
import { discard } from './transport.js';

export interface DownloadOptions {
  signal?: AbortSignal;
  /** First byte wanted (default 0). */
  start?: number;
  /**
   * Times in a row a broken body is resumed without a byte of progress before giving up
   * (default 8). A resume that delivered bytes starts the count again, so a long download over a
   * flaky link is not limited in how often it breaks, only in how often it breaks in vain.
   */
  maxResumes?: number;
  /** Token audience when the content is not Graph's (SharePoint REST `$value`). */
  resource?: string;
}

/**
 * The content changed while it was being downloaded (its size or ETag differs between the first
 * answer and a resumed one): the bytes delivered so far belong to another version, so the caller
 * must start again.
 */
export class ContentChangedError extends GraphClientError {
  override name = 'ContentChangedError';
  constructor(
    message: string,
    readonly url: string,
  ) {
    super(message);
  }
}

const EXPIRED = [401, 403, 404, 410];

/** What identifies the version being read, taken from the first answer. */
interface Identity {
  total?: number;
  etag?: string;
}

/**
 * Streams content from Graph: follows the 302 of `/content` to the pre-authenticated URL (which
 * gets no bearer token), and when the body breaks off resumes with `Range` from the byte reached —
 * fetching a fresh URL if the old one expired, and skipping bytes when a server ignores Range.
 * Also works for answers Graph serves directly (`$value`). A resumed answer for another version of
 * the content (different size or ETag) raises ContentChangedError instead of splicing versions.
 * A `start` at the end of the content gives an empty stream; one past the end, a RangeError.
 */
export function download(client: GraphClient, pathOrUrl: string, opts: DownloadOptions = {}): Readable {
  const start = opts.start ?? 0;
  const maxResumes = opts.maxResumes ?? 8;
  if (!(Number.isSafeInteger(start) && start >= 0))
    throw new RangeError(`start must be a non-negative integer, not ${start}`);

  async function* body(): AsyncGenerator<Buffer> {
    let delivered = 0;
    let target: string | undefined;
    let fruitless = 0;
    let refreshes = 0;
    const seen: Identity = {};
    const where = () => client.url(pathOrUrl);

    /** Records the first answer's size and ETag; a later answer must match them. */
    const sameVersion = (total: number | undefined, etag: string | undefined): void => {
      if (total !== undefined) {
        if (seen.total !== undefined && seen.total !== total)
          throw new ContentChangedError(
            `the content changed during the download: ${seen.total} bytes, now ${total}`,
            where(),
          );
        seen.total = total;
      }
      if (etag !== undefined) {
        if (seen.etag !== undefined && seen.etag !== etag)
          throw new ContentChangedError(
            `the content changed during the download: ETag ${seen.etag}, now ${etag}`,
            where(),
          );
        seen.etag = etag;
      }
    };

    for (;;) {
      const offset = start + delivered;
      if (seen.total !== undefined && offset >= seen.total && delivered > 0) return;
      const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
      const res = await client.stream('GET', target ?? pathOrUrl, {
        headers: { ...headers, accept: '*/*' },
        ...(opts.resource && !target ? { resource: opts.resource } : {}),
        allowStatus: target ? EXPIRED.concat([416]) : [416],
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (res.status >= 300 && res.status < 400) {
        await discard(res.body);
        const location = res.headers['location'];
        if (!location) throw new MalformedResponseError('a redirect without Location', res.status, where());
        target = new URL(location, client.url(pathOrUrl)).href;
        continue;
      }
      if (EXPIRED.includes(res.status)) {
        // The pre-authenticated URL expired: ask Graph for a new one.
        await discard(res.body);
        target = undefined;
        if (++refreshes > 3) throw new NetworkError(`download URL keeps failing with ${res.status}`, where());
        continue;
      }
      if (res.status === 416) {
        await discard(res.body);
        // `Content-Range: bytes */size` says how long the content is.
        const m = /^bytes \*\/(\d+)$/.exec(res.headers['content-range'] ?? '');
        const size = m ? Number(m[1]) : seen.total;
        if (size !== undefined) sameVersion(size, undefined);
        if (offset === size) return;
        if (size !== undefined && offset > size && delivered === 0)
          throw new RangeError(`start ${offset} is past the end of the content (${size} bytes)`);
        throw new MalformedResponseError(`range ${offset}- not satisfiable`, 416, where());
      }
      let skip = 0;
      const etag = res.headers['etag'];
      if (res.status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '');
        if (!m || Number(m[1]) !== offset) {
          await discard(res.body);
          throw new MalformedResponseError(
            `unexpected Content-Range '${res.headers['content-range']}' for offset ${offset}`,
            206,
            where(),
          );
        }
        try {
          sameVersion(m[3] === '*' ? undefined : Number(m[3]), etag);
        } catch (e) {
          res.body.destroy();
          throw e;
        }
      } else {
        // A full answer: drop what we already delivered (servers may ignore Range).
        skip = offset;
        const len = Number(res.headers['content-length']);
        try {
          sameVersion(
            Number.isFinite(len) && res.headers['content-length'] !== undefined ? len : undefined,
            etag,
          );
        } catch (e) {
          res.body.destroy();
          throw e;
        }
        if (seen.total !== undefined && offset > seen.total) {
          res.body.destroy();
          throw new RangeError(`start ${offset} is past the end of the content (${seen.total} bytes)`);
        }
      }
      const before = delivered;
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
        if (seen.total !== undefined && start + delivered < seen.total)
          throw new Error(`body ended at ${start + delivered} of ${seen.total} bytes`);
        return;
      } catch (e) {
        res.body.destroy();
        if (opts.signal?.aborted) throw new AbortedError('aborted');
        fruitless = delivered > before ? 0 : fruitless + 1;
        if (fruitless > maxResumes)
          throw new NetworkError(
            `download broke off ${fruitless} times in a row without progress: ${(e as Error).message}`,
            where(),
            e,
          );
        await client.clock
          .sleep(backoffMs(fruitless + 1, client.random, 200, 10_000), opts.signal)
          .catch((err: unknown) => {
            throw opts.signal?.aborted ? new AbortedError('aborted') : err;
          });
      }
    }
  }

  return Readable.from(body(), { objectMode: false, highWaterMark: 1 });
}
