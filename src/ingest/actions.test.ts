import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { barsToColumns } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { hasSharedData, LEAN_ROOT, skipWithout } from "../testing/deps.js";
import { leanActionFiles } from "./actions.js";
import { ingest } from "./ingest.js";
import { classifyLeanPath, type LeanFile } from "./lean.js";

const USA = join(LEAN_ROOT, "equity/usa");

let dir: string;
let repo: Repository;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "tw-actions-"));
  repo = await openRepository(":memory:");
});
afterEach(async () => {
  await repo.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("ingest --format actions", () => {
  it("stores splits, renames and dividends (factor from the stored close before the ex-date), rejecting bad rows by line", async () => {
    // A close of 50 on Friday 2024-03-08, the session before the dividend's ex-date.
    const friday = Date.UTC(2024, 2, 8, 14, 30);
    await repo.writeBars(
      "1d",
      barsToColumns([{ symbol: "ABC", time: friday, open: 49, high: 51, low: 48, close: 50, volume: 1000 }]),
    );
    const file = join(dir, "actions.csv");
    writeFileSync(
      file,
      [
        "symbol,date,kind,value",
        "ABC,2024-06-03,split,2",
        "XYZ,20230102,rename,ABC",
        "ABC,2024-03-11,dividend,0.5",
        "ABC,2025-03-12,dividend,0.25",
        "ABC,2024-13-01,split,2",
        "ABC,2024-06-04,merger,1",
        "ABC,2024-06-05,split,-3",
        "ABC,2024-06-03,split,3",
        "ABC,2024-03-13,dividend,60",
        "ABC,2024-06-07",
      ].join("\n"),
    );
    const s = await ingest([file], { format: "actions", repository: repo });
    expect(s.rowsRead).toBe(11);
    expect([s.rowsStored, s.actions]).toEqual([3, 3]);
    // Rows that do not parse first, then dividends without a usable close.
    expect(s.rejects.map((r) => `${r.line}: ${r.reason}`)).toEqual([
      "6: date is not YYYY-MM-DD",
      "7: kind is not split, dividend or rename",
      "8: split value is not positive",
      "9: repeats an action (symbol, date, kind) of the file",
      "11: expected 4 fields (symbol,date,kind,value)",
      "5: no close before the ex-date in the store (ingest prices first)",
      "10: dividend is not below the close before the ex-date",
    ]);
    expect(s.rejects[0].file).toBe(file);
    expect(await repo.readActions({ symbols: [] })).toEqual([
      {
        symbol: "ABC",
        date: "2023-01-02",
        kind: "rename",
        value: Number.NaN,
        factor: 1,
        reference: Number.NaN,
        previous: "XYZ",
      },
      { symbol: "ABC", date: "2024-03-11", kind: "dividend", value: 0.5, factor: 0.99, reference: 50 },
      { symbol: "ABC", date: "2024-06-03", kind: "split", value: 2, factor: 0.5, reference: Number.NaN },
    ]);
  });
});

describe.skipIf(skipWithout("../shared/data", hasSharedData()))(
  "ingest --format lean: factor and map files",
  () => {
    const classified = (path: string) => classifyLeanPath(path) as LeanFile;

    it("picks the ingested symbols' files beside the price data, or every file of a market folder given whole", async () => {
      const spyMinute = classified(join(USA, "minute/spy/20131007_trade.zip"));
      const spyDaily = classified(join(USA, "daily/spy.zip"));
      expect(await leanActionFiles([join(USA, "minute/spy")], [spyMinute])).toEqual([
        { path: join(USA, "factor_files/spy.csv"), kind: "factor", symbol: "SPY" },
        { path: join(USA, "map_files/spy.csv"), kind: "map", symbol: "SPY" },
      ]);
      const all = await leanActionFiles([USA], [spyMinute, spyDaily]);
      expect(all.filter((f) => f.kind === "factor").map((f) => f.symbol)).toEqual([
        "AAPL",
        "AIG",
        "BAC",
        "BNO",
        "EEM",
        "FB",
        "GBSN",
        "GOOG",
        "GOOGL",
        "IBM",
        "IWM",
        "NWSA",
        "QQQ",
        "SPY",
        "TAP.A",
        "TFCFA",
        "TWX",
        "USO",
        "WM",
      ]);
      expect(all.filter((f) => f.kind === "map")).toHaveLength(22);
    });

    it("stores SPY's dividends from its factor file with the daily bars", async () => {
      const s = await ingest([join(USA, "daily/spy.zip")], { format: "lean", repository: repo });
      const actions = await repo.readActions({ symbols: [] });
      expect(actions.every((a) => a.symbol === "SPY" && a.kind === "dividend")).toBe(true);
      expect(actions).toHaveLength(s.actions);
      expect(s.actions).toBeGreaterThan(90);
      const sep2013 = actions.find((a) => a.date === "2013-09-20")!;
      expect(sep2013.reference).toBe(172.81);
      expect(Math.round(sep2013.value * 100) / 100).toBe(0.84);
    });

    it("rejects bad factor file rows with FILE:LINE and the reason, keeping the rest", async () => {
      const usa = join(dir, "equity/usa");
      mkdirSync(join(usa, "daily"), { recursive: true });
      mkdirSync(join(usa, "factor_files"));
      copyFileSync(join(USA, "daily/spy.zip"), join(usa, "daily/spy.zip"));
      const factors = join(usa, "factor_files/spy.csv");
      writeFileSync(
        factors,
        "20130919,0.90,1,170.72\n2013092x,0.95,1,1\n20131219,0,1,180\n20130101,0.95,1,1\n20501231,1,1,0\n",
      );
      const s = await ingest([usa], { format: "lean", repository: repo });
      const mine = s.rejects.filter((r) => r.file === factors).map((r) => `${r.file}:${r.line}: ${r.reason}`);
      expect(mine).toEqual([
        `${factors}:2: date is not YYYYMMDD`,
        `${factors}:3: price factor is not positive`,
        `${factors}:4: date is not after the row before`,
      ]);
      expect(await repo.readActions({ symbols: ["SPY"] })).toEqual([
        {
          symbol: "SPY",
          date: "2013-09-20",
          kind: "dividend",
          value: 170.72 * (1 - 0.9),
          factor: 0.9,
          reference: 170.72,
        },
      ]);
    });
  },
);
