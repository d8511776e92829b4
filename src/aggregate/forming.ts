import type { Calendar, Session } from "../calendar/types.js";
import { BarFlag, type BarRows, type SessionBar, setBarRow } from "../model/bar.js";
import { InvalidArgumentError } from "../model/errors.js";
import type { Interval } from "../model/interval.js";
import { BarSeries } from "../model/series.js";
import { isoUtc, MINUTE_MS } from "../model/time.js";
import { INHERITED_FLAGS } from "./derive.js";
import { type Anchor, IntervalPlan } from "./plan.js";

// A slot is one symbol's one interval. Its fields read and written by every bar are one row
// of `FormingBars.hot` (eight float64: 64 bytes); the rest, changed when a bucket or session
// starts, one row of `FormingBars.cold`.
const LAST = 0;
const END = 1;
/** Up to where a bar continues the forming bucket: its end, or the start of a break it spans. */
const FAST_END = 2;
const H = 3;
const L = 4;
const C = 5;
const V = 6;
/** The bucket's bar count. */
const COUNT = 7;
/** Float64 fields per slot in `hot`. */
const HOT = 8;
const FB = 0;
const B = 1;
const O = 2;
const SESSION_END = 3;
const IDLE_UNTIL = 4;
const BREAK_START = 5;
const BREAK_END = 6;
/**
 * The bucket's inherited flags, OR-ed in only by a bar that carries one (most carry none),
 * so that the fast path does no integer conversion for them.
 */
const FLAGS = 7;
/** Float64 fields per slot in `cold`. */
const COLD = 8;

/**
 * Initial rows of each derived series: a slot entering a session reserves room for the
 * session's buckets (no growth while it replays; a session's sizes are kept).
 */
const SERIES_CAPACITY = 1;

/** Options of FormingBars (as DerivedBarBuilder's). */
export interface FormingBarsOptions {
  anchor?: Anchor;
  extended?: boolean;
}

/**
 * The derived bars of many symbols over the same intervals, built as one-minute bars arrive:
 * what one `DerivedBarBuilder` per (symbol, interval) does, with the forming bars of every
 * symbol held row-major in two Float64Arrays (symbol id x interval: the fields every bar
 * touches, one cache line a slot, and the others) and the bucket plans
 * shared by every symbol in the same session. Completed bars are written into `series`,
 * one BarSeries per slot (`id * width + k`). O(1) and allocation-free per bar.
 *
 * Same contract as DerivedBarBuilder: `add()` at the one-minute bar's end, `flushUpTo(now)`
 * with a time the clock has reached; completed bars equal the builder's.
 */
export class FormingBars {
  /** Intervals per symbol, in slot order. */
  readonly width: number;
  /** Completed bars by slot (`id * width + k`). */
  readonly series: BarSeries[] = [];
  /** Bars completed per interval by the last `add()` (or `addRow()`; a `rebuild()` uses `done[0]`). */
  readonly done: Int32Array;
  private hot = new Float64Array(0);
  private cold = new Float64Array(0);
  /** The one-row columns `add` passes its values in. */
  private readonly row: BarRows = {
    time: new Float64Array(1),
    open: new Float64Array(1),
    high: new Float64Array(1),
    low: new Float64Array(1),
    close: new Float64Array(1),
    volume: new Float64Array(1),
    flags: new Uint8Array(1),
  };
  /** The session each slot's plan data refers to. */
  private readonly sessions: (Session | undefined)[] = [];
  private readonly symbols: string[] = [];
  /**
   * The calendars symbols are on (the constructor's first), each with one plan per interval,
   * laid out for the session asked last (every symbol of that calendar shares it).
   */
  private readonly calendars: Calendar[] = [];
  private readonly plans: IntervalPlan[][] = [];
  /** Index into `calendars` of each symbol id. */
  private readonly calendarIndex: number[] = [];
  /** Per calendar, the session `sessionAt` returned last (reused while it holds the time asked). */
  private readonly lastSession: (Session | undefined)[] = [];

