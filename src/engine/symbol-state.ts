import type { DerivedBarBuilder, TickBarBuilder } from "../aggregate/index.js";
import type { Session } from "../calendar/types.js";
import type { BarRows, QuoteBar, Tick } from "../model/bar.js";
import { BarSeries, type PlacedBars } from "../model/series.js";
import type { GapCounts, UpkeepSymbol } from "../upkeep/index.js";

/** One past session of a symbol, kept in memory. */
export interface SessionSlice {
  session: Session;
  bars: BarSeries;
}

/** One-minute bars a symbol holds back before they go into its series, and floats per row. */
const PENDING_ROWS = 8;
/** A held row: time, open, high, low, close, volume, flags (as `BarSeries.pushPacked` reads), one spare. */
const ROW = 8;
/** Floats a symbol's held rows take in `SymbolRows.rows`. */
const HELD = PENDING_ROWS * ROW;
/** Where the session figures sit in a symbol's row of `SymbolRows.figures` (8 floats, one spare). */
const OPEN = 0;
const HIGH = 1;
const LOW = 2;
const LAST = 3;
const VOLUME = 4;
const PV = 5;
const LAST_UPDATE = 6;
const FIGURES = 8;

/**
 * What every bar changes, for all symbols of an engine, by dense symbol id: typed arrays
 * shared by the states, so the bar path reaches a symbol's fields by index (one load, and
 * the ids of a minute's bars come in order) instead of through each state's own objects.
 * Per id: the count of regular bars present (upkeep reads every symbol's each minute), the
 * time of the session's last one-minute bar (NaN when the series must be asked), the bars
 * appended since the series was last written (row-major, up to PENDING_ROWS), and the session
 * figures (open .. last update, updated as each bar lands). Held rows go into the series
 * PENDING_ROWS at a time, and whenever the series is read.
 */
export class SymbolRows {
  present = new Int32Array(16);
  held = new Int32Array(16);
  lastTime = new Float64Array(16).fill(Number.NaN);
  figures = new Float64Array(16 * FIGURES);
  rows = new Float64Array(16 * HELD);
  /** The sum of `present` over every id (upkeep's whole-minute check, see `UpkeepHost.presentTotal`). */
  presentTotal = 0;
  /** Each symbol's current session series, by id. */
  readonly series: BarSeries[] = [];
  /** Each symbol's name, by id. */
  readonly symbols: string[] = [];

  /** Typed-array bytes one symbol takes here. */
  static readonly bytesPerSymbol = 4 + 4 + 8 + (FIGURES + HELD) * 8;

  /** Makes room for id `id`. */
  ensure(id: number): void {
    if (id < this.present.length) return;
    const n = Math.max(16, (id + 1) * 2);
    this.present = grown(new Int32Array(n), this.present);
    this.held = grown(new Int32Array(n), this.held);
    this.lastTime = grown(new Float64Array(n).fill(Number.NaN), this.lastTime);
    this.figures = grown(new Float64Array(n * FIGURES), this.figures);
    this.rows = grown(new Float64Array(n * HELD), this.rows);
  }

  /**
   * Appends row `i` of bar columns to symbol `id`'s session: a one-minute bar that passed
   * validation (in order, inside the session), landing at clock time `now`. O(1), no
   * allocation while the series has room; the bar comes as a row index, not as values, so
   * that no number is boxed on the way. It is held in the symbol's rows here and written into
   * the series columns a few bars at a time: a replay appends to every symbol in turn, and one
   * cache line a bar costs less than one a column. When the batch comes `placed` (its rows
   * already written per symbol in series columns where it was read), the series takes its
   * symbol's piece and the row is only counted, as long as the symbol's rows land in order.
   */
  append(id: number, src: BarRows, i: number, regular: boolean, now: number, placed?: PlacedBars): void {
    const time = src.time[i];
    const open = src.open[i];
    const high = src.high[i];
    const low = src.low[i];
    const close = src.close[i];
    const volume = src.volume[i];
    const f = this.figures;
    const fi = id * FIGURES;
    if (Number.isNaN(f[fi + OPEN])) f[fi + OPEN] = open;
    if (high > f[fi + HIGH]) f[fi + HIGH] = high;
    if (low < f[fi + LOW]) f[fi + LOW] = low;
    f[fi + LAST] = close;
    f[fi + VOLUME] += volume;
    f[fi + PV] += volume * ((high + low + close) / 3);
    f[fi + LAST_UPDATE] = now;
    this.lastTime[id] = time;
    if (regular) {
      this.present[id]++;
      this.presentTotal++;
    }
    const n = this.held[id];
    if (placed !== undefined && n === 0) {
      // the row is in place already when the series holds the batch's piece up to it
      const series = this.series[id];
      const p = placed.row[i];
      if (series.readAhead === placed && series.length === p) {
        series.length = p + 1;
        return;
      }
      if (p === 0 && series.adopt(placed, id)) {
        series.length = 1;
        return;
      }
      // otherwise held as any row (writing the held rows ends the series' read-ahead)
    }
    const h = this.rows;
    const at = id * HELD + n * ROW;
    h[at] = time;
    h[at + 1] = open;
    h[at + 2] = high;
    h[at + 3] = low;
    h[at + 4] = close;
    h[at + 5] = volume;
    h[at + 6] = src.flags[i];
    this.held[id] = n + 1;
    if (n + 1 === PENDING_ROWS) this.flush(id);
  }

