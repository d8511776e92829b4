import type { Calendar, Session } from "../calendar/types.js";
import { type BarColumns, BarFlag, type SessionBar } from "../model/bar.js";
import { InvalidArgumentError } from "../model/errors.js";
import type { Interval } from "../model/interval.js";
import { BarSeries } from "../model/series.js";
import { isoUtc, MINUTE_MS } from "../model/time.js";
import { INHERITED_FLAGS } from "./derive.js";
import { type Anchor, IntervalPlan } from "./plan.js";

// Fields of one slot's row in `FormingBars.state` (a slot is one symbol's one interval).
const LAST = 0;
const END = 1;
const FB = 2;
const B = 3;
const O = 4;
const H = 5;
const L = 6;
const C = 7;
const V = 8;
const COUNT = 9;
const FLAGS = 10;
const SESSION_END = 11;
const IDLE_UNTIL = 12;
const BREAK_START = 13;
const BREAK_END = 14;
/** Float64 fields per slot (15 used, padded to 16). */
const FIELDS = 16;

/** Initial rows of each derived series (they double when full; a session's sizes are kept). */
const SERIES_CAPACITY = 8;

/** The columns of one-minute bars FormingBars reads a row of (a batch's, or a series'). */
export type BarRows = Pick<BarColumns, "time" | "open" | "high" | "low" | "close" | "volume" | "flags">;

/** Options of FormingBars (as DerivedBarBuilder's). */
export interface FormingBarsOptions {
  anchor?: Anchor;
  extended?: boolean;
}