  constructor(
    readonly intervals: readonly Interval[],
    calendar: Calendar,
    private readonly opts: FormingBarsOptions = {},
  ) {
    this.width = intervals.length;
    this.done = new Int32Array(this.width);
    this.indexOf(calendar);
  }

  /** Index of a calendar in `calendars`, added (with its plans) when new. */
  private indexOf(calendar: Calendar): number {
    let c = this.calendars.indexOf(calendar);
    if (c < 0) {
      c = this.calendars.length;
      this.calendars.push(calendar);
      this.plans.push(this.intervals.map((iv) => new IntervalPlan(iv, calendar.timeZone, this.opts)));
      this.lastSession.push(undefined);
    }
    return c;
  }

  /** Symbols held (ids 0 .. count - 1). */
  get count(): number {
    return this.symbols.length;
  }

  /**
   * Adds a symbol; returns its id (the next dense number). Its buckets follow `calendar`'s
   * sessions (default: the constructor's calendar).
   */
  addSymbol(symbol: string, calendar: Calendar = this.calendars[0]): number {
    const id = this.symbols.length;
    this.symbols.push(symbol);
    this.calendarIndex.push(this.indexOf(calendar));
    const K = this.width;
    if ((id + 1) * K * HOT > this.hot.length) {
      const rows = Math.max(16, (id + 1) * 2) * K;
      const hot = new Float64Array(rows * HOT);
      hot.set(this.hot);
      this.hot = hot;
      const cold = new Float64Array(rows * COLD);
      cold.set(this.cold);
      this.cold = cold;
    }
    for (let k = 0; k < K; k++) {
      const slot = id * K + k;
      this.series.push(new BarSeries(symbol, this.intervals[k].name, SERIES_CAPACITY));
      this.sessions.push(undefined);
      this.cold[slot * COLD + BREAK_START] = Number.NaN;
      this.cold[slot * COLD + BREAK_END] = Number.NaN;
      this.clearSlot(slot);
    }
    return id;
  }

  /**
   * Adds a one-minute bar of symbol `id` to each of its intervals (strictly increasing times
   * per symbol; InvalidArgumentError otherwise). Returns the bars completed; `done[k]` holds
   * how many of interval k.
   */
  add(
    id: number,
    time: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    flags: number,
  ): number {
    setBarRow(this.row, 0, time, open, high, low, close, volume, flags);
    return this.addRow(id, this.row, 0);
  }

  /**
   * `add` of row `i` of bar columns (a batch, or a series): the hot path's form. The bar is
   * passed as a row index, not as values, so that no number is boxed on the way in.
   */
  addRow(id: number, rows: BarRows, i: number): number {
    return this.addSlots(id * this.width, this.width, rows, i);
  }

  /**
   * Adds row `i` of bar columns to `count` consecutive slots from `first` (one symbol's
   * intervals, or one slot), in one pass: the fast path (the bar continues the forming
   * bucket: after the last bar, before the bucket's end or the break it spans) inline, on
   * one cache line a slot; a call only to complete a bucket or start one. `done[k]` gets slot
   * `first + k`'s count.
   */
  private addSlots(first: number, count: number, rows: BarRows, i: number): number {
    const hot = this.hot;
    const done = this.done;
    const time = rows.time[i];
    const high = rows.high[i];
    const low = rows.low[i];
    const close = rows.close[i];
    const volume = rows.volume[i];
    const flags = rows.flags[i] & INHERITED_FLAGS;
    let total = 0;
    for (let k = 0; k < count; k++) {
      const f = (first + k) * HOT;
      let n = 0;
      if (time > hot[f + LAST] && time < hot[f + FAST_END]) {
        hot[f + LAST] = time;
        if (high > hot[f + H]) hot[f + H] = high;
        if (low < hot[f + L]) hot[f + L] = low;
        hot[f + C] = close;
        hot[f + V] += volume;
        hot[f + COUNT] += 1;
        if (flags !== 0) this.orFlags(first + k, flags);
        if (time + MINUTE_MS >= hot[f + END]) n = this.complete(first + k);
      } else {
        n = this.addSlow(first + k, rows, i);
      }
      done[k] = n;
      total += n;
    }
    return total;
  }

