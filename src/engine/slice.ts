import type { BarRows, SessionBar } from "../model/bar.js";
import type { BarSeries } from "../model/series.js";
import type { BarEvent } from "./bar-event.js";

/** The bars of one interval in a slice, as columns (valid while the slice is). */
export interface SliceBars {
  readonly length: number;
  readonly symbol: readonly string[];
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  readonly flags: Uint8Array;
  readonly count: Uint16Array;
  readonly expected: Uint16Array;
}

/** Name of an interval of `minutes` minutes, as series spell it. */
function intervalName(minutes: number): string {
  return minutes === 1440 ? "1d" : `${minutes}m`;
}

function intervalMinutes(name: string): number {
  if (name === "1d") return 1440;
  if (name.endsWith("h")) return Number(name.slice(0, -1)) * 60;
  return Number(name.slice(0, -1));
}

/**
 * Every bar that completed at one clock instant, one-minute and derived, of all symbols, in the
 * order per-bar `bar` events deliver them: columns (symbol, interval, time, OHLCV, flags, count,
 * expected), no object per bar. A slice handed to a `slice` listener is reused for the next
 * instant: it is valid during the handler; keep `toObjects()` (or `copy()`) to hold on to it.
 */
export class Slice {
  readonly type = "slice" as const;
  /** The clock time at which these bars completed (each bar's end). */
  at = 0;
  length = 0;
  /** Dense symbol id of each row (see `symbolOf`). */
  symbolId: Int32Array;
  /** Interval of each row, in minutes (1440: daily). */
  minutes: Uint16Array;
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  flags: Uint8Array;
  count: Uint16Array;
  expected: Uint16Array;
  /** Per-interval columns built on first `bars()` of this instant, reused across instants. */
  private readonly byInterval = new Map<number, { epoch: number; bars: MutableSliceBars }>();
  private epoch = 0;
  private symbolList: { epoch: number; list: string[] } = { epoch: -1, list: [] };

  constructor(
    /** Symbol name of a dense id. */
    private readonly symbolOf: (id: number) => string,
    capacity = 1024,
  ) {
    this.symbolId = new Int32Array(capacity);
    this.minutes = new Uint16Array(capacity);
    this.time = new Float64Array(capacity);
    this.open = new Float64Array(capacity);
    this.high = new Float64Array(capacity);
    this.low = new Float64Array(capacity);
    this.close = new Float64Array(capacity);
    this.volume = new Float64Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.count = new Uint16Array(capacity);
    this.expected = new Uint16Array(capacity);
  }

  /** Symbols with a bar in this slice, in order of first appearance. */
  get symbols(): readonly string[] {
    if (this.symbolList.epoch !== this.epoch) {
      const seen = new Set<number>();
      const list: string[] = [];
      for (let i = 0; i < this.length; i++) {
        const id = this.symbolId[i];
        if (!seen.has(id)) {
          seen.add(id);
          list.push(this.symbolOf(id));
        }
      }
      this.symbolList = { epoch: this.epoch, list };
    }
    return this.symbolList.list;
  }

  /** The bars of one interval (default `1m`), as columns. */
  bars(interval = "1m"): SliceBars {
    const m = intervalMinutes(interval);
    let entry = this.byInterval.get(m);
    if (!entry) {
      entry = { epoch: -1, bars: emptyBars() };
      this.byInterval.set(m, entry);
    }
    if (entry.epoch !== this.epoch) {
      entry.epoch = this.epoch;
      this.gather(m, entry.bars);
    }
    return entry.bars;
  }

  /** One symbol's bar of an interval (default `1m`) in this slice, as an object. */
  get(symbol: string, interval = "1m"): SessionBar | undefined {
    const m = intervalMinutes(interval);
    for (let i = 0; i < this.length; i++) {
      if (this.minutes[i] === m && this.symbolOf(this.symbolId[i]) === symbol) return this.row(i);
    }
    return undefined;
  }

  /** Every bar as a `bar` event object, in delivery order: safe to keep. */
  toObjects(): BarEvent[] {
    const out = new Array<BarEvent>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = { type: "bar", at: this.at, ...this.row(i) };
    return out;
  }

  /** A copy that stays valid after the handler (for queues such as `events()`). */
  copy(): Slice {
    const c = new Slice(this.symbolOf, Math.max(1, this.length));
    c.at = this.at;
    c.length = this.length;
    c.symbolId.set(this.symbolId.subarray(0, this.length));
    c.minutes.set(this.minutes.subarray(0, this.length));
    c.time.set(this.time.subarray(0, this.length));
    c.open.set(this.open.subarray(0, this.length));
    c.high.set(this.high.subarray(0, this.length));
    c.low.set(this.low.subarray(0, this.length));
    c.close.set(this.close.subarray(0, this.length));
    c.volume.set(this.volume.subarray(0, this.length));
    c.flags.set(this.flags.subarray(0, this.length));
    c.count.set(this.count.subarray(0, this.length));
    c.expected.set(this.expected.subarray(0, this.length));
    return c;
  }

