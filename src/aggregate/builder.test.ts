import { describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { BarFlag } from "../model/bar.js";
import { InvalidArgumentError } from "../model/errors.js";
import { BarSeries } from "../model/series.js";
import { MINUTE_MS } from "../model/time.js";
import { DerivedBarBuilder } from "./builder.js";
import { deriveBars } from "./derive.js";

const cal = getCalendar("XNYS");
const mon = cal.sessionOn("2013-10-07")!;
const tue = cal.sessionOn("2013-10-08")!;
const at = (session: typeof mon, minute: number) => session.open + minute * MINUTE_MS;

/** Adds the bar of minute `m` after the open: open = 100 + m, high +1, low -1, close +0.5, volume 10. */
function addMinute(b: DerivedBarBuilder, session: typeof mon, m: number, flags = 0): number {
  return b.add(at(session, m), 100 + m, 101 + m, 99 + m, 100.5 + m, 10, flags);
}

describe("DerivedBarBuilder", () => {
  it("completes the 09:30 5m bar when the 09:34 bar arrives, at the bar's end", () => {
    const b = new DerivedBarBuilder("SPY", "5m", cal);
    for (let m = 0; m < 4; m++) expect(addMinute(b, mon, m)).toBe(0);
    expect(b.formingEnd).toBe(at(mon, 5));
    expect(addMinute(b, mon, 4)).toBe(1);
    expect(b.series.toBars()).toEqual([
      {
        symbol: "SPY",
        interval: "5m",
        time: mon.open,
        open: 100,
        high: 105,
        low: 99,
        close: 104.5,
        volume: 50,
        flags: 0,
        count: 5,
        expected: 5,
      },
    ]);
    expect(b.formingEnd).toBe(Number.POSITIVE_INFINITY);
    expect(b.partial()).toBeUndefined();
  });

  it("returns the forming bar only flagged partial", () => {
    const b = new DerivedBarBuilder("SPY", "15m", cal);
    addMinute(b, mon, 0);
    addMinute(b, mon, 1, BarFlag.Filled);
    expect(b.partial()).toEqual({
      symbol: "SPY",
      interval: "15m",
      time: mon.open,
      open: 100,
      high: 102,
      low: 99,
      close: 101.5,
      volume: 20,
      flags: BarFlag.Filled | BarFlag.Partial,
      count: 2,
      expected: 15,
    });
    expect(b.series.length).toBe(0);
  });

  it("completes a bucket with missing minutes only once the clock reaches its end", () => {
    const b = new DerivedBarBuilder("SPY", "5m", cal);
    addMinute(b, mon, 0);
    addMinute(b, mon, 2);
    expect(b.flushUpTo(at(mon, 5) - 1)).toBe(0);
    expect(b.flushUpTo(at(mon, 5))).toBe(1);
    expect(b.series.at(0)).toMatchObject({ time: mon.open, count: 2, expected: 5, close: 102.5 });
    expect(b.flushUpTo(at(mon, 100))).toBe(0);
  });

  it("completes the forming bucket when a later bucket's bar arrives", () => {
    const b = new DerivedBarBuilder("SPY", "5m", cal);
    addMinute(b, mon, 1);
    expect(addMinute(b, mon, 12)).toBe(1);
    expect(b.series.at(0)).toMatchObject({ time: mon.open, count: 1 });
    expect(b.partial()).toMatchObject({ time: at(mon, 10), count: 1 });
  });

  it("makes the last 60m bar of the session 15:30-16:00 and completes it with the 15:59 bar", () => {
    const b = new DerivedBarBuilder("SPY", "60m", cal);
    let done = 0;
    for (let m = 0; m < 390; m++) done += addMinute(b, mon, m);
    expect(done).toBe(7);
    expect(b.series.at(6)).toMatchObject({
      time: at(mon, 360),
      count: 30,
      expected: 30,
      open: 460,
      close: 489.5,
    });
  });

  it("ignores extended-hours bars unless extended, and completes the day at the next session", () => {
    const b = new DerivedBarBuilder("SPY", "1d", cal);
    expect(b.add(mon.preOpen, 1, 1, 1, 1, 1)).toBe(0);
    expect(b.partial()).toBeUndefined();
    addMinute(b, mon, 0);
    addMinute(b, mon, 200);
    expect(b.add(mon.close + MINUTE_MS, 1, 1, 1, 1, 1)).toBe(1);
    expect(b.series.at(0)).toMatchObject({
      time: mon.open,
      open: 100,
      high: 301,
      low: 99,
      count: 2,
      expected: 390,
    });
    addMinute(b, tue, 0);
    expect(b.partial()).toMatchObject({ time: tue.open, count: 1 });
  });

  it("takes pre-market bars into their own buckets when extended", () => {
    const b = new DerivedBarBuilder("SPY", "60m", cal, { extended: true });
    b.add(at(mon, -1), 5, 6, 4, 5, 7);
    expect(b.partial()).toBeUndefined();
    expect(b.series.at(0)).toMatchObject({ time: at(mon, -30), count: 1, expected: 30 });
  });

  it("skips bars between sessions without a calendar lookup per bar", () => {
    let lookups = 0;
    const counting = new Proxy(cal, {
      get(target, prop) {
        if (prop === "sessionAt") lookups++;
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const b = new DerivedBarBuilder("SPY", "5m", counting);
    for (let t = mon.postClose; t < mon.postClose + 60 * MINUTE_MS; t += MINUTE_MS) b.add(t, 1, 1, 1, 1, 1);
    expect(lookups).toBe(1);
    expect(b.series.length).toBe(0);
  });

  it("rejects a bar that is not after the last one, naming both times", () => {
    const b = new DerivedBarBuilder("SPY", "5m", cal);
    addMinute(b, mon, 3);
    expect(() => addMinute(b, mon, 3)).toThrow(InvalidArgumentError);
    expect(() => addMinute(b, mon, 2)).toThrow(
      "SPY 5m: one-minute bar 2013-10-07T13:32:00Z is not after 2013-10-07T13:33:00Z",
    );
  });

  it("rebuilds from a one-minute series after a gap fill inserted bars in the middle", () => {
    const minutes = new BarSeries("SPY", "1m");
    for (const m of [0, 1, 2, 6, 7, 8, 9, 10])
      minutes.push(at(mon, m), 100 + m, 101 + m, 99 + m, 100 + m, 10);
    const b = new DerivedBarBuilder("SPY", "5m", cal);
    b.rebuild(minutes, at(mon, 11));
    expect(b.series.toBars().map((x) => x.count)).toEqual([3, 4]);
    minutes.insert(at(mon, 3), 50, 120, 40, 60, 5, BarFlag.Filled);
    b.rebuild(minutes, at(mon, 11));
    expect(b.series.toBars().map((x) => [x.count, x.flags, x.low])).toEqual([
      [4, BarFlag.Filled, 40],
      [4, 0, 105],
    ]);
    expect(b.partial()).toMatchObject({ time: at(mon, 10), count: 1, flags: BarFlag.Partial });
    expect(b.series.toBars()).toEqual(deriveBars(minutes, "5m", cal, { upTo: at(mon, 10) }).toBars());
  });

  it("forgets everything on reset", () => {
    const b = new DerivedBarBuilder("SPY", "5m", cal);
    for (let m = 0; m < 7; m++) addMinute(b, mon, m);
    b.reset();
    expect(b.series.length).toBe(0);
    expect(b.partial()).toBeUndefined();
    expect(b.formingEnd).toBe(Number.POSITIVE_INFINITY);
    expect(addMinute(b, mon, 0)).toBe(0);
  });
});
