import { StoreError, TickwrightError } from "../model/errors.js";

/** How a PostgreSQL call is retried when the connection is lost. */
export interface RetryOptions {
  /** Tries in all, the first included (>= 1). Default 5. */
  attempts?: number;
  /** Delay before the first retry in ms; doubles on each further retry. Default 100. */
  baseDelayMs?: number;
  /** Upper bound of one delay in ms. Default 5000. */
  maxDelayMs?: number;
  /** Told of every failed try that will be retried (for logs and metrics). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

const NODE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTCONN"]);

/**
 * SQLSTATEs worth another try: the server went away or is (re)starting, too many connections,
 * an idle-in-transaction timeout (a slow stream consumer: the read resumes), or a transient
 * serialization conflict or deadlock.
 */
const SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300", "25P03", "40001", "40P01"]);

const MESSAGES = [
  "connection terminated",
  "connection error",
  "not queryable",
  "timeout exceeded when trying to connect",
  "server closed the connection",
  "socket hang up",
];

/**
 * True when `err` means the connection was lost or could not be made (refused, reset,
 * terminated, server shutting down or starting, SQLSTATE class 08), so the same call may
 * succeed on a fresh connection. Errors in the statement itself (bad data, constraint
 * violations) are not retryable.
 */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") {
    if (NODE_CODES.has(code) || SQLSTATES.has(code) || code.startsWith("08")) return true;
  }
  const message = err.message.toLowerCase();
  if (MESSAGES.some((m) => message.includes(m))) return true;
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && isRetryable(cause);
}

/** The delay before retry number `retry` (1-based): base * 2^(retry-1), capped. */
export function backoffMs(retry: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
}

/**
 * Runs `fn` until it succeeds, retrying retryable failures with exponential backoff. A
 * tickwright error (bad argument) is rethrown as it is, any other non-retryable error as a
 * StoreError at once; after the last attempt the last
 * error is thrown as a StoreError naming `what` and the number of attempts, with the cause.
 */
export async function withRetry<T>(
  what: string,
  options: RetryOptions,
  fn: (attempt: number) => Promise<T>,
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const base = options.baseDelayMs ?? 100;
  const max = options.maxDelayMs ?? 5000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (err instanceof TickwrightError) throw err;
      if (!isRetryable(err)) {
        throw new StoreError(`${what} failed: ${messageOf(err)}`, err);
      }
      if (attempt >= attempts) {
        throw new StoreError(`${what} failed after ${attempt} attempt(s): ${messageOf(err)}`, err);
      }
      const delay = backoffMs(attempt, base, max);
      options.onRetry?.(err, attempt, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? `${err.message} (${code})` : err.message;
}
