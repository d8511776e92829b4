import type { DerivedBarBuilder, TickBarBuilder } from "../aggregate/index.js";
import type { Session } from "../calendar/types.js";
import type { BarRows, QuoteBar, Tick } from "../model/bar.js";
import { BarSeries } from "../model/series.js";
import type { GapCounts, UpkeepSymbol } from "../upkeep/index.js";

/** One past session of a symbol, kept in memory. */
export interface SessionSlice {
  session: Session;
  bars: BarSeries;
}

/** One-minute bars a symbol holds back before they go into its series, and floats per row. */
const PENDING_ROWS = 8;
const PENDING_WIDTH = 8;
/** Where the session figures sit in `SymbolState.hot`; the pending rows follow them. */
const OPEN = 0;
const HIGH = 1;
const LOW = 2;
const LAST = 3;
const VOLUME = 4;
const PV = 5;
const LAST_UPDATE = 6;
const LAST_TIME = 7;
const PENDING = 8;

/**
 * Each symbol's count of regular bars present in its session, by dense id, in one array that
 * all states of an engine share: upkeep looks at every symbol's count each minute without
 * touching the states themselves.
 */
export class PresentCounts {
  of = new Int32Array(16);

  /** Makes room for id `id`. */
  ensure(id: number): void {
    if (id < this.of.length) return;
    const grown = new Int32Array(Math.max(16, (id + 1) * 2));
    grown.set(this.of);
    this.of = grown;
  }
}

/**
 * Everything kept for one symbol, and the changes made to it: bars appended as they land,
 * filled bars inserted, session figures recomputed, gap counts set. Internal to the engine;
 * read through SessionData, changed by the bar path and (through `UpkeepSymbol`) by upkeep.
 */
export class SymbolState implements UpkeepSymbol {
  /**
   * What each bar changes, in one typed array (no number boxed, few cache lines a bar): the
   * session figures (open .. last update), the time of the session's last one-minute bar (NaN
   * when the series must be asked), then the bars appended since the series was last written,
   * row-major (see `append`): they go into the series every PENDING_ROWS bars, and whenever
   * the series is read.
   */
  private readonly hot = new Float64Array(PENDING + PENDING_ROWS * PENDING_WIDTH);
  private pendingRows = 0;
  /** Builds one-minute bars from this symbol's ticks (config `ticks.buildBars`). */
  tickBars: TickBarBuilder | undefined;
  private current!: BarSeries;
  /**
   * Completed bars of the configured derived intervals, in configuration order (built in
   * place by the engine's FormingBars: slot `id * derived.length + k`).
   */
  readonly derived: BarSeries[] = [];
  /**
   * Builders of intervals read but not configured, rebuilt from the session's bars when read
   * after a change; they emit nothing.
   */
  readonly onDemand = new Map<string, { builder: DerivedBarBuilder; length: number; at: number }>();
  /** Trailing sessions, oldest first. */
  history: SessionSlice[] = [];
  /** Trailing daily bars, oldest first. */
  daily: BarSeries;
  quote: QuoteBar | undefined;
  trade: Tick | undefined;
  /** The session in progress (undefined between sessions). */
  session: Session | undefined;
  rejected = 0;
  readonly gaps: GapCounts = { open: 0, filled: 0, abandoned: 0, missingMinutes: 0 };

  constructor(
    readonly symbol: string,
    /** Small dense number of the symbol in activation order, for per-symbol arrays elsewhere. */
    readonly id: number,
    /** Where its count of present bars is kept (shared by the engine's states). */
    private readonly counts: PresentCounts = new PresentCounts(),
  ) {
    counts.ensure(id);
    this.bars = new BarSeries(symbol, "1m", 16);
    this.daily = new BarSeries(symbol, "1d", 32);
    this.resetMetrics();
    this.hot[LAST_UPDATE] = Number.NaN;
  }

  /** Bars of the current session inside its regular hours (counted as bars land). */
  get present(): number {
    return this.counts.of[this.id];
  }
  set present(n: number) {
    this.counts.of[this.id] = n;
  }

  /** The session's first open (NaN before its first bar). */
  get open(): number {
    return this.hot[OPEN];
  }
  get high(): number {
    return this.hot[HIGH];
  }
  get low(): number {
    return this.hot[LOW];
  }
  /** The last bar's close (NaN before the first bar). */
  get last(): number {
    return this.hot[LAST];
  }
  get volume(): number {
    return this.hot[VOLUME];
  }
  /** Sum of volume x typical price, for the session's VWAP. */
  get pv(): number {
    return this.hot[PV];
  }
  /** Clock time the last bar landed (NaN before the first). */
  get lastUpdate(): number {
    return this.hot[LAST_UPDATE];
  }

  /**
   * Current session's one-minute bars. Whoever reads them gets every bar appended so far;
   * a series set here replaces the current one (at a roll).
   */
  get bars(): BarSeries {
    if (this.pendingRows > 0) this.flush();
    this.hot[LAST_TIME] = Number.NaN;
    return this.current;
  }

