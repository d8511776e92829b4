import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MINUTE_MS } from "../model/time.js";
import { QuoteBarBuilder, type QuoteUpdate, quotesToBars } from "./quotes.js";

const T0 = Date.UTC(2013, 9, 7, 13, 30);
const q = (ms: number, bid: number, bidSize: number, ask: number, askSize: number): QuoteUpdate => ({
  time: T0 + ms,
  bid,
  bidSize,
  ask,
  askSize,
});

describe("QuoteBarBuilder", () => {
  it("builds bid and ask OHLC with the last sizes, opening each minute at the standing quote", () => {
    const bars = quotesToBars("SPY", [
      q(0, 10.0, 5, 10.02, 7),
      q(10_000, 10.01, 3, 10.03, 2),
      q(20_000, 9.99, 4, 10.03, 1),
      q(MINUTE_MS + 30_000, 10.0, 9, 10.01, 8),
    ]).toBars();
    expect(bars).toEqual([
      {
        symbol: "SPY",
        time: T0,
        bidOpen: 10.0,
        bidHigh: 10.01,
        bidLow: 9.99,
        bidClose: 9.99,
        bidSize: 4,
        askOpen: 10.02,
        askHigh: 10.03,
        askLow: 10.02,
        askClose: 10.03,
        askSize: 1,
      },
      {
        symbol: "SPY",
        time: T0 + MINUTE_MS,
        bidOpen: 9.99,
        bidHigh: 10.0,
        bidLow: 9.99,
        bidClose: 10.0,
        bidSize: 9,
        askOpen: 10.03,
        askHigh: 10.03,
        askLow: 10.01,
        askClose: 10.01,
        askSize: 8,
      },
    ]);
  });

  it("leaves a side unchanged on a one-sided update and NaN before its first quote", () => {
    const b = new QuoteBarBuilder("SPY");
    b.add(T0, 0, 0, 10.02, 7);
    b.add(T0 + 1, 10, 5, Number.NaN, 0);
    expect(b.partial()).toMatchObject({
      bidOpen: 10,
      bidSize: 5,
      askOpen: 10.02,
      askClose: 10.02,
      askSize: 7,
    });
    const only = new QuoteBarBuilder("SPY");
    only.add(T0, 0, 0, 10.02, 7);
    only.flushUpTo(T0 + MINUTE_MS);
    expect(only.series.at(0).bidOpen).toBeNaN();
    expect(only.series.at(0).bidSize).toBeNaN();
  });

  it("completes a minute on flushUpTo only once the clock reaches its end", () => {
    const b = new QuoteBarBuilder("SPY");
    b.add(T0 + 5, 10, 1, 10.01, 1);
    expect(b.formingEnd).toBe(T0 + MINUTE_MS);
    expect(b.flushUpTo(T0 + MINUTE_MS - 1)).toBe(0);
    expect(b.flushUpTo(T0 + MINUTE_MS)).toBe(1);
    expect(b.formingEnd).toBe(Number.POSITIVE_INFINITY);
  });

  it("leaves out updates at or after upTo and the minute it has not ended", () => {
    const updates = [
      q(0, 10, 1, 10.01, 1),
      q(MINUTE_MS + 1, 10.02, 1, 10.03, 1),
      q(2 * MINUTE_MS, 11, 1, 11.01, 1),
    ];
    const bars = quotesToBars("SPY", updates, { upTo: T0 + 2 * MINUTE_MS });
    expect(bars.toBars().map((b) => [b.time - T0, b.bidClose])).toEqual([
      [0, 10],
      [MINUTE_MS, 10.02],
    ]);
    expect(quotesToBars("SPY", updates, { upTo: T0 + MINUTE_MS + 5 }).length).toBe(1);
  });

  it("rejects updates out of time order", () => {
    const b = new QuoteBarBuilder("SPY");
    b.add(T0 + 10, 10, 1, 10.01, 1);
    expect(() => b.add(T0, 10, 1, 10.01, 1)).toThrow(
      "SPY: quote at 2013-10-07T13:30:00Z is before 2013-10-07T13:30:00.010Z",
    );
  });

  it("equals a brute force that replays the standing quote through each minute", () => {
    const arb = fc
      .array(
        fc.record({
          gap: fc.integer({ min: 0, max: 100_000 }),
          bid: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 })),
          ask: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 })),
          size: fc.integer({ min: 1, max: 9 }),
        }),
        { maxLength: 120 },
      )
      .map((xs) => {
        let t = 0;
        return xs.map((x) => q((t += x.gap), x.bid / 100, x.size, x.ask / 100, x.size + 1));
      });
    fc.assert(
      fc.property(arb, (updates) => {
        const want: Record<string, number | string>[] = [];
        const minutes = [...new Set(updates.map((u) => Math.floor(u.time / MINUTE_MS) * MINUTE_MS))];
        for (const m of minutes) {
          const row: Record<string, number | string> = { symbol: "SPY", time: m };
          for (const side of ["bid", "ask"] as const) {
            const valid = updates.filter((u) => u[side] > 0);
            const before = valid.filter((u) => u.time < m);
            const inside = valid.filter((u) => u.time >= m && u.time < m + MINUTE_MS);
            const prices = [...before.slice(-1), ...inside].map((u) => u[side]);
            const lastSize = [...before, ...inside].at(-1)?.[`${side}Size`] ?? Number.NaN;
            row[`${side}Open`] = prices[0] ?? Number.NaN;
            row[`${side}High`] = prices.length ? Math.max(...prices) : Number.NaN;
            row[`${side}Low`] = prices.length ? Math.min(...prices) : Number.NaN;
            row[`${side}Close`] = prices.at(-1) ?? Number.NaN;
            row[`${side}Size`] = lastSize;
          }
          want.push(row);
        }
        expect(quotesToBars("SPY", updates).toBars()).toEqual(want);
      }),
    );
  });
});
