import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { type Bar, barsToColumns, columnsToBars } from "../model/bar.js";
import { orderedRuns } from "./coded-bars.js";
import { openRepository } from "./index.js";
import type { CodedBarColumns, Repository } from "./types.js";

const T0 = Date.UTC(2024, 2, 8, 14, 30);
const M = 60_000;

const dir = mkdtempSync(join(tmpdir(), "tw-coded-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Coded rows back as bar objects, names from `symbols` by code. */
function decoded(c: CodedBarColumns, symbols: readonly string[], codes: Int32Array): Bar[] {
  const name = new Map<number, string>();
  for (let k = 0; k < symbols.length; k++) name.set(codes[k], symbols[k]);
  return columnsToBars({ ...c, symbol: Array.from(c.code, (code) => name.get(code)!) });
}

/** Bars of `symbols` over `minutes` minutes, some missing, one symbol's rows offset by `skew` ms. */
function barsOf(symbols: string[], minutes: number, keep: boolean[], skew: number): Bar[] {
  const out: Bar[] = [];
  let k = 0;
  for (let m = 0; m < minutes; m++) {
    symbols.forEach((symbol, j) => {
      if (!keep[k++ % keep.length]) return;
      const price = 100 + j + m / 100;
      out.push({
        symbol,
        time: T0 + m * M + (j === 0 ? skew : 0),
        open: price,
        high: price + 1,
        low: price - 1,
        close: price + 0.5,
        volume: m * 10 + j,
        ...(m % 3 === 0 ? { trades: m, vwap: price } : {}),
      });
    });
  }
  return out;
}

async function check(repo: Repository, symbols: string[], codes: Int32Array, from: number, to: number) {
  const coded = await repo.readCodedBars!({ symbols, interval: "1m", from, to }, codes);
  const named = await repo.readBars({ symbols, interval: "1m", from, to });
  expect(decoded(coded, symbols, codes)).toEqual(columnsToBars(named));
  // Without trades and vwap: the same rows, those two left out.
  const ohlcv = await repo.readCodedBars!({ symbols, interval: "1m", from, to }, codes, "ohlcv");
  expect(decoded(ohlcv, symbols, codes)).toEqual(columnsToBars(named).map(({ trades, vwap, ...bar }) => bar));
}

describe("readCodedBars", () => {
  it("returns readBars' rows in the same order, symbols as the given codes, read off the main thread", async () => {
    const file = await openRepository(join(dir, "coded.duckdb"));
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.constantFrom("SPY", "QQQ", "AAPL", "MSFT", "Zed", "a.b", "IBM"), {
            minLength: 1,
            maxLength: 5,
          }),
          fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
          fc.constantFrom(0, 0, 1500),
          fc.integer({ min: 0, max: 30 }),
          async (symbols, keep, skew, from) => {
            const bars = barsOf(symbols, 40, keep, skew);
            if (bars.length > 0) await file.writeBars("1m", barsToColumns(bars));
            const codes = Int32Array.from(symbols, (_, k) => 100 - 7 * k);
            await check(file, symbols, codes, T0 + from * M, T0 + 35 * M);
            await check(file, [...symbols].reverse(), codes, 0, 8e15);
          },
        ),
        { numRuns: 15 },
      );
    } finally {
      await file.close();
    }
  });

  it("orders sparse rows over a long span as readBars does (more (minute, symbol) pairs than one counting pass takes)", async () => {
    const file = await openRepository(join(dir, "sparse.duckdb"));
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.integer({ min: 0, max: 2_000 }), { minLength: 8, maxLength: 40 }),
          fc.integer({ min: 60, max: 120 }),
          async (minutes, count) => {
            const symbols = Array.from({ length: count }, (_, k) => `S${(k * 37) % count}`);
            const bars: Bar[] = [];
            symbols.forEach((symbol, k) => {
              for (const m of minutes.slice(k % 5, (k % 5) + 6)) {
                const price = 50 + k + m / 1000;
                bars.push({
                  symbol,
                  time: T0 + m * M,
                  open: price,
                  high: price + 1,
                  low: price - 1,
                  close: price,
                  volume: k + m,
                });
              }
            });
            await file.writeBars("1m", barsToColumns(bars));
            const codes = Int32Array.from(symbols, (_, k) => 3 * k + 1);
            await check(file, symbols, codes, T0, T0 + 2_001 * M);
          },
        ),
        { numRuns: 6 },
      );
    } finally {
      await file.close();
    }
  });

  it("is not offered for an in-memory database (no other thread can open it)", async () => {
    const memory = await openRepository(":memory:");
    expect(memory.readCodedBars).toBeUndefined();
    await memory.close();
  });

  it("sees bars written after an earlier read of the same file", async () => {
    const repo = await openRepository(join(dir, "later.duckdb"));
    try {
      const q = { symbols: ["SPY"], interval: "1m", from: 0, to: 8e15 };
      await repo.writeBars("1m", barsToColumns(barsOf(["SPY"], 2, [true], 0)));
      expect((await repo.readCodedBars!(q)).length).toBe(2);
      await repo.writeBars("1m", barsToColumns(barsOf(["SPY"], 5, [true], 0)));
      const after = await repo.readCodedBars!(q);
      expect(Array.from(after.time)).toEqual([0, 1, 2, 3, 4].map((m) => T0 + m * M));
      expect(Array.from(after.code)).toEqual([0, 0, 0, 0, 0]);
    } finally {
      await repo.close();
    }
  });

  it("reads into the memory of columns handed back, with the same rows as a fresh read", async () => {
    const repo = await openRepository(join(dir, "recycled.duckdb"));
    try {
      const symbols = ["SPY", "QQQ", "IBM"];
      await repo.writeBars("1m", barsToColumns(barsOf(symbols, 60, [true, true, false], 0)));
      const codes = Int32Array.from([7, 8, 9]);
      const first = await repo.readCodedBars!({ symbols, interval: "1m", from: 0, to: 8e15 }, codes);
      const rows = first.length;
      const buffers = [first.time.buffer, first.flags.buffer];
      repo.releaseCodedBars!(first);
      // Handed over: unusable here.
      expect(buffers.map((b) => b.byteLength)).toEqual([0, 0]);
      const q = { symbols, interval: "1m", from: T0 + 10 * M, to: T0 + 50 * M };
      const second = await repo.readCodedBars!(q, codes);
      expect(second.length).toBeLessThan(rows);
      expect([second.time.buffer.byteLength, second.flags.buffer.byteLength]).toEqual([rows * 8, rows]);
      expect(second.time.length).toBe(second.length);
      const named = await repo.readBars(q);
      expect(decoded(second, symbols, codes)).toEqual(columnsToBars(named));
    } finally {
      await repo.close();
    }
  });
});

