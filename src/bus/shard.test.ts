import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeliverPolicy } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { createEngine, type EngineEvent, eventLine } from "../engine/index.js";
import { generateBars } from "../ingest/index.js";
import { columnsToBars } from "../model/bar.js";
import { openRepository, type Repository } from "../store/index.js";
import { skipWithout } from "../testing/deps.js";
import { connectBus } from "./connection.js";
import { parseResult } from "./payload.js";
import { BusPublisher, publishReplay } from "./publisher.js";
import { QualityTracker } from "./quality.js";
import { Shard } from "./shard.js";
import { streamNames } from "./streams.js";
import { BusSubjects } from "./subjects.js";
import { hasNatsServer, TestNats } from "./test-support.js";

const XNYS = getCalendar("XNYS");
const FROM = "2024-01-02";
const TO = "2024-01-04";
const CONFIG = {
  from: FROM,
  to: TO,
  derived: { intervals: ["5m", "15m", "60m", "1d"] },
  upkeep: { backoffSeconds: 30, maxRetries: 2 },
};

/** What one process makes of the same bars: the reference every sharded run is compared with. */
async function singleProcess(repository: Repository, symbols: string[]): Promise<string[]> {
  const engine = await createEngine(
    { ...CONFIG, symbols, prefetch: { enabled: false } },
    { repository, replayStore: false },
  );
  const bars = await repository.readBars({ symbols, interval: "1m", from: 0, to: Date.now() });
  const all = columnsToBars(bars);
  for (const s of symbols)
    engine.feed(
      s,
      "bar",
      all.filter((b) => b.symbol === s),
    );
  const quality = new QualityTracker(XNYS, symbols);
  const lines: string[] = [];
  engine.onAny((e: EngineEvent) => {
    lines.push(eventLine(e));
    for (const q of quality.see(e) ?? []) lines.push(JSON.stringify(q));
  });
  await engine.run();
  return lines;
}

/** Every result on the bus, as lines. */
async function results(url: string, prefix: string): Promise<string[]> {
  const bus = await connectBus(url);
  try {
    const subjects = new BusSubjects(prefix);
    const stream = streamNames(subjects).out;
    const info = await bus.jsm.streams.info(stream);
    const c = await bus.js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
    const lines: string[] = [];
    if (info.state.messages === 0) return lines;
    const messages = await c.consume();
    for await (const m of messages) {
      const { line, event } = parseResult(m.data);
      lines.push(event.type === "quality" ? JSON.stringify(event) : line);
      if (m.seq >= info.state.last_seq) break;
    }
    return lines;
  } finally {
    await bus.close();
  }
}

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
    const generated = generateBars({ symbols: 20, days: 3, start: FROM, seed: 7, missingRate: 0.003 });
    for (const g of generated) await repository.writeBars("1m", g.bars);
    symbols = await repository.symbols("1m");
    reference = await singleProcess(repository, symbols);
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
    const got = await results(nats.url, prefix);
    expect(got.length).toBe(reference.length);
    expect([...got].sort()).toEqual([...reference].sort());
    expect(reference.filter((l) => l.includes('"gap"')).length).toBeGreaterThan(0);
  }, 120_000);
});
