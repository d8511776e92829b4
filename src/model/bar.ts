/** Bit flags carried by every bar in a series. */
export const BarFlag = {
  /** Filled in later from a bar source after a gap was detected. */
  Filled: 1,
  /** Made up (flat, zero volume) for a gap that was given up on; only by explicit policy. */
  Synthetic: 2,
  /** A derived bar that is still forming: the clock has not reached its end. */
  Partial: 4,
} as const;

/** An OHLCV bar. `time` is the bar's START as epoch ms UTC; it becomes visible at its end. */
export interface Bar {
  symbol: string;
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Number of trades, when the source has it. */
  trades?: number;
  /** Volume-weighted average price, when the source has it. */
  vwap?: number;
}

/** A bar as the engine hands it out: its interval, flags and (for derived bars) completeness. */
export interface SessionBar extends Bar {
  interval: string;
  flags: number;
  /** Source one-minute bars held (1 for a one-minute bar). */
  count: number;
  /** Source one-minute bars the calendar expects in this bar. */
  expected: number;
}

/** A one-minute (or longer) bar of best bid and ask. */
export interface QuoteBar {
  symbol: string;
  time: number;
  bidOpen: number;
  bidHigh: number;
  bidLow: number;
  bidClose: number;
  bidSize: number;
  askOpen: number;
  askHigh: number;
  askLow: number;
  askClose: number;
  askSize: number;
}

/** A trade print. */
export interface Tick {
  symbol: string;
  time: number;
  price: number;
  size: number;
  exchange?: string;
  condition?: string;
  /** Flagged by the vendor as suspicious; dropped before building bars unless asked otherwise. */
  suspicious?: boolean;
}

/** Many bars as columns, as stores read and write them. `trades`/`vwap` are NaN where absent. */
export interface BarColumns {
  length: number;
  symbol: string[];
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  trades: Float64Array;
  vwap: Float64Array;
  flags: Uint8Array;
}

/** The columns of one-minute bars a row is read from by index (a batch's, or a series'). */
export type BarRows = Pick<BarColumns, "time" | "open" | "high" | "low" | "close" | "volume" | "flags">;

/** Writes one bar's values into row `i` of bar columns (a reused one-row scratch, mostly). */
export function setBarRow(
  rows: BarRows,
  i: number,
  time: number,
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
  flags: number,
): void {
  rows.time[i] = time;
  rows.open[i] = open;
  rows.high[i] = high;
  rows.low[i] = low;
  rows.close[i] = close;
  rows.volume[i] = volume;
  rows.flags[i] = flags;
}

/**
 * Allocates empty bar columns with room for `capacity` rows (length 0). `symbols: false`
 * leaves the symbol column empty, for rows whose symbols travel as codes (an array of
 * `capacity` holes is made for nothing otherwise: 3.9 MB for an ingest batch).
 */
export function allocBarColumns(capacity: number, symbols = true): BarColumns {
  return {
    length: 0,
    symbol: symbols ? new Array<string>(capacity) : [],
    time: new Float64Array(capacity),
    open: new Float64Array(capacity),
    high: new Float64Array(capacity),
    low: new Float64Array(capacity),
    close: new Float64Array(capacity),
    volume: new Float64Array(capacity),
    trades: new Float64Array(capacity).fill(Number.NaN),
    vwap: new Float64Array(capacity).fill(Number.NaN),
    flags: new Uint8Array(capacity),
  };
}

/**
 * Bar columns over arrays that exist (a store read's), in `allocBarColumns`' shape: every
 * batch then has one hidden class, so the bar path's reads of its columns stay monomorphic.
 * (An object spread of a read's reply made a new hidden class per batch in V8, and the hot
 * path's column reads went megamorphic.)
 */
export function barColumnsOver(columns: Omit<BarColumns, "symbol">, symbol: string[]): BarColumns {
  return {
    length: columns.length,
    symbol,
    time: columns.time,
    open: columns.open,
    high: columns.high,
    low: columns.low,
    close: columns.close,
    volume: columns.volume,
    trades: columns.trades,
    vwap: columns.vwap,
    flags: columns.flags,
  };
}

/** Copies bar objects into columns. */
export function barsToColumns(bars: readonly Bar[]): BarColumns {
  const c = allocBarColumns(bars.length);
  for (let i = 0; i < bars.length; i++) {
    const b = bars[i];
    c.symbol[i] = b.symbol;
    c.time[i] = b.time;
    c.open[i] = b.open;
    c.high[i] = b.high;
    c.low[i] = b.low;
    c.close[i] = b.close;
    c.volume[i] = b.volume;
    c.trades[i] = b.trades ?? Number.NaN;
    c.vwap[i] = b.vwap ?? Number.NaN;
  }
  c.length = bars.length;
  return c;
}

/** Materializes row `i` of bar columns as an object (API edge only). */
export function barAt(c: BarColumns, i: number): Bar {
  const bar: Bar = {
    symbol: c.symbol[i],
    time: c.time[i],
    open: c.open[i],
    high: c.high[i],
    low: c.low[i],
    close: c.close[i],
    volume: c.volume[i],
  };
  if (!Number.isNaN(c.trades[i])) bar.trades = c.trades[i];
  if (!Number.isNaN(c.vwap[i])) bar.vwap = c.vwap[i];
  return bar;
}

/** Materializes all rows of bar columns as objects. */
export function columnsToBars(c: BarColumns): Bar[] {
  const out = new Array<Bar>(c.length);
  for (let i = 0; i < c.length; i++) out[i] = barAt(c, i);
  return out;
}

/**
 * Why a bar is not a valid OHLCV bar, or null when it is: non-finite fields, negative price or
 * volume, high below open/close/low, low above open/close.
 */
export function barProblem(
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
): string | null {
  if (!Number.isFinite(open)) return "open is not a number";
  if (!Number.isFinite(high)) return "high is not a number";
  if (!Number.isFinite(low)) return "low is not a number";
  if (!Number.isFinite(close)) return "close is not a number";
  if (!Number.isFinite(volume)) return "volume is not a number";
  if (open < 0 || high < 0 || low < 0 || close < 0) return "negative price";
  if (volume < 0) return "negative volume";
  if (high < low) return "high below low";
  if (high < open || high < close) return "high below open/close";
  if (low > open || low > close) return "low above open/close";
  return null;
}

/** The numeric fields of a quote bar besides its time, in their stored order. */
export const QUOTE_FIELDS = [
  "bidOpen",
  "bidHigh",
  "bidLow",
  "bidClose",
  "bidSize",
  "askOpen",
  "askHigh",
  "askLow",
  "askClose",
  "askSize",
] as const;
