import { TickBarBuilder } from "../aggregate/index.js";
import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/schema.js";
import {
  allocBarColumns,
  type Bar,
  type BarColumns,
  barProblem,
  type QuoteBar,
  type Tick,
} from "../model/bar.js";
import type { BarSeries } from "../model/series.js";
import type { StreamSink } from "./coordinator.js";
import type { EventHub } from "./events.js";
import type { SessionData } from "./session-data.js";
import { Slice } from "./slice.js";
import type { SymbolState } from "./symbol-state.js";
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
 * session, updates the derived builders in place, counts, and hands each completed bar to the
 * `bar` listeners (an event object only when somebody listens) and to the instant's slice
 * (columns, when somebody listens to `slice`). No allocation per bar otherwise, and a
 * promise only when a listener returned one.
 */
export class BarPath {
  /** Bars out by the interval's minutes (1..1440), counted as they complete. */
  readonly barsOut = new Float64Array(1441);
  barsIn = 0;
  quotesIn = 0;
  ticksIn = 0;
  readonly rejected = new Map<string, number>();
  readonly kept: Rejection[] = [];
  /** Where bars are accepted now: set at each session start, emptied at its end. */
  windows: SessionWindows = closedWindows();
  private readonly slice: Slice;
  /** Every active symbol's state by dense id (the session data's own array, which grows). */
  private readonly states: readonly SymbolState[];
  private listening = false;
  private slicing = false;
  private lastState: SymbolState | undefined;
  /** Bars completed per builder by the bar being applied (reused: no allocation per bar). */
  private completedBy = new Int32Array(8);
  /** A reusable one-bar batch for bars that arrive as objects or values (live, built from ticks). */
  private readonly row: BarColumns = allocBarColumns(1);

  constructor(
    private readonly clock: Clock,
    private readonly session: SessionData,
    private readonly hub: EventHub,
    private readonly config: Config,
    private readonly onError: (err: unknown) => void,
  ) {
    const states = session.all();
    this.states = states;
    this.slice = new Slice((id) => states[id].symbol);
    this.slice.reset(clock.now());
    hub.onChange = () => {
      this.listening = hub.has("bar");
      this.slicing = hub.has("slice");
    };
  }

  /** Where the stream coordinator delivers. */
  readonly sink: StreamSink = {
    bar: (batch, i) => {
      const ids = batch.ids;
      let s: SymbolState | undefined;
      if (ids !== undefined && ids[i] >= 0) {
        s = this.states[ids[i]];
      } else {
        const symbol = batch.bars.symbol[i];
        s = this.lastState;
        if (!s || s.symbol !== symbol) {
          s = this.session.find(symbol);
          if (!s) return this.reject(symbol, batch.bars.time[i], "inactive symbol");
          this.lastState = s;
        }
      }
      return this.applyBar(s, batch.bars, i, true);
    },
    quote: (q) => this.quote(q),
    tick: (t) => this.tick(t),
    advance: () => this.flushSlice(),
  };

