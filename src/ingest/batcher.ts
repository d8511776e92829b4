import { allocBarColumns, type BarColumns, barProblem } from "../model/bar.js";
import { parseInterval } from "../model/interval.js";
import { isSymbol, SYMBOL_RULE } from "../model/symbol.js";
import type { TimeRule } from "./time-rule.js";

/** Rejection reasons besides `barProblem`'s (which name the field: "open is not a number", ...). */
export const REASON = {
  duplicate: "duplicate symbol and time",
  symbol: "missing symbol",
  badSymbol: `bad symbol (${SYMBOL_RULE})`,
  unbalancedQuote: "unbalanced quote",
  longLine: "line longer than the limit",
} as const;

/** The reason for a row of `found` fields where `expected` are: "N fields, expected M". */
export function fieldCountReason(found: number, expected: number): string {
  return `${found} field${found === 1 ? "" : "s"}, expected ${expected}`;
}

/** Checks symbols by the one symbol rule, remembering the good ones. */
export class SymbolCheck {
  private readonly good = new Set<string>();
  private last: string | null = null;

  /** Why `symbol` (already upper-cased) is refused, or null. */
  problem(symbol: string): string | null {
    if (symbol === this.last) return null;
    if (!this.good.has(symbol)) {
      if (symbol.length === 0) return REASON.symbol;
      if (!isSymbol(symbol)) return REASON.badSymbol;
      this.good.add(symbol);
    }
    this.last = symbol;
    return null;
  }
}

/**
 * The times seen for one symbol, in memory that does not grow with an ordered input: times
 * in increasing order are kept as runs of evenly spaced times (a session of one-minute bars
 * with no gap is one run), and a time that comes out of order is checked against the runs
 * and kept apart in a set. A row is checked against the last time and its run's step only.
 */
export class SeenTimes {
  /** The latest time kept in the runs (the end of the last run). */
  last = Number.NEGATIVE_INFINITY;
  /** Run k: times first[k], first[k] + step[k], ..., up to end[k] (step 0: first alone). */
  private first = new Float64Array(4);
  private end = new Float64Array(4);
  private step = new Float64Array(4);
  private runs = 0;
  /** Times that came before `last` and were in no run. */
  private late: Set<number> | null = null;

  /** True when `t` was seen before; otherwise records it. */
  seen(t: number): boolean {
    // the common case (the next time of the last run) small enough to be inlined into the caller
    const k = this.runs - 1;
    if (t > this.last && k >= 0 && t - this.last === this.step[k]) {
      this.end[k] = t;
      this.last = t;
      return false;
    }
    return this.seenSlowly(t);
  }

  /** Runs kept (for tests: an ordered input keeps one a stretch of evenly spaced times). */
  get runCount(): number {
    return this.runs;
  }

  private seenSlowly(t: number): boolean {
    if (t > this.last) {
      const k = this.runs - 1;
      // a run of one time takes the next as its step, when both are whole (exact arithmetic)
      if (k >= 0 && this.step[k] === 0 && Number.isSafeInteger(t) && Number.isSafeInteger(this.last)) {
        this.step[k] = t - this.last;
        this.end[k] = t;
      } else this.addRun(t);
      this.last = t;
      return false;
    }
    if (this.inRuns(t) || this.late?.has(t)) return true;
    (this.late ??= new Set()).add(t);
    return false;
  }

  private addRun(t: number): void {
    const k = this.runs;
    if (k === this.first.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.first = grow(this.first);
      this.end = grow(this.end);
      this.step = grow(this.step);
    }
    this.first[k] = t;
    this.end[k] = t;
    this.step[k] = 0;
    this.runs = k + 1;
  }

  /** Whether `t` is one of the runs' times (binary search for the last run starting at or before it). */
  private inRuns(t: number): boolean {
    let lo = 0;
    let hi = this.runs - 1;
    if (hi < 0 || t < this.first[0]) return false;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.first[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    if (t > this.end[lo]) return false;
    const step = this.step[lo];
    return step === 0 ? t === this.first[lo] : (t - this.first[lo]) % step === 0;
  }
}

/** A symbol as a DuplicateIndex knows it: its code (the order of first sight) and its times seen. */
export interface SymbolEntry {
  readonly name: string;
  readonly code: number;
  readonly times: SeenTimes;
}

/** Finds a repeated (symbol, time) across a whole ingest; numbers the symbols seen. */
export class DuplicateIndex {
  private readonly bySymbol = new Map<string, SymbolEntry>();
  /** The symbols by code. */
  readonly names: string[] = [];
  private last: SymbolEntry | undefined;

