import { describe, expect, it } from "vitest";
import type { BarColumns } from "../model/bar.js";
import { BarBatcher, DuplicateIndex, REASON } from "./batcher.js";

function collect(batchRows: number) {
  const batches: { symbols: string[]; times: number[] }[] = [];
  const batcher = new BarBatcher("1m", batchRows, async (_interval, bars: BarColumns) => {
    batches.push({
      symbols: bars.symbol.slice(0, bars.length),
      times: [...bars.time.subarray(0, bars.length)],
    });
    return bars.length;
  });
  return { batches, batcher };
}

describe("BarBatcher", () => {
  it("never splits one minute across batches, and writes every row once", async () => {
    const { batches, batcher } = collect(4);
    for (const t of [1, 2, 3])
      for (const s of ["A", "B", "C"])
        expect(batcher.add(s, t, 1, 1, 1, 1, 1, Number.NaN, Number.NaN)).toBeNull();
    await batcher.finish();
    expect(batches.map((b) => b.times)).toEqual([
      [1, 1, 1],
      [2, 2, 2],
      [3, 3, 3],
    ]);
    expect(batcher.stored).toBe(9);
  });

  it("writes a full batch of a single minute whole", async () => {
    const { batches, batcher } = collect(2);
    for (const s of ["A", "B", "C"]) batcher.add(s, 5, 1, 1, 1, 1, 1, Number.NaN, Number.NaN);
    await batcher.finish();
    expect(batches.map((b) => b.symbols)).toEqual([["A", "B"], ["C"]]);
  });

  it("refuses rows by reason, checking the duplicate last", () => {
    const { batcher } = collect(10);
    expect(batcher.add("A", Number.NaN, 1, 1, 1, 1, 1, Number.NaN, Number.NaN)).toBe(REASON.time);
    expect(batcher.add("", 1, 1, 1, 1, 1, 1, Number.NaN, Number.NaN)).toBe(REASON.symbol);
    expect(batcher.add("A", 1, 1, 0.5, 1, 1, 1, Number.NaN, Number.NaN)).toBe("high below low");
    expect(batcher.add("A", 1, 1, 1, 1, 1, 1, Number.NaN, Number.NaN)).toBeNull();
    expect(batcher.add("A", 1, 1, 1, 1, 1, 1, Number.NaN, Number.NaN)).toBe(REASON.duplicate);
  });

  it("surfaces a failed write when drained", async () => {
    const batcher = new BarBatcher("1m", 1, async () => {
      throw new Error("disk full");
    });
    batcher.add("A", 1, 1, 1, 1, 1, 1, Number.NaN, Number.NaN);
    await expect(batcher.finish()).rejects.toThrow("disk full");
  });
});

describe("DuplicateIndex", () => {
  it("finds repeats in and out of time order, per symbol (against a Set reference)", () => {
    const index = new DuplicateIndex();
    const reference = new Set<string>();
    let seed = 17;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const symbol = `S${seed % 3}`;
      const time = i < 2500 ? i * 3 + (seed % 3) : seed % 4000;
      const key = `${symbol}:${time}`;
      expect(index.seen(symbol, time)).toBe(reference.has(key));
      reference.add(key);
    }
  });
});
