import { randomBytes } from 'node:crypto';
import { GraphHttpError } from './odata.js';
import type { RouteDef, StreamBody } from './types.js';

interface Grant {
  body: () => StreamBody;
  contentType: string;
  fileName?: string;
  expires: number;
}

/** Lifetime of a pre-authenticated download URL (SharePoint's are valid for about an hour). */
const LIFETIME_MS = 60 * 60_000;
/** Outstanding URLs kept at most; the oldest are invalidated first (a Map keeps insertion order). */
const MAX_GRANTS = 100_000;

/**
 * Pre-authenticated, short-lived content URLs, as `@microsoft.graph.downloadUrl` and the 302 of
 * `/content` hand out: no bearer token, Range honoured, expired after an hour (or on demand).
 */
export class DownloadRegistry {
  private readonly grants = new Map<string, Grant>();

  /** A new URL on `origin` serving the body; `itemId` only makes it look like SharePoint's. */
  register(
    origin: string,
    itemId: string,
    body: () => StreamBody,
    contentType: string,
    fileName?: string,
  ): string {
    if (this.grants.size >= MAX_GRANTS) this.sweep();
    const token = randomBytes(24).toString('base64url');
    this.grants.set(token, {
      body,
      contentType,
      ...(fileName ? { fileName } : {}),
      expires: Date.now() + LIFETIME_MS,
    });
    return `${origin}/_layouts/15/download.aspx?UniqueId=${encodeURIComponent(itemId)}&tempauth=${token}`;
  }

  /** Makes every outstanding URL invalid (tests of a client's URL refresh). */
  expireAll(): number {
    const n = this.grants.size;
    this.grants.clear();
    return n;
  }

  /** Drops expired URLs, then the oldest ones, so a long crawl cannot grow the registry without bound. */
  private sweep(): void {
    const now = Date.now();
    for (const [k, g] of this.grants) if (g.expires < now) this.grants.delete(k);
    for (const k of this.grants.keys()) {
      if (this.grants.size < MAX_GRANTS * 0.9) break;
      this.grants.delete(k);
    }
  }

  route(): RouteDef {
    return {
      method: 'GET',
      path: '/_layouts/15/download.aspx',
      permissions: null,
      scope: () => ({ kind: 'sharepoint', cost: 0 }),
      handler: (req) => {
        const grant = this.grants.get(req.query.get('tempauth') ?? '');
        if (!grant || grant.expires < Date.now()) {
          throw new GraphHttpError(401, 'unauthenticated', 'The download URL has expired or is not valid.');
        }
        const headers: Record<string, string> = {
          'content-type': grant.contentType,
          'accept-ranges': 'bytes',
        };
        if (grant.fileName)
          headers['content-disposition'] =
            `attachment; filename*=UTF-8''${encodeURIComponent(grant.fileName)}`;
        return { status: 200, headers, stream: grant.body() };
      },
    };
  }
}