  /** The entry of `symbol`, made at its first sight. */
  entry(symbol: string): SymbolEntry {
    const last = this.last;
    if (last !== undefined && last.name === symbol) return last;
    let e = this.bySymbol.get(symbol);
    if (e === undefined) {
      e = { name: symbol, code: this.names.length, times: new SeenTimes() };
      this.bySymbol.set(symbol, e);
      this.names.push(symbol);
    }
    this.last = e;
    return e;
  }

  /** True when this (symbol, time) was seen before; otherwise records it. */
  seen(symbol: string, time: number): boolean {
    return this.entry(symbol).times.seen(time);
  }
}

/**
 * Writes one batch of bars; resolves to the rows written. `codes[i]` is the code of row i's
 * symbol in the batcher's DuplicateIndex, for writers that take symbols as numbers.
 */
export type BarWriter = (interval: string, bars: BarColumns, codes: Int32Array) => Promise<number>;

/** The columns of one batch and its symbol codes, as a batcher fills them. */
export interface BatchBuffers {
  cols: BarColumns;
  codes: Int32Array;
}

/**
 * Fresh buffers for a batch of `rows` rows; with `codesOnly` its `symbol` column stays empty
 * (see BatcherOptions.codesOnly).
 */
export function allocBatch(rows: number, codesOnly = false): BatchBuffers {
  const cols = allocBarColumns(rows, !codesOnly);
  return { cols, codes: new Int32Array(rows) };
}

/** How a BarBatcher gets its buffers and hands batches over. */
export interface BatcherOptions {
  /** Buffers for the next batch (a thread reuses the ones written); fresh ones by default. */
  alloc?: () => BatchBuffers;
  /**
   * Hand each batch to the writer as soon as it is full, not after the write before it: for
   * a writer that keeps the order itself (the parsing thread's, whose main thread writes
   * batches one after another), so that the next batch waits at the writer, not here.
   */
  eager?: boolean;
  /**
   * Fill only the symbol codes, not the `symbol` column of names: for a writer that takes
   * codes (the parsing thread's). A column of 262,144 strings per batch was stored into and
   * copied for nothing, and scanned by the collector.
   */
  codesOnly?: boolean;
  /**
   * Rows of the first batch (default `batchRows`): a smaller first batch lets the store start
   * writing while the rest is parsed, instead of waiting for a whole batch to be parsed.
   */
  firstBatchRows?: number;
}

/**
 * Validates bars and gathers them into batches of `batchRows` rows. A full batch is handed to
 * the writer at once, without waiting, so parsing the next batch overlaps the database work
 * of this one; `drain()` bounds how many writes are in flight. Each write starts only when
 * the one before it has finished, so batches land in input order: whatever is stored when
 * an ingest is killed is a prefix of its good rows.
 */
export class BarBatcher {
  private readonly alloc: () => BatchBuffers;
  private readonly keepNames: boolean;
  private readonly values = new Float64Array(8);
  /** The last time the rule was asked about, and its answer (rows of many symbols share times). */
  private ruleTime = Number.NaN;
  private ruleProblem: string | null = null;
  private cols: BarColumns;
  private codes: Int32Array;
  private readonly pending: Promise<void>[] = [];
  private last: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;
  /** Rows at which the batch being gathered is handed over. */
  private limit: number;
  private readonly symbols = new SymbolCheck();
  /** Rows the writer reported written. */
  stored = 0;
  /** The interval's name (`1m`, `1d`, ...). */
  readonly interval: string;

  constructor(
    private readonly rule: TimeRule,
    private readonly batchRows: number,
    private readonly write: BarWriter,
    private readonly duplicates = new DuplicateIndex(),
    private readonly options: BatcherOptions = {},
  ) {
    this.interval = (rule.interval ?? parseInterval("1m")).name;
    this.keepNames = options.codesOnly !== true;
    this.alloc = options.alloc ?? (() => allocBatch(batchRows, options.codesOnly));
    this.limit = Math.min(batchRows, Math.max(1, options.firstBatchRows ?? batchRows));
    ({ cols: this.cols, codes: this.codes } = this.alloc());
  }

  /** The symbols by code (see BarWriter). */
  get names(): readonly string[] {
    return this.duplicates.names;
  }

  /** The entry of `symbol` (upper-cased by the caller) for `addEntry`, or why it is refused. */
  symbolEntry(symbol: string): SymbolEntry | string {
    return this.symbols.problem(symbol) ?? this.duplicates.entry(symbol);
  }

  /** Why `rule` refuses `time`, or null. */
  timeProblem(time: number): string | null {
    return this.rule.problem(time);
  }

