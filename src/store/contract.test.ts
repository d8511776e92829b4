import fc from "fast-check";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Bar, type BarColumns, barsToColumns, type QuoteBar, type Tick } from "../model/bar.js";
import { hasPostgres, skipWithout, TEST_PG_URL } from "../testing/deps.js";
import { actionsContract } from "./contract-actions.js";
import { openRepository } from "./index.js";
import { PostgresRepository } from "./postgres.js";
import type { Repository } from "./types.js";

const MIN = 60_000;
/** 2013-10-07T13:30:00Z, the regular open of a New York session. */
const T0 = Date.UTC(2013, 9, 7, 13, 30);

/** One bar as a plain row, flags included, for exact comparison (NaN equals NaN in toEqual). */
type Row = Required<Bar> & { flags: number };

function row(symbol: string, time: number, price: number, extra: Partial<Row> = {}): Row {
  return {
    symbol,
    time,
    open: price,
    high: price + 0.25,
    low: price - 0.25,
    close: price + 0.125,
    volume: 1000 + price,
    trades: Number.NaN,
    vwap: Number.NaN,
    flags: 0,
    ...extra,
  };
}

function columns(rows: readonly Row[]): BarColumns {
  const c = barsToColumns(rows);
  rows.forEach((r, i) => {
    c.flags[i] = r.flags;
  });
  return c;
}

function rows(c: BarColumns): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < c.length; i++) {
    out.push({
      symbol: c.symbol[i],
      time: c.time[i],
      open: c.open[i],
      high: c.high[i],
      low: c.low[i],
      close: c.close[i],
      volume: c.volume[i],
      trades: c.trades[i],
      vwap: c.vwap[i],
      flags: c.flags[i],
    });
  }
  return out;
}

function byTimeSymbol(a: { time: number; symbol: string }, b: { time: number; symbol: string }): number {
  return a.time - b.time || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);
}

function quote(symbol: string, time: number, bid: number): QuoteBar {
  return {
    symbol,
    time,
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
  };
}

/**
 * The Repository contract: every store must pass these cases. `open` gives a fresh, empty
 * repository for each case; `cleanup` closes it and removes what it stored.
 */
