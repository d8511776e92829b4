import { QUOTE_FIELDS, type QuoteBar } from "../model/bar.js";
import { InvalidArgumentError } from "../model/errors.js";
import { isoUtc, MINUTE_MS } from "../model/time.js";

const FIELDS = ["time", ...QUOTE_FIELDS] as const;

type QuoteField = (typeof FIELDS)[number];

/** A growable columnar series of one symbol's quote bars, in time order. */
export class QuoteSeries {
  length = 0;
  time: Float64Array;
  bidOpen: Float64Array;
  bidHigh: Float64Array;
  bidLow: Float64Array;
  bidClose: Float64Array;
  bidSize: Float64Array;
  askOpen: Float64Array;
  askHigh: Float64Array;
  askLow: Float64Array;
  askClose: Float64Array;
  askSize: Float64Array;

  constructor(
    readonly symbol: string,
    capacity = 64,
  ) {
    const cap = Math.max(1, capacity);
    this.time = new Float64Array(cap);
    this.bidOpen = new Float64Array(cap);
    this.bidHigh = new Float64Array(cap);
    this.bidLow = new Float64Array(cap);
    this.bidClose = new Float64Array(cap);
    this.bidSize = new Float64Array(cap);
    this.askOpen = new Float64Array(cap);
    this.askHigh = new Float64Array(cap);
    this.askLow = new Float64Array(cap);
    this.askClose = new Float64Array(cap);
    this.askSize = new Float64Array(cap);
  }

  /** Appends a quote bar (its time must not be before the last one). */
  push(
    time: number,
    bidOpen: number,
    bidHigh: number,
    bidLow: number,
    bidClose: number,
    bidSize: number,
    askOpen: number,
    askHigh: number,
    askLow: number,
    askClose: number,
    askSize: number,
  ): void {
    const i = this.length;
    if (i === this.time.length) this.grow(i * 2);
    this.time[i] = time;
    this.bidOpen[i] = bidOpen;
    this.bidHigh[i] = bidHigh;
    this.bidLow[i] = bidLow;
    this.bidClose[i] = bidClose;
    this.bidSize[i] = bidSize;
    this.askOpen[i] = askOpen;
    this.askHigh[i] = askHigh;
    this.askLow[i] = askLow;
    this.askClose[i] = askClose;
    this.askSize[i] = askSize;
    this.length = i + 1;
  }

  /** Row `i` as an object (API edge). */
  at(i: number): QuoteBar {
    const bar = { symbol: this.symbol } as QuoteBar;
    for (const f of FIELDS) bar[f] = this[f][i];
    return bar;
  }

  /** All rows as objects. */
  toBars(): QuoteBar[] {
    const out: QuoteBar[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.at(i));
    return out;
  }

  clear(): void {
    this.length = 0;
  }

  private grow(cap: number): void {
    for (const f of FIELDS) {
      const next = new Float64Array(cap);
      next.set(this[f]);
      (this as Record<QuoteField, Float64Array>)[f] = next;
    }
  }
}

/**
 * Builds one-minute quote bars from quote updates (bid, bid size, ask, ask size) as they
 * arrive, O(1) and allocation-free per update. A quote is standing state, so each minute's
 * bar opens at the quote standing when the minute began (the previous update's), as LEAN's
 * quote consolidator does; a side with no quote yet is NaN. A side whose price in an update
 * is not a positive number is left unchanged (one-sided update). Sizes are the side's last.
 * Minutes without updates yield no bar. A minute completes when an update of a later minute
 * arrives or on `flushUpTo` once its end is reached.
 */
export class QuoteBarBuilder {
  /** Completed one-minute quote bars, in order. */
  readonly series: QuoteSeries;
  private last = Number.NEGATIVE_INFINITY;
  private minute = Number.NaN;
  private bid = Number.NaN;
  private bidSize = Number.NaN;
  private ask = Number.NaN;
  private askSize = Number.NaN;
  private bo = Number.NaN;
  private bh = Number.NaN;
  private bl = Number.NaN;
  private ao = Number.NaN;
  private ah = Number.NaN;
  private al = Number.NaN;

