import { InvalidArgumentError } from "../model/errors.js";

/** Reconnect backoff: delays double from `baseMs` up to `maxMs`, shortened by up to `jitter`. */
export interface BackoffOptions {
  /** First delay, ms (default 500). */
  baseMs?: number;
  /** Longest delay, ms (default 30 000). */
  maxMs?: number;
  /** Fraction 0..1 of each delay taken off at random, so clients do not reconnect in step (default 0.2). */
  jitter?: number;
  /** Random source in [0, 1) for the jitter; inject a fixed one for deterministic tests. */
  random?: () => number;
}

/** Backoff options with every default filled in and checked. */
export type Backoff = Required<BackoffOptions>;

/** Fills in backoff defaults; a non-positive base, max below base or jitter outside 0..1 throws. */
export function resolveBackoff(opts: BackoffOptions = {}): Backoff {
  const b: Backoff = {
    baseMs: opts.baseMs ?? 500,
    maxMs: opts.maxMs ?? 30_000,
    jitter: opts.jitter ?? 0.2,
    random: opts.random ?? Math.random,
  };
  if (!(b.baseMs > 0)) throw new InvalidArgumentError(`backoff.baseMs must be positive, got ${b.baseMs}`);
  if (!(b.maxMs >= b.baseMs)) {
    throw new InvalidArgumentError(`backoff.maxMs (${b.maxMs}) must be at least baseMs (${b.baseMs})`);
  }
  if (!(b.jitter >= 0 && b.jitter <= 1)) {
    throw new InvalidArgumentError(`backoff.jitter must lie in 0..1, got ${b.jitter}`);
  }
  return b;
}

/**
 * Delay before reconnect attempt `attempt` (0 for the first after a loss):
 * min(maxMs, baseMs x 2^attempt) x (1 - jitter x random()).
 */
export function backoffDelay(attempt: number, b: Backoff): number {
  const full = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(attempt, 52));
  return full * (1 - b.jitter * b.random());
}
