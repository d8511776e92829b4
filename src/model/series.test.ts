import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BarSeries, letGoOf, placeBySymbol } from "./series.js";

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

  it("series sharing a buffer each keep their own rows, through growth, as series of their own do", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ capacity: fc.integer({ min: 0, max: 9 }), rows: fc.integer({ min: 0, max: 20 }) }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        (specs) => {
          const shared = BarSeries.sharingBuffer(
            specs.map((_, i) => `S${i}`),
            "1m",
            specs.map((x) => x.capacity),
          );
          const own = specs.map((x, i) => new BarSeries(`S${i}`, "1m", x.capacity));
          // rows pushed round-robin, so that a series writing past its piece would show in its neighbour
          for (let r = 0; r < 20; r++) {
            specs.forEach((x, i) => {
              if (r >= x.rows) return;
              const v = i * 1000 + r;
              for (const s of [shared[i], own[i]])
                s.push(v, v + 0.25, v + 0.5, v - 0.5, v + 0.125, r, r % 7, r % 5, 9);
            });
          }
          specs.forEach((_x, i) => {
            expect(shared[i].symbol).toBe(`S${i}`);
            expect(shared[i].toBars()).toEqual(own[i].toBars());
            expect(shared[i].byteSize()).toBe(own[i].byteSize());
          });
          if (specs.every((x) => x.rows <= Math.max(1, x.capacity)) && specs.length > 1)
            expect(shared[0].time.buffer).toBe(shared[specs.length - 1].flags.buffer);
        },
      ),
    );
  });

  it("reserveAll gives every short series the capacity in one buffer, keeping its rows and itself", () => {
    const a = new BarSeries("A", "1m", 2);
    const b = new BarSeries("B", "1m", 50);
    const c = new BarSeries("C", "1m", 1);
    a.push(1, 2, 3, 0, 2, 10);
    a.push(2, 3, 4, 1, 3, 20, 4, 2, 3);
    c.push(7, 7, 7, 7, 7, 70);
    const before = [a.toBars(), b.toBars(), c.toBars()];
    const bBuffer = b.time.buffer;
    BarSeries.reserveAll([a, b, c], 10);
    expect([a.capacity, b.capacity, c.capacity]).toEqual([10, 50, 10]);
    expect([a.toBars(), b.toBars(), c.toBars()]).toEqual(before);
    expect(a.time.buffer).toBe(c.flags.buffer);
    expect(b.time.buffer).toBe(bBuffer);
    for (let t = 3; t <= 10; t++) a.push(t, t, t, t, t, t);
    expect(c.toBars()).toEqual(before[2]);
    expect(Array.from(a.time.subarray(0, a.length))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("placeBySymbol gives each code a piece that a series adopts holding that code's rows in batch order, as pushing them does", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 200 }), (codes) => {
        const n = codes.length;
        const col = (f: (i: number) => number) => Float64Array.from(codes, (_, i) => f(i));
        const bars = {
          length: n,
          code: Int32Array.from(codes),
          time: col((i) => i * 60_000),
          open: col((i) => i + 0.5),
          high: col((i) => i + 2),
          low: col((i) => i - 1),
          close: col((i) => i + 1),
          volume: col((i) => i * 10),
          flags: Uint8Array.from(codes, (_, i) => i % 7),
        };
        const placed = placeBySymbol(bars);
        for (let c = -1; c <= 5; c++) {
          const mine = [...codes.keys()].filter((i) => codes[i] === c);
          const want = new BarSeries("S", "1m", 1);
          for (const i of mine)
            want.push(
              bars.time[i],
              bars.open[i],
              bars.high[i],
              bars.low[i],
              bars.close[i],
              bars.volume[i],
              bars.flags[i],
            );
          expect(mine.map((i) => placed.row[i])).toEqual(c < 0 ? mine.map(() => -1) : mine.map((_, k) => k));
          const got = new BarSeries("S", "1m", 4);
          expect(got.adopt(placed, c)).toBe(c >= 0 && mine.length > 0);
          if (c < 0 || mine.length === 0) continue;
          expect(got.readAhead).toBe(placed);
          expect(got.capacity).toBe(mine.length);
          got.length = mine.length;
          expect(got.toBars()).toEqual(want.toBars());
        }
      }),
    );
  });

  it("adopts a piece only when empty, and forgets it at any change but counting its rows", () => {
    const bars = {
      length: 2,
      code: Int32Array.of(0, 0),
      time: Float64Array.of(60_000, 120_000),
      open: Float64Array.of(1, 2),
      high: Float64Array.of(1, 2),
      low: Float64Array.of(1, 2),
      close: Float64Array.of(1, 2),
      volume: Float64Array.of(1, 2),
      flags: Uint8Array.of(0, 0),
    };
    const placed = placeBySymbol(bars);
    expect(new BarSeries("S", "1m", 4).sharesBuffer).toBe(false);
    expect(BarSeries.sharingBuffer(["A", "B"], "1m", [4, 4]).map((x) => x.sharesBuffer)).toEqual([
      true,
      true,
    ]);
    const busy = new BarSeries("S", "1m", 4);
    busy.push(1, 1, 1, 1, 1, 1);
    expect(busy.adopt(placed, 0)).toBe(false);
    expect(busy.readAhead).toBe(undefined);
    const changes: ((s: BarSeries) => void)[] = [
      (s) => s.push(180_000, 3, 3, 3, 3, 3),
      (s) => s.insert(30_000, 3, 3, 3, 3, 3),
      (s) => s.clear(),
      (s) => s.dropFirst(1),
      (s) => s.reserve(100),
      (s) => s.pushPacked(new Float64Array(8), 0, 1),
    ];
    for (const change of changes) {
      const s = new BarSeries("S", "1m", 4);
      expect(s.adopt(placed, 0)).toBe(true);
      s.length = 2;
      change(s);
      expect(s.readAhead).toBe(undefined);
    }
  });

  it("releases a placed batch's buffer once, when the batch and every series over one of its pieces let go", () => {
    const bars = {
      length: 3,
      code: Int32Array.of(0, 1, 0),
      time: Float64Array.of(60_000, 60_000, 120_000),
      open: Float64Array.of(1, 2, 3),
      high: Float64Array.of(1, 2, 3),
      low: Float64Array.of(1, 2, 3),
      close: Float64Array.of(1, 2, 3),
      volume: Float64Array.of(1, 2, 3),
      flags: Uint8Array.of(0, 0, 0),
    };
    const placed = placeBySymbol(bars);
    const released: ArrayBuffer[] = [];
    placed.release = (buffer) => released.push(buffer);
    const a = new BarSeries("A", "1m", 1);
    const b = new BarSeries("B", "1m", 1);
    expect([a.adopt(placed, 0), b.adopt(placed, 1), placed.users]).toEqual([true, true, 3]);
    a.length = 2;
    letGoOf(placed); // the batch is delivered
    a.push(180_000, 4, 4, 4, 4, 4); // grows onto columns of its own, keeping its rows
    expect([released.length, placed.users, a.time.buffer === placed.buffer]).toEqual([0, 1, false]);
    expect(Array.from(a.time.subarray(0, 3))).toEqual([60_000, 120_000, 180_000]);
    b.unshare();
    expect([released, placed.users, b.length, b.sharesBuffer]).toEqual([[placed.buffer], 0, 0, false]);
  });
});