describe("orderedRuns", () => {
  /** Rows placed by runs (each run a block at its place), or undefined. */
  function placed(rank: Int32Array, time: Float64Array, chunkRows: number[]) {
    const runs = orderedRuns(rank, time, chunkRows);
    if (!runs) return undefined;
    const out: [number, number][] = new Array(time.length);
    for (let q = 0; q < runs.from.length; q++) {
      const until = q + 1 < runs.from.length ? runs.from[q + 1] : time.length;
      for (let i = runs.from[q]; i < until; i++) out[runs.to[q] + i - runs.from[q]] = [time[i], rank[i]];
    }
    return out;
  }
  const sortedKeys = (rank: Int32Array, time: Float64Array) =>
    Array.from(time, (t, i): [number, number] => [t, rank[i]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);

  it("places rows cut into a few ordered stretches, swapped and interleaved, in (time, rank) order", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 400 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.integer({ min: 1, max: 700 }),
        (ranks, minutes, cuts, swaps, chunk) => {
          // every (minute, rank) once, in order, then cut into stretches shuffled by `swaps`
          const keys: [number, number][] = [];
          for (let m = 0; m < minutes; m++) for (let r = 0; r < ranks; r++) keys.push([T0 + m * M, r]);
          const pieces: [number, number][][] = [];
          let at = 0;
          for (const c of cuts) {
            if (at >= keys.length) break;
            pieces.push(keys.slice(at, at + c));
            at += c;
          }
          if (at < keys.length) pieces.push(keys.slice(at));
          for (let j = 0; j < swaps.length; j++) {
            const a = j % pieces.length;
            const b = swaps[j] % pieces.length;
            [pieces[a], pieces[b]] = [pieces[b], pieces[a]];
          }
          const rows = pieces.flat();
          const time = Float64Array.from(rows, (r) => r[0]);
          const rank = Int32Array.from(rows, (r) => r[1]);
          const chunkRows: number[] = [];
          for (let left = rows.length; left > 0; left -= chunk) chunkRows.push(Math.min(chunk, left));
          expect(placed(rank, time, chunkRows)).toEqual(keys);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("places any rows in order or declines (many stretches: rows grouped by symbol)", () => {
    let placedCases = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 9 })), {
          selector: ([m, r]) => m * 10 + r,
          maxLength: 300,
        }),
        fc.integer({ min: 1, max: 64 }),
        (pairs, chunk) => {
          const time = Float64Array.from(pairs, ([m]) => T0 + m * M);
          const rank = Int32Array.from(pairs, ([, r]) => r);
          const chunkRows: number[] = [];
          for (let left = pairs.length; left > 0; left -= chunk) chunkRows.push(Math.min(chunk, left));
          const out = placed(rank, time, chunkRows);
          if (out) {
            expect(out).toEqual(sortedKeys(rank, time));
            placedCases++;
          }
        },
      ),
      { numRuns: 300 },
    );
    // one-row chunks leave room for a block a row: such cases are always placed
    expect(placedCases).toBeGreaterThan(0);
  });

  it("declines rows grouped by symbol over many minutes (a counting sort is cheaper)", () => {
    const time = Float64Array.from({ length: 400 * 390 }, (_, i) => T0 + (i % 390) * M);
    const rank = Int32Array.from({ length: 400 * 390 }, (_, i) => Math.floor(i / 390));
    expect(orderedRuns(rank, time, [time.length])).toBeUndefined();
  });
});
