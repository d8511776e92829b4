import { type FormingBars, TickBarBuilder } from "../aggregate/index.js";
import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/schema.js";
import {
  allocBarColumns,
  type Bar,
  type BarColumns,
  barProblem,
  type QuoteBar,
  setBarRow,
  type Tick,
} from "../model/bar.js";
import type { BarSeries, PlacedBars } from "../model/series.js";
import type { BarBatch, StreamSink } from "./coordinator.js";
import type { EventHub } from "./events.js";
import type { SessionData } from "./session-data.js";
import { Slice } from "./slice.js";
import type { SymbolRows, SymbolState } from "./symbol-state.js";
import type { BarEvent, EngineEvent, FeedBatch } from "./types.js";

const MAX_KEPT_REJECTIONS = 1000;

/** A bar (or quote, tick) the engine refused, with why. */
export interface Rejection {
  symbol: string;
  time: number;
  reason: string;
}

/** The replayed window of the session in progress, and its regular hours. */
export interface SessionWindows {
  /** [start, end) of the replayed window (regular, or extended). */
  window: { start: number; end: number };
  /** [start, end) of the regular session, where quality and gaps are counted. */
  regular: { start: number; end: number };
}

/**
 * The bar path: every bar, quote and tick on its way in. Validates, appends to the symbol's
 * session, updates the derived bars in place (FormingBars: one typed array for every
 * symbol's forming bars), counts, and hands each completed bar to the `bar` listeners (an
 * event object only when somebody listens) and to the instant's slice (columns, when
 * somebody listens to `slice`). No allocation per bar otherwise, and a promise only when a
 * listener returned one.
 */