  set bars(series: BarSeries) {
    if (this.pendingRows > 0) this.flush();
    this.current = series;
    this.hot[LAST_TIME] = Number.NaN;
  }

  /** Time of the current session's last one-minute bar (-Infinity when it has none). */
  lastBarTime(): number {
    const t = this.hot[LAST_TIME];
    if (!Number.isNaN(t)) return t;
    const b = this.bars;
    const last = b.length > 0 ? b.time[b.length - 1] : Number.NEGATIVE_INFINITY;
    this.hot[LAST_TIME] = last;
    return last;
  }

  get buildsFromTicks(): boolean {
    return this.tickBars !== undefined;
  }

  /**
   * Appends row `i` of bar columns, a one-minute bar that passed validation (in order, inside
   * the session), and updates the session figures: O(1), no allocation while the series has
   * room. The bar comes as a row index, not as values, so that no number is boxed on the way.
   * It is held in a small row-major buffer of this symbol's and written into the series
   * columns a few bars at a time: a replay appends to every symbol in turn, and one cache line
   * a bar costs less than one a column.
   */
  append(rows: BarRows, i: number, regular: boolean, now: number): void {
    const time = rows.time[i];
    const open = rows.open[i];
    const high = rows.high[i];
    const low = rows.low[i];
    const close = rows.close[i];
    const volume = rows.volume[i];
    const h = this.hot;
    const at = PENDING + this.pendingRows * PENDING_WIDTH;
    h[at] = time;
    h[at + 1] = open;
    h[at + 2] = high;
    h[at + 3] = low;
    h[at + 4] = close;
    h[at + 5] = volume;
    h[at + 6] = rows.flags[i];
    if (Number.isNaN(h[OPEN])) h[OPEN] = open;
    if (high > h[HIGH]) h[HIGH] = high;
    if (low < h[LOW]) h[LOW] = low;
    h[LAST] = close;
    h[VOLUME] += volume;
    h[PV] += volume * ((high + low + close) / 3);
    h[LAST_UPDATE] = now;
    h[LAST_TIME] = time;
    if (regular) this.present++;
    if (++this.pendingRows === PENDING_ROWS) this.flush();
  }

  private flush(): void {
    this.current.pushPacked(this.hot, PENDING, this.pendingRows);
    this.pendingRows = 0;
  }

  /** The series holding minute `time`: the current session's or a past session's kept in history. */
  seriesAt(time: number): BarSeries | undefined {
    const current = this.session;
    if (current && time >= current.preOpen && time < current.postClose) return this.bars;
    return this.historyAt(time)?.bars;
  }

  /** The past session kept in history that holds minute `time`. */
  historyAt(time: number): SessionSlice | undefined {
    return this.history.find((h) => time >= h.session.preOpen && time < h.session.postClose);
  }

  /** Inserts a bar where it belongs (a fill); false when that minute is held already or not kept. */
  insert(
    time: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    flags: number,
  ): boolean {
    return this.seriesAt(time)?.insert(time, open, high, low, close, volume, flags) ?? false;
  }

  setGaps(counts: GapCounts): void {
    this.gaps.open = counts.open;
    this.gaps.filled = counts.filled;
    this.gaps.abandoned = counts.abandoned;
    this.gaps.missingMinutes = counts.missingMinutes;
  }

  /** Recomputes the session figures from the session's bars (after bars were inserted). */
  recomputeMetrics(): void {
    const b = this.bars;
    const h = this.hot;
    h[OPEN] = b.length > 0 ? b.open[0] : Number.NaN;
    h[HIGH] = Number.NEGATIVE_INFINITY;
    h[LOW] = Number.POSITIVE_INFINITY;
    h[VOLUME] = 0;
    h[PV] = 0;
    for (let i = 0; i < b.length; i++) {
      if (b.high[i] > h[HIGH]) h[HIGH] = b.high[i];
      if (b.low[i] < h[LOW]) h[LOW] = b.low[i];
      h[VOLUME] += b.volume[i];
      h[PV] += b.volume[i] * ((b.high[i] + b.low[i] + b.close[i]) / 3);
    }
    h[LAST] = b.length > 0 ? b.close[b.length - 1] : Number.NaN;
    const session = this.session;
    this.present = session ? b.lowerBound(session.close) - b.lowerBound(session.open) : 0;
  }

  /** Empties the session figures (at a session start and a roll). */
  resetMetrics(): void {
    const h = this.hot;
    this.present = 0;
    h[OPEN] = Number.NaN;
    h[HIGH] = Number.NEGATIVE_INFINITY;
    h[LOW] = Number.POSITIVE_INFINITY;
    h[LAST] = Number.NaN;
    h[VOLUME] = 0;
    h[PV] = 0;
    this.gaps.open = 0;
    this.gaps.missingMinutes = 0;
  }

  /** Bytes of typed arrays held (current session, history, daily, derived). */
  byteSize(): number {
    let n = this.bars.byteSize() + this.daily.byteSize() + this.hot.byteLength;
    for (const h of this.history) n += h.bars.byteSize();
    for (const d of this.derived) n += d.byteSize();
    return n;
  }
}