  /** A bar that arrives as an object (live): applied as a one-row batch. */
  barOf(bar: Bar): void | Promise<void> {
    const row = this.oneRow(bar.symbol, bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume, 0);
    return this.sink.bar({ kind: "bar", bars: row }, 0);
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
   * Applies one one-minute bar to a symbol's session: validates it, appends it, updates every
   * derived builder, then hands the bar and every derived bar it completed to listeners.
   */
  applyBar(s: SymbolState, bars: BarColumns, i: number, emit: boolean): void | Promise<void> {
    const t = bars.time[i];
    const open = bars.open[i];
    const high = bars.high[i];
    const low = bars.low[i];
    const close = bars.close[i];
    const volume = bars.volume[i];
    const problem = barProblem(open, high, low, close, volume);
    if (problem) return this.reject(s.symbol, t, problem, s);
    const { window, regular } = this.windows;
    if (t < window.start || t >= window.end) return this.reject(s.symbol, t, "outside session", s);
    const series = s.bars;
    const n1 = series.length;
    if (n1 > 0 && t <= series.time[n1 - 1]) {
      return this.reject(s.symbol, t, t === series.time[n1 - 1] ? "duplicate time" : "out-of-order time", s);
    }
    const flags = bars.flags[i];
    const now = this.clock.now();
    s.append(t, open, high, low, close, volume, flags, t >= regular.start && t < regular.end, now);
    this.barsIn++;
    const builders = s.builders;
    if (this.completedBy.length < builders.length) this.completedBy = new Int32Array(builders.length * 2);
    const completedBy = this.completedBy;
    let any = false;
    for (let k = 0; k < builders.length; k++) {
      const b = builders[k];
      const n = b.add(t, open, high, low, close, volume, flags);
      completedBy[k] = n;
      if (n > 0) {
        this.barsOut[b.interval.minutes] += n;
        any = true;
      }
    }
    if (!emit || !(this.slicing || this.listening)) return;
    return this.handOn(s, series, n1, any, now);
  }

  /** Puts the bar just applied (row `n1`) and the derived bars it completed in the slice and the events. */
  private handOn(
    s: SymbolState,
    series: BarSeries,
    n1: number,
    any: boolean,
    now: number,
  ): void | Promise<void> {
    const builders = s.builders;
    const completedBy = this.completedBy;
    if (this.slicing) {
      this.toSlice(s, 1, series, n1, now);
      if (any) {
        for (let k = 0; k < builders.length; k++) {
          const n = completedBy[k];
          if (n > 0)
            this.toSlice(
              s,
              builders[k].interval.minutes,
              builders[k].series,
              builders[k].series.length - n,
              now,
            );
        }
      }
    }
    if (!this.listening) return;
    const r = this.emitBars(series, n1, now);
    if (!any) return r;
    if (r) return this.emitDerivedAfter(r, s, completedBy.slice(0, builders.length), 0, now);
    for (let k = 0; k < builders.length; k++) {
      const n = completedBy[k];
      if (n === 0) continue;
      const b = builders[k].series;
      const p = this.emitBars(b, b.length - n, now);
      if (p) return this.emitDerivedAfter(p, s, completedBy.slice(0, builders.length), k + 1, now);
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
    if (this.slicing) this.toSlice(s, minutes, series, from, now);
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
    const starts = s.builders.map((b) => {
      const before = b.series.length;
      b.rebuild(s.bars, now);
      return before;
    });
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
    for (let i = from; i < states.length; i++) {
      const builders = states[i].builders;
      for (let k = i === from ? k0 : 0; k < builders.length; k++) {
        const b = builders[k];
        const n = b.flushUpTo(now);
        if (n === 0) continue;
        const r = this.completed(states[i], b.series, b.interval.minutes, b.series.length - n);
        if (r) return r.then(() => this.flushBuilders(states, i, k + 1));
      }
    }
  }

  private emitRebuilt(s: SymbolState, starts: number[], k0: number): void | Promise<void> {
    for (let k = k0; k < s.builders.length; k++) {
      const b = s.builders[k];
      const r = this.completed(s, b.series, b.interval.minutes, starts[k]);
      if (r) return r.then(() => this.emitRebuilt(s, starts, k + 1));
    }
  }

  /** Emits rows from `from` on of a series as `bar` events, one after another. */
  private emitBars(series: BarSeries, from: number, at: number): void | Promise<void> {
    for (let j = from; j < series.length; j++) {
      const r = this.emit(barEvent(series, j, at));
      if (r)
        return j + 1 < series.length ? r.then(() => this.emitRange(series, j + 1, series.length, at)) : r;
    }
  }

  private emitRange(series: BarSeries, from: number, to: number, at: number): void | Promise<void> {
    for (let j = from; j < to; j++) {
      const r = this.emit(barEvent(series, j, at));
      if (r) return j + 1 < to ? r.then(() => this.emitRange(series, j + 1, to, at)) : r;
    }
  }

  /** After an awaited listener: emits the derived bars of builders from `k0` on. */
  private async emitDerivedAfter(
    pending: Promise<void>,
    s: SymbolState,
    completedBy: Int32Array,
    k0: number,
    at: number,
  ): Promise<void> {
    await pending;
    for (let k = k0; k < completedBy.length; k++) {
      const n = completedBy[k];
      if (n === 0) continue;
      const b = s.builders[k].series;
      const r = this.emitRange(b, b.length - n, b.length, at);
      if (r) await r;
    }
  }

  private toSlice(s: SymbolState, minutes: number, series: BarSeries, from: number, now: number): void {
    const slice = this.slice;
    if (slice.at !== now) {
      // Bars completing at a new instant without the clock hook having run (live): hand on
      // what the previous instant holds first.
      if (slice.length > 0) void this.hub.emitSlice(slice, this.onError);
      slice.reset(now);
    }
    for (let j = from; j < series.length; j++) slice.push(s.id, minutes, series, j);
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
          s,
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
    row.time[0] = time;
    row.open[0] = open;
    row.high[0] = high;
    row.low[0] = low;
    row.close[0] = close;
    row.volume[0] = volume;
    row.flags[0] = flags;
    row.length = 1;
    return row;
  }
}

/** Windows that accept nothing (between sessions). */
export function closedWindows(): SessionWindows {
  const none = { start: Number.POSITIVE_INFINITY, end: Number.NEGATIVE_INFINITY };
  return { window: none, regular: none };
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
