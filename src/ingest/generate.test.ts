import { describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/registry.js";
import { barProblem, columnsToBars } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import { generateBars, mulberry32, sessionsFrom, syntheticSymbols } from "./generate.js";

describe("generateBars", () => {
  it("makes 390 bars per symbol per regular XNYS session, ordered by (time, symbol)", () => {
    const out = generateBars({ symbols: 3, days: 2, seed: 7 });
    expect(out.map((s) => s.session.date)).toEqual(["2024-01-02", "2024-01-03"]);
    for (const { session, bars } of out) {
      expect(bars.length).toBe(3 * 390);
      expect(bars.time[0]).toBe(session.open);
      expect(bars.time[bars.length - 1]).toBe(session.close - 60_000);
      expect(bars.symbol.slice(0, 4)).toEqual(["SYM001", "SYM002", "SYM003", "SYM001"]);
      for (let i = 1; i < bars.length; i++) {
        expect(
          bars.time[i] > bars.time[i - 1] ||
            (bars.time[i] === bars.time[i - 1] && bars.symbol[i] > bars.symbol[i - 1]),
        ).toBe(true);
      }
    }
  });

  it("fills exactly any calendar's expected minutes: none in XTKS's lunch, CMES across midnight", () => {
    for (const name of ["XTKS", "CMES", "XLON"]) {
      const calendar = getCalendar(name);
      const out = generateBars({ symbols: 2, days: 3, calendar, start: "2024-03-08" });
      for (const { session, bars } of out) {
        const want = [...calendar.expectedMinutes(session)].flatMap((t) => [t, t]);
        expect([...bars.time.subarray(0, bars.length)]).toEqual(want);
      }
    }
    const tokyo = generateBars({
      symbols: 1,
      days: 1,
      calendar: getCalendar("XTKS"),
      start: "2024-03-08",
    })[0];
    const inBreak = [...tokyo.bars.time.subarray(0, tokyo.bars.length)].filter(
      (t) => t >= tokyo.session.breakStart! && t < tokyo.session.breakEnd!,
    );
    expect([tokyo.bars.length, inBreak.length]).toEqual([300, 0]);
    const cme = generateBars({ symbols: 1, days: 1, calendar: getCalendar("CMES"), start: "2024-03-08" })[0];
    expect([cme.bars.length, new Date(cme.bars.time[0]).toISOString()]).toEqual([
      1440,
      "2024-03-07T23:00:00.000Z",
    ]);
  });

  it("gives valid OHLC in cents, each bar opening at the previous close", () => {
    const [{ bars }] = generateBars({ symbols: 2, days: 1, seed: 3 });
    const b = columnsToBars(bars);
    for (const bar of b) {
      expect(barProblem(bar.open, bar.high, bar.low, bar.close, bar.volume)).toBeNull();
      for (const p of [bar.open, bar.high, bar.low, bar.close]) expect(Math.round(p * 100) / 100).toBe(p);
      expect(Number.isInteger(bar.volume)).toBe(true);
    }
    const sym1 = b.filter((x) => x.symbol === "SYM001");
    for (let i = 1; i < sym1.length; i++) expect(sym1[i].open).toBe(sym1[i - 1].close);
  });

  it("is deterministic for a seed and differs between seeds", () => {
    const a = generateBars({ symbols: 2, days: 1, seed: 42 })[0].bars;
    const b = generateBars({ symbols: 2, days: 1, seed: 42 })[0].bars;
    const c = generateBars({ symbols: 2, days: 1, seed: 43 })[0].bars;
    expect(columnsToBars(a)).toEqual(columnsToBars(b));
    expect(columnsToBars(a)).not.toEqual(columnsToBars(c));
  });

  it("keeps a symbol's bars the same when more symbols are asked for", () => {
    const two = columnsToBars(generateBars({ symbols: 2, days: 1, seed: 5 })[0].bars).filter(
      (x) => x.symbol === "SYM001",
    );
    const five = columnsToBars(generateBars({ symbols: 5, days: 1, seed: 5 })[0].bars).filter(
      (x) => x.symbol === "SYM001",
    );
    expect(five).toEqual(two);
  });

  it("has a U-shaped volume: the first and last half hours trade more than midday", () => {
    const { bars } = generateBars({ symbols: 20, days: 1, seed: 1 })[0];
    const byMinute = new Float64Array(390);
    for (let i = 0; i < bars.length; i++) byMinute[Math.floor(i / 20)] += bars.volume[i];
    const sum = (a: number, b: number) => byMinute.subarray(a, b).reduce((x, y) => x + y, 0);
    expect(sum(0, 30)).toBeGreaterThan(2 * sum(180, 210));
    expect(sum(360, 390)).toBeGreaterThan(2 * sum(180, 210));
  });

  it("drops about the missing rate of minutes, and extended adds 04:00-09:30 and 16:00-20:00", () => {
    const holes = generateBars({ symbols: 10, days: 5, seed: 2, missingRate: 0.1 });
    const total = holes.reduce((a, s) => a + s.bars.length, 0);
    expect(total / (10 * 5 * 390)).toBeGreaterThan(0.88);
    expect(total / (10 * 5 * 390)).toBeLessThan(0.92);
    const [ext] = generateBars({ symbols: 1, days: 1, seed: 2, extended: true, start: "2013-10-07" });
    expect(ext.bars.length).toBe(960);
    expect(ext.bars.time[0]).toBe(Date.UTC(2013, 9, 7, 8));
  });

  it("skips holidays and respects early closes", () => {
    const out = generateBars({ symbols: 1, days: 3, seed: 1, start: "2024-11-27" });
    expect(out.map((s) => [s.session.date, s.bars.length])).toEqual([
      ["2024-11-27", 390],
      ["2024-11-29", 210],
      ["2024-12-02", 390],
    ]);
  });

  it("refuses bad parameters by name", () => {
    expect(() => generateBars({ symbols: 1, days: 0 })).toThrow(/bad number of days 0/);
    expect(() => generateBars({ symbols: 1, days: 1, missingRate: 1 })).toThrow(/bad missing rate 1/);
    expect(() => generateBars({ symbols: 0, days: 1 })).toThrow(/at least one symbol/);
    expect(() => generateBars({ symbols: 1, days: 1, start: "2024-02-30" })).toThrow(
      /bad start "2024-02-30"/,
    );
  });

  it("stores and reads back exactly", async () => {
    const repo = await openRepository(":memory:");
    const [{ bars }] = generateBars({ symbols: 4, days: 1, seed: 9 });
    await repo.writeBars("1m", bars);
    const back = await repo.readBars({ symbols: [], interval: "1m", from: 0, to: 8e15 });
    expect(columnsToBars(back)).toEqual(columnsToBars(bars));
    await repo.close();
  });
});

describe("helpers", () => {
  it("mulberry32 is deterministic and in [0, 1)", () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x >= 0 && x < 1).toBe(true);
    }
  });

  it("names symbols SYM001.. and widens past 999", () => {
    expect(syntheticSymbols(2)).toEqual(["SYM001", "SYM002"]);
    expect(syntheticSymbols(1000)[999]).toBe("SYM1000");
  });

  it("finds the first sessions on or after a date", () => {
    expect(sessionsFrom(getCalendar("XNYS"), "2024-12-24", 3).map((s) => s.date)).toEqual([
      "2024-12-24",
      "2024-12-26",
      "2024-12-27",
    ]);
  });
});
