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

/** The error for bar `i` whose time is not after bar `i - 1`'s (or is not a number). */
function orderError(time: ArrayLike<number>, i: number): InvalidArgumentError {
  const t = time[i];
  if (!Number.isFinite(t))
    return new InvalidArgumentError(`one-minute bar at index ${i} has no valid time (${t})`);
  const what = t === time[i - 1] ? "duplicate" : "out-of-order";
  return new InvalidArgumentError(
    `${what} one-minute bar at index ${i}: ${isoUtc(t)} after ${isoUtc(time[i - 1])}`,
  );
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
  const out =
    opts.into ?? new BarSeries(symbolOf(bars1m, opts.symbol), iv.name, Math.ceil(n / iv.minutes) + 8);
  out.clear();
  const plan = cachedPlan(iv, calendar.timeZone, opts);
  const starts = plan.starts;
  const ends = plan.ends;
  let prev = Number.NEGATIVE_INFINITY;
  let idleUntil = Number.NEGATIVE_INFINITY;
  let i = 0;
  while (i < n) {
    const first = time[i];
    if (!(first > prev)) throw orderError(time, i);
    if (first + MINUTE_MS > upTo) break;
    const session = first < idleUntil ? undefined : calendar.sessionAt(first, true);
    if (!session) {
      if (first >= idleUntil)
        idleUntil = calendar.nextSession(first, true)?.preOpen ?? Number.POSITIVE_INFINITY;
      prev = first;
      i++;
      continue;
    }
    plan.layout(session);
    const sessionEnd = session.postClose;
    const { breakStart, breakEnd } = plan;
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
      if (!(t > prev)) throw orderError(time, i);
      if (t >= sessionEnd) break;
      if (t + MINUTE_MS > upTo) {
        n = i;
        break;
      }
      prev = t;
      while (b < buckets && ends[b] <= t) b++;
      if (b === buckets || t < starts[b] || (t >= breakStart && t < breakEnd)) continue;
      if (b !== fb) {
        if (fb >= 0) emitBar(out, plan, fb, o, h, l, c, v, flags, count, upTo, omitPartial);
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
    if (fb >= 0) emitBar(out, plan, fb, o, h, l, c, v, flags, count, upTo, omitPartial);
  }
  return out;
}

/** Appends bucket `b`'s bar; a bucket ending after `upTo` is flagged Partial, or left out. */
function emitBar(
  out: BarSeries,
  plan: IntervalPlan,
  b: number,
  o: number,
  h: number,
  l: number,
  c: number,
  v: number,
  flags: number,
  count: number,
  upTo: number,
  omitPartial: boolean,
): void {
  const forming = plan.ends[b] > upTo;
  if (forming && omitPartial) return;
  out.push(plan.starts[b], o, h, l, c, v, forming ? flags | BarFlag.Partial : flags, count, plan.expected[b]);
}
