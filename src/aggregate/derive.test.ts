import { describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { allocBarColumns, BarFlag } from "../model/bar.js";
import { InvalidArgumentError } from "../model/errors.js";
import { BarSeries } from "../model/series.js";
import { MINUTE_MS } from "../model/time.js";
import { deriveBars } from "./derive.js";
import { derivedQuality } from "./quality.js";

const cal = getCalendar("XNYS");
const mon = cal.sessionOn("2013-10-07")!;
const early = cal.sessionOn("2013-11-29")!;

function fullSession(session: typeof mon, extended = false): BarSeries {
  const s = new BarSeries("SPY", "1m");
  const from = extended ? session.preOpen : session.open;
  const to = extended ? session.postClose : session.close;
  for (let t = from, k = 0; t < to; t += MINUTE_MS, k++)
    s.push(t, 100 + k, 100.5 + k, 99.5 + k, 100.25 + k, k);
  return s;
}

describe("deriveBars", () => {
  it("derives 78 five-minute bars of 5 from a full session", () => {
    const out = deriveBars(fullSession(mon), "5m", cal);
    expect(out.length).toBe(78);
    expect(out.interval).toBe("5m");
    expect(out.at(1)).toEqual({
      symbol: "SPY",
      interval: "5m",
      time: mon.open + 5 * MINUTE_MS,
      open: 105,
      high: 109.5,
      low: 104.5,
      close: 109.25,
      volume: 5 + 6 + 7 + 8 + 9,
      flags: 0,
      count: 5,
      expected: 5,
    });
  });

  it("ignores extended-hours bars unless extended", () => {
    const bars = fullSession(mon, true);
    const daily = deriveBars(bars, "1d", cal);
    expect(daily.toBars()).toEqual([
      expect.objectContaining({ time: mon.open, open: 430, close: 819.25, count: 390, expected: 390 }),
    ]);
    const hourly = deriveBars(bars, "60m", cal, { extended: true });
    expect(hourly.length).toBe(17);
    expect(derivedQuality(hourly)).toBe(100);
    expect(deriveBars(bars, "1d", cal, { extended: true }).toBars()).toEqual(daily.toBars());
  });

  it("makes an early close's daily bar 210 minutes", () => {
    expect(deriveBars(fullSession(early, true), "1d", cal).at(0)).toMatchObject({
      count: 210,
      expected: 210,
    });
  });

  it("takes columns as stores read them, symbol and flags included", () => {
    const c = allocBarColumns(3);
    [0, 1, 4].forEach((m, i) => {
      c.symbol[i] = "AAPL";
      c.time[i] = mon.open + m * MINUTE_MS;
      c.open[i] = c.high[i] = c.low[i] = c.close[i] = 10 + i;
      c.volume[i] = 1;
    });
    c.flags[1] = BarFlag.Synthetic;
    c.length = 3;
    const out = deriveBars(c, "3m", cal);
    expect(out.symbol).toBe("AAPL");
    expect(out.toBars().map((b) => [b.time - mon.open, b.count, b.expected, b.flags])).toEqual([
      [0, 2, 3, BarFlag.Synthetic],
      [3 * MINUTE_MS, 1, 3, 0],
    ]);
    expect(derivedQuality(out)).toBe(50);
  });

  it("flags the bucket the clock has not passed partial, or omits it", () => {
    const upTo = mon.open + 7 * MINUTE_MS;
    const flagged = deriveBars(fullSession(mon), "5m", cal, { upTo });
    expect(flagged.toBars().map((b) => [b.count, b.flags])).toEqual([
      [5, 0],
      [2, BarFlag.Partial],
    ]);
    expect(derivedQuality(flagged)).toBe(100);
    expect(deriveBars(fullSession(mon), "5m", cal, { upTo, partial: "omit" }).length).toBe(1);
  });

  it("writes into a given series, clearing it first", () => {
    const into = new BarSeries("SPY", "5m", 4);
    into.push(1, 1, 1, 1, 1, 1);
    const out = deriveBars(fullSession(mon), "5m", cal, { into });
    expect(out).toBe(into);
    expect(out.length).toBe(78);
    expect(out.toBars()).toEqual(deriveBars(fullSession(mon), "5m", cal).toBars());
  });

  it("rejects duplicate or out-of-order bars, naming the index", () => {
    const s = new BarSeries("SPY", "1m");
    s.push(mon.open, 1, 1, 1, 1, 1);
    s.push(mon.open, 1, 1, 1, 1, 1);
    expect(() => deriveBars(s, "5m", cal)).toThrow(
      new InvalidArgumentError(
        "duplicate one-minute bar at index 1: 2013-10-07T13:30:00Z after 2013-10-07T13:30:00Z",
      ),
    );
  });

  it("rejects a bar without a valid time", () => {
    const s = new BarSeries("SPY", "1m");
    s.push(mon.open, 1, 1, 1, 1, 1);
    s.push(Number.NaN, 1, 1, 1, 1, 1);
    expect(() => deriveBars(s, "5m", cal)).toThrow("one-minute bar at index 1 has no valid time (NaN)");
  });

  it("yields nothing for no bars, or bars outside every session", () => {
    expect(deriveBars(new BarSeries("X", "1m"), "5m", cal).length).toBe(0);
    const night = new BarSeries("X", "1m");
    night.push(mon.postClose + MINUTE_MS, 1, 1, 1, 1, 1);
    expect(deriveBars(night, "5m", cal, { extended: true }).length).toBe(0);
    expect(derivedQuality(night)).toBe(100);
  });
});
