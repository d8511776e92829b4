import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import type { BarColumns } from "../model/bar.js";
import { parseInterval } from "../model/interval.js";
import { BarBatcher, DuplicateIndex, REASON, SeenTimes } from "./batcher.js";
import { TIME_REASON, TimeRule } from "./time-rule.js";

const BASE = Date.UTC(2024, 0, 2);
/** Minute `k` of 2024-01-02 UTC. */
const minute = (k: number) => BASE + k * 60_000;
const rule = () => new TimeRule(getCalendar("24/7"), parseInterval("1m"));

function collect(batchRows: number, firstBatchRows?: number) {
  const batches: { symbols: string[]; times: number[] }[] = [];
  const batcher = new BarBatcher(
    rule(),
    batchRows,
    async (_interval, bars: BarColumns) => {
      batches.push({
        symbols: bars.symbol.slice(0, bars.length),
        times: [...bars.time.subarray(0, bars.length)].map((t) => (t - BASE) / 60_000),
      });
      return bars.length;
    },
    new DuplicateIndex(),
    { firstBatchRows },
  );
  return { batches, batcher };
}

describe("BarBatcher", () => {
  it("never splits one minute across batches, and writes every row once", async () => {
    const { batches, batcher } = collect(4);
    for (const t of [1, 2, 3])
      for (const s of ["A", "B", "C"])
        expect(batcher.add(s, minute(t), 1, 1, 1, 1, 1, Number.NaN, Number.NaN)).toBeNull();
    await batcher.finish();
    expect(batches.map((b) => b.times)).toEqual([
      [1, 1, 1],
      [2, 2, 2],
      [3, 3, 3],
    ]);
    expect(batcher.stored).toBe(9);
  });

  it("hands the first batch over at firstBatchRows, the others at batchRows, minutes whole", async () => {
    const { batches, batcher } = collect(6, 2);
    for (let t = 1; t <= 6; t++)
      for (const s of ["A", "B"]) batcher.add(s, minute(t), 1, 1, 1, 1, 1, Number.NaN, Number.NaN);
    await batcher.finish();
    expect(batches.map((b) => b.times)).toEqual([
      [1, 1],
      [2, 2, 3, 3],
      [4, 4, 5, 5],
      [6, 6],
    ]);
    expect(batcher.stored).toBe(12);
  });

  it("writes a full batch of a single minute whole", async () => {
    const { batches, batcher } = collect(2);
    for (const s of ["A", "B", "C"]) batcher.add(s, minute(5), 1, 1, 1, 1, 1, Number.NaN, Number.NaN);
    await batcher.finish();
    expect(batches.map((b) => b.symbols)).toEqual([["A", "B"], ["C"]]);
  });

  it("refuses rows by reason, checking the duplicate last", () => {
    const { batcher } = collect(10);
    const t = minute(1);
    expect(batcher.add("A", Number.NaN, 1, 1, 1, 1, 1, Number.NaN, Number.NaN)).toBe(TIME_REASON.unparseable);
    expect(batcher.add("A", t + 0.5, 1, 1, 1, 1, 1, Number.NaN, Number.NaN)).toBe(
      "time not on a 1m boundary",
    );
    expect(batcher.add("A", Date.UTC(2100, 0, 1), 1, 1, 1, 1, 1, Number.NaN, Number.NaN)).toBe(
      TIME_REASON.range,
    );
    expect(batcher.add("", t, 1, 1, 1, 1, 1, Number.NaN, Number.NaN)).toBe(REASON.symbol);
    expect(batcher.add("A B", t, 1, 1, 1, 1, 1, Number.NaN, Number.NaN)).toBe(REASON.badSymbol);
    expect(batcher.add("A", t, 1, 0.5, 1, 1, 1, Number.NaN, Number.NaN)).toBe("high below low");
    expect(batcher.add("A", t, 1, 1, 1, 1, 1, Number.NaN, Number.NaN)).toBeNull();
    expect(batcher.add("A", t, 1, 1, 1, 1, 1, Number.NaN, Number.NaN)).toBe(REASON.duplicate);
  });

  it("starts each write only when the one before it has finished, in input order", async () => {
    const order: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const batcher = new BarBatcher(rule(), 1, async (_i, bars) => {
      const t = (bars.time[0] - BASE) / 60_000;
      order.push(`start ${t}`);
      if (t === 0) await gate;
      order.push(`end ${t}`);
      return bars.length;
    });
    for (const k of [0, 1, 2]) batcher.add("A", minute(k), 1, 1, 1, 1, 1, Number.NaN, Number.NaN);
    await Promise.resolve();
    release();
    await batcher.finish();
    expect(order).toEqual(["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]);
  });

  it("surfaces a failed write when drained", async () => {
    const batcher = new BarBatcher(rule(), 1, async () => {
      throw new Error("disk full");
    });
    batcher.add("A", minute(1), 1, 1, 1, 1, 1, Number.NaN, Number.NaN);
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

describe("SeenTimes", () => {
  it("answers as a Set of every time would, for any order of times (property)", () => {
    // stretches of evenly spaced times with gaps, repeats, times out of order and fractions
    const step = fc.constantFrom(60_000, 60_000, 60_000, 300_000, 1, 0.5);
    const piece = fc.oneof(
      fc.record({ kind: fc.constant("run" as const), step, count: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ kind: fc.constant("jump" as const), by: fc.integer({ min: -50, max: 50 }) }),
      fc.record({ kind: fc.constant("back" as const), to: fc.nat({ max: 200 }) }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const seen = new SeenTimes();
        const reference = new Set<number>();
        const times: number[] = [];
        let t = BASE;
        for (const p of pieces) {
          if (p.kind === "run") {
            for (let i = 0; i < p.count; i++) times.push((t += p.step));
          } else if (p.kind === "jump") times.push((t += p.by * 60_000));
          else times.push(BASE + p.to * 60_000);
        }
        for (const x of times) {
          expect(seen.seen(x)).toBe(reference.has(x));
          reference.add(x);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("keeps one run a stretch of minutes, however many rows an ordered input has", () => {
    const seen = new SeenTimes();
    // 20 sessions of 390 minutes, one minute missing in each
    for (let d = 0; d < 20; d++) {
      for (let k = 0; k < 390; k++) if (k !== 100) expect(seen.seen(minute(d * 1440 + k))).toBe(false);
    }
    expect(seen.runCount).toBe(40);
    expect(seen.seen(minute(5 * 1440 + 200))).toBe(true);
    expect(seen.seen(minute(5 * 1440 + 100))).toBe(false);
    expect(seen.seen(minute(5 * 1440 + 100))).toBe(true);
    expect(seen.runCount).toBe(40);
  });
});
