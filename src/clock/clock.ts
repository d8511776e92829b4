/** A callback run by a clock timer; the clock awaits it when it returns a promise. */
export type TimerCallback = (at: number) => void | Promise<void>;

/** Handle to cancel a timer. */
export interface TimerHandle {
  readonly id: number;
}

/**
 * The one source of time. The engine, upkeep, prefetch and boundaries read `now()` and
 * schedule work with `at`/`every`, never with the wall clock, so the same code runs at full
 * speed in a backtest and in real time live.
 */
export interface Clock {
  readonly kind: "simulated" | "live";
  /** Current time, epoch ms UTC. */
  now(): number;
  /** Runs `fn` once at time `at` (immediately-due timers run at the next opportunity). */
  at(at: number, fn: TimerCallback): TimerHandle;
  /** Runs `fn` every `periodMs`, first at `firstAt` (default: now + periodMs). */
  every(periodMs: number, fn: TimerCallback, firstAt?: number): TimerHandle;
  /** Cancels a timer; cancelling twice or a fired one-shot timer does nothing. */
  cancel(handle: TimerHandle): void;
}
