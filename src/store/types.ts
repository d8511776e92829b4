import type { BarColumns, QuoteBar, Tick } from "../model/bar.js";
import type { PlacedBars } from "../model/series.js";
import type { DateString } from "../model/time.js";

/** A range read: bars of these symbols and interval whose START lies in [from, to) (epoch ms UTC). */
export interface BarQuery {
  symbols: readonly string[];
  interval: string;
  from: number;
  to: number;
}

/**
 * Bars as `readBars` returns them with each row's symbol as a number, not a string:
 * `code[i]` is `codes[k]` (default k) for a row of `query.symbols[k]`.
 */
export interface CodedBarColumns extends Omit<BarColumns, "symbol"> {
  code: Int32Array;
  /** The same rows placed per code in series columns, when the read was asked for them. */
  placed?: PlacedBars;
}

/** A range read of quotes or ticks: rows whose time lies in [from, to). */
export interface RangeQuery {
  symbols: readonly string[];
  from: number;
  to: number;
}

/** What one symbol has stored at one interval. */
export interface SymbolCoverage {
  symbol: string;
  interval: string;
  first: number;
  last: number;
  count: number;
}

/** What a corporate action does: a share split, a cash dividend, or a change of ticker. */
export type ActionKind = "split" | "dividend" | "rename";

/**
 * One corporate action, keyed by (symbol, date, kind). `date` is the ex-date, the first session
 * date the action is in effect: when a series is adjusted, prices dated before it are
 * multiplied by `factor` (and, for a split, volumes divided by it).
 */
export interface CorporateAction {
  /** Splits and dividends: the security's current ticker. Renames: the ticker from `date` on. */
  symbol: string;
  date: DateString;
  kind: ActionKind;
  /** Split: new shares per old share (7 for 7:1). Dividend: cash per share. Rename: NaN. */
  value: number;
  /** Multiplier of earlier prices: split 1/ratio, dividend 1 - cash/reference, rename 1. */
  factor: number;
  /** The close before the ex-date a dividend's factor is computed from; NaN when not known. */
  reference: number;
  /** Rename: the ticker before `date`. */
  previous?: string;
}

/** A read of corporate actions: of these symbols (every symbol when empty), dated in [from, to]. */
export interface ActionQuery {
  symbols: readonly string[];
  from?: DateString;
  to?: DateString;
}

/**
 * Reads and writes bars, quote bars and ticks. Bars are keyed by (symbol, interval, time):
 * writing the same bar again replaces it, so re-ingesting data changes nothing. Each write
 * call is one transaction: it lands whole or not at all. Reads come back ordered by
 * (time, symbol).
 */
export interface Repository {
  /** `duckdb` or `postgres`. */
  readonly kind: string;
  /**
   * Rows per write this store handles best, for bulk writers (ingest) that are not told a
   * batch size. Optional: callers then use their own default.
   */
  readonly writeBatchRows?: number;
  /** Creates the schema if missing. Idempotent; called by the factory. */
  init(): Promise<void>;
  /** Upserts bars of one interval in one transaction; returns rows written. */
  writeBars(interval: string, bars: BarColumns): Promise<number>;
  /**
   * `writeBars` of bars whose row i has the symbol `names[bars.code[i]]`, without a string
   * per row. Optional: callers fall back to `writeBars`.
   */
  writeCodedBars?(interval: string, bars: CodedBarColumns, names: readonly string[]): Promise<number>;
  /** All bars of a range, as columns. */
  readBars(query: BarQuery): Promise<BarColumns>;
  /**
   * The same rows as `readBars` with symbols as numbers (`codes[k]`, default k, for
   * `query.symbols[k]`, which must be given and distinct); a store may read them off the
   * main thread. Optional: callers fall back to `readBars`. `fields` "ohlcv": trades and vwap
   * may come back NaN (a caller that keeps neither saves reading them). `placed`: also every
   * code's rows in series columns of their own (`CodedBarColumns.placed`, codes >= 0), made
   * where the read runs, so that a reader appending them to per-symbol series copies nothing.
   */
  readCodedBars?(
    query: BarQuery,
    codes?: Int32Array,
    fields?: "ohlcv",
    placed?: boolean,
  ): Promise<CodedBarColumns>;
  /**
   * Hands back columns `readCodedBars` returned, once nothing reads them any more: a store
   * reading off the main thread reuses their memory for the next read (they become unusable
   * here). Optional.
   */
  releaseCodedBars?(bars: CodedBarColumns): void;
  /** The same rows as `readBars`, in chunks of about `chunkRows` rows, for large ranges. */
  streamBars(query: BarQuery, chunkRows?: number): AsyncIterable<BarColumns>;
  /** Upserts quote bars (keyed by symbol, time). */
  writeQuotes(quotes: readonly QuoteBar[]): Promise<number>;
  readQuotes(query: RangeQuery): Promise<QuoteBar[]>;
  /** Appends trade ticks (ticks have no natural key; re-ingest replaces a symbol's range). */
  writeTicks(ticks: readonly Tick[]): Promise<number>;
  readTicks(query: RangeQuery): Promise<Tick[]>;
  /** Symbols with stored bars (of `interval`, when given), sorted. */
  symbols(interval?: string): Promise<string[]>;
  /** What is stored per symbol and interval. */
  coverage(symbol?: string): Promise<SymbolCoverage[]>;
  /** Upserts corporate actions (keyed by symbol, date, kind) in one transaction; returns rows written. */
  writeActions(actions: readonly CorporateAction[]): Promise<number>;
  /** Corporate actions ordered by (date, symbol, kind). */
  readActions(query: ActionQuery): Promise<CorporateAction[]>;
  close(): Promise<void>;
}
