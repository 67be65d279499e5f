import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { GraphHttpError } from './odata.js';
import type { RouteDef, StreamBody } from './types.js';

/** What a download URL serves, rebuilt from the URL's own payload. */
export interface DownloadGrant {
  body: StreamBody;
  contentType: string;
  fileName?: string;
  /** Entity tag of the content version, sent as `ETag`. */
  etag?: string;
}

/** Turns a signed payload back into content, or undefined when it no longer exists. */
export type DownloadResolver = (payload: unknown) => DownloadGrant | undefined;

/** Lifetime of a pre-authenticated download URL (SharePoint's are valid for about an hour). */
const LIFETIME_MS = 60 * 60_000;

interface Token {
  /** resolver kind */
  k: string;
  /** resolver payload (small, plain JSON) */
  p: unknown;
  /** issued, ms since epoch */
  t: number;
}

/**
 * Pre-authenticated, short-lived content URLs, as `@microsoft.graph.downloadUrl` and the 302 of
 * `/content` hand out: no bearer token, Range honoured, expired after an hour (or on demand).
 * The URL carries its own signed payload, so minting one per listed item costs no memory.
 */
export class DownloadRegistry {
  private readonly key = randomBytes(32);
  private readonly resolvers = new Map<string, DownloadResolver>();
  /** URLs issued before this instant are invalid (`expireAll`). */
  private notBefore = 0;

  /** Registers how `kind` payloads become content. */
  resolver(kind: string, resolve: DownloadResolver): void {
    this.resolvers.set(kind, resolve);
  }

  private sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }

  /** A new URL on `origin`; `itemId` only makes it look like SharePoint's. */
  url(origin: string, kind: string, itemId: string, payload: unknown): string {
    const data = Buffer.from(JSON.stringify({ k: kind, p: payload, t: Date.now() } satisfies Token)).toString(
      'base64url',
    );
    return `${origin}/_layouts/15/download.aspx?UniqueId=${encodeURIComponent(itemId)}&tempauth=${data}.${this.sign(data)}`;
  }

  /** Makes every outstanding URL invalid (tests of a client's URL refresh). */
  expireAll(): void {
    this.notBefore = Date.now() + 1;
  }

  private grant(tempauth: string): DownloadGrant | undefined {
    const [data = '', mac = ''] = tempauth.split('.');
    const expected = Buffer.from(this.sign(data));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let token: Token;
    try {
      token = JSON.parse(Buffer.from(data, 'base64url').toString('utf8')) as Token;
    } catch {
      return undefined;
    }
    if (token.t < this.notBefore || token.t + LIFETIME_MS < Date.now()) return undefined;
    return this.resolvers.get(token.k)?.(token.p);
  }

  route(): RouteDef {
    return {
      method: 'GET',
      path: '/_layouts/15/download.aspx',
      permissions: null,
      scope: () => ({ kind: 'sharepoint', cost: 0 }),
      handler: (req) => {
        const grant = this.grant(req.query.get('tempauth') ?? '');
        if (!grant)
          throw new GraphHttpError(401, 'unauthenticated', 'The download URL has expired or is not valid.');
        const headers: Record<string, string> = {
          'content-type': grant.contentType,
          'accept-ranges': 'bytes',
        };
        if (grant.etag) headers['etag'] = grant.etag;
        if (grant.fileName)
          headers['content-disposition'] =
            `attachment; filename*=UTF-8''${encodeURIComponent(grant.fileName)}`;
        return { status: 200, headers, stream: grant.body };
      },
    };
  }
}