  // ---- engine side ----

  /** Appends row `j` of a series (a bar that just completed) of symbol `id`. */
  push(id: number, minutes: number, series: BarSeries, j: number): void {
    const i = this.length;
    if (i === this.time.length) this.grow(i * 2);
    this.symbolId[i] = id;
    this.minutes[i] = minutes;
    this.time[i] = series.time[j];
    this.open[i] = series.open[j];
    this.high[i] = series.high[j];
    this.low[i] = series.low[j];
    this.close[i] = series.close[j];
    this.volume[i] = series.volume[j];
    this.flags[i] = series.flags[j];
    this.count[i] = series.count[j];
    this.expected[i] = series.expected[j];
    this.length = i + 1;
  }

  /** Appends row `i` of bar columns as a one-minute bar (count and expected 1) of symbol `id`. */
  pushMinute(id: number, rows: BarRows, i: number): void {
    const j = this.length;
    if (j === this.time.length) this.grow(j * 2);
    this.symbolId[j] = id;
    this.minutes[j] = 1;
    this.time[j] = rows.time[i];
    this.open[j] = rows.open[i];
    this.high[j] = rows.high[i];
    this.low[j] = rows.low[i];
    this.close[j] = rows.close[i];
    this.volume[j] = rows.volume[i];
    this.flags[j] = rows.flags[i];
    this.count[j] = 1;
    this.expected[j] = 1;
    this.length = j + 1;
  }

  /** Empties the slice for the next instant `at`. */
  reset(at: number): void {
    this.length = 0;
    this.at = at;
    this.epoch++;
  }

  private row(i: number): SessionBar {
    return {
      symbol: this.symbolOf(this.symbolId[i]),
      interval: intervalName(this.minutes[i]),
      time: this.time[i],
      open: this.open[i],
      high: this.high[i],
      low: this.low[i],
      close: this.close[i],
      volume: this.volume[i],
      flags: this.flags[i],
      count: this.count[i],
      expected: this.expected[i],
    };
  }

  private gather(m: number, out: MutableSliceBars): void {
    let n = 0;
    for (let i = 0; i < this.length; i++) if (this.minutes[i] === m) n++;
    if (out.time.length < n) {
      const fresh = emptyBars(Math.max(n, out.time.length * 2));
      Object.assign(out, fresh);
    }
    out.symbol.length = n;
    let k = 0;
    for (let i = 0; i < this.length; i++) {
      if (this.minutes[i] !== m) continue;
      out.symbol[k] = this.symbolOf(this.symbolId[i]);
      out.time[k] = this.time[i];
      out.open[k] = this.open[i];
      out.high[k] = this.high[i];
      out.low[k] = this.low[i];
      out.close[k] = this.close[i];
      out.volume[k] = this.volume[i];
      out.flags[k] = this.flags[i];
      out.count[k] = this.count[i];
      out.expected[k] = this.expected[i];
      k++;
    }
    out.length = n;
  }

  private grow(capacity: number): void {
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(capacity);
      b.set(a);
      return b;
    };
    const u16 = (a: Uint16Array) => {
      const b = new Uint16Array(capacity);
      b.set(a);
      return b;
    };
    const id = new Int32Array(capacity);
    id.set(this.symbolId);
    this.symbolId = id;
    this.minutes = u16(this.minutes);
    this.time = f64(this.time);
    this.open = f64(this.open);
    this.high = f64(this.high);
    this.low = f64(this.low);
    this.close = f64(this.close);
    this.volume = f64(this.volume);
    const flags = new Uint8Array(capacity);
    flags.set(this.flags);
    this.flags = flags;
    this.count = u16(this.count);
    this.expected = u16(this.expected);
  }
}

interface MutableSliceBars {
  length: number;
  symbol: string[];
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  flags: Uint8Array;
  count: Uint16Array;
  expected: Uint16Array;
}

function emptyBars(capacity = 0): MutableSliceBars {
  return {
    length: 0,
    symbol: [],
    time: new Float64Array(capacity),
    open: new Float64Array(capacity),
    high: new Float64Array(capacity),
    low: new Float64Array(capacity),
    close: new Float64Array(capacity),
    volume: new Float64Array(capacity),
    flags: new Uint8Array(capacity),
    count: new Uint16Array(capacity),
    expected: new Uint16Array(capacity),
  };
}
