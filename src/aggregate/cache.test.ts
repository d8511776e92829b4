import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../model/errors.js";
import { BarSeries } from "../model/series.js";
import { DerivedCache } from "./cache.js";

const series = (symbol: string, interval: string) => new BarSeries(symbol, interval);

describe("DerivedCache", () => {
  it("evicts the least recently used entry beyond its capacity", () => {
    const cache = new DerivedCache(2);
    const a = series("SPY", "5m");
    cache.set("SPY", "5m", "2013-10-07", a);
    cache.set("SPY", "5m", "2013-10-08", series("SPY", "5m"));
    expect(cache.get("SPY", "5m", "2013-10-07")).toBe(a);
    cache.set("SPY", "5m", "2013-10-09", series("SPY", "5m"));
    expect(cache.size).toBe(2);
    expect(cache.get("SPY", "5m", "2013-10-08")).toBeUndefined();
    expect(cache.get("SPY", "5m", "2013-10-07")).toBe(a);
    expect([cache.hits, cache.misses]).toEqual([2, 1]);
  });

  it("computes on a miss only", () => {
    const cache = new DerivedCache(4);
    let computed = 0;
    const compute = () => {
      computed++;
      return series("SPY", "1d");
    };
    const first = cache.getOrCompute("SPY", "1d", "2013-10-07", compute);
    expect(cache.getOrCompute("SPY", "1d", "2013-10-07", compute)).toBe(first);
    expect(computed).toBe(1);
  });

  it("invalidates every interval of a symbol's session after a gap fill, or all its sessions", () => {
    const cache = new DerivedCache(10);
    for (const iv of ["5m", "1d"]) {
      for (const d of ["2013-10-07", "2013-10-08"]) cache.set("SPY", iv, d, series("SPY", iv));
    }
    cache.set("AAPL", "5m", "2013-10-07", series("AAPL", "5m"));
    expect(cache.invalidate("SPY", "2013-10-07")).toBe(2);
    expect(cache.get("SPY", "5m", "2013-10-07")).toBeUndefined();
    expect(cache.get("SPY", "1d", "2013-10-08")).toBeDefined();
    expect(cache.invalidate("SPY")).toBe(2);
    expect(cache.size).toBe(1);
  });

  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new DerivedCache(0)).toThrow(InvalidArgumentError);
    expect(() => new DerivedCache(1.5)).toThrow("derived cache size must be a positive integer, got 1.5");
  });

  it("holds what a brute-force LRU list holds, after any gets, sets and invalidations", () => {
    const symbol = fc.constantFrom("SPY", "QQQ");
    const interval = fc.constantFrom("5m", "1d");
    const date = fc.constantFrom("2013-10-07", "2013-10-08", "2013-10-09");
    const op = fc.oneof(
      fc.record({ kind: fc.constant("get" as const), symbol, interval, date }),
      fc.record({ kind: fc.constant("set" as const), symbol, interval, date }),
      fc.record({
        kind: fc.constant("invalidate" as const),
        symbol,
        date: fc.option(date, { nil: undefined }),
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 60 }), (capacity, ops) => {
        const cache = new DerivedCache(capacity);
        // the reference: entries least recently used first
        let list: { symbol: string; interval: string; date: string; series: BarSeries }[] = [];
        for (const o of ops) {
          if (o.kind === "invalidate") {
            const before = list.length;
            list = list.filter(
              (e) => !(e.symbol === o.symbol && (o.date === undefined || e.date === o.date)),
            );
            expect(cache.invalidate(o.symbol, o.date)).toBe(before - list.length);
            continue;
          }
          const k = list.findIndex(
            (e) => e.symbol === o.symbol && e.interval === o.interval && e.date === o.date,
          );
          if (o.kind === "get") {
            expect(cache.get(o.symbol, o.interval, o.date)).toBe(k < 0 ? undefined : list[k].series);
            if (k >= 0) list.push(...list.splice(k, 1));
          } else {
            const made = series(o.symbol, o.interval);
            cache.set(o.symbol, o.interval, o.date, made);
            if (k >= 0) list.splice(k, 1);
            list.push({ symbol: o.symbol, interval: o.interval, date: o.date, series: made });
            if (list.length > capacity) list.shift();
          }
          expect(cache.size).toBe(list.length);
        }
      }),
      { numRuns: 500 },
    );
  });
});
