import type { Readable } from 'node:stream';

/** Who is calling, as established from the bearer token. */
export interface Caller {
  appId: string;
  tenantId: string;
  /** Application permissions (`roles` claim) or delegated scopes (`scp`). */
  permissions: ReadonlySet<string>;
  kind: 'app' | 'user';
  /** Object id of the signed-in user for delegated tokens. */
  userId?: string;
}

/** A request as the emulator's handlers see it: the same shape for HTTP and `$batch` sub-requests. */
export interface EmuRequest {
  method: string;
  /** Path without the query string, still percent-encoded, e.g. `/v1.0/users/abc/messages`. */
  rawPath: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Buffer;
  /** Route parameters, percent-decoded. */
  params: Record<string, string>;
  /** `v1.0` or `beta` for Graph routes, '' elsewhere. */
  apiVersion: string;
  caller?: Caller;
  /** Origin used to build absolute links (`@odata.nextLink`, download URLs). */
  origin: string;
  inBatch: boolean;
}

/** A streamed body of known length; `open` may be called more than once (retries, ranges). */
export interface StreamBody {
  length: number;
  open(start: number, endInclusive: number): Readable;
}

export interface EmuResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as application/json unless a content-type header says otherwise. */
  json?: unknown;
  body?: Buffer | string;
  stream?: StreamBody;
}

/** Throttling scope of a request: which budget it draws on. */
export type ThrottleScope =
  | { kind: 'exchange'; mailbox: string }
  | { kind: 'sharepoint'; cost: number }
  | { kind: 'teams'; channel: string }
  | { kind: 'directory' }
  | { kind: 'none' };

export type Handler = (req: EmuRequest) => EmuResponse | Promise<EmuResponse>;

export interface RouteDef {
  method: string;
  /**
   * Pattern relative to the API version, e.g. `/users/{user}/messages/{id}`. `{name}` matches one
   * segment; `{name*}` matches a colon-free run of segments (OneDrive's `root:/a/b:` addressing).
   */
  path: string;
  /** `v1.0`, `beta` or both (default both, as Graph serves most v1.0 routes in beta too). */
  versions?: readonly ('v1.0' | 'beta')[];
  /** Any one of these application permissions grants access; `null` means no token needed. */
  permissions: readonly string[] | null;
  /** Which throttling budget the request draws on. Defaults to `none`. */
  scope?: (req: EmuRequest) => ThrottleScope;
  handler: Handler;
  /**
   * For delta routes: the answer when the request's delta token is no longer valid (as Graph
   * answers for that resource). Also used to inject the `expire-delta` fault.
   */
  deltaExpired?: (req: EmuRequest) => EmuResponse;
}
