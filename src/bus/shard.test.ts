import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import type { EngineEvent } from "../engine/index.js";
import { sessionWindow } from "../engine/index.js";
import { generateBars } from "../ingest/index.js";
import type { QuoteBar, Tick } from "../model/bar.js";
import { MINUTE_MS } from "../model/time.js";
import { openRepository, type Repository } from "../store/index.js";
import { skipWithout } from "../testing/deps.js";
import { connectBus } from "./connection.js";
import { shardOf } from "./ownership.js";
import { BusPublisher, publishReplay } from "./publisher.js";
import { Shard } from "./shard.js";
import type { QualityReport } from "./subjects.js";
import { resultOrder, subscribe } from "./subscriber.js";
import { GENERATED, hasNatsServer, resultLines, singleProcessLines, TestNats } from "./test-support.js";

const XNYS = getCalendar("XNYS");
const { from: FROM, to: TO, config: CONFIG } = GENERATED;

describe.skipIf(skipWithout("nats-server", hasNatsServer()))("shards on NATS JetStream", () => {
  let nats: TestNats;
  let dir: string;
  let repository: Repository;
  let symbols: string[];
  let reference: string[];

  beforeAll(async () => {
    nats = await TestNats.start();
    dir = mkdtempSync(join(tmpdir(), "tw-bus-"));
    repository = await openRepository(join(dir, "bars.duckdb"));
    const generated = generateBars({
      symbols: GENERATED.symbols,
      days: 3,
      start: FROM,
      seed: 7,
      missingRate: 0.003,
    });
    for (const g of generated) await repository.writeBars("1m", g.bars);
    symbols = await repository.symbols("1m");
    reference = await singleProcessLines(repository, XNYS, symbols, CONFIG);
  }, 60_000);
  afterAll(async () => {
    await repository?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    {
      how: "one shard batching its results, a minute's bars per raw message as JSON lines",
      prefix: "tw3",
      batchBars: 1000,
      batched: [2],
    },
    {
      how: "every shard batching its results, one bar per raw message",
      prefix: "tw3b",
      batchBars: 1,
      batched: [1, 2, 3],
    },
  ])(
    "three shards and a publisher give the single process's events, each exactly once ($how)",
    async ({ prefix, batchBars, batched }) => {
      const shards = await Promise.all(
        [1, 2, 3].map((index) =>
          Shard.start({
            nats: nats.url,
            prefix,
            shard: { index, count: 3 },
            symbols,
            config: CONFIG,
            parts: { repository, calendar: XNYS },
            batchResults: batched.includes(index),
          }),
        ),
      );
      // A strategy following three symbols (one of each shard) at 1m and 15m while the run goes.
      const followed = [symbols[0], symbols[7], symbols[13]];
      expect(new Set(followed.map((x) => shardOf(x, 3))).size).toBe(3);
      const intervals = ["1m", "15m"];
      const wanted = reference
        .map((line) => ({ line, event: JSON.parse(line) as EngineEvent | QualityReport }))
        .filter(({ event: e }) =>
          e.type === "quality"
            ? false
            : e.type === "bar"
              ? followed.includes(e.symbol) && intervals.includes(e.interval)
              : "symbol" in e
                ? followed.includes(e.symbol)
                : true,
        );
      const sub = await subscribe({
        nats: nats.url,
        prefix,
        symbols: followed,
        intervals,
        quality: false,
        deliver: "all",
      });
      const merged = (async () => {
        const lines: string[] = [];
        for await (const r of sub) if (lines.push(r.line) === wanted.length) break;
        return lines;
      })();
      const bus = await connectBus(nats.url);
      const publisher = await BusPublisher.open(bus, { prefix, batchBars, batchFormat: "json" });
      await publishReplay(publisher, { repository, calendar: XNYS, symbols, from: FROM, to: TO });
      await bus.close();
      await Promise.all(shards.map((s) => s.done));
      for (const s of shards) await s.stop();
      const got = await resultLines(nats.url, prefix);
      expect(got.length).toBe(reference.length);
      expect([...got].sort()).toEqual([...reference].sort());
      expect(reference.filter((l) => l.includes('"gap"')).length).toBeGreaterThan(0);
      // The subscriber's order: the single process's events, stably sorted by `resultOrder`.
      const inOrder = [...wanted].sort((a, b) => resultOrder(a.event, b.event)).map((w) => w.line);
      expect(await merged).toEqual(inOrder);
      expect(wanted.some((w) => w.event.type === "gap")).toBe(true);
    },
    120_000,
  );

  it("applies quote bars and ticks from the raw subjects: the single process's quote and tick events, each once", async () => {
    const prefix = "twqt";
    const picked = symbols.slice(0, 3);
    const open = XNYS.sessions(FROM, FROM)[0].open;
    const quotes: QuoteBar[] = [];
    const ticks: Tick[] = [];
    for (let m = 0; m < 30; m++)
      for (const [k, symbol] of picked.entries()) {
        const bid = 10 + k + m / 100;
        const time = open + m * MINUTE_MS;
        quotes.push({
          symbol,
          time,
          bidOpen: bid,
          bidHigh: bid + 0.02,
          bidLow: bid - 0.01,
          bidClose: bid,
          bidSize: 100 + m,
          askOpen: bid + 0.01,
          askHigh: bid + 0.03,
          askLow: bid,
          askClose: bid + 0.01,
          askSize: 200 + m,
        });
        // Two ticks at the same millisecond and one later in the minute.
        ticks.push(
          { symbol, time: time + 1000, price: bid, size: 5 },
          { symbol, time: time + 1000, price: bid + 0.01, size: 7 },
          { symbol, time: time + 30_000, price: bid, size: 1 },
        );
      }
    const config = { ...CONFIG, to: FROM };
    const session = XNYS.sessions(FROM, FROM)[0];
    const barsTo = sessionWindow(session, true).end;
    const expected = await singleProcessLines(repository, XNYS, picked, config, { quotes, ticks, barsTo });
    const shard = await Shard.start({
      nats: nats.url,
      prefix,
      shard: { index: 1, count: 1 },
      symbols: picked,
      config,
      parts: { repository, calendar: XNYS },
    });
    const bus = await connectBus(nats.url);
    const publisher = await BusPublisher.open(bus, { prefix });
    const bars = await repository.readBars({ symbols: picked, interval: "1m", from: 0, to: barsTo });
    let q = 0;
    let t = 0;
    for (let i = 0; i < bars.length; ) {
      const minute = bars.time[i];
      for (; t < ticks.length && ticks[t].time < minute + MINUTE_MS; t++)
        await publisher.tick(
          ticks[t],
          t > 0 && ticks[t - 1].time === ticks[t].time && ticks[t - 1].symbol === ticks[t].symbol ? 1 : 0,
        );
      for (; q < quotes.length && quotes[q].time === minute; q++) await publisher.quote(quotes[q]);
      i = await publisher.minute(bars, i);
    }
    await publisher.end(sessionWindow(session, true).end);
    await bus.close();
    await shard.done;
    const counters = shard.counters();
    await shard.stop();
    expect(counters).toMatchObject({ rawQuotes: quotes.length, rawTicks: ticks.length, rejected: {} });
    const got = await resultLines(nats.url, prefix);
    expect(expected.filter((l) => l.includes('"type":"tick"')).length).toBe(ticks.length);
    expect(expected.filter((l) => l.includes('"type":"quote"')).length).toBe(quotes.length);
    expect([...got].sort()).toEqual([...expected].sort());
  }, 120_000);
});