  /** Completes slot's forming bucket if its end is <= t; returns bars completed (0 or 1). */
  flushUpTo(slot: number, t: number): number {
    return this.cold[slot * COLD + FB] >= 0 && this.hot[slot * HOT + END] <= t ? this.complete(slot) : 0;
  }

  /** End of slot's forming bucket (Infinity when none). */
  formingEnd(slot: number): number {
    return this.cold[slot * COLD + FB] >= 0 ? this.hot[slot * HOT + END] : Number.POSITIVE_INFINITY;
  }

  /** Slot's forming bar, flagged BarFlag.Partial, or undefined. */
  partial(slot: number): SessionBar | undefined {
    const hot = this.hot;
    const f = slot * HOT;
    const fb = this.cold[slot * COLD + FB] | 0;
    if (fb < 0) return undefined;
    const plan = this.planOf(slot);
    const series = this.series[slot];
    return {
      symbol: series.symbol,
      interval: series.interval,
      time: plan.starts[fb],
      open: this.cold[slot * COLD + O],
      high: hot[f + H],
      low: hot[f + L],
      close: hot[f + C],
      volume: hot[f + V],
      flags: this.cold[slot * COLD + FLAGS] | BarFlag.Partial,
      count: hot[f + COUNT],
      expected: plan.expected[fb],
    };
  }

  /**
   * Recomputes a slot from a full one-minute series (after a gap fill inserted bars in the
   * middle): resets, adds every bar ended by `upTo`, then flushes up to `upTo`.
   */
  rebuild(slot: number, bars1m: BarSeries, upTo: number): void {
    this.reset(slot);
    const time = bars1m.time;
    for (let i = 0; i < bars1m.length && time[i] + MINUTE_MS <= upTo; i++) this.addSlots(slot, 1, bars1m, i);
    this.flushUpTo(slot, upTo);
  }

  /** Forgets a slot's completed bars, forming bar and last time (new session). */
  reset(slot: number): void {
    this.series[slot].clear();
    this.clearSlot(slot);
  }

  /** Bytes of the forming rows of one symbol. */
  bytesPerSymbol(): number {
    return this.width * (HOT + COLD) * 8;
  }

  private clearSlot(slot: number): void {
    const f = slot * HOT;
    const c = slot * COLD;
    this.cold[c + FB] = -1;
    this.hot[f + END] = Number.NEGATIVE_INFINITY;
    this.hot[f + FAST_END] = Number.NEGATIVE_INFINITY;
    this.cold[c + B] = 0;
    this.hot[f + LAST] = Number.NEGATIVE_INFINITY;
    this.cold[c + SESSION_END] = Number.NEGATIVE_INFINITY;
    this.cold[c + IDLE_UNTIL] = Number.NEGATIVE_INFINITY;
  }

