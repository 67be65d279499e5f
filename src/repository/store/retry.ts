/**
 * Retries with exponential backoff and full jitter for object-storage requests. Which failures are
 * worth retrying is decided by {@link isRetryableS3Error}; the clock and the randomness are
 * injectable so tests run without waiting.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included (default 6). 1 disables retries. */
  maxAttempts: number;
  /** Backoff ceiling after the first failure, in ms (default 100); doubles with every failure. */
  baseDelayMs: number;
  /** Backoff ceiling after the first throttling answer (SlowDown, 429, …), in ms (default 1000). */
  throttleBaseDelayMs: number;
  /** The ceiling never exceeds this, in ms (default 20 000). */
  maxDelayMs: number;
  /** Uniform random number in [0, 1), for jitter (default Math.random). */
  random: () => number;
  /** Waits `ms` milliseconds (default setTimeout). */
  sleep: (ms: number) => Promise<void>;
  /** Which errors are retried (default {@link isRetryableS3Error}). */
  isRetryable: (error: unknown) => boolean;
  /** Called before every wait, e.g. to log (default none). */
  onRetry?: (event: RetryEvent) => void;
}

export interface RetryEvent {
  /** What was attempted, e.g. `PutObject data/ab/ab12…`. */
  operation: string;
  /** The attempt that failed (1 = the first). */
  attempt: number;
  delayMs: number;
  error: unknown;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 100,
  throttleBaseDelayMs: 1000,
  maxDelayMs: 20_000,
  random: Math.random,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  isRetryable: isRetryableS3Error,
};

/** Error codes that ask the client to slow down. */
const THROTTLING_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequests',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'ProvisionedThroughputExceededException',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
]);

/**
 * Service codes that are transient although S3 may send them with a 4xx status: `RequestTimeout`
 * (400) means the connection idled while the body was being sent — a network condition.
 */
const TRANSIENT_CODES = new Set([
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
]);

/** Node and undici network error codes worth another attempt (DNS "not found" is not one). */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'EHOSTDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
  cause?: unknown;
}

function shape(error: unknown): ErrorShape {
  return typeof error === 'object' && error !== null ? error : {};
}

/** The HTTP status of an SDK service error, if it has one. */
export function httpStatusOf(error: unknown): number | undefined {
  const status = shape(error).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The service error code (`SlowDown`, `NoSuchKey`) or network error code (`ECONNRESET`). */
export function errorCodeOf(error: unknown): string | undefined {
  const e = shape(error);
  if (typeof e.Code === 'string') return e.Code;
  if (typeof e.code === 'string') return e.code;
  if (httpStatusOf(error) !== undefined && typeof e.name === 'string') return e.name;
  const cause = shape(e.cause);
  if (typeof cause.code === 'string') return cause.code;
  if (e.name === 'TimeoutError') return 'TimeoutError';
  return undefined;
}

/** True for throttling answers: HTTP 429, 503 SlowDown and their relatives. */
export function isThrottlingError(error: unknown): boolean {
  const code = errorCodeOf(error);
  return httpStatusOf(error) === 429 || (code !== undefined && THROTTLING_CODES.has(code));
}

/**
 * True for failures another attempt may cure: 5xx answers, throttling, transient service codes and
 * network errors. Never for other 4xx answers (access denied, not found, bad request, …).
 */
export function isRetryableS3Error(error: unknown): boolean {
  if (isThrottlingError(error)) return true;
  const code = errorCodeOf(error);
  if (code !== undefined && (TRANSIENT_CODES.has(code) || NETWORK_CODES.has(code))) return true;
  const status = httpStatusOf(error);
  if (status !== undefined) return status >= 500;
  // Without a status the request never got an answer; the SDK marks some of those retryable.
  return shape(error).$retryable !== undefined && shape(error).$retryable !== false;
}

/** The wait before attempt `failures + 1`: uniform in [0, min(max, base · 2^(failures−1))). */
export function backoffDelay(failures: number, error: unknown, policy: RetryPolicy): number {
  const base = isThrottlingError(error) ? policy.throttleBaseDelayMs : policy.baseDelayMs;
  const ceiling = Math.min(policy.maxDelayMs, base * 2 ** Math.max(0, failures - 1));
  return Math.floor(policy.random() * ceiling);
}

/** Runs `attempt` until it succeeds, fails with a non-retryable error or runs out of attempts. */
export async function withRetry<T>(
  operation: string,
  policy: RetryPolicy,
  attempt: (attemptNumber: number) => Promise<T>,
): Promise<T> {
  for (let number = 1; ; number++) {
    try {
      return await attempt(number);
    } catch (error) {
      if (number >= policy.maxAttempts || !policy.isRetryable(error)) throw error;
      const delayMs = backoffDelay(number, error, policy);
      policy.onRetry?.({ operation, attempt: number, delayMs, error });
      await policy.sleep(delayMs);
    }
  }
}
