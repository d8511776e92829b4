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
});