  /**
   * A bar that does not continue the forming bucket on the fast path: one after a break the
   * bucket spans, one that starts a bucket, changes session, lies outside the session or in a
   * break, or is out of order.
   */
  private addSlow(slot: number, rows: BarRows, i: number): number {
    const hot = this.hot;
    const cold = this.cold;
    const f = slot * HOT;
    const c = slot * COLD;
    const time = rows.time[i];
    if (!(time > hot[f + LAST])) {
      const series = this.series[slot];
      throw new InvalidArgumentError(
        `${series.symbol} ${series.interval}: one-minute bar ${isoUtc(time)} is not after ${isoUtc(hot[f + LAST])}`,
      );
    }
    hot[f + LAST] = time;
    // A bar in the session's break belongs to no bucket; it only completes what it passed.
    const inBreak = time >= cold[c + BREAK_START] && time < cold[c + BREAK_END];
    if (inBreak) return this.flushUpTo(slot, time);
    const end = hot[f + END];
    if (cold[c + FB] >= 0 && time < end) {
      // The first bar after the break the forming bucket spans: the fast path holds again.
      hot[f + FAST_END] = end;
      const high = rows.high[i];
      const low = rows.low[i];
      if (high > hot[f + H]) hot[f + H] = high;
      if (low < hot[f + L]) hot[f + L] = low;
      hot[f + C] = rows.close[i];
      hot[f + V] += rows.volume[i];
      hot[f + COUNT] += 1;
      this.orFlags(slot, rows.flags[i] & INHERITED_FLAGS);
      return time + MINUTE_MS >= end ? this.complete(slot) : 0;
    }
    let done = cold[c + FB] >= 0 ? this.complete(slot) : 0;
    if (time >= cold[c + SESSION_END] && !this.enterSession(slot, time)) return done;
    const plan = this.planOf(slot);
    const ends = plan.ends;
    let b = cold[c + B] | 0;
    while (b < plan.length && ends[b] <= time) b++;
    cold[c + B] = b;
    if (b === plan.length || time < plan.starts[b]) return done;
    cold[c + FB] = b;
    hot[f + END] = ends[b];
    // A break inside the bucket, after this bar, ends the fast path until the break is over.
    const breakStart = cold[c + BREAK_START];
    hot[f + FAST_END] = time < breakStart && breakStart < ends[b] ? breakStart : ends[b];
    cold[c + O] = rows.open[i];
    hot[f + H] = rows.high[i];
    hot[f + L] = rows.low[i];
    hot[f + C] = rows.close[i];
    hot[f + V] = rows.volume[i];
    hot[f + COUNT] = 1;
    cold[c + FLAGS] = rows.flags[i] & INHERITED_FLAGS;
    if (time + MINUTE_MS >= ends[b]) done += this.complete(slot);
    return done;
  }

  private enterSession(slot: number, time: number): boolean {
    const st = this.cold;
    const f = slot * COLD;
    if (time < st[f + IDLE_UNTIL]) return false;
    const c = this.calendarIndex[(slot / this.width) | 0];
    const session = this.sessionAt(c, time);
    if (!session) {
      st[f + IDLE_UNTIL] = this.calendars[c].nextSession(time, true)?.preOpen ?? Number.POSITIVE_INFINITY;
      st[f + SESSION_END] = Number.NEGATIVE_INFINITY;
      return false;
    }
    this.sessions[slot] = session;
    const plan = this.planOf(slot);
    const series = this.series[slot];
    series.reserve(series.length + plan.length);
    st[f + BREAK_START] = plan.breakStart;
    st[f + BREAK_END] = plan.breakEnd;
    st[f + SESSION_END] = session.postClose;
    st[f + B] = 0;
    return true;
  }

  /** The session of calendar `c` holding `time` (extended hours included). */
  private sessionAt(c: number, time: number): Session | undefined {
    const last = this.lastSession[c];
    if (last && time >= last.preOpen && time < last.postClose) return last;
    const session = this.calendars[c].sessionAt(time, true);
    if (session) this.lastSession[c] = session;
    return session;
  }

  /** The plan of slot's interval, laid out for slot's session. */
  private planOf(slot: number): IntervalPlan {
    const K = this.width;
    const plan = this.plans[this.calendarIndex[(slot / K) | 0]][slot % K];
    const session = this.sessions[slot];
    if (session && plan.session !== session) plan.layout(session);
    return plan;
  }

  /** ORs inherited flags into slot's forming bucket. */
  private orFlags(slot: number, flags: number): void {
    const at = slot * COLD + FLAGS;
    this.cold[at] = this.cold[at] | flags;
  }

  private complete(slot: number): number {
    const hot = this.hot;
    const f = slot * HOT;
    const c = slot * COLD;
    const fb = this.cold[c + FB] | 0;
    const plan = this.planOf(slot);
    this.series[slot].push(
      plan.starts[fb],
      this.cold[c + O],
      hot[f + H],
      hot[f + L],
      hot[f + C],
      hot[f + V],
      this.cold[c + FLAGS],
      hot[f + COUNT],
      plan.expected[fb],
    );
    this.cold[c + FB] = -1;
    hot[f + END] = Number.NEGATIVE_INFINITY;
    hot[f + FAST_END] = Number.NEGATIVE_INFINITY;
    return 1;
  }
}
