import { allocBarColumns, type BarColumns, barProblem } from "../model/bar.js";

/** Rejection reasons besides `barProblem`'s (which name the field: "open is not a number", ...). */
export const REASON = {
  time: "unparseable time",
  duplicate: "duplicate symbol and time",
  symbol: "missing symbol",
  fields: "missing fields",
} as const;

/**
 * The times seen for one symbol. Input is nearly always in time order, so a row is checked
 * against the last time only; the first out-of-order row builds a set of every time seen and
 * the set answers from then on.
 */
class SeenTimes {
  last = Number.NEGATIVE_INFINITY;
  private times = new Float64Array(256);
  private n = 0;
  private set: Set<number> | null = null;

  /** True when `t` was seen before; otherwise records it. */
  seen(t: number): boolean {
    const set = this.set;
    if (set === null) {
      if (t > this.last) {
        if (this.n === this.times.length) {
          const grown = new Float64Array(this.n * 2);
          grown.set(this.times);
          this.times = grown;
        }
        this.times[this.n++] = t;
        this.last = t;
        return false;
      }
      this.set = new Set(this.times.subarray(0, this.n));
      this.times = new Float64Array(0);
      return this.seen(t);
    }
    if (set.has(t)) return true;
    set.add(t);
    if (t > this.last) this.last = t;
    return false;
  }
}

/** Finds a repeated (symbol, time) across a whole ingest. */
export class DuplicateIndex {
  private readonly bySymbol = new Map<string, SeenTimes>();
  private lastSymbol: string | undefined;
  private lastTimes: SeenTimes | undefined;

  /** True when this (symbol, time) was seen before; otherwise records it. */
  seen(symbol: string, time: number): boolean {
    let times = this.lastTimes;
    if (symbol !== this.lastSymbol || times === undefined) {
      times = this.bySymbol.get(symbol);
      if (times === undefined) {
        times = new SeenTimes();
        this.bySymbol.set(symbol, times);
      }
      this.lastSymbol = symbol;
      this.lastTimes = times;
    }
    return times.seen(time);
  }
}

/** Writes one batch of bars; resolves to the rows written. */
export type BarWriter = (interval: string, bars: BarColumns) => Promise<number>;

/**
 * Validates bars and gathers them into batches of `batchRows` rows. A full batch is handed to
 * the writer at once, without waiting, so parsing the next batch overlaps the database work
 * of this one; `drain()` bounds how many writes are in flight.
 */
export class BarBatcher {
  private cols: BarColumns;
  private readonly pending: Promise<void>[] = [];
  private failure: { error: unknown } | null = null;
  /** Rows the writer reported written. */
  stored = 0;

  constructor(
    readonly interval: string,
    private readonly batchRows: number,
    private readonly write: BarWriter,
    private readonly duplicates = new DuplicateIndex(),
  ) {
    this.cols = allocBarColumns(batchRows);
  }

  /**
   * Adds a bar, or returns why it is refused: an unparseable (non-finite) time, an empty
   * symbol, a `barProblem`, or a (symbol, time) already added. `trades`/`vwap` are NaN when
   * absent.
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
    if (!Number.isFinite(time)) return REASON.time;
    if (symbol.length === 0) return REASON.symbol;
    const problem = barProblem(open, high, low, close, volume);
    if (problem !== null) return problem;
    if (this.duplicates.seen(symbol, time)) return REASON.duplicate;
    const c = this.cols;
    const i = c.length;
    c.symbol[i] = symbol;
    c.time[i] = time;
    c.open[i] = open;
    c.high[i] = high;
    c.low[i] = low;
    c.close[i] = close;
    c.volume[i] = volume;
    c.trades[i] = trades;
    c.vwap[i] = vwap;
    c.length = i + 1;
    if (c.length === this.batchRows) this.emit();
    return null;
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
    const next = allocBarColumns(this.batchRows);
    for (let i = cut; i < n; i++) {
      const j = i - cut;
      next.symbol[j] = batch.symbol[i];
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
    this.cols = next;
    const done = this.write(this.interval, batch).then(
      (written) => {
        this.stored += written;
      },
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    this.pending.push(done);
  }
}
