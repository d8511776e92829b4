import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { generateBars } from "../ingest/index.js";
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
});
