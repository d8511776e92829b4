import { InvalidArgumentError } from "../model/errors.js";
import type { Clock, TimerCallback, TimerHandle } from "./clock.js";

/**
 * The wall clock, for live mode. The only place in tickwright that uses real timers.
 * Errors thrown by callbacks are passed to `onError` (default: rethrown asynchronously).
 */
export class LiveClock implements Clock {
  readonly kind = "live" as const;
  private timers = new Map<number, NodeJS.Timeout>();
  private nextId = 1;

  constructor(
    private readonly onError: (err: unknown) => void = (e) =>
      queueMicrotask(() => {
        throw e;
      }),
  ) {}

  now(): number {
    return Date.now();
  }

  at(at: number, fn: TimerCallback): TimerHandle {
    const id = this.nextId++;
    this.schedule(id, at, 0, fn);
    return { id };
  }

  every(periodMs: number, fn: TimerCallback, firstAt?: number): TimerHandle {
    if (!(periodMs > 0)) throw new InvalidArgumentError(`timer period must be positive, got ${periodMs}`);
    const id = this.nextId++;
    this.schedule(id, firstAt ?? Date.now() + periodMs, periodMs, fn);
    return { id };
  }

  cancel(handle: TimerHandle): void {
    const t = this.timers.get(handle.id);
    if (t) clearTimeout(t);
    this.timers.delete(handle.id);
  }

  /** Cancels every timer (on shutdown). */
  cancelAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(id: number, at: number, period: number, fn: TimerCallback): void {
    const handle = setTimeout(
      async () => {
        if (period > 0) this.schedule(id, at + period, period, fn);
        else this.timers.delete(id);
        try {
          await fn(Date.now());
        } catch (err) {
          this.onError(err);
        }
      },
      Math.max(0, at - Date.now()),
    );
    handle.unref?.();
    this.timers.set(id, handle);
  }
}