  /** Writes symbol `id`'s held rows into its series. */
  flush(id: number): void {
    const n = this.held[id];
    if (n === 0) return;
    this.series[id].pushPacked(this.rows, id * HELD, n);
    this.held[id] = 0;
  }
}

function grown<T extends Float64Array | Int32Array>(into: T, from: T): T {
  into.set(from);
  return into;
}

/**
 * Everything kept for one symbol, and the changes made to it: bars appended as they land,
 * filled bars inserted, session figures recomputed, gap counts set. Internal to the engine;
 * read through SessionData, changed by the bar path (through the shared `SymbolRows`) and by
 * upkeep (through `UpkeepSymbol`).
 */
export class SymbolState implements UpkeepSymbol {
  /** Builds one-minute bars from this symbol's ticks (config `ticks.buildBars`). */
  tickBars: TickBarBuilder | undefined;
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
    /** Where its per-bar fields are kept (shared by the engine's states). */
    private readonly table: SymbolRows = new SymbolRows(),
  ) {
    table.ensure(id);
    table.symbols[id] = symbol;
    table.series[id] = new BarSeries(symbol, "1m", 16);
    this.daily = new BarSeries(symbol, "1d", 32);
    this.resetMetrics();
    table.figures[id * FIGURES + LAST_UPDATE] = Number.NaN;
  }

  /** Bars of the current session inside its regular hours (counted as bars land). */
  get present(): number {
    return this.table.present[this.id];
  }
  set present(n: number) {
    const t = this.table;
    t.presentTotal += n - t.present[this.id];
    t.present[this.id] = n;
  }

  /** The session's first open (NaN before its first bar). */
  get open(): number {
    return this.figure(OPEN);
  }
  get high(): number {
    return this.figure(HIGH);
  }
  get low(): number {
    return this.figure(LOW);
  }
  /** The last bar's close (NaN before the first bar). */
  get last(): number {
    return this.figure(LAST);
  }
  get volume(): number {
    return this.figure(VOLUME);
  }
  /** Sum of volume x typical price, for the session's VWAP. */
  get pv(): number {
    return this.figure(PV);
  }
  /** Clock time the last bar landed (NaN before the first). */
  get lastUpdate(): number {
    return this.figure(LAST_UPDATE);
  }

  private figure(k: number): number {
    return this.table.figures[this.id * FIGURES + k];
  }

  /**
   * Current session's one-minute bars. Whoever reads them gets every bar appended so far;
   * a series set here replaces the current one (at a roll).
   */
  get bars(): BarSeries {
    const t = this.table;
    t.flush(this.id);
    t.lastTime[this.id] = Number.NaN;
    return t.series[this.id];
  }

  set bars(series: BarSeries) {
    const t = this.table;
    t.flush(this.id);
    t.series[this.id] = series;
    t.lastTime[this.id] = Number.NaN;
  }

  /** Time of the current session's last one-minute bar (-Infinity when it has none). */
  lastBarTime(): number {
    const t = this.table.lastTime[this.id];
    if (!Number.isNaN(t)) return t;
    const b = this.bars;
    const last = b.length > 0 ? b.time[b.length - 1] : Number.NEGATIVE_INFINITY;
    this.table.lastTime[this.id] = last;
    return last;
  }

  get buildsFromTicks(): boolean {
    return this.tickBars !== undefined;
  }

  /** Appends row `i` of bar columns landing at clock time `now` (see `SymbolRows.append`). */
  append(rows: BarRows, i: number, regular: boolean, now: number, placed?: PlacedBars): void {
    this.table.append(this.id, rows, i, regular, now, placed);
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
    const h = this.table.figures;
    const f = this.id * FIGURES;
    h[f + OPEN] = b.length > 0 ? b.open[0] : Number.NaN;
    h[f + HIGH] = Number.NEGATIVE_INFINITY;
    h[f + LOW] = Number.POSITIVE_INFINITY;
    h[f + VOLUME] = 0;
    h[f + PV] = 0;
    for (let i = 0; i < b.length; i++) {
      if (b.high[i] > h[f + HIGH]) h[f + HIGH] = b.high[i];
      if (b.low[i] < h[f + LOW]) h[f + LOW] = b.low[i];
      h[f + VOLUME] += b.volume[i];
      h[f + PV] += b.volume[i] * ((b.high[i] + b.low[i] + b.close[i]) / 3);
    }
    h[f + LAST] = b.length > 0 ? b.close[b.length - 1] : Number.NaN;
    const session = this.session;
    this.present = session ? b.lowerBound(session.close) - b.lowerBound(session.open) : 0;
  }

  /** Empties the session figures (at a session start and a roll). */
  resetMetrics(): void {
    const h = this.table.figures;
    const f = this.id * FIGURES;
    this.present = 0;
    h[f + OPEN] = Number.NaN;
    h[f + HIGH] = Number.NEGATIVE_INFINITY;
    h[f + LOW] = Number.POSITIVE_INFINITY;
    h[f + LAST] = Number.NaN;
    h[f + VOLUME] = 0;
    h[f + PV] = 0;
    this.gaps.open = 0;
    this.gaps.missingMinutes = 0;
  }

  /** Bytes of typed arrays held (current session, history, daily, derived). */
  byteSize(): number {
    let n = this.bars.byteSize() + this.daily.byteSize() + SymbolRows.bytesPerSymbol;
    for (const h of this.history) n += h.bars.byteSize();
    for (const d of this.derived) n += d.byteSize();
    return n;
  }
}
