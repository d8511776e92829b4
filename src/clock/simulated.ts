import { InvalidArgumentError } from "../model/errors.js";
import { MinHeap } from "../model/heap.js";
import type { Clock, TimerCallback, TimerHandle } from "./clock.js";

interface Timer {
  id: number;
  at: number;
  seq: number;
  period: number;
  fn: TimerCallback;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to. The stream coordinator advances it from event to
 * event; timers fire at their exact simulated times, in (time, creation order). Nothing here
 * touches the wall clock, so a backtest is deterministic and runs as fast as the CPU allows.
 */
export class SimulatedClock implements Clock {
  readonly kind = "simulated" as const;
  private current: number;
  private readonly heap = new MinHeap<Timer>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private byId = new Map<number, Timer>();
  private nextId = 1;
  private seq = 0;

  /** Called, and awaited, before `advanceTo` moves the clock forward (the instant ending is over). */
  onAdvance: (() => void | Promise<void>) | undefined;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  at(at: number, fn: TimerCallback): TimerHandle {
    return this.add(at, 0, fn);
  }

  every(periodMs: number, fn: TimerCallback, firstAt?: number): TimerHandle {
    if (!(periodMs > 0)) throw new InvalidArgumentError(`timer period must be positive, got ${periodMs}`);
    return this.add(firstAt ?? this.current + periodMs, periodMs, fn);
  }

  cancel(handle: TimerHandle): void {
    const t = this.byId.get(handle.id);
    if (t) {
      t.cancelled = true;
      this.byId.delete(handle.id);
    }
  }

  /** Time of the earliest pending timer, or Infinity. */
  nextTimerAt(): number {
    this.dropCancelled();
    return this.heap.peek()?.at ?? Number.POSITIVE_INFINITY;
  }

  /** Number of pending timers. */
  pending(): number {
    return this.byId.size;
  }

  /** Moves the clock forward to `t` without firing anything. Going backwards throws. */
  set(t: number): void {
    if (t < this.current) {
      throw new InvalidArgumentError(`clock cannot go back from ${this.current} to ${t}`);
    }
    this.current = t;
  }

  /**
   * Fires, in order, every timer due at or before `t` (before `t` when `inclusive` is false),
   * moving the clock to each timer's time first and awaiting async callbacks. The clock ends at
   * `t` when `inclusive`, otherwise at the last fired timer's time (or where it was).
   */
  async advanceTo(t: number, inclusive = true): Promise<void> {
    let told = false;
    for (;;) {
      this.dropCancelled();
      const top = this.heap.peek();
      if (!top || top.at > t || (!inclusive && top.at === t)) break;
      if (top.at > this.current) {
        if (this.onAdvance && !told) {
          told = true;
          const r = this.onAdvance();
          if (r !== undefined) await r;
          continue;
        }
        this.current = top.at;
        told = false;
      }
      this.heap.pop();
      if (top.period > 0) {
        top.at += top.period;
        top.seq = this.seq++;
        this.heap.push(top);
      } else {
        this.byId.delete(top.id);
      }
      const r = top.fn(this.current);
      if (r !== undefined && typeof (r as Promise<void>).then === "function") await r;
    }
    if (inclusive && t > this.current) {
      if (!told) {
        const r = this.onAdvance?.();
        if (r !== undefined) await r;
      }
      this.current = t;
    }
  }

  private add(at: number, period: number, fn: TimerCallback): TimerHandle {
    const timer: Timer = { id: this.nextId++, at, seq: this.seq++, period, fn, cancelled: false };
    this.byId.set(timer.id, timer);
    this.heap.push(timer);
    return { id: timer.id };
  }

  private dropCancelled(): void {
    while (this.heap.peek()?.cancelled) this.heap.pop();
  }
}