  constructor(
    readonly symbol: string,
    opts: { capacity?: number } = {},
  ) {
    this.series = new QuoteSeries(symbol, opts.capacity ?? 512);
  }

  /** End of the forming minute (Infinity when none). */
  get formingEnd(): number {
    return Number.isNaN(this.minute) ? Number.POSITIVE_INFINITY : this.minute + MINUTE_MS;
  }

  /** Adds a quote update (non-decreasing times). Returns the bars completed by this call (0 or 1). */
  add(time: number, bid: number, bidSize: number, ask: number, askSize: number): number {
    if (!(time >= this.last)) {
      throw new InvalidArgumentError(
        `${this.symbol}: quote at ${isoUtc(time)} is before ${isoUtc(this.last)}`,
      );
    }
    this.last = time;
    const minute = time - (((time % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
    let done = 0;
    if (minute !== this.minute) {
      if (!Number.isNaN(this.minute)) done = this.complete();
      this.minute = minute;
      this.bo = this.bh = this.bl = this.bid;
      this.ao = this.ah = this.al = this.ask;
    }
    if (bid > 0 && Number.isFinite(bid)) {
      if (Number.isNaN(this.bo)) this.bo = this.bh = this.bl = bid;
      else if (bid > this.bh) this.bh = bid;
      else if (bid < this.bl) this.bl = bid;
      this.bid = bid;
      this.bidSize = bidSize;
    }
    if (ask > 0 && Number.isFinite(ask)) {
      if (Number.isNaN(this.ao)) this.ao = this.ah = this.al = ask;
      else if (ask > this.ah) this.ah = ask;
      else if (ask < this.al) this.al = ask;
      this.ask = ask;
      this.askSize = askSize;
    }
    return done;
  }

  /** Completes the forming minute if its end is <= t. Returns bars completed (0 or 1). */
  flushUpTo(t: number): number {
    return !Number.isNaN(this.minute) && this.minute + MINUTE_MS <= t ? this.complete() : 0;
  }

  /** The forming minute's quote bar, or undefined. */
  partial(): QuoteBar | undefined {
    if (Number.isNaN(this.minute)) return undefined;
    return {
      symbol: this.symbol,
      time: this.minute,
      bidOpen: this.bo,
      bidHigh: this.bh,
      bidLow: this.bl,
      bidClose: this.bid,
      bidSize: this.bidSize,
      askOpen: this.ao,
      askHigh: this.ah,
      askLow: this.al,
      askClose: this.ask,
      askSize: this.askSize,
    };
  }

  /** Forgets the completed bars, the forming minute and the standing quote. */
  reset(): void {
    this.series.clear();
    this.last = Number.NEGATIVE_INFINITY;
    this.minute = Number.NaN;
    this.bid = this.bidSize = this.ask = this.askSize = Number.NaN;
  }

  private complete(): number {
    this.series.push(
      this.minute,
      this.bo,
      this.bh,
      this.bl,
      this.bid,
      this.bidSize,
      this.ao,
      this.ah,
      this.al,
      this.ask,
      this.askSize,
    );
    this.minute = Number.NaN;
    return 1;
  }
}

/** A quote update, as a live feed or a store delivers it. */
export interface QuoteUpdate {
  time: number;
  bid: number;
  bidSize: number;
  ask: number;
  askSize: number;
}

/**
 * One-minute quote bars from quote updates (batch); the same bars a QuoteBarBuilder completes.
 * Updates at or after `upTo` are ignored and a minute not ended by `upTo` is left out.
 */
export function quotesToBars(
  symbol: string,
  updates: readonly QuoteUpdate[],
  opts: { upTo?: number } = {},
): QuoteSeries {
  const upTo = opts.upTo ?? Number.POSITIVE_INFINITY;
  const builder = new QuoteBarBuilder(symbol, { capacity: Math.min(Math.max(16, updates.length), 1024) });
  for (const q of updates) {
    if (q.time >= upTo) break;
    builder.add(q.time, q.bid, q.bidSize, q.ask, q.askSize);
  }
  builder.flushUpTo(upTo);
  return builder.series;
}
