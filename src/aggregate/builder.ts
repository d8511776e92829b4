import type { Calendar } from "../calendar/types.js";
import { BarFlag, type SessionBar } from "../model/bar.js";
import { InvalidArgumentError } from "../model/errors.js";
import type { Interval } from "../model/interval.js";
import { BarSeries } from "../model/series.js";
import { isoUtc, MINUTE_MS } from "../model/time.js";
import { INHERITED_FLAGS } from "./derive.js";
import { type Anchor, IntervalPlan, toInterval } from "./plan.js";

/** Options of a DerivedBarBuilder. */
export interface DerivedBarBuilderOptions {
  anchor?: Anchor;
  extended?: boolean;
  /** Initial capacity of `series` (it grows as needed). */
  capacity?: number;
}

/**
 * Builds bars of one interval from one-minute bars as they arrive (the engine's incremental
 * path): O(1) and allocation-free per bar (a session change re-plans the buckets into
 * reused buffers; `series` doubles when full).
 *
 * Contract (point in time): the engine calls `add()` at the one-minute bar's END (t + 1m),
 * and `flushUpTo(now)` with a time the clock has reached. A bucket then completes when a bar
 * starting at or after its end arrives, when the bucket's last expected minute arrives (the
 * 09:34 bar, delivered at 09:35, completes the 09:30 5m bar at once), or on `flushUpTo`
 * once its end is reached; so no bar completes before its end time. Completed bars equal
 * `deriveBars` over the same input.
 */
export class DerivedBarBuilder {
  /** Completed bars, in order. */
  readonly series: BarSeries;
  readonly interval: Interval;
  private readonly plan: IntervalPlan;
  /** End of the current session's extended span; -Infinity before the first session. */
  private sessionEnd = Number.NEGATIVE_INFINITY;
  /** No session starts before this (set while between sessions). */
  private idleUntil = Number.NEGATIVE_INFINITY;
  private last = Number.NEGATIVE_INFINITY;
  private b = 0;
  /** Index of the forming bucket in the plan, -1 when none. */
  private fb = -1;
  /** End of the forming bucket, -Infinity when none. */
  private end = Number.NEGATIVE_INFINITY;
  private o = 0;
  private h = 0;
  private l = 0;
  private c = 0;
  private v = 0;
  private count = 0;
  private flags = 0;
  /** The planned session's break (NaN when none), copied here so the fast path reads one object. */
  private breakStart = Number.NaN;
  private breakEnd = Number.NaN;

  constructor(
    readonly symbol: string,
    interval: Interval | string,
    private readonly calendar: Calendar,
    opts: DerivedBarBuilderOptions = {},
  ) {
    this.interval = toInterval(interval);
    this.plan = new IntervalPlan(this.interval, calendar.timeZone, opts);
    this.series = new BarSeries(symbol, this.interval.name, opts.capacity ?? 64);
  }

  /** The end time of the forming bucket (Infinity when none), so the engine knows when to flush. */
  get formingEnd(): number {
    return this.fb >= 0 ? this.end : Number.POSITIVE_INFINITY;
  }

  /**
   * Adds a one-minute bar (strictly increasing times; InvalidArgumentError otherwise).
   * Completes and appends to `series` any earlier bucket this bar passes; returns the number
   * of bars completed by this call. Bars outside the session (or outside the regular session
   * unless `extended`) only complete what they pass.
   */
  add(
    time: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    flags = 0,
  ): number {
    // Fast path, small enough to be inlined at the caller: the bar falls in the forming bucket
    // (and not in a break the daily bucket spans; a NaN break fails the comparison).
    if (time > this.last && time < this.end && !(time >= this.breakStart && time < this.breakEnd)) {
      this.last = time;
      if (high > this.h) this.h = high;
      if (low < this.l) this.l = low;
      this.c = close;
      this.v += volume;
      this.count++;
      this.flags |= flags & INHERITED_FLAGS;
      return time + MINUTE_MS >= this.end ? this.complete() : 0;
    }
    return this.addSlow(time, open, high, low, close, volume, flags);
  }

