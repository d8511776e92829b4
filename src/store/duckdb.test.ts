import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type Bar, barsToColumns, columnsToBars, type QuoteBar, type Tick } from "../model/bar.js";
import { StoreError } from "../model/errors.js";
import { DuckDbRepository } from "./duckdb.js";
import { openRepository } from "./index.js";
import type { Repository } from "./types.js";

const T0 = Date.UTC(2024, 2, 8, 14, 30);
const M = 60_000;

function bar(symbol: string, minute: number, price: number, extra: Partial<Bar> = {}): Bar {
  return {
    symbol,
    time: T0 + minute * M,
    open: price,
    high: price + 0.5,
    low: price - 0.25,
    close: price + 0.125,
    volume: 1000 + minute,
    ...extra,
  };
}

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tw-store-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const open: Repository[] = [];
async function memory(): Promise<Repository> {
  const repo = await openRepository(":memory:");
  open.push(repo);
  return repo;
}
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});

const all = (symbols: string[], interval = "1m") => ({ symbols, interval, from: 0, to: 8e15 });

/** Brute-force reference: the rows a range read must return, in (time, symbol) order. */
function expectedRead(bars: Bar[], symbols: string[], from: number, to: number): Bar[] {
  return bars
    .filter((b) => symbols.includes(b.symbol) && b.time >= from && b.time < to)
    .sort((a, b) => a.time - b.time || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

describe("DuckDbRepository", () => {
  it("round-trips bars exactly, trades and vwap included where present", async () => {
    const repo = await memory();
    const bars = [
      bar("SPY", 0, 167.43, { trades: 120, vwap: 167.5 }),
      bar("SPY", 1, 167.44),
      bar("AAPL", 0, 483.1234, { trades: 7 }),
    ];
    expect(await repo.writeBars("1m", barsToColumns(bars))).toBe(3);
    const back = await repo.readBars(all(["SPY", "AAPL"]));
    expect(back.length).toBe(3);
    expect(columnsToBars(back)).toEqual([bars[2], bars[0], bars[1]]);
  });

  it("keeps flags per bar", async () => {
    const repo = await memory();
    const cols = barsToColumns([bar("SPY", 0, 10), bar("SPY", 1, 10)]);
    cols.flags[1] = 3;
    await repo.writeBars("1m", cols);
    expect([...(await repo.readBars(all(["SPY"]))).flags]).toEqual([0, 3]);
  });

  it("re-writing the same bars leaves count and values identical", async () => {
    const repo = await memory();
    const bars = Array.from({ length: 50 }, (_, i) => bar(i % 2 ? "SPY" : "QQQ", i >> 1, 100 + i));
    await repo.writeBars("1m", barsToColumns(bars));
    const first = columnsToBars(await repo.readBars(all(["SPY", "QQQ"])));
    await repo.writeBars("1m", barsToColumns(bars));
    await repo.writeBars("1m", barsToColumns(bars));
    const again = columnsToBars(await repo.readBars(all(["SPY", "QQQ"])));
    expect(again).toEqual(first);
    expect(await repo.coverage()).toEqual([
      { symbol: "QQQ", interval: "1m", first: T0, last: T0 + 24 * M, count: 25 },
      { symbol: "SPY", interval: "1m", first: T0, last: T0 + 24 * M, count: 25 },
    ]);
  });

  it("an upsert replaces changed values and keeps the rest", async () => {
    const repo = await memory();
    await repo.writeBars("1m", barsToColumns([bar("SPY", 0, 100), bar("SPY", 1, 101), bar("SPY", 2, 102)]));
    await repo.writeBars("1m", barsToColumns([bar("SPY", 1, 200, { volume: 5 }), bar("SPY", 3, 103)]));
    const back = columnsToBars(await repo.readBars(all(["SPY"])));
    expect(back.map((b) => [b.time - T0, b.open, b.volume])).toEqual([
      [0, 100, 1000],
      [M, 200, 5],
      [2 * M, 102, 1002],
      [3 * M, 103, 1003],
    ]);
  });

  it("keeps the last of repeated (symbol, time) rows within one batch", async () => {
    const repo = await memory();
    const n = await repo.writeBars(
      "1m",
      barsToColumns([bar("SPY", 1, 1), bar("SPY", 0, 2), bar("SPY", 1, 3), bar("QQQ", 1, 4)]),
    );
    expect(n).toBe(3);
    const back = columnsToBars(await repo.readBars(all(["SPY", "QQQ"])));
    expect(back.map((b) => [b.symbol, b.time - T0, b.open])).toEqual([
      ["SPY", 0, 2],
      ["QQQ", M, 4],
      ["SPY", M, 3],
    ]);
  });

  it("keeps intervals apart: the same time at 1m and 5m are different bars", async () => {
    const repo = await memory();
    await repo.writeBars("1m", barsToColumns([bar("SPY", 0, 1)]));
    await repo.writeBars("5m", barsToColumns([bar("SPY", 0, 2)]));
    expect((await repo.readBars(all(["SPY"], "1m"))).open[0]).toBe(1);
    expect((await repo.readBars(all(["SPY"], "5m"))).open[0]).toBe(2);
    expect(await repo.symbols("5m")).toEqual(["SPY"]);
    expect(await repo.symbols("15m")).toEqual([]);
  });

  it("a failing batch leaves nothing of itself and the rows it overlapped untouched", async () => {
    const repo = await memory();
    const before = [bar("SPY", 0, 100), bar("SPY", 1, 101)];
    await repo.writeBars("1m", barsToColumns(before));
    const bad = barsToColumns([
      bar("SPY", 0, 500),
      bar("SPY", 5, 505),
      bar("SPY", 6, 506),
      bar("SPY", 7, 507),
    ]);
    bad.time[2] = Number.NaN; // DuckDB refuses to cast NaN to BIGINT, mid-batch
    await expect(repo.writeBars("1m", bad)).rejects.toThrow(StoreError);
    expect(columnsToBars(await repo.readBars(all(["SPY"])))).toEqual(before);
    // the store still takes the next batch
    await repo.writeBars("1m", barsToColumns([bar("SPY", 2, 102)]));
    expect((await repo.readBars(all(["SPY"]))).length).toBe(3);
  });

  it("reads [from, to) of the asked symbols, ordered by (time, symbol)", async () => {
    const repo = await memory();
    const bars = [
      bar("B", 2, 1),
      bar("A", 2, 2),
      bar("C", 1, 3),
      bar("A", 0, 4),
      bar("B", 3, 5),
      bar("A", 3, 6),
    ];
    await repo.writeBars("1m", barsToColumns(bars));
    const got = columnsToBars(
      await repo.readBars({ symbols: ["B", "A"], interval: "1m", from: T0 + M, to: T0 + 3 * M }),
    );
    expect(got.map((b) => `${b.symbol}@${(b.time - T0) / M}`)).toEqual(["A@2", "B@2"]);
    const none = await repo.readBars({ symbols: ["ZZZ"], interval: "1m", from: 0, to: 8e15 });
    expect(none.length).toBe(0);
  });

  it("an empty symbol list reads every symbol", async () => {
    const repo = await memory();
    await repo.writeBars("1m", barsToColumns([bar("B", 0, 1), bar("A", 0, 2)]));
    expect((await repo.readBars(all([]))).symbol).toEqual(["A", "B"]);
  });

  it("range reads match a brute-force filter and sort (property)", async () => {
    const repo = await memory();
    const symbols = ["AA", "BB", "CC"];
    const stored: Bar[] = [];
    for (let m = 0; m < 40; m++) {
      for (const s of symbols) if ((m * 7 + s.charCodeAt(0)) % 3 !== 0) stored.push(bar(s, m, 10 + m));
    }
    await repo.writeBars("1m", barsToColumns(stored));
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(symbols, { minLength: 1 }),
        fc.integer({ min: -5, max: 45 }),
        fc.integer({ min: 0, max: 50 }),
        async (syms, fromMinute, span) => {
          const from = T0 + fromMinute * M;
          const to = from + span * M;
          const got = columnsToBars(await repo.readBars({ symbols: syms, interval: "1m", from, to }));
          expect(got).toEqual(expectedRead(stored, syms, from, to));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("streamBars chunks concatenate to readBars", async () => {
    const repo = await memory();
    const bars: Bar[] = [];
    for (let m = 0; m < 3000; m++) for (const s of ["X", "Y"]) bars.push(bar(s, m, 50 + (m % 17)));
    await repo.writeBars("1m", barsToColumns(bars));
    const q = all(["X", "Y"]);
    const whole = columnsToBars(await repo.readBars(q));
    expect(whole.length).toBe(6000);
    const sizes: number[] = [];
    const joined: Bar[] = [];
    for await (const chunk of repo.streamBars(q, 1000)) {
      sizes.push(chunk.length);
      expect(chunk.time.length).toBe(chunk.length);
      joined.push(...columnsToBars(chunk));
    }
    expect(sizes).toEqual([1000, 1000, 1000, 1000, 1000, 1000]);
    expect(joined).toEqual(whole);
    const odd: number[] = [];
    for await (const chunk of repo.streamBars(q, 2500)) odd.push(chunk.length);
    expect(odd).toEqual([2500, 2500, 1000]);
  });

  it("a stream stopped early releases its connection and the store keeps working", async () => {
    const repo = await memory();
    const bars: Bar[] = [];
    for (let m = 0; m < 5000; m++) bars.push(bar("X", m, 10));
    await repo.writeBars("1m", barsToColumns(bars));
    for await (const chunk of repo.streamBars(all(["X"]), 100)) {
      expect(chunk.length).toBe(100);
      break;
    }
    expect((await repo.readBars(all(["X"]))).length).toBe(5000);
  });

  it("round-trips quote bars and upserts them by (symbol, time)", async () => {
    const repo = await memory();
    const q = (symbol: string, minute: number, bid: number): QuoteBar => ({
      symbol,
      time: T0 + minute * M,
      bidOpen: bid,
      bidHigh: bid + 0.02,
      bidLow: bid - 0.01,
      bidClose: bid + 0.01,
      bidSize: 300,
      askOpen: bid + 0.01,
      askHigh: bid + 0.03,
      askLow: bid,
      askClose: bid + 0.02,
      askSize: 500,
    });
    await repo.writeQuotes([q("SPY", 1, 167.4), q("SPY", 0, 167.3), q("AAPL", 0, 480)]);
    await repo.writeQuotes([q("SPY", 1, 167.5)]);
    expect(await repo.readQuotes({ symbols: ["SPY"], from: 0, to: 8e15 })).toEqual([
      q("SPY", 0, 167.3),
      q("SPY", 1, 167.5),
    ]);
    expect((await repo.readQuotes({ symbols: [], from: T0, to: T0 + M })).map((x) => x.symbol)).toEqual([
      "AAPL",
      "SPY",
    ]);
  });

  it("round-trips ticks in order, and re-writing a range replaces it", async () => {
    const repo = await memory();
    const ticks: Tick[] = [
      {
        symbol: "SPY",
        time: T0,
        price: 167.41,
        size: 100,
        exchange: "P",
        condition: "00000001",
        suspicious: false,
      },
      { symbol: "SPY", time: T0, price: 167.42, size: 5 },
      { symbol: "SPY", time: T0 + 5, price: 999, size: 1, suspicious: true },
      { symbol: "QQQ", time: T0 + 1, price: 80, size: 10, exchange: "Q" },
    ];
    expect(await repo.writeTicks(ticks)).toBe(4);
    expect(await repo.readTicks({ symbols: ["SPY", "QQQ"], from: 0, to: 8e15 })).toEqual([
      ticks[0],
      ticks[1],
      ticks[3],
      ticks[2],
    ]);
    await repo.writeTicks(ticks);
    expect((await repo.readTicks({ symbols: [], from: 0, to: 8e15 })).length).toBe(4);
    await repo.writeTicks([
      { symbol: "SPY", time: T0, price: 1, size: 1 },
      { symbol: "SPY", time: T0 + 5, price: 2, size: 2 },
    ]);
    expect((await repo.readTicks({ symbols: ["SPY"], from: 0, to: 8e15 })).map((t) => t.price)).toEqual([
      1, 2,
    ]);
  });

  it("a file database keeps its bars across close and reopen", async () => {
    const path = join(tempDir(), "nested", "bars.duckdb");
    const bars = [bar("SPY", 0, 167.43, { trades: 3 }), bar("SPY", 1, 167.5)];
    const a = await openRepository(path);
    await a.writeBars("1m", barsToColumns(bars));
    await a.close();
    const b = await openRepository(path);
    expect(columnsToBars(await b.readBars(all(["SPY"])))).toEqual(bars);
    expect(b.kind).toBe("duckdb");
    await b.close();
  });

  it("two repositories on one file in one process share it", async () => {
    const path = join(tempDir(), "shared.duckdb");
    const a = await DuckDbRepository.open(path);
    await a.init();
    const b = await openRepository(path);
    await a.writeBars("1m", barsToColumns([bar("SPY", 0, 1)]));
    expect((await b.readBars(all(["SPY"]))).length).toBe(1);
    await a.close();
    expect((await b.readBars(all(["SPY"]))).length).toBe(1);
    await b.close();
  });

  it("refuses a missing file when asked not to create one", async () => {
    await expect(openRepository(join(tempDir(), "missing.duckdb"), { create: false })).rejects.toThrow(
      /no database at .*missing\.duckdb/,
    );
  });

  it("refuses a bad interval with the interval named", async () => {
    const repo = await memory();
    await expect(repo.writeBars("7x", barsToColumns([bar("SPY", 0, 1)]))).rejects.toThrow(
      /bad interval "7x"/,
    );
  });
});