export class BarPath {
  /** Bars out by the interval's minutes (1..1440), counted as they complete. */
  readonly barsOut = new Float64Array(1441);
  barsIn = 0;
  quotesIn = 0;
  ticksIn = 0;
  readonly rejected = new Map<string, number>();
  readonly kept: Rejection[] = [];
  private readonly slice: Slice;
  /** Every active symbol's state by dense id (the session data's own array, which grows). */
  private readonly states: readonly SymbolState[];
  /** What every bar changes of a symbol, by id (the states' shared rows). */
  private readonly table: SymbolRows;
  private readonly forming: FormingBars;
  /** Minutes of each configured derived interval, in slot order. */
  private readonly minutes: Int32Array;
  private listening = false;
  private slicing = false;
  private lastState: SymbolState | undefined;
  /** A reusable one-bar batch for bars that arrive as objects or values (live, built from ticks). */
  private readonly row: BarColumns = allocBarColumns(1);
  /** The windows every symbol gets at a session start (and a symbol added during it). */
  private shared: SessionWindows = closedWindows();
  /**
   * Per symbol id: [start, end) of the replayed window and of the regular session, read per
   * bar (no lookup). All symbols share one calendar today and are set together at each
   * session start; `setSymbolWindows` sets one symbol's own.
   */
  private windowStart = new Float64Array(0);
  private windowEnd = new Float64Array(0);
  private regularStart = new Float64Array(0);
  private regularEnd = new Float64Array(0);
  /** The promise a listener returned during `applyRows`, until the coordinator takes it. */
  private waiting: Promise<void> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly session: SessionData,
    private readonly hub: EventHub,
    private readonly config: Config,
    private readonly onError: (err: unknown) => void,
  ) {
    const states = session.all();
    this.states = states;
    this.table = session.rows;
    this.forming = session.forming;
    this.minutes = Int32Array.from(this.forming.intervals, (iv) => iv.minutes);
    this.slice = new Slice((id) => states[id].symbol);
    this.slice.reset(clock.now());
    hub.onChange = () => {
      this.listening = hub.has("bar");
      this.slicing = hub.has("slice");
    };
  }

  /** Where the stream coordinator delivers. */
  readonly sink: StreamSink = {
    bars: (batch, from, to, now) => this.applyRows(batch, from, to, now),
    takeWaiting: () => {
      const w = this.waiting;
      this.waiting = undefined;
      return w;
    },
    quote: (q) => this.quote(q),
    tick: (t) => this.tick(t),
    advance: () => this.flushSlice(),
  };

  /** The windows of the session starting now, for every symbol (closedWindows() at its end). */
  setWindows(windows: SessionWindows): void {
    this.shared = windows;
    this.windowStart.fill(windows.window.start);
    this.windowEnd.fill(windows.window.end);
    this.regularStart.fill(windows.regular.start);
    this.regularEnd.fill(windows.regular.end);
  }

  /** One symbol's windows (a symbol on a calendar of its own), until the next `setWindows`. */
  setSymbolWindows(id: number, windows: SessionWindows): void {
    if (id >= this.windowEnd.length) this.growWindows(id + 1);
    this.windowStart[id] = windows.window.start;
    this.windowEnd[id] = windows.window.end;
    this.regularStart[id] = windows.regular.start;
    this.regularEnd[id] = windows.regular.end;
  }

  /**
   * Applies rows [from, to) of a bar batch, all due at clock time `now` (one instant). Stops
   * after a row whose listener returned a promise (kept for `takeWaiting`); returns the index
   * of the next row to apply.
   */
  applyRows(batch: BarBatch, from: number, to: number, now: number): number {
    const bars = batch.bars;
    const ids = batch.ids;
    for (let i = from; i < to; i++) {
      let id = ids === undefined ? -1 : ids[i];
      if (id < 0) {
        const s = this.byName(bars.symbol[i]);
        if (s === undefined) {
          this.reject(bars.symbol[i], bars.time[i], "inactive symbol");
          continue;
        }
        id = s.id;
      }
      // Landing and handing on are two calls, so that V8 optimizes each on its own: the
      // derived bars' update does not take the inlining budget the event path needs (with
      // both in one function, the event objects were sometimes built: a third slower).
      const completed = this.land(id, bars, i, now, batch.placed);
      if (completed < 0 || !(this.slicing || this.listening)) continue;
      const r = this.handOn(id, bars, i, completed > 0, now);
      if (r !== undefined) {
        this.waiting = r;
        return i + 1;
      }
    }
    return to;
  }

  /** A bar that arrives as an object (live): applied as a one-row batch. */
  barOf(bar: Bar): void | Promise<void> {
    const row = this.oneRow(bar.symbol, bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume, 0);
    const s = this.byName(bar.symbol);
    if (!s) return this.reject(bar.symbol, bar.time, "inactive symbol");
    return this.applyBar(s.id, row, 0, true);
  }

  quote(q: QuoteBar): void | Promise<void> {
    const s = this.session.find(q.symbol);
    if (!s) return this.reject(q.symbol, q.time, "inactive symbol");
    s.quote = q;
    this.quotesIn++;
    if (this.hub.has("quote")) return this.emit({ ...q, type: "quote", at: this.clock.now() });
  }

  tick(t: Tick): void | Promise<void> {
    const s = this.session.find(t.symbol);
    if (!s) return this.reject(t.symbol, t.time, "inactive symbol");
    s.trade = t;
    this.ticksIn++;
    const built = this.config.ticks.buildBars ? this.barsFromTick(s, t) : undefined;
    const shown = this.hub.has("tick") ? this.emit({ ...t, type: "tick", at: this.clock.now() }) : undefined;
    if (built && shown) return shown.then(() => built);
    return shown ?? built;
  }

  /**
   * Applies one one-minute bar to the session of symbol `id` at clock time `now` (`land`),
   * then, when `emit`, hands the bar and every derived bar it completed to listeners.
   */
  applyBar(
    id: number,
    bars: BarColumns,
    i: number,
    emit: boolean,
    now = this.clock.now(),
  ): void | Promise<void> {
    const completed = this.land(id, bars, i, now);
    if (completed < 0 || !emit || !(this.slicing || this.listening)) return;
    return this.handOn(id, bars, i, completed > 0, now);
  }

  /**
   * Validates row `i` of `bars`, a one-minute bar of symbol `id` landing at clock time `now`,
   * appends it to the symbol's session (counting it in place when the batch came `placed`)
   * and updates every derived interval. Returns the derived bars it completed (`forming.done` per interval), or -1 when it was rejected. The symbol's
   * state object is not touched unless the bar is rejected: what a bar changes is in the
   * shared rows, by id.
   */
  private land(id: number, bars: BarColumns, i: number, now: number, placed?: PlacedBars): number {
    const t = bars.time[i];
    const open = bars.open[i];
    const high = bars.high[i];
    const low = bars.low[i];
    const close = bars.close[i];
    const volume = bars.volume[i];
    // barProblem's checks in one expression (NaN fails every comparison); its reason only
    // when one fails.
    if (
      !(
        open >= 0 &&
        close >= 0 &&
        low >= 0 &&
        volume >= 0 &&
        high >= low &&
        high >= open &&
        high >= close &&
        low <= open &&
        low <= close &&
        high !== Number.POSITIVE_INFINITY &&
        volume !== Number.POSITIVE_INFINITY
      )
    ) {
      const problem = barProblem(open, high, low, close, volume);
      if (problem) return this.rejectOf(id, t, problem);
    }
    if (id >= this.windowEnd.length) this.growWindows(id + 1);
    if (t < this.windowStart[id] || t >= this.windowEnd[id]) return this.rejectOf(id, t, "outside session");
    const table = this.table;
    let last = table.lastTime[id];
    if (Number.isNaN(last)) last = this.states[id].lastBarTime();
    if (t <= last) return this.rejectOf(id, t, t === last ? "duplicate time" : "out-of-order time");
    table.append(id, bars, i, t >= this.regularStart[id] && t < this.regularEnd[id], now, placed);
    this.barsIn++;
    const completed = this.forming.addRow(id, bars, i);
    if (completed > 0) {
      const done = this.forming.done;
      for (let k = 0; k < done.length; k++) this.barsOut[this.minutes[k]] += done[k];
    }
    return completed;
  }

  /**
   * Puts the bar just applied (row `i` of `bars`, now the last of the symbol's session) and the
   * derived bars it completed in the slice and the events. The one-minute bar is read from the
   * batch row (the same values as the series row just written, count and expected 1).
   */
  private handOn(id: number, bars: BarColumns, i: number, any: boolean, now: number): void | Promise<void> {
    const done = this.forming.done;
    const K = done.length;
    const derived = this.forming.series;
    if (this.slicing) {
      this.sliceAt(now).pushMinute(id, bars, i);
      if (any) {
        for (let k = 0; k < K; k++) {
          const n = done[k];
          const series = derived[id * K + k];
          if (n > 0) this.toSlice(id, this.minutes[k], series, series.length - n, now);
        }
      }
    }
    if (!this.listening) return;
    const r = this.hub.emitBar(minuteEvent(this.table.symbols[id], bars, i, now), this.onError);
    if (!any) return r;
    if (r) return this.emitDerivedAfter(r, id, done.slice(), 0, now);
    for (let k = 0; k < K; k++) {
      const n = done[k];
      if (n === 0) continue;
      const series = derived[id * K + k];
      const p = this.emitBars(series, series.length - n, now);
      if (p) return this.emitDerivedAfter(p, id, done.slice(), k + 1, now);
    }
  }

  /**
   * The one place completed bars of a series (rows from `from` on) are counted, put in the
   * slice and emitted: used for derived bars completed by a flush or a fill.
   */
  completed(s: SymbolState, series: BarSeries, minutes: number, from: number): void | Promise<void> {
    const n = series.length - from;
    if (n <= 0) return;
    this.barsOut[minutes] += n;
    const now = this.clock.now();
    if (this.slicing) this.toSlice(s.id, minutes, series, from, now);
    if (this.listening) return this.emitBars(series, from, now);
  }

  /**
   * Completes one-minute bars built from ticks and derived bars whose minute or bucket has
   * ended (with minutes missing, or at the close), and emits them; upkeep calls this each cycle.
   */
  flushDerived(states: readonly SymbolState[]): void | Promise<void> {
    const now = this.clock.now();
    let built: Promise<void> | undefined;
    for (let i = 0; i < states.length; i++) {
      const tb = states[i].tickBars;
      const n = tb ? tb.flushUpTo(now) : 0;
      if (n > 0) {
        const r = this.applyBuilt(states[i], tb!.series, n);
        if (r) built = built ? built.then(() => r) : r;
      }
    }
    if (built) return built.then(() => this.flushDerived(states));
    return this.flushBuilders(states, 0, 0);
  }

  /**
   * After bars were inserted into the current session (a gap fill): rebuilds the symbol's
   * derived bars (emitting any bucket the fill completed) and its session figures.
   */
  rebuilt(s: SymbolState): void | Promise<void> {
    const now = this.clock.now();
    const K = this.forming.width;
    const starts: number[] = [];
    for (let k = 0; k < K; k++) {
      starts.push(s.derived[k].length);
      this.forming.rebuild(s.id * K + k, s.bars, now);
    }
    s.recomputeMetrics();
    return this.emitRebuilt(s, starts, 0);
  }

  /**
   * Emits the slice of the instant that is ending, if it holds anything; called before the
   * clock moves on (and at the end of a run).
   */
  flushSlice(): void | Promise<void> {
    const slice = this.slice;
    if (slice.length === 0) {
      slice.reset(this.clock.now());
      return;
    }
    const r = this.slicing ? this.hub.emitSlice(slice, this.onError) : undefined;
    if (r) return r.then(() => slice.reset(this.clock.now()));
    slice.reset(this.clock.now());
  }

  /** A bar of symbol `id` refused; -1, as `land` returns for it. */
  private rejectOf(id: number, time: number, reason: string): number {
    const s = this.states[id];
    this.reject(s.symbol, time, reason, s);
    return -1;
  }

  reject(symbol: string, time: number, reason: string, s?: SymbolState): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
    if (this.kept.length < MAX_KEPT_REJECTIONS) this.kept.push({ symbol, time, reason });
    if (s) s.rejected++;
  }

  emit(event: EngineEvent): void | Promise<void> {
    return this.hub.emit(event, this.onError);
  }

  private flushBuilders(states: readonly SymbolState[], from: number, k0: number): void | Promise<void> {
    const now = this.clock.now();
    const forming = this.forming;
    const K = forming.width;
    for (let i = from; i < states.length; i++) {
      const s = states[i];
      for (let k = i === from ? k0 : 0; k < K; k++) {
        const n = forming.flushUpTo(s.id * K + k, now);
        if (n === 0) continue;
        const series = s.derived[k];
        const r = this.completed(s, series, this.minutes[k], series.length - n);
        if (r) return r.then(() => this.flushBuilders(states, i, k + 1));
      }
    }
  }

  private emitRebuilt(s: SymbolState, starts: number[], k0: number): void | Promise<void> {
    for (let k = k0; k < s.derived.length; k++) {
      const r = this.completed(s, s.derived[k], this.minutes[k], starts[k]);
      if (r) return r.then(() => this.emitRebuilt(s, starts, k + 1));
    }
  }

  /** Emits rows from `from` on of a series as `bar` events, one after another. */
  private emitBars(series: BarSeries, from: number, at: number): void | Promise<void> {
    for (let j = from; j < series.length; j++) {
      const r = this.hub.emitBar(barEvent(series, j, at), this.onError);
      if (r)
        return j + 1 < series.length ? r.then(() => this.emitRange(series, j + 1, series.length, at)) : r;
    }
  }

  private emitRange(series: BarSeries, from: number, to: number, at: number): void | Promise<void> {
    for (let j = from; j < to; j++) {
      const r = this.hub.emitBar(barEvent(series, j, at), this.onError);
      if (r) return j + 1 < to ? r.then(() => this.emitRange(series, j + 1, to, at)) : r;
    }
  }

  /** After an awaited listener: emits the derived bars of builders from `k0` on. */
  private async emitDerivedAfter(
    pending: Promise<void>,
    id: number,
    completedBy: Int32Array,
    k0: number,
    at: number,
  ): Promise<void> {
    await pending;
    const K = completedBy.length;
    for (let k = k0; k < K; k++) {
      const n = completedBy[k];
      if (n === 0) continue;
      const b = this.forming.series[id * K + k];
      const r = this.emitRange(b, b.length - n, b.length, at);
      if (r) await r;
    }
  }

  private toSlice(id: number, minutes: number, series: BarSeries, from: number, now: number): void {
    const slice = this.sliceAt(now);
    for (let j = from; j < series.length; j++) slice.push(id, minutes, series, j);
  }

  /** The slice of instant `now`. */
  private sliceAt(now: number): Slice {
    const slice = this.slice;
    if (slice.at !== now) {
      // Bars completing at a new instant without the clock hook having run (live): hand on
      // what the previous instant holds first.
      if (slice.length > 0) void this.hub.emitSlice(slice, this.onError);
      slice.reset(now);
    }
    return slice;
  }

  /** Feeds a tick to the symbol's tick-bar builder and applies the one-minute bars it completes. */
  private barsFromTick(s: SymbolState, t: Tick): void | Promise<void> {
    s.tickBars ??= new TickBarBuilder(s.symbol, { dropSuspicious: this.config.ticks.dropSuspicious });
    const n = s.tickBars.add(t.time, t.price, t.size, t.suspicious === true);
    return n > 0 ? this.applyBuilt(s, s.tickBars.series, n) : undefined;
  }

  /** Applies the last `n` bars of a series built from ticks as one-minute bars. */
  private applyBuilt(s: SymbolState, series: BarSeries, n: number): void | Promise<void> {
    let chain: Promise<void> | undefined;
    for (let k = series.length - n; k < series.length; k++) {
      const apply = () =>
        this.applyBar(
          s.id,
          this.oneRow(
            s.symbol,
            series.time[k],
            series.open[k],
            series.high[k],
            series.low[k],
            series.close[k],
            series.volume[k],
            series.flags[k],
          ),
          0,
          true,
        );
      chain = chain ? chain.then(apply) : (apply() ?? undefined);
    }
    return chain;
  }

  /** The state of a symbol by name (the last one found is kept: batches come grouped). */
  private byName(symbol: string): SymbolState | undefined {
    let s = this.lastState;
    if (!s || s.symbol !== symbol) {
      s = this.session.find(symbol);
      if (s) this.lastState = s;
    }
    return s;
  }

  /** Grows the per-symbol windows to `n` symbols, the new ones getting the shared windows. */
  private growWindows(n: number): void {
    const grow = (a: Float64Array, value: number) => {
      const b = new Float64Array(Math.max(16, n * 2)).fill(value);
      b.set(a);
      return b;
    };
    const w = this.shared;
    this.windowStart = grow(this.windowStart, w.window.start);
    this.windowEnd = grow(this.windowEnd, w.window.end);
    this.regularStart = grow(this.regularStart, w.regular.start);
    this.regularEnd = grow(this.regularEnd, w.regular.end);
  }

  /** One bar in the reusable one-row batch (filled right before it is applied). */
  private oneRow(
    symbol: string,
    time: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    flags: number,
  ): BarColumns {
    const row = this.row;
    row.symbol[0] = symbol;
    setBarRow(row, 0, time, open, high, low, close, volume, flags);
    row.length = 1;
    return row;
  }
}

/** Windows that accept nothing (between sessions). */
export function closedWindows(): SessionWindows {
  const none = { start: Number.POSITIVE_INFINITY, end: Number.NEGATIVE_INFINITY };
  return { window: none, regular: none };
}

/** The bar event of a one-minute bar, row `i` of a batch (as `barEvent` of the series row it became). */
function minuteEvent(symbol: string, bars: BarColumns, i: number, at: number): BarEvent {
  return {
    type: "bar",
    at,
    symbol,
    interval: "1m",
    time: bars.time[i],
    open: bars.open[i],
    high: bars.high[i],
    low: bars.low[i],
    close: bars.close[i],
    volume: bars.volume[i],
    flags: bars.flags[i],
    count: 1,
    expected: 1,
  };
}

/** A bar event from row `i` of a series. */
function barEvent(series: BarSeries, i: number, at: number): BarEvent {
  return {
    type: "bar",
    at,
    symbol: series.symbol,
    interval: series.interval,
    time: series.time[i],
    open: series.open[i],
    high: series.high[i],
    low: series.low[i],
    close: series.close[i],
    volume: series.volume[i],
    flags: series.flags[i],
    count: series.count[i],
    expected: series.expected[i],
  };
}

export type { FeedBatch };