  /**
   * Completes the forming bucket if its end is <= t (the clock reached the bucket's end with
   * minutes missing, or the session closed). Returns bars completed (0 or 1).
   */
  flushUpTo(t: number): number {
    return this.fb >= 0 && this.end <= t ? this.complete() : 0;
  }

  /** The forming bar, flagged BarFlag.Partial, or undefined. */
  partial(): SessionBar | undefined {
    if (this.fb < 0) return undefined;
    return {
      symbol: this.symbol,
      interval: this.interval.name,
      time: this.plan.starts[this.fb],
      open: this.o,
      high: this.h,
      low: this.l,
      close: this.c,
      volume: this.v,
      flags: this.flags | BarFlag.Partial,
      count: this.count,
      expected: this.plan.expected[this.fb],
    };
  }

  /**
   * Recomputes from a full one-minute series (after a gap fill inserted bars in the middle):
   * resets, adds every bar ended by `upTo`, then flushes up to `upTo`.
   */
  rebuild(bars1m: BarSeries, upTo: number): void {
    this.reset();
    const { time, open, high, low, close, volume, flags } = bars1m;
    for (let i = 0; i < bars1m.length && time[i] + MINUTE_MS <= upTo; i++) {
      this.add(time[i], open[i], high[i], low[i], close[i], volume[i], flags[i]);
    }
    this.flushUpTo(upTo);
  }

  /** Forgets everything: the completed bars, the forming bar and the last time (new session). */
  reset(): void {
    this.series.clear();
    this.fb = -1;
    this.end = Number.NEGATIVE_INFINITY;
    this.b = 0;
    this.last = Number.NEGATIVE_INFINITY;
    this.sessionEnd = Number.NEGATIVE_INFINITY;
    this.idleUntil = Number.NEGATIVE_INFINITY;
  }

  /** A bar that starts a bucket, changes session, lies outside the session, or is out of order. */
  private addSlow(
    time: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    flags: number,
  ): number {
    if (!(time > this.last)) {
      throw new InvalidArgumentError(
        `${this.symbol} ${this.interval.name}: one-minute bar ${isoUtc(time)} is not after ${isoUtc(this.last)}`,
      );
    }
    this.last = time;
    // A bar in the session's break belongs to no bucket; it only completes what it passed.
    if (time >= this.plan.breakStart && time < this.plan.breakEnd) return this.flushUpTo(time);
    let done = this.fb >= 0 ? this.complete() : 0;
    if (time >= this.sessionEnd && !this.enterSession(time)) return done;
    const plan = this.plan;
    const ends = plan.ends;
    let b = this.b;
    while (b < plan.length && ends[b] <= time) b++;
    this.b = b;
    if (b === plan.length || time < plan.starts[b]) return done;
    this.fb = b;
    this.end = ends[b];
    this.o = open;
    this.h = high;
    this.l = low;
    this.c = close;
    this.v = volume;
    this.count = 1;
    this.flags = flags & INHERITED_FLAGS;
    if (time + MINUTE_MS >= this.end) done += this.complete();
    return done;
  }

  private enterSession(time: number): boolean {
    if (time < this.idleUntil) return false;
    const session = this.calendar.sessionAt(time, true);
    if (!session) {
      this.idleUntil = this.calendar.nextSession(time, true)?.preOpen ?? Number.POSITIVE_INFINITY;
      this.sessionEnd = Number.NEGATIVE_INFINITY;
      return false;
    }
    this.plan.layout(session);
    this.breakStart = this.plan.breakStart;
    this.breakEnd = this.plan.breakEnd;
    this.sessionEnd = session.postClose;
    this.b = 0;
    return true;
  }

  private complete(): number {
    const fb = this.fb;
    this.series.push(
      this.plan.starts[fb],
      this.o,
      this.h,
      this.l,
      this.c,
      this.v,
      this.flags,
      this.count,
      this.plan.expected[fb],
    );
    this.fb = -1;
    this.end = Number.NEGATIVE_INFINITY;
    return 1;
  }
}