export function repositoryContract(
  name: string,
  open: () => Promise<Repository>,
  cleanup: (repo: Repository) => Promise<void>,
): void {
  describe(`Repository contract: ${name}`, () => {
    let repo: Repository;
    beforeEach(async () => {
      repo = await open();
    });
    afterEach(async () => {
      await cleanup(repo);
    });

    actionsContract(() => repo);

    it("reads back exactly what it wrote, absent trades and vwap as NaN", async () => {
      const written = [
        row("SPY", T0, 167.43, { trades: 1234, vwap: 167.4412345678901, flags: 1 }),
        row("SPY", T0 + MIN, 167.5, { trades: Number.NaN, vwap: 167.51 }),
        row("SPY", T0 + 2 * MIN, 0.1 + 0.2, { trades: 7, flags: 3 }),
        row("SPY", T0 + 3 * MIN, 1e-7, { volume: 0 }),
      ];
      expect(await repo.writeBars("1m", columns(written))).toBe(4);
      const back = await repo.readBars({ symbols: ["SPY"], interval: "1m", from: T0, to: T0 + 10 * MIN });
      expect(rows(back)).toEqual(written);
      expect(Number.isNaN(back.trades[1])).toBe(true);
      expect(Number.isNaN(back.vwap[2])).toBe(true);
    });

    it("changes nothing when the same bars are written again", async () => {
      const written = [row("SPY", T0, 100), row("SPY", T0 + MIN, 101), row("AAPL", T0, 480)];
      await repo.writeBars("1m", columns(written));
      await repo.writeBars("1m", columns(written));
      const back = await repo.readBars({
        symbols: ["SPY", "AAPL"],
        interval: "1m",
        from: T0,
        to: T0 + MIN * 2,
      });
      expect(rows(back)).toEqual([...written].sort(byTimeSymbol));
      expect(await repo.coverage("SPY")).toEqual([
        { symbol: "SPY", interval: "1m", first: T0, last: T0 + MIN, count: 2 },
      ]);
    });

    it("replaces a stored bar written again with other values", async () => {
      await repo.writeBars("1m", columns([row("SPY", T0, 100, { trades: 5 }), row("SPY", T0 + MIN, 101)]));
      const replacement = row("SPY", T0, 99, { vwap: 99.1, flags: 1 });
      await repo.writeBars("1m", columns([replacement]));
      const back = await repo.readBars({ symbols: ["SPY"], interval: "1m", from: T0, to: T0 + 2 * MIN });
      expect(rows(back)).toEqual([replacement, row("SPY", T0 + MIN, 101)]);
    });

    it("orders reads by time, then symbol, whatever the write order", async () => {
      const written = [
        row("SPY", T0 + MIN, 1),
        row("AAPL", T0 + MIN, 2),
        row("MSFT", T0, 3),
        row("SPY", T0, 4),
        row("AAPL", T0, 5),
        row("BRK.B", T0, 6),
      ];
      await repo.writeBars("1m", columns(written));
      const back = await repo.readBars({
        symbols: ["SPY", "MSFT", "AAPL", "BRK.B"],
        interval: "1m",
        from: T0,
        to: T0 + 2 * MIN,
      });
      expect(back.symbol.slice(0, back.length)).toEqual(["AAPL", "BRK.B", "MSFT", "SPY", "AAPL", "SPY"]);
      expect(Array.from(back.time)).toEqual([T0, T0, T0, T0, T0 + MIN, T0 + MIN]);
    });

    it("reads bars whose start lies in [from, to): from included, to excluded", async () => {
      await repo.writeBars("1m", columns([0, 1, 2, 3, 4].map((k) => row("SPY", T0 + k * MIN, 100 + k))));
      const back = await repo.readBars({
        symbols: ["SPY"],
        interval: "1m",
        from: T0 + MIN,
        to: T0 + 3 * MIN,
      });
      expect(Array.from(back.time)).toEqual([T0 + MIN, T0 + 2 * MIN]);
      const one = await repo.readBars({
        symbols: ["SPY"],
        interval: "1m",
        from: T0 + 4 * MIN,
        to: T0 + 4 * MIN + 1,
      });
      expect(Array.from(one.time)).toEqual([T0 + 4 * MIN]);
    });

    it("reads only the asked symbols and interval", async () => {
      await repo.writeBars("1m", columns([row("SPY", T0, 1), row("AAPL", T0, 2), row("MSFT", T0, 3)]));
      await repo.writeBars("5m", columns([row("SPY", T0, 4)]));
      const back = await repo.readBars({ symbols: ["MSFT", "SPY"], interval: "1m", from: T0, to: T0 + MIN });
      expect(rows(back)).toEqual([row("MSFT", T0, 3), row("SPY", T0, 1)]);
      const five = await repo.readBars({ symbols: ["SPY", "AAPL"], interval: "5m", from: T0, to: T0 + MIN });
      expect(rows(five)).toEqual([row("SPY", T0, 4)]);
    });

    it("reads every symbol of the interval when the symbol list is empty", async () => {
      await repo.writeBars("1m", columns([row("SPY", T0, 1), row("AAPL", T0 + MIN, 2), row("MSFT", T0, 3)]));
      await repo.writeBars("5m", columns([row("QQQ", T0, 4)]));
      const back = await repo.readBars({ symbols: [], interval: "1m", from: T0, to: T0 + 2 * MIN });
      expect(rows(back)).toEqual([row("MSFT", T0, 3), row("SPY", T0, 1), row("AAPL", T0 + MIN, 2)]);
      await repo.writeQuotes([quote("SPY", T0, 1), quote("AAPL", T0, 2)]);
      expect(await repo.readQuotes({ symbols: [], from: T0, to: T0 + MIN })).toEqual([
        quote("AAPL", T0, 2),
        quote("SPY", T0, 1),
      ]);
    });

    it("writes the last of a key repeated inside one batch and counts distinct keys", async () => {
      const batch = [row("SPY", T0, 1), row("SPY", T0 + MIN, 2), row("SPY", T0, 3), row("AAPL", T0, 4)];
      expect(await repo.writeBars("1m", columns(batch))).toBe(3);
      const back = await repo.readBars({
        symbols: ["SPY", "AAPL"],
        interval: "1m",
        from: T0,
        to: T0 + 2 * MIN,
      });
      expect(rows(back)).toEqual([row("AAPL", T0, 4), row("SPY", T0, 3), row("SPY", T0 + MIN, 2)]);
      expect(await repo.writeQuotes([quote("SPY", T0, 1), quote("SPY", T0, 2)])).toBe(1);
      expect(await repo.readQuotes({ symbols: ["SPY"], from: T0, to: T0 + MIN })).toEqual([
        quote("SPY", T0, 2),
      ]);
    });

    it("fills a missing bar inside a stored range", async () => {
      const all = [0, 1, 2, 3, 4, 5].map((k) => row("SPY", T0 + k * MIN, 100 + k));
      await repo.writeBars("1m", columns(all.filter((_, k) => k !== 3)));
      expect(await repo.writeBars("1m", columns([all[3]]))).toBe(1);
      const back = await repo.readBars({ symbols: ["SPY"], interval: "1m", from: T0, to: T0 + 6 * MIN });
      expect(rows(back)).toEqual(all);
    });

    it("streams in chunks that join to exactly readBars", async () => {
      const written: Row[] = [];
      for (let k = 0; k < 53; k++) {
        written.push(row("SPY", T0 + k * MIN, 100 + k / 8), row("AAPL", T0 + k * MIN, 400 + k / 16));
      }
      await repo.writeBars("1m", columns(written));
      const query = { symbols: ["SPY", "AAPL"], interval: "1m", from: T0, to: T0 + 60 * MIN };
      const chunks: Row[][] = [];
      for await (const chunk of repo.streamBars(query, 10)) chunks.push(rows(chunk));
      expect(chunks.length).toBeGreaterThan(1);
      for (const chunk of chunks) expect(chunk.length).toBeGreaterThan(0);
      expect(chunks.flat()).toEqual(rows(await repo.readBars(query)));
      expect(chunks.flat()).toEqual([...written].sort(byTimeSymbol));
    });

    it("returns no rows for an unknown symbol or an empty range", async () => {
      await repo.writeBars("1m", columns([row("SPY", T0, 1)]));
      expect((await repo.readBars({ symbols: ["QQQ"], interval: "1m", from: T0, to: T0 + MIN })).length).toBe(
        0,
      );
      expect((await repo.readBars({ symbols: ["SPY"], interval: "1m", from: T0, to: T0 })).length).toBe(0);
      expect((await repo.readBars({ symbols: ["SPY"], interval: "1d", from: T0, to: T0 + MIN })).length).toBe(
        0,
      );
      let streamed = 0;
      for await (const chunk of repo.streamBars({ symbols: ["QQQ"], interval: "1m", from: 0, to: T0 * 2 })) {
        streamed += chunk.length;
      }
      expect(streamed).toBe(0);
      expect(await repo.symbols("5m")).toEqual([]);
      expect(await repo.coverage("QQQ")).toEqual([]);
    });

    it("round-trips quote bars, keyed by (symbol, time)", async () => {
      const written = [quote("SPY", T0 + MIN, 167.41), quote("SPY", T0, 167.4), quote("AAPL", T0, 482.5)];
      expect(await repo.writeQuotes(written)).toBe(3);
      await repo.writeQuotes([quote("SPY", T0 + MIN, 167.45)]);
      const back = await repo.readQuotes({ symbols: ["SPY", "AAPL"], from: T0, to: T0 + 2 * MIN });
      expect(back).toEqual([
        quote("AAPL", T0, 482.5),
        quote("SPY", T0, 167.4),
        quote("SPY", T0 + MIN, 167.45),
      ]);
      expect(await repo.readQuotes({ symbols: ["SPY"], from: T0 + MIN, to: T0 + 2 * MIN })).toEqual([
        quote("SPY", T0 + MIN, 167.45),
      ]);
    });

    it("round-trips ticks in order, prints of one millisecond kept in write order, re-written without duplicates", async () => {
      const written: Tick[] = [
        {
          symbol: "SPY",
          time: T0,
          price: 167.43,
          size: 100,
          exchange: "P",
          condition: "00000001",
          suspicious: false,
        },
        {
          symbol: "SPY",
          time: T0,
          price: 167.42,
          size: 300,
          exchange: "T",
          condition: "00000000",
          suspicious: true,
        },
        {
          symbol: "SPY",
          time: T0,
          price: 167.44,
          size: 200,
          exchange: "P",
          condition: "00000001",
          suspicious: false,
        },
        {
          symbol: "SPY",
          time: T0 + 5,
          price: 167.45,
          size: 50,
          exchange: "Q",
          condition: "00000000",
          suspicious: false,
        },
      ];
      expect(await repo.writeTicks(written)).toBe(4);
      const query = { symbols: ["SPY"], from: T0, to: T0 + 1000 };
      expect(await repo.readTicks(query)).toEqual(written);
      await repo.writeTicks(written);
      expect(await repo.readTicks(query)).toEqual(written);
      expect(await repo.readTicks({ symbols: ["SPY"], from: T0 + 1, to: T0 + 1000 })).toEqual([written[3]]);
    });

    it("round-trips ticks without exchange, condition or suspicious flag, leaving them absent", async () => {
      const written: Tick[] = [
        { symbol: "SPY", time: T0, price: 167.43, size: 100 },
        { symbol: "AAPL", time: T0 + 1, price: 482.1, size: 5, suspicious: true },
      ];
      await repo.writeTicks(written);
      const back = await repo.readTicks({ symbols: [], from: T0, to: T0 + 2 });
      expect(back).toEqual(written);
      expect(Object.keys(back[0]).sort()).toEqual(["price", "size", "symbol", "time"]);
    });

    it("replaces a symbol's stored ticks within the span of a re-written batch only", async () => {
      const tick = (time: number, price: number): Tick => ({ symbol: "SPY", time, price, size: 1 });
      await repo.writeTicks([tick(T0, 1), tick(T0 + 10, 2), tick(T0 + 20, 3), tick(T0 + 30, 4)]);
      await repo.writeTicks([tick(T0 + 10, 5), tick(T0 + 15, 6), tick(T0 + 20, 7)]);
      expect(await repo.readTicks({ symbols: ["SPY"], from: T0, to: T0 + 100 })).toEqual([
        tick(T0, 1),
        tick(T0 + 10, 5),
        tick(T0 + 15, 6),
        tick(T0 + 20, 7),
        tick(T0 + 30, 4),
      ]);
    });

    it("lists stored symbols and their coverage per interval", async () => {
      await repo.writeBars(
        "1m",
        columns([row("SPY", T0, 1), row("SPY", T0 + 5 * MIN, 2), row("AAPL", T0, 3)]),
      );
      await repo.writeBars(
        "1d",
        columns([row("SPY", Date.UTC(2013, 9, 7), 4), row("QQQ", Date.UTC(2013, 9, 8), 5)]),
      );
      expect(await repo.symbols()).toEqual(["AAPL", "QQQ", "SPY"]);
      expect(await repo.symbols("1m")).toEqual(["AAPL", "SPY"]);
      expect(await repo.coverage()).toEqual([
        { symbol: "AAPL", interval: "1m", first: T0, last: T0, count: 1 },
        { symbol: "QQQ", interval: "1d", first: Date.UTC(2013, 9, 8), last: Date.UTC(2013, 9, 8), count: 1 },
        { symbol: "SPY", interval: "1d", first: Date.UTC(2013, 9, 7), last: Date.UTC(2013, 9, 7), count: 1 },
        { symbol: "SPY", interval: "1m", first: T0, last: T0 + 5 * MIN, count: 2 },
      ]);
      expect(await repo.coverage("SPY")).toEqual([
        { symbol: "SPY", interval: "1d", first: Date.UTC(2013, 9, 7), last: Date.UTC(2013, 9, 7), count: 1 },
        { symbol: "SPY", interval: "1m", first: T0, last: T0 + 5 * MIN, count: 2 },
      ]);
    });

    it("leaves nothing of a batch that fails on one row (a NULL symbol)", async () => {
      const before = [row("SPY", T0, 100)];
      await repo.writeBars("1m", columns(before));
      const batch = columns([
        row("SPY", T0, 1),
        row("SPY", T0 + MIN, 2),
        row("AAPL", T0, 3),
        row("SPY", T0 + 2 * MIN, 4),
      ]);
      batch.symbol[2] = null as unknown as string;
      await expect(repo.writeBars("1m", batch)).rejects.toThrow();
      const back = await repo.readBars({
        symbols: ["SPY", "AAPL"],
        interval: "1m",
        from: T0,
        to: T0 + 10 * MIN,
      });
      expect(rows(back)).toEqual(before);
      expect(await repo.coverage()).toEqual([
        { symbol: "SPY", interval: "1m", first: T0, last: T0, count: 1 },
      ]);
    });

    it("matches a last-write-wins map after random batches of random bars", async () => {
      const bar = fc.record({
        symbol: fc.constantFrom("SPY", "AAPL", "MSFT"),
        minute: fc.integer({ min: 0, max: 30 }),
        price: fc.double({ min: 0.0001, max: 1e6, noNaN: true }),
        volume: fc.double({ min: 0, max: 1e9, noNaN: true }),
        trades: fc.option(fc.integer({ min: 0, max: 1e6 }), { nil: undefined }),
        vwap: fc.option(fc.double({ min: 0.0001, max: 1e6, noNaN: true }), { nil: undefined }),
        flags: fc.integer({ min: 0, max: 7 }),
      });
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(bar, { minLength: 1, maxLength: 25 }), { minLength: 1, maxLength: 6 }),
          async (batches) => {
            // Each run writes its own symbols (R<run>.SPY, ...), so runs share one store.
            const prefix = `R${run++}.`;
            const expected = new Map<string, Row>();
            for (const batch of batches) {
              const written = batch.map((b) =>
                row(prefix + b.symbol, T0 + b.minute * MIN, b.price, {
                  volume: b.volume,
                  trades: b.trades ?? Number.NaN,
                  vwap: b.vwap ?? Number.NaN,
                  flags: b.flags,
                }),
              );
              await repo.writeBars("1m", columns(written));
              for (const r of written) expected.set(`${r.symbol}|${r.time}`, r);
            }
            const symbols = ["SPY", "AAPL", "MSFT"].map((s) => prefix + s);
            const back = await repo.readBars({ symbols, interval: "1m", from: T0, to: T0 + 31 * MIN });
            expect(rows(back)).toEqual([...expected.values()].sort(byTimeSymbol));
          },
        ),
        { numRuns: 30 },
      );
    });
  });
}

repositoryContract(
  "DuckDB :memory:",
  () => openRepository(":memory:"),
  (repo) => repo.close(),
);

const pgAvailable = await hasPostgres();

/** Drops a throwaway schema. */
async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

describe.skipIf(skipWithout("PostgreSQL", pgAvailable))("PostgreSQL", () => {
  repositoryContract(
    "PostgreSQL",
    async () => {
      const schema = `tw_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
      return PostgresRepository.open(TEST_PG_URL, { schema });
    },
    async (repo) => {
      await repo.close();
      await dropSchema((repo as PostgresRepository).schema);
    },
  );
});
