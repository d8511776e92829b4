import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { generateBars } from "../ingest/index.js";
import { allocBarColumns } from "../model/bar.js";
import { concatBarColumns } from "../model/columns.js";
import { partsOf, ROW_GROUP_ROWS } from "./duckdb-batch-scan.js";
import { openRepository } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "tw-batch-scan-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("partsOf", () => {
  it("gives fewer rows than two row groups one part", () => {
    expect(partsOf(0, 2)).toEqual([{ at: 0, end: 0 }]);
    expect(partsOf(100, 2)).toEqual([{ at: 0, end: 100 }]);
    expect(partsOf(2 * ROW_GROUP_ROWS - 1, 2)).toEqual([{ at: 0, end: 245_759 }]);
  });

  it("cuts a batch into one part a thread, each at least a row group", () => {
    expect(partsOf(2 * ROW_GROUP_ROWS, 2)).toEqual([
      { at: 0, end: 122_880 },
      { at: 122_880, end: 245_760 },
    ]);
    expect(partsOf(1_000_000, 2)).toEqual([
      { at: 0, end: 500_000 },
      { at: 500_000, end: 1_000_000 },
    ]);
    // floor(1,000,000 / 122,880) = 8 parts at most, whatever the threads
    expect(partsOf(1_000_000, 16).length).toBe(8);
    expect(partsOf(1_000_000, 16).every((p) => p.end - p.at >= ROW_GROUP_ROWS)).toBe(true);
  });

  it("parts cover the rows in order, each a row group or more when there are several (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3_000_000 }),
        fc.integer({ min: 1, max: 64 }),
        (rows, threads) => {
          const parts = partsOf(rows, threads);
          expect(parts.length).toBeGreaterThanOrEqual(1);
          expect(parts.length).toBeLessThanOrEqual(threads);
          let at = 0;
          for (const p of parts) {
            expect(p.at).toBe(at);
            expect(p.end).toBeGreaterThanOrEqual(p.at);
            if (parts.length > 1) expect(p.end - p.at).toBeGreaterThanOrEqual(ROW_GROUP_ROWS);
            at = p.end;
          }
          expect(at).toBe(rows);
        },
      ),
    );
  });
});

describe("a batch inserted by several threads", () => {
  it("stores every row of a batch of several row groups exactly once, with its values", async () => {
    // 400 symbols x 2 sessions x 390 minutes = 312,000 rows: two parts of 156,000 on two threads
    const sessions = generateBars({ symbols: 400, days: 2, seed: 3 });
    const bars = concatBarColumns(sessions.map((s) => s.bars));
    expect(bars.length).toBe(312_000);
    const repo = await openRepository(join(dir, "parts.duckdb"));
    try {
      expect(await repo.writeBars("1m", bars)).toBe(312_000);
      const back = await repo.readBars({ symbols: [], interval: "1m", from: 0, to: 8e15 });
      expect(back.length).toBe(312_000);
      // generated bars come in (time, symbol) order, as reads return them
      expect(back.symbol).toEqual(bars.symbol);
      expect(Array.from(back.time)).toEqual(Array.from(bars.time));
      expect(Array.from(back.close)).toEqual(Array.from(bars.close));
      expect(Array.from(back.volume)).toEqual(Array.from(bars.volume));
    } finally {
      await repo.close();
    }
  });

  it("stores trades and vwap where a batch has them and NULL (read as NaN) where a column has none", async () => {
    const repo = await openRepository(join(dir, "optional.duckdb"));
    try {
      // four batches of four minutes, one per combination of trades/vwap present
      for (const [k, [trades, vwap]] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ].entries()) {
        const bars = allocBarColumns(4);
        for (let i = 0; i < 4; i++) {
          bars.symbol[i] = "SPY";
          bars.time[i] = Date.parse("2024-03-08T14:30:00Z") + (k * 4 + i) * 60_000;
          bars.open[i] = bars.high[i] = bars.low[i] = bars.close[i] = 10 + i;
          bars.volume[i] = 100 + i;
          // a column "present" in a batch still has a gap in it
          bars.trades[i] = trades && i !== 1 ? 5 + i : Number.NaN;
          bars.vwap[i] = vwap && i !== 2 ? 10.25 + i : Number.NaN;
        }
        bars.length = 4;
        expect(await repo.writeBars("1m", bars)).toBe(4);
      }
      const back = await repo.readBars({ symbols: ["SPY"], interval: "1m", from: 0, to: 8e15 });
      expect(back.length).toBe(16);
      const n = (x: number) => (Number.isNaN(x) ? null : x);
      expect(Array.from(back.trades, n)).toEqual([
        ...[null, null, null, null],
        ...[5, null, 7, 8],
        ...[null, null, null, null],
        ...[5, null, 7, 8],
      ]);
      expect(Array.from(back.vwap, n)).toEqual([
        ...[null, null, null, null],
        ...[null, null, null, null],
        ...[10.25, 11.25, null, 13.25],
        ...[10.25, 11.25, null, 13.25],
      ]);
      expect(Array.from(back.volume)).toEqual(Array.from({ length: 16 }, (_, i) => 100 + (i % 4)));
    } finally {
      await repo.close();
    }
  });
});
