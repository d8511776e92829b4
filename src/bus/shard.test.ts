import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { generateBars } from "../ingest/index.js";
import { openRepository, type Repository } from "../store/index.js";
import { skipWithout } from "../testing/deps.js";
import { connectBus } from "./connection.js";
import { BusPublisher, publishReplay } from "./publisher.js";
import { Shard } from "./shard.js";
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

  it("three shards and a publisher give the single process's events, each exactly once", async () => {
    const prefix = "tw3";
    const shards = await Promise.all(
      [1, 2, 3].map((index) =>
        Shard.start({
          nats: nats.url,
          prefix,
          shard: { index, count: 3 },
          symbols,
          config: CONFIG,
          parts: { repository, calendar: XNYS },
        }),
      ),
    );
    const bus = await connectBus(nats.url);
    const publisher = await BusPublisher.open(bus, { prefix });
    await publishReplay(publisher, { repository, calendar: XNYS, symbols, from: FROM, to: TO });
    await bus.close();
    await Promise.all(shards.map((s) => s.done));
    for (const s of shards) await s.stop();
    const got = await resultLines(nats.url, prefix);
    expect(got.length).toBe(reference.length);
    expect([...got].sort()).toEqual([...reference].sort());
    expect(reference.filter((l) => l.includes('"gap"')).length).toBeGreaterThan(0);
  }, 120_000);
});
