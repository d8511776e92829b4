import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BarFlag, type Tick } from "../model/bar.js";
import { InvalidArgumentError } from "../model/errors.js";
import { MINUTE_MS } from "../model/time.js";
import { TickBarBuilder, ticksToBars } from "./ticks.js";

const T0 = Date.UTC(2013, 9, 7, 13, 30);
const tick = (ms: number, price: number, size: number, suspicious = false): Tick => ({
  symbol: "SPY",
  time: T0 + ms,
  price,
  size,
  suspicious,
});

describe("TickBarBuilder", () => {
  it("builds a minute's OHLCV from its ticks in arrival order and completes it at the next minute's tick", () => {
    const b = new TickBarBuilder("SPY");
    expect(b.add(T0 + 100, 10, 5)).toBe(0);
    expect(b.add(T0 + 200, 12, 1)).toBe(0);
    expect(b.add(T0 + 200, 9, 2)).toBe(0);
    expect(b.add(T0 + 59_999, 11, 3)).toBe(0);
    expect(b.formingEnd).toBe(T0 + MINUTE_MS);
    expect(b.partial()).toMatchObject({ time: T0, close: 11, flags: BarFlag.Partial });
    expect(b.add(T0 + MINUTE_MS, 11.5, 1)).toBe(1);
    expect(b.series.toBars()).toEqual([
      {
        symbol: "SPY",
        interval: "1m",
        time: T0,
        open: 10,
        high: 12,
        low: 9,
        close: 11,
        volume: 11,
        flags: 0,
        count: 1,
        expected: 1,
      },
    ]);
  });

  it("completes a minute on flushUpTo only once the clock reaches its end", () => {
    const b = new TickBarBuilder("SPY");
    b.add(T0 + 5, 10, 1);
    expect(b.flushUpTo(T0 + MINUTE_MS - 1)).toBe(0);
    expect(b.flushUpTo(T0 + MINUTE_MS)).toBe(1);
    expect(b.partial()).toBeUndefined();
  });

  it("drops suspicious ticks by default and keeps them when asked", () => {
    const ticks = [tick(0, 10, 1), tick(1, 50, 1, true), tick(2, 11, 1)];
    const dropping = new TickBarBuilder("SPY");
    for (const t of ticks) dropping.add(t.time, t.price, t.size, t.suspicious);
    dropping.flushUpTo(T0 + MINUTE_MS);
    expect(dropping.dropped).toBe(1);
    expect(dropping.series.at(0)).toMatchObject({ high: 11, volume: 2 });
    expect(ticksToBars(ticks, { dropSuspicious: false }).at(0)).toMatchObject({ high: 50, volume: 3 });
  });

  it("rejects ticks out of time order and bad prices, naming the tick", () => {
    const b = new TickBarBuilder("SPY");
    b.add(T0 + 10, 10, 1);
    expect(() => b.add(T0 + 5, 10, 1)).toThrow(InvalidArgumentError);
    expect(() => b.add(T0 + 20, -1, 1)).toThrow(
      "SPY: bad tick at 2013-10-07T13:30:00.020Z: price -1, size 1 (price must be > 0, size >= 0)",
    );
    expect(() => b.add(T0 + 20, Number.NaN, 1)).toThrow(InvalidArgumentError);
  });
});

describe("ticksToBars", () => {
  it("flags the minute the clock has not passed partial, or omits it", () => {
    const ticks = [tick(0, 10, 1), tick(MINUTE_MS + 1, 11, 1), tick(2 * MINUTE_MS, 12, 1)];
    const upTo = T0 + MINUTE_MS + 30_000;
    expect(
      ticksToBars(ticks, { upTo })
        .toBars()
        .map((b) => [b.time - T0, b.flags]),
    ).toEqual([
      [0, 0],
      [MINUTE_MS, BarFlag.Partial],
    ]);
    expect(ticksToBars(ticks, { upTo, partial: "omit" }).length).toBe(1);
    expect(ticksToBars([]).length).toBe(0);
  });

  it("equals a brute-force grouping by minute on random ticks", () => {
    const arbTicks = fc
      .array(
        fc.record({
          gap: fc.integer({ min: 0, max: 90_000 }),
          price: fc.integer({ min: 1, max: 100_000 }),
          size: fc.integer({ min: 0, max: 1000 }),
          suspicious: fc.boolean(),
        }),
        { maxLength: 200 },
      )
      .map((xs) => {
        let t = T0 - 7 * MINUTE_MS;
        return xs.map((x) => tick((t += x.gap) - T0, x.price / 100, x.size, x.suspicious));
      });
    fc.assert(
      fc.property(arbTicks, fc.boolean(), (ticks, drop) => {
        const groups = new Map<number, Tick[]>();
        for (const t of ticks) {
          if (drop && t.suspicious) continue;
          const m = Math.floor(t.time / MINUTE_MS) * MINUTE_MS;
          groups.set(m, [...(groups.get(m) ?? []), t]);
        }
        const want = [...groups].map(([time, g]) => ({
          symbol: "SPY",
          interval: "1m",
          time,
          open: g[0].price,
          high: Math.max(...g.map((t) => t.price)),
          low: Math.min(...g.map((t) => t.price)),
          close: g[g.length - 1].price,
          volume: g.reduce((a, t) => a + t.size, 0),
          flags: 0,
          count: 1,
          expected: 1,
        }));
        expect(ticksToBars(ticks, { dropSuspicious: drop, symbol: "SPY" }).toBars()).toEqual(want);
      }),
    );
  });
});