  /** The open of the session dated `day` (days since epoch), NaN when there is none. */
  openOn(day: number): number {
    return this.rule.openOn(day);
  }

  /**
   * Adds a bar, or returns why it is refused: the time rule, an empty or malformed symbol
   * (upper-cased by the caller), a `barProblem`, or a (symbol, time) already added.
   * `trades`/`vwap` are NaN when absent.
   */
  add(
    symbol: string,
    time: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    trades: number,
    vwap: number,
  ): string | null {
    const v = this.values;
    v[0] = time;
    v[1] = open;
    v[2] = high;
    v[3] = low;
    v[4] = close;
    v[5] = volume;
    v[6] = trades;
    v[7] = vwap;
    return this.addRow(this.symbolEntry(symbol), v);
  }

  /**
   * `add` with the symbol as `symbolEntry` gave it and the row's numbers in `v` (time, open,
   * high, low, close, volume, trades, vwap): a reader of many rows passes them so, without
   * a number object per field (doubles passed to a call are boxed).
   */
  addRow(symbol: SymbolEntry | string, v: Float64Array): string | null {
    const time = v[0];
    if (time !== this.ruleTime) {
      this.ruleProblem = this.rule.problem(time);
      this.ruleTime = time;
    }
    if (this.ruleProblem !== null) return this.ruleProblem;
    if (typeof symbol === "string") return symbol;
    const open = v[1];
    const high = v[2];
    const low = v[3];
    const close = v[4];
    const volume = v[5];
    const problem = barProblem(open, high, low, close, volume);
    if (problem !== null) return problem;
    if (symbol.times.seen(time)) return REASON.duplicate;
    const c = this.cols;
    const i = c.length;
    if (this.keepNames) c.symbol[i] = symbol.name;
    this.codes[i] = symbol.code;
    c.time[i] = time;
    c.open[i] = open;
    c.high[i] = high;
    c.low[i] = low;
    c.close[i] = close;
    c.volume[i] = volume;
    c.trades[i] = v[6];
    c.vwap[i] = v[7];
    c.length = i + 1;
    if (c.length === this.limit) this.emit();
    return null;
  }

  /** The buffers being filled, empty after `finish`: a thread done with the batcher keeps them for its next one. */
  get buffers(): BatchBuffers {
    return { cols: this.cols, codes: this.codes };
  }

  /** Rows gathered and not yet handed to the writer. */
  get buffered(): number {
    return this.cols.length;
  }

  /** Waits until at most `inFlight` writes are running; rethrows a failed write's error. */
  async drain(inFlight = 1): Promise<void> {
    while (this.pending.length > inFlight) await this.pending.shift();
    if (this.failure) throw this.failure.error;
  }

  /** Writes what is left and waits for every write. */
  async finish(): Promise<void> {
    if (this.cols.length > 0) this.emit(true);
    await this.drain(0);
  }

  /**
   * Hands the gathered rows to the writer. A full batch keeps its trailing rows of the last
   * time for the next batch, so a batch never splits one minute of a many-symbol file: batches
   * then cover disjoint spans per symbol and the store can append them without a key check.
   */
  private emit(final = false): void {
    const batch = this.cols;
    const n = batch.length;
    let cut = n;
    if (!final) {
      const t = batch.time[n - 1];
      while (cut > 0 && batch.time[cut - 1] === t) cut--;
      if (cut === 0) cut = n;
    }
    const codes = this.codes;
    const { cols: next, codes: nextCodes } = this.alloc();
    for (let i = cut; i < n; i++) {
      const j = i - cut;
      if (this.keepNames) next.symbol[j] = batch.symbol[i];
      nextCodes[j] = codes[i];
      next.time[j] = batch.time[i];
      next.open[j] = batch.open[i];
      next.high[j] = batch.high[i];
      next.low[j] = batch.low[i];
      next.close[j] = batch.close[i];
      next.volume[j] = batch.volume[i];
      next.trades[j] = batch.trades[i];
      next.vwap[j] = batch.vwap[i];
    }
    next.length = n - cut;
    batch.length = cut;
    this.limit = this.batchRows;
    this.cols = next;
    this.codes = nextCodes;
    // an eager batcher's writer keeps the order itself: the batch goes out now
    const started = this.options.eager ? this.write(this.interval, batch, codes) : null;
    started?.catch(() => {});
    const done = this.last.then(async () => {
      if (this.failure) return;
      try {
        this.stored += await (started ?? this.write(this.interval, batch, codes));
      } catch (error) {
        this.failure ??= { error };
      }
    });
    this.last = done;
    this.pending.push(done);
  }
}
