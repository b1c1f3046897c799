import { UsersServiceError } from "./errors";

/** When and how often a failed call is sent again. */
export type RetryOptions = {
  /** Attempts per call, the first included (default 3; 1 never retries). */
  maxAttempts?: number;
  /** No retry starts later than this many milliseconds after the call began (default 30 000). */
  maxElapsedMs?: number;
  /** The first backoff (default 250 ms); it doubles with each retry, up to `maxDelayMs`. */
  baseDelayMs?: number;
  /** The longest backoff (default 5 000 ms); a longer `Retry-After` is not waited for. */
  maxDelayMs?: number;
};

/** Options of one call; they override the client's. */
export type CallOptions = {
  /** Aborts the call (and its retries): it rejects with code "ABORTED". */
  signal?: AbortSignal;
  /** Abort an attempt not answered within this many milliseconds (code "TIMEOUT"; a query is retried). */
  timeoutMs?: number;
  /** Extra headers for this call. */
  headers?: Record<string, string>;
  /** Sent as `X-Request-Id` (the service logs it and echoes it); kept on the error. */
  requestId?: string;
  /** Retry settings for this call, or `false` to never retry it. */
  retry?: RetryOptions | false;
};

/**
 * The codes whose answer promises that the service did nothing (no write, no email), so a
 * mutation may be sent again as is. The service refuses with SERVICE_BUSY before it writes
 * anything (docs/errors.md, "Safe to retry").
 */
export const nothingDoneCodes: readonly string[] = ["SERVICE_BUSY"];

const defaults: Required<RetryOptions> = {
  maxAttempts: 3,
  maxElapsedMs: 30_000,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
};

/** The settings in force: the call's over the client's over the defaults; `false` turns retries off. */
export function retrySettings(
  client: RetryOptions | false | undefined,
  call: RetryOptions | false | undefined,
): Required<RetryOptions> {
  if (client === false || call === false) return { ...defaults, maxAttempts: 1 };
  return { ...defaults, ...client, ...call };
}

/** True when nothing reached the service (connection refused, name not resolved). */
function neverSent(error: UsersServiceError): boolean {
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN") return true;
    cause = cause.cause;
  }
  return false;
}

/**
 * Whether a failed attempt may be sent again. Never: TOO_MANY_ATTEMPTS (429) nor anything the
 * caller aborted. Queries (reads): no answer, a timeout, 502, 503 and 504. Mutations: only an
 * answer that promises nothing was done (SERVICE_BUSY), or a request that never left.
 */
export function isRetryable(error: unknown, type: "query" | "mutation"): boolean {
  if (!(error instanceof UsersServiceError)) return false;
  if (error.code === "TOO_MANY_ATTEMPTS" || error.code === "ABORTED" || error.status === 429) return false;
  if (nothingDoneCodes.includes(error.code) || (error.code === "NETWORK_ERROR" && neverSent(error)))
    return true;
  if (type === "mutation") return false;
  return (
    error.code === "NETWORK_ERROR" ||
    error.code === "TIMEOUT" ||
    error.status === 502 ||
    error.status === 503 ||
    error.status === 504
  );
}

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1), or null for no retry:
 * `Retry-After` when the service sent it (plus up to 10 % jitter), else exponential backoff
 * with full jitter; null when attempts or time would run out.
 */
export function retryDelay(
  error: unknown,
  attempt: number,
  elapsedMs: number,
  settings: Required<RetryOptions>,
  random: () => number = Math.random,
): number | null {
  if (attempt >= settings.maxAttempts) return null;
  const retryAfter = error instanceof UsersServiceError ? error.retryAfterSeconds : undefined;
  let delay: number;
  if (retryAfter !== undefined) {
    const wait = retryAfter * 1000;
    if (wait > settings.maxDelayMs) return null;
    delay = wait + random() * wait * 0.1;
  } else {
    const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
    delay = random() * ceiling;
  }
  return elapsedMs + delay > settings.maxElapsedMs ? null : delay;
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
