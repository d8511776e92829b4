import { BarFlag, type SessionBar, type Tick } from "../model/bar.js";
import { InvalidArgumentError } from "../model/errors.js";
import { BarSeries } from "../model/series.js";
import { isoUtc, MINUTE_MS } from "../model/time.js";

/** Options of TickBarBuilder and ticksToBars. */
export interface TickBarOptions {
  /** Drop ticks the vendor flagged suspicious (as LEAN does before building bars). Default true. */
  dropSuspicious?: boolean;
  /** Initial capacity of the output series. */
  capacity?: number;
}

/**
 * Builds one-minute trade bars from trade ticks as they arrive, O(1) and allocation-free per
 * tick: the minute [m, m+1m) holding a tick gets OHLC from its prices (in arrival order) and
 * the summed sizes as volume. Minutes without ticks yield no bar. A minute completes when a
 * tick of a later minute arrives or on `flushUpTo` once the clock reaches its end, so a
 * live tick feed yields the same bars as `ticksToBars` over the stored ticks.
 */
export class TickBarBuilder {
  /** Completed one-minute bars, in order. */
  readonly series: BarSeries;
  /** Ticks dropped as suspicious so far. */
  dropped = 0;
  private readonly dropSuspicious: boolean;
  private last = Number.NEGATIVE_INFINITY;
  /** Start of the forming minute (NaN when none) and its end (-Infinity when none). */
  private minute = Number.NaN;
  private end = Number.NEGATIVE_INFINITY;
  private o = 0;
  private h = 0;
  private l = 0;
  private c = 0;
  private v = 0;

  constructor(
    readonly symbol: string,
    opts: TickBarOptions = {},
  ) {
    this.dropSuspicious = opts.dropSuspicious ?? true;
    this.series = new BarSeries(symbol, "1m", opts.capacity ?? 512);
  }

  /** End of the forming minute (Infinity when none). */
  get formingEnd(): number {
    return Number.isNaN(this.minute) ? Number.POSITIVE_INFINITY : this.minute + MINUTE_MS;
  }

  /**
   * Adds a trade tick (non-decreasing times, a positive price, a non-negative size;
   * InvalidArgumentError otherwise). Returns the bars completed by this call (0 or 1).
   */
  add(time: number, price: number, size: number, suspicious = false): number {
    // Fast path, small enough to be inlined at the caller: a good tick in the forming minute.
    if (
      time >= this.last &&
      time < this.end &&
      price > 0 &&
      price < Infinity &&
      size >= 0 &&
      size < Infinity
    ) {
      if (suspicious && this.dropSuspicious) {
        this.last = time;
        this.dropped++;
        return 0;
      }
      this.last = time;
      if (price > this.h) this.h = price;
      if (price < this.l) this.l = price;
      this.c = price;
      this.v += size;
      return 0;
    }
    return this.addSlow(time, price, size, suspicious);
  }

  /** A tick that starts a minute, or is out of order or bad. */
  private addSlow(time: number, price: number, size: number, suspicious: boolean): number {
    if (!(time >= this.last)) {
      throw new InvalidArgumentError(
        `${this.symbol}: tick at ${isoUtc(time)} is before ${isoUtc(this.last)}`,
      );
    }
    if (!(price > 0 && Number.isFinite(price)) || !(size >= 0 && Number.isFinite(size))) {
      throw new InvalidArgumentError(
        `${this.symbol}: bad tick at ${isoUtc(time)}: price ${price}, size ${size} (price must be > 0, size >= 0)`,
      );
    }
    this.last = time;
    if (suspicious && this.dropSuspicious) {
      this.dropped++;
      return this.flushUpTo(time);
    }
    const done = Number.isNaN(this.minute) ? 0 : this.complete();
    this.minute = time - (((time % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
    this.end = this.minute + MINUTE_MS;
    this.o = this.h = this.l = this.c = price;
    this.v = size;
    return done;
  }

  /** Completes the forming minute if its end is <= t. Returns bars completed (0 or 1). */
  flushUpTo(t: number): number {
    return !Number.isNaN(this.minute) && this.minute + MINUTE_MS <= t ? this.complete() : 0;
  }

  /** The forming minute, flagged BarFlag.Partial, or undefined. */
  partial(): SessionBar | undefined {
    if (Number.isNaN(this.minute)) return undefined;
    return {
      symbol: this.symbol,
      interval: "1m",
      time: this.minute,
      open: this.o,
      high: this.h,
      low: this.l,
      close: this.c,
      volume: this.v,
      flags: BarFlag.Partial,
      count: 1,
      expected: 1,
    };
  }

  /** Forgets the completed bars, the forming minute and the last time. */
  reset(): void {
    this.series.clear();
    this.minute = Number.NaN;
    this.end = Number.NEGATIVE_INFINITY;
    this.last = Number.NEGATIVE_INFINITY;
    this.dropped = 0;
  }

  private complete(): number {
    this.series.push(this.minute, this.o, this.h, this.l, this.c, this.v);
    this.minute = Number.NaN;
    this.end = Number.NEGATIVE_INFINITY;
    return 1;
  }
}

/** Options of ticksToBars. */
export interface TicksToBarsOptions extends TickBarOptions {
  /** The clock: ticks at or after it are ignored and a minute ending after it is forming. Default Infinity. */
  upTo?: number;
  /** A forming minute is emitted flagged Partial (`"flag"`, default) or left out (`"omit"`). */
  partial?: "flag" | "omit";
  /** Output symbol (default: the first tick's). */
  symbol?: string;
}

/** One-minute trade bars from stored ticks (batch); the same bars a TickBarBuilder completes. */
export function ticksToBars(ticks: readonly Tick[], opts: TicksToBarsOptions = {}): BarSeries {
  const upTo = opts.upTo ?? Number.POSITIVE_INFINITY;
  const builder = new TickBarBuilder(opts.symbol ?? ticks[0]?.symbol ?? "", {
    dropSuspicious: opts.dropSuspicious,
    capacity: opts.capacity ?? Math.min(Math.max(16, ticks.length), 1024),
  });
  for (const t of ticks) {
    if (t.time >= upTo) break;
    builder.add(t.time, t.price, t.size, t.suspicious === true);
  }
  builder.flushUpTo(upTo);
  const forming = builder.partial();
  if (forming && opts.partial !== "omit") {
    builder.series.push(
      forming.time,
      forming.open,
      forming.high,
      forming.low,
      forming.close,
      forming.volume,
      forming.flags,
    );
  }
  return builder.series;
}
