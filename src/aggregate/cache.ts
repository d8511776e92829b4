import { InvalidArgumentError } from "../model/errors.js";
import type { BarSeries } from "../model/series.js";

/** One cached series and when it was last used. */
interface Entry {
  symbol: string;
  date: string;
  interval: string;
  series: BarSeries;
  /** The use count at its last get or set (the least is the least recently used). */
  used: number;
  /** Its index in `DerivedCache.slots`. */
  slot: number;
}

/**
 * A least-recently-used cache of computed derived history, keyed by (symbol, interval,
 * session date). Capacity is `derived.cacheSize` entries. Gap fills change history, so
 * `invalidate(symbol, date?)` drops the affected entries of every interval.
 *
 * A hit is three lookups by the strings given and a stamp: no key is built and nothing is
 * moved (a joined key and a Map's delete-and-set per hit cost about 3 us at 6,000 entries,
 * measured); the least recently used entry is found by a scan when a new one overflows the
 * capacity, on a miss, which derives a session's bars anyway.
 */
export class DerivedCache {
  /** Entries by symbol, then session date, then interval. */
  private readonly bySymbol = new Map<string, Map<string, Map<string, Entry>>>();
  /** Every entry, in no order. */
  private readonly slots: Entry[] = [];
  private uses = 0;
  hits = 0;
  misses = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) {
      throw new InvalidArgumentError(`derived cache size must be a positive integer, got ${capacity}`);
    }
  }

  get size(): number {
    return this.slots.length;
  }

  /** The cached series (marking it most recently used), or undefined. */
  get(symbol: string, interval: string, date: string): BarSeries | undefined {
    const entry = this.bySymbol.get(symbol)?.get(date)?.get(interval);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    entry.used = ++this.uses;
    return entry.series;
  }

  /** Stores a series, evicting the least recently used entry when full. */
  set(symbol: string, interval: string, date: string, series: BarSeries): void {
    let dates = this.bySymbol.get(symbol);
    if (!dates) this.bySymbol.set(symbol, (dates = new Map()));
    let intervals = dates.get(date);
    if (!intervals) dates.set(date, (intervals = new Map()));
    const known = intervals.get(interval);
    if (known) {
      known.series = series;
      known.used = ++this.uses;
      return;
    }
    const entry: Entry = { symbol, date, interval, series, used: ++this.uses, slot: this.slots.length };
    intervals.set(interval, entry);
    this.slots.push(entry);
    if (this.slots.length > this.capacity) {
      let oldest = this.slots[0];
      for (const e of this.slots) if (e.used < oldest.used) oldest = e;
      this.drop(oldest);
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
    const dates = this.bySymbol.get(symbol);
    if (!dates) return 0;
    const drop = date === undefined ? [...dates.values()] : dates.has(date) ? [dates.get(date)!] : [];
    let dropped = 0;
    for (const intervals of drop) {
      for (const entry of [...intervals.values()]) {
        this.drop(entry);
        dropped++;
      }
    }
    return dropped;
  }

  clear(): void {
    this.bySymbol.clear();
    this.slots.length = 0;
  }

  /** Removes an entry from the maps and the slots (the last slot takes its place). */
  private drop(entry: Entry): void {
    const dates = this.bySymbol.get(entry.symbol)!;
    const intervals = dates.get(entry.date)!;
    intervals.delete(entry.interval);
    if (intervals.size === 0) dates.delete(entry.date);
    if (dates.size === 0) this.bySymbol.delete(entry.symbol);
    const last = this.slots.pop()!;
    if (last !== entry) {
      last.slot = entry.slot;
      this.slots[entry.slot] = last;
    }
  }
}
