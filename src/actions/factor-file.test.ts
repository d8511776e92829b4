import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/registry.js";
import { Rejects } from "../ingest/rejects.js";
import { hasSharedData, LEAN_ROOT, skipWithout } from "../testing/deps.js";
import { factorFileActions, factorRowOn, parseFactorFile } from "./factor-file.js";
import { FactorTimeline } from "./factors.js";

const XNYS = getCalendar("XNYS");
const FACTOR_FILES = join(LEAN_ROOT, "equity/usa/factor_files");
const NY = "America/New_York";

describe("bad factor file rows", () => {
  it("are rejected with the line and the reason, the rest of the file kept", () => {
    const text = [
      "19980102,0.8613657,0.00892857,1",
      "20000620,0.8613657,0.00892857,101",
      "2005022x,0.8613657,0.0178571,88.97",
      "20050225,abc,0.0178571,88.97",
      "20050225,0.8613657,0,88.97",
      "20050225,-0.5,0.0178571,88.97",
      "",
      "20000101,0.8613657,0.0178571,88.97",
      "20050225,0.8613657,0.0178571",
      "20120808",
      "20501231,1,1,0",
    ].join("\n");
    const rejects = new Rejects();
    const rows = parseFactorFile(text, "aapl.csv", rejects);
    expect(rows.map((r) => r.date)).toEqual(["1998-01-02", "2000-06-20", "2005-02-25", "2050-12-31"]);
    expect(rows[2]).toEqual({
      date: "2005-02-25",
      priceFactor: 0.8613657,
      splitFactor: 0.0178571,
      referencePrice: Number.NaN,
    });
    expect(rejects.list.map((r) => `${r.file}:${r.line}: ${r.reason}`)).toEqual([
      "aapl.csv:3: date is not YYYYMMDD",
      "aapl.csv:4: price factor is not a number",
      "aapl.csv:5: split factor is not positive",
      "aapl.csv:6: price factor is not positive",
      "aapl.csv:8: date is not after the row before",
      "aapl.csv:10: expected 4 fields (date,price factor,split factor,reference price)",
    ]);
    expect(rejects.list[1].raw).toBe("20050225,abc,0.0178571,88.97");
  });
});

describe.skipIf(skipWithout("../shared/data", hasSharedData()))("LEAN factor files", () => {
  const read = (name: string) => {
    const rejects = new Rejects();
    const rows = parseFactorFile(readFileSync(join(FACTOR_FILES, name), "utf8"), name, rejects);
    expect(rejects.list).toEqual([]);
    return rows;
  };

  it("finds AAPL's 2:1 splits of 2000 and 2005, its 7:1 of 2014 and its 4:1 of 2020 at their ex-dates", () => {
    const actions = factorFileActions("AAPL", read("aapl.csv"), XNYS);
    const splits = actions.filter((a) => a.kind === "split");
    expect(splits.map((a) => [a.date, Number(a.value.toFixed(4))])).toEqual([
      ["2000-06-21", 2],
      ["2005-02-28", 2],
      ["2014-06-09", 7],
      ["2020-08-31", 4],
    ]);
    expect(splits[2].factor).toBeCloseTo(0.0357143 / 0.25, 15);
    const dividends = actions.filter((a) => a.kind === "dividend");
    expect(dividends).toHaveLength(35);
    const may2014 = dividends.find((a) => a.date === "2014-05-08")!;
    expect(may2014.reference).toBe(592.33);
    expect(Math.round(may2014.value * 100) / 100).toBe(3.29);
    expect(dividends[dividends.length - 1].date).toBe("2021-02-05");
    expect(Math.round(dividends[dividends.length - 1].value * 1000) / 1000).toBe(0.205);
  });

  it("gives AAPL's cumulative factors per date as the file states them", () => {
    const rows = read("aapl.csv");
    const actions = factorFileActions("AAPL", rows, XNYS);
    const split = FactorTimeline.of(actions, { mode: "split" }, NY);
    const adjusted = FactorTimeline.of(actions, { mode: "adjusted" }, NY);
    const cases: [string, number, number][] = [
      ["1998-01-02", 0.00892857, 0.8613657],
      ["2000-06-20", 0.00892857, 0.8613657],
      ["2000-06-21", 0.0178571, 0.8613657],
      ["2014-06-06", 0.0357143, 0.9011818],
      ["2014-06-09", 0.25, 0.9011818],
      ["2014-08-07", 0.25, 0.9056639],
      ["2020-08-28", 0.25, 0.9967882],
      ["2020-08-31", 1, 0.9967882],
      ["2021-02-04", 1, 0.9985079],
      ["2021-02-05", 1, 1],
      ["2024-01-02", 1, 1],
    ];
    for (const [date, sf, pf] of cases) {
      expect(split.splitFactorOn(date) / sf, date).toBeCloseTo(1, 12);
      expect(split.priceFactorOn(date) / sf, date).toBeCloseTo(1, 12);
      expect(adjusted.priceFactorOn(date) / (pf * sf), date).toBeCloseTo(1, 12);
      expect(adjusted.splitFactorOn(date) / sf, date).toBeCloseTo(1, 12);
    }
  });

  it("reproduces every file's cumulative factors on every session date (brute force over each file's rows)", () => {
    const files = readdirSync(FACTOR_FILES).filter((f) => f.endsWith(".csv"));
    expect(files.length).toBeGreaterThanOrEqual(20);
    const sessions = XNYS.sessions("1998-01-02", "2022-12-30");
    for (const name of files) {
      const rows = read(name);
      const timeline = FactorTimeline.of(factorFileActions(name, rows, XNYS), { mode: "adjusted" }, NY);
      for (const { date } of sessions) {
        const row = factorRowOn(rows, date) ?? { priceFactor: 1, splitFactor: 1 };
        const expected = row.priceFactor * row.splitFactor;
        const got = timeline.priceFactorOn(date);
        if (Math.abs(got / expected - 1) > 1e-12) expect.fail(`${name} ${date}: ${got} != ${expected}`);
      }
    }
  });

  it("adjusts as of a date: only actions with an ex-date on or before it", () => {
    const actions = factorFileActions("AAPL", read("aapl.csv"), XNYS);
    const asOf = FactorTimeline.of(actions, { mode: "split", asOf: "2014-06-09" }, NY);
    expect(asOf.priceFactorOn("2014-06-06")).toBeCloseTo(0.0357143 / 0.25, 12);
    expect(asOf.priceFactorOn("2014-06-09")).toBe(1);
    expect(asOf.priceFactorOn("2020-08-28")).toBe(1);
    const before = FactorTimeline.of(actions, { mode: "split", asOf: "2014-06-06" }, NY);
    expect(before.priceFactorOn("2014-06-06")).toBe(1);
    expect(before.priceFactorOn("2005-02-25")).toBeCloseTo(0.0178571 / 0.0357143, 12);
    expect(before.priceFactorOn("2000-06-20")).toBeCloseTo(0.00892857 / 0.0357143, 12);
  });
});