/**
 * The derived bars of many symbols over the same intervals, built as one-minute bars arrive:
 * what one `DerivedBarBuilder` per (symbol, interval) does, with the forming bars of every
 * symbol held row-major in one Float64Array (symbol id x interval) and the bucket plans
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
  /** Bars completed per interval by the last `add()`. */
  readonly done: Int32Array;
  private state = new Float64Array(0);
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
    if ((id + 1) * K * FIELDS > this.state.length) {
      const grown = new Float64Array(Math.max(16, (id + 1) * 2) * K * FIELDS);
      grown.set(this.state);
      this.state = grown;
    }
    for (let k = 0; k < K; k++) {
      const slot = id * K + k;
      this.series.push(new BarSeries(symbol, this.intervals[k].name, SERIES_CAPACITY));
      this.sessions.push(undefined);
      const f = slot * FIELDS;
      this.state[f + BREAK_START] = Number.NaN;
      this.state[f + BREAK_END] = Number.NaN;
      this.clearSlot(f);
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
    const row = this.row;
    row.time[0] = time;
    row.open[0] = open;
    row.high[0] = high;
    row.low[0] = low;
    row.close[0] = close;
    row.volume[0] = volume;
    row.flags[0] = flags;
    return this.addRow(id, row, 0);
  }

  /**
   * `add` of row `i` of bar columns (a batch, or a series): the hot path's form. The bar is
   * passed as a row index, not as values, so that no number is boxed on the way in.
   */
  addRow(id: number, rows: BarRows, i: number): number {
    const K = this.width;
    const done = this.done;
    let total = 0;
    for (let k = 0; k < K; k++) {
      const n = this.addTo(id * K + k, rows, i);
      done[k] = n;
      total += n;
    }
    return total;
  }

  /** Adds row `i` of bar columns to one slot; returns the bars it completed (0..2). */
  private addTo(slot: number, rows: BarRows, i: number): number {
    const st = this.state;
    const f = slot * FIELDS;
    const time = rows.time[i];
    const end = st[f + END];
    // The bar falls in the forming bucket (and not in a break the daily bucket spans; a NaN
    // break fails the comparison).
    if (time > st[f + LAST] && time < end && !(time >= st[f + BREAK_START] && time < st[f + BREAK_END])) {
      st[f + LAST] = time;
      const high = rows.high[i];
      const low = rows.low[i];
      if (high > st[f + H]) st[f + H] = high;
      if (low < st[f + L]) st[f + L] = low;
      st[f + C] = rows.close[i];
      st[f + V] += rows.volume[i];
      st[f + COUNT]++;
      st[f + FLAGS] = st[f + FLAGS] | (rows.flags[i] & INHERITED_FLAGS);
      return time + MINUTE_MS >= end ? this.complete(slot) : 0;
    }
    return this.addSlow(slot, rows, i);
  }

  /** Completes slot's forming bucket if its end is <= t; returns bars completed (0 or 1). */
  flushUpTo(slot: number, t: number): number {
    const f = slot * FIELDS;
    return this.state[f + FB] >= 0 && this.state[f + END] <= t ? this.complete(slot) : 0;
  }

  /** End of slot's forming bucket (Infinity when none). */
  formingEnd(slot: number): number {
    const f = slot * FIELDS;
    return this.state[f + FB] >= 0 ? this.state[f + END] : Number.POSITIVE_INFINITY;
  }

  /** Slot's forming bar, flagged BarFlag.Partial, or undefined. */
  partial(slot: number): SessionBar | undefined {
    const st = this.state;
    const f = slot * FIELDS;
    const fb = st[f + FB] | 0;
    if (fb < 0) return undefined;
    const plan = this.planOf(slot);
    const series = this.series[slot];
    return {
      symbol: series.symbol,
      interval: series.interval,
      time: plan.starts[fb],
      open: st[f + O],
      high: st[f + H],
      low: st[f + L],
      close: st[f + C],
      volume: st[f + V],
      flags: st[f + FLAGS] | BarFlag.Partial,
      count: st[f + COUNT],
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
    for (let i = 0; i < bars1m.length && time[i] + MINUTE_MS <= upTo; i++) this.addTo(slot, bars1m, i);
    this.flushUpTo(slot, upTo);
  }

  /** Forgets a slot's completed bars, forming bar and last time (new session). */
  reset(slot: number): void {
    this.series[slot].clear();
    this.clearSlot(slot * FIELDS);
  }

  /** Bytes of the forming rows of one symbol. */
  bytesPerSymbol(): number {
    return this.width * FIELDS * 8;
  }

  private clearSlot(f: number): void {
    const st = this.state;
    st[f + FB] = -1;
    st[f + END] = Number.NEGATIVE_INFINITY;
    st[f + B] = 0;
    st[f + LAST] = Number.NEGATIVE_INFINITY;
    st[f + SESSION_END] = Number.NEGATIVE_INFINITY;
    st[f + IDLE_UNTIL] = Number.NEGATIVE_INFINITY;
  }

  /** A bar that starts a bucket, changes session, lies outside the session, or is out of order. */
  private addSlow(slot: number, rows: BarRows, i: number): number {
    const st = this.state;
    const f = slot * FIELDS;
    const time = rows.time[i];
    if (!(time > st[f + LAST])) {
      const series = this.series[slot];
      throw new InvalidArgumentError(
        `${series.symbol} ${series.interval}: one-minute bar ${isoUtc(time)} is not after ${isoUtc(st[f + LAST])}`,
      );
    }
    st[f + LAST] = time;
    // A bar in the session's break belongs to no bucket; it only completes what it passed.
    if (time >= st[f + BREAK_START] && time < st[f + BREAK_END]) return this.flushUpTo(slot, time);
    let done = st[f + FB] >= 0 ? this.complete(slot) : 0;
    if (time >= st[f + SESSION_END] && !this.enterSession(slot, time)) return done;
    const plan = this.planOf(slot);
    const ends = plan.ends;
    let b = st[f + B] | 0;
    while (b < plan.length && ends[b] <= time) b++;
    st[f + B] = b;
    if (b === plan.length || time < plan.starts[b]) return done;
    st[f + FB] = b;
    st[f + END] = ends[b];
    st[f + O] = rows.open[i];
    st[f + H] = rows.high[i];
    st[f + L] = rows.low[i];
    st[f + C] = rows.close[i];
    st[f + V] = rows.volume[i];
    st[f + COUNT] = 1;
    st[f + FLAGS] = rows.flags[i] & INHERITED_FLAGS;
    if (time + MINUTE_MS >= ends[b]) done += this.complete(slot);
    return done;
  }

  private enterSession(slot: number, time: number): boolean {
    const st = this.state;
    const f = slot * FIELDS;
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

  private complete(slot: number): number {
    const st = this.state;
    const f = slot * FIELDS;
    const fb = st[f + FB] | 0;
    const plan = this.planOf(slot);
    this.series[slot].push(
      plan.starts[fb],
      st[f + O],
      st[f + H],
      st[f + L],
      st[f + C],
      st[f + V],
      st[f + FLAGS],
      st[f + COUNT],
      plan.expected[fb],
    );
    st[f + FB] = -1;
    st[f + END] = Number.NEGATIVE_INFINITY;
    return 1;
  }
}
