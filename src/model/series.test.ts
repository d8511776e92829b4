import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BarSeries } from "./series.js";

type Op = { kind: "insert"; t: number } | { kind: "drop"; n: number };

describe("BarSeries", () => {
  it("keeps bars in time order through inserts, growth and drops, like a sorted array", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant("insert" as const), t: fc.integer({ min: 0, max: 500 }) }),
            fc.record({ kind: fc.constant("drop" as const), n: fc.integer({ min: 0, max: 5 }) }),
          ),
          { maxLength: 300 },
        ),
        (ops: Op[]) => {
          const series = new BarSeries("X", "1m", 1);
          let model: number[] = [];
          for (const op of ops) {
            if (op.kind === "insert") {
              const fresh = !model.includes(op.t);
              expect(series.insert(op.t, op.t + 1, op.t + 2, op.t, op.t + 1, op.t * 10, 1, 3, 5)).toBe(fresh);
              if (fresh) model = [...model, op.t].sort((a, b) => a - b);
            } else {
              series.dropFirst(op.n);
              model = model.slice(op.n);
            }
          }
          expect(Array.from(series.time.subarray(0, series.length))).toEqual(model);
          for (let i = 0; i < series.length; i++) {
            const t = model[i];
            expect(series.at(i)).toMatchObject({
              time: t,
              open: t + 1,
              high: t + 2,
              low: t,
              volume: t * 10,
              count: 3,
              expected: 5,
            });
          }
          for (const probe of [-1, 0, 250, 501]) {
            expect(series.lowerBound(probe)).toBe(model.filter((t) => t < probe).length);
            expect(series.upperBound(probe)).toBe(model.filter((t) => t <= probe).length);
          }
          const compact = series.compact();
          expect(compact.toBars()).toEqual(series.toBars());
          expect(compact.capacity).toBe(Math.max(1, series.length));
        },
      ),
    );
  });

  it("holds all columns in one buffer of 53 bytes per row", () => {
    const s = new BarSeries("X", "5m", 100);
    expect(s.byteSize()).toBe(5300);
    for (let i = 0; i < 101; i++) s.push(i, 1, 1, 1, 1, 1);
    expect(s.byteSize()).toBe(10_600);
    expect(s.time.buffer).toBe(s.flags.buffer);
  });

  it("pushPacked appends row-major rows as push does, a column at a time, through growth", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 8 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 20 }),
        (chunks, capacity) => {
          const packed = new BarSeries("X", "1m", capacity);
          const pushed = new BarSeries("X", "1m", capacity);
          const rows = new Float64Array(3 + 8 * 8);
          let t = 0;
          for (const n of chunks) {
            for (let r = 0; r < n; r++) {
              t++;
              const row = [t * 60_000, t + 0.5, t + 2, t - 1, t + 1, t * 10, t % 4];
              rows.set(row, 3 + r * 8);
              pushed.push(row[0], row[1], row[2], row[3], row[4], row[5], row[6]);
            }
            packed.pushPacked(rows, 3, n);
          }
          expect(packed.length).toBe(pushed.length);
          expect(packed.toBars()).toEqual(pushed.toBars());
        },
      ),
    );
  });
});
