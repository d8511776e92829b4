import { InvalidArgumentError } from "../model/errors.js";
import type { BarSeries } from "../model/series.js";

const SEP = "\u0000";

/**
 * A least-recently-used cache of computed derived history, keyed by (symbol, interval,
 * session date). Capacity is `derived.cacheSize` entries. Gap fills change history, so
 * `invalidate(symbol, date?)` drops the affected entries of every interval.
 */
export class DerivedCache {
  private readonly entries = new Map<string, BarSeries>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) {
      throw new InvalidArgumentError(`derived cache size must be a positive integer, got ${capacity}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached series (marking it most recently used), or undefined. */
  get(symbol: string, interval: string, date: string): BarSeries | undefined {
    const key = symbol + SEP + interval + SEP + date;
    const hit = this.entries.get(key);
    if (hit === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  /** Stores a series, evicting the least recently used entry when full. */
  set(symbol: string, interval: string, date: string, series: BarSeries): void {
    const key = symbol + SEP + interval + SEP + date;
    this.entries.delete(key);
    this.entries.set(key, series);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** The cached series, or computes, stores and returns it. */
  getOrCompute(symbol: string, interval: string, date: string, compute: () => BarSeries): BarSeries {
    const hit = this.get(symbol, interval, date);
    if (hit !== undefined) return hit;
    const series = compute();
    this.set(symbol, interval, date, series);
    return series;
  }

  /** Drops every interval of `symbol` (on session `date` only, when given); returns entries dropped. */
  invalidate(symbol: string, date?: string): number {
    let dropped = 0;
    for (const key of [...this.entries.keys()]) {
      const [s, , d] = key.split(SEP);
      if (s === symbol && (date === undefined || d === date)) {
        this.entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  clear(): void {
    this.entries.clear();
  }
}
