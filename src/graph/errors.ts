/** Typed failures of the Graph client; callers branch on the class, never on message text. */

export class GraphClientError extends Error {
  override name = 'GraphClientError';
}

/** Graph answered with an error status (after retries, when the status was retriable). */
export class GraphError extends GraphClientError {
  override name = 'GraphError';
  constructor(
    readonly status: number,
    /** Graph's `error.code`, or the innermost more specific code when one is given. */
    readonly code: string,
    message: string,
    readonly requestId: string | undefined,
    readonly method: string,
    readonly url: string,
    /** Every code in the error's innerError chain, outermost first. */
    readonly codes: string[] = [code],
    /** Response headers (e.g. `location` of a 410 delta reset). */
    readonly headers: Record<string, string> = {},
  ) {
    super(`${method} ${redact(url)} -> ${status} ${code}: ${message}`);
  }

  /** Case-insensitive test against any code in the chain (Graph's casing varies by workload). */
  hasCode(code: string): boolean {
    const c = code.toLowerCase();
    return this.codes.some((x) => x.toLowerCase() === c);
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }
}

/** The service kept throttling past the retry budget. */
export class ThrottledError extends GraphError {
  override name = 'ThrottledError';
}

/** A delta token is no longer valid: the caller must start a full enumeration (410 / syncStateNotFound). */
export class DeltaResetError extends GraphClientError {
  override name = 'DeltaResetError';
  constructor(
    readonly url: string,
    /** Where Graph says to restart, when it says (410 `Location`). */
    readonly restartUrl: string | undefined,
    readonly code: string,
  ) {
    super(`delta token expired (${code}); a full resync is required`);
  }
}

/** The response was not what Graph sends: truncated or non-JSON body, HTML page, error inside a 200. */
export class MalformedResponseError extends GraphClientError {
  override name = 'MalformedResponseError';
  constructor(
    message: string,
    readonly status: number,
    readonly url: string,
  ) {
    super(`${redact(url)}: ${message}`);
  }
}

/** `@odata.nextLink` pointed at a page already visited. */
export class PagingLoopError extends GraphClientError {
  override name = 'PagingLoopError';
  constructor(readonly url: string) {
    super(`paging loop detected: nextLink ${redact(url)} was already visited`);
  }
}

/** The connection failed or broke off (after retries). */
export class NetworkError extends GraphClientError {
  override name = 'NetworkError';
  constructor(
    message: string,
    readonly url: string,
    override readonly cause?: unknown,
  ) {
    super(`${redact(url)}: ${message}`);
  }
}

/** Sign-in failed: wrong secret, unknown tenant, expired certificate, ... (Entra ID's AADSTS code). */
export class AuthenticationError extends GraphClientError {
  override name = 'AuthenticationError';
  constructor(
    message: string,
    readonly aadstsCode: number | undefined,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** An upload session could not be completed. */
export class UploadError extends GraphClientError {
  override name = 'UploadError';
}

/** The caller aborted the operation. */
export class AbortedError extends GraphClientError {
  override name = 'AbortedError';
}

/** Pre-authenticated URLs carry credentials in their query; never print those. */
export function redact(url: string): string {
  return url.replace(/([?&](?:tempauth|authtoken|token|sig|code|\$skiptoken|\$deltatoken)=)[^&]+/gi, '$1…');
}
