import type { Calendar } from "../calendar/types.js";
import { BarFlag } from "../model/bar.js";
import { InvalidArgumentError } from "../model/errors.js";
import type { Interval } from "../model/interval.js";
import { BarSeries } from "../model/series.js";
import { isoUtc, MINUTE_MS } from "../model/time.js";
import { type BucketOptions, IntervalPlan, toInterval } from "./plan.js";

/**
 * One-minute bars of one symbol as columns, in time order: a `BarColumns` (as stores read
 * them) or a `BarSeries` (as the engine keeps them) both fit.
 */
export interface MinuteBars {
  readonly length: number;
  readonly time: ArrayLike<number>;
  readonly open: ArrayLike<number>;
  readonly high: ArrayLike<number>;
  readonly low: ArrayLike<number>;
  readonly close: ArrayLike<number>;
  readonly volume: ArrayLike<number>;
  readonly flags?: ArrayLike<number>;
  readonly symbol?: string | readonly string[];
}

/** Options of `deriveBars`. */
export interface DeriveOptions extends BucketOptions {
  /**
   * The clock: one-minute bars not ended by `upTo` are ignored, and a bucket whose end is
   * after it is still forming. Default: Infinity (everything is history).
   */
  upTo?: number;
  /** A forming bucket is emitted flagged `BarFlag.Partial` (`"flag"`, default) or left out (`"omit"`). */
  partial?: "flag" | "omit";
  /** The output series' symbol (default: the input's). */
  symbol?: string;
  /**
   * Write into this series instead of a new one (it is cleared first; its symbol and interval
   * are the caller's business). Reusing one series saves allocating its columns per call.
   */
  into?: BarSeries;
}

/** Source flags a derived bar inherits (OR over its source bars). */
export const INHERITED_FLAGS = BarFlag.Filled | BarFlag.Synthetic;

function symbolOf(bars: MinuteBars, given: string | undefined): string {
  if (given !== undefined) return given;
  const s = bars.symbol;
  if (typeof s === "string") return s;
  return (s && bars.length > 0 ? s[0] : undefined) ?? "";
}

const plans = new Map<string, IntervalPlan>();

/**
 * A plan per (time zone, interval, anchor, extended), reused across `deriveBars` calls (which
 * are synchronous, so one plan is never laid out twice at once): its columns are allocated once.
 */
function cachedPlan(iv: Interval, timeZone: string, opts: BucketOptions): IntervalPlan {
  const key = `${timeZone}|${iv.name}|${opts.anchor ?? "session"}|${opts.extended === true}`;
  let plan = plans.get(key);
  if (!plan) {
    plan = new IntervalPlan(iv, timeZone, opts);
    plans.set(key, plan);
  }
  return plan;
}

/** Throws when the bar times are not strictly increasing (out of order or duplicated). */
export function checkTimeOrder(time: ArrayLike<number>, length: number): void {
  for (let i = 1; i < length; i++) {
    if (!(time[i] > time[i - 1])) {
      const what = time[i] === time[i - 1] ? "duplicate" : "out-of-order";
      throw new InvalidArgumentError(
        `${what} one-minute bar at index ${i}: ${isoUtc(time[i])} after ${isoUtc(time[i - 1])}`,
      );
    }
  }
}

/**
 * Derives bars of `interval` from one-minute bars (batch, for stored data): per bucket of
 * each session (see IntervalPlan) OHLCV = first open, max high, min low, last close, summed
 * volume; `count` = source bars held, `expected` = bars the calendar expects; flags = OR of
 * the sources' Filled/Synthetic. Bars outside the session (extended hours unless
 * `extended`) are ignored; buckets without source bars yield no bar. Equal, bar for bar, to
 * what a DerivedBarBuilder fed the same bars completes (plus its partial bar).
 * Throws InvalidArgumentError on out-of-order or duplicate times.
 */
export function deriveBars(
  bars1m: MinuteBars,
  interval: Interval | string,
  calendar: Calendar,
  opts: DeriveOptions = {},
): BarSeries {
  const iv = toInterval(interval);
  const { time, open, high, low, close, volume } = bars1m;
  const srcFlags = bars1m.flags;
  const upTo = opts.upTo ?? Number.POSITIVE_INFINITY;
  const omitPartial = opts.partial === "omit";
  let n = bars1m.length;
  checkTimeOrder(time, n);
  while (n > 0 && time[n - 1] + MINUTE_MS > upTo) n--;

  const out =
    opts.into ?? new BarSeries(symbolOf(bars1m, opts.symbol), iv.name, Math.ceil(n / iv.minutes) + 8);
  out.clear();
  const plan = cachedPlan(iv, calendar.timeZone, opts);
  const starts = plan.starts;
  const ends = plan.ends;
  let i = 0;
  while (i < n) {
    const session = calendar.sessionAt(time[i], true);
    if (!session) {
      const next = calendar.nextSession(time[i], true);
      if (!next) break;
      while (i < n && time[i] < next.preOpen) i++;
      continue;
    }
    plan.layout(session);
    const sessionEnd = session.postClose;
    const buckets = plan.length;
    let b = 0;
    let fb = -1;
    let o = 0;
    let h = 0;
    let l = 0;
    let c = 0;
    let v = 0;
    let count = 0;
    let flags = 0;
    for (; i < n; i++) {
      const t = time[i];
      if (t >= sessionEnd) break;
      while (b < buckets && ends[b] <= t) b++;
      if (b === buckets || t < starts[b]) continue;
      if (b !== fb) {
        if (fb >= 0) emit(out, starts[fb], o, h, l, c, v, flags, count, plan.expected[fb], ends[fb] > upTo);
        fb = b;
        o = open[i];
        h = high[i];
        l = low[i];
        c = close[i];
        v = volume[i];
        count = 1;
        flags = srcFlags ? srcFlags[i] & INHERITED_FLAGS : 0;
      } else {
        if (high[i] > h) h = high[i];
        if (low[i] < l) l = low[i];
        c = close[i];
        v += volume[i];
        count++;
        if (srcFlags) flags |= srcFlags[i] & INHERITED_FLAGS;
      }
    }
    if (fb >= 0) emit(out, starts[fb], o, h, l, c, v, flags, count, plan.expected[fb], ends[fb] > upTo);
  }
  return out;

  function emit(
    series: BarSeries,
    start: number,
    o: number,
    h: number,
    l: number,
    c: number,
    v: number,
    flags: number,
    count: number,
    expected: number,
    forming: boolean,
  ): void {
    if (forming && omitPartial) return;
    series.push(start, o, h, l, c, v, forming ? flags | BarFlag.Partial : flags, count, expected);
  }
}
