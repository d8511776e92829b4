import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JetStreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { allocBarColumns } from "../model/bar.js";
import { openRepository, type Repository } from "../store/index.js";
import { skipWithout } from "../testing/deps.js";
import { encodeBinaryBatch } from "./binary-batch.js";
import { connectBus } from "./connection.js";
import { BusPublisher } from "./publisher.js";
import { serveShard } from "./serve.js";
import type { ShardOptions } from "./shard.js";
import { streamNames } from "./streams.js";
import { BusSubjects } from "./subjects.js";
import { hasNatsServer, resultLines, TestNats } from "./test-support.js";

const XNYS = getCalendar("XNYS");
const OPEN = XNYS.sessions("2024-01-02", "2024-01-02")[0].open;
const encoder = new TextEncoder();

describe.skipIf(skipWithout("nats-server", hasNatsServer()))("malformed raw messages", () => {
  let nats: TestNats;
  let dir: string;
  let repository: Repository;

  beforeAll(async () => {
    nats = await TestNats.start();
    dir = mkdtempSync(join(tmpdir(), "tw-dlq-"));
    repository = await openRepository(join(dir, "empty.duckdb"));
  });

  /** A shard owning AAA on 2024-01-02 (5m bars, no upkeep), served on a free port. */
  const shardOf = (prefix: string, extra: Partial<ShardOptions> = {}) =>
    serveShard(
      {
        nats: nats.url,
        prefix,
        shard: { index: 1, count: 1 },
        symbols: ["AAA"],
        config: {
          from: "2024-01-02",
          to: "2024-01-02",
          derived: { intervals: ["5m"] },
          upkeep: { enabled: false },
        },
        parts: { repository, calendar: XNYS },
        ...extra,
      },
      { port: 0 },
    );
  /**
   * Waits for the shard to finish and to ack every raw message (its position is read every
   * 2 s), then returns the streams' names and its /metrics text.
   */
  async function drained(
    served: Awaited<ReturnType<typeof shardOf>>,
    jsm: JetStreamManager,
    subjects: BusSubjects,
  ) {
    await served.shard.done;
    const names = streamNames(subjects);
    const last = (await jsm.streams.info(names.raw)).state.last_seq;
    for (let i = 0; i < 100 && served.shard.position.ackFloor < last; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(served.shard.position.ackFloor).toBe(last);
    return { names, last, metrics: await (await fetch(`${served.url}/metrics`)).text() };
  }
  afterAll(async () => {
    await repository?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("are rejected with their reason, counted in /metrics, acked, kept in the dead-letter stream; the shard goes on", async () => {
    const prefix = "dlq";
    const subjects = new BusSubjects(prefix);
    const served = await shardOf(prefix);
    const bus = await connectBus(nats.url);
    const publisher = await BusPublisher.open(bus, { prefix });
    const bar = (k: number) => ({
      symbol: "AAA",
      time: OPEN + k * 60_000,
      open: 10 + k,
      high: 11 + k,
      low: 9 + k,
      close: 10.5 + k,
      volume: 100,
    });
    for (let k = 0; k < 5; k++) {
      if (k === 2) {
        await bus.js.publish(subjects.raw("bar", "AAA"), encoder.encode("{not json"));
        await bus.js.publish(
          subjects.raw("bar", "AAA"),
          encoder.encode(JSON.stringify({ ...bar(2), type: "bar", high: 1 })),
        );
      }
      await publisher.bar(bar(k));
      await publisher.clock(OPEN + (k + 1) * 60_000);
    }
    await publisher.end(OPEN + 5 * 60_000);
    const { names, last, metrics } = await drained(served, bus.jsm, subjects);
    expect(metrics).toContain("tickwright_bus_consumer_lag 0");
    expect(metrics).toContain("tickwright_bus_consumer_pending 0");
    expect(metrics).toContain("tickwright_bus_consumer_ack_pending 0");
    expect(metrics).toContain('tickwright_bus_rejected_total{reason="not JSON"} 1');
    expect(metrics).toContain('tickwright_bus_rejected_total{reason="high below low"} 1');
    const health = (await (await fetch(`${served.url}/health`)).json()) as {
      components: {
        bus: { details: { consumer: { lag: number; pending: number; ackFloor: number }; rawBars: number } };
      };
    };
    expect(health.components.bus.details.rawBars).toBe(5);
    expect(health.components.bus.details.consumer).toMatchObject({ lag: 0, pending: 0, ackFloor: last });
    const info = await bus.jsm.streams.info(names.deadLetter);
    expect(info.state.messages).toBe(2);
    const first = await bus.jsm.streams.getMessage(names.deadLetter, { seq: info.state.first_seq });
    expect(first?.header.get("Tw-Reason")).toBe("not JSON");
    expect(first?.subject).toBe("dlq.dlq.bar.AAA");
    expect(new TextDecoder().decode(first?.data)).toBe("{not json");
    const lastBar = await bus.jsm.streams.getMessage(names.out, { last_by_subj: subjects.bar("1m", "AAA") });
    expect(JSON.parse(new TextDecoder().decode(lastBar?.data)).time).toBe(OPEN + 4 * 60_000);
    await bus.close();
    await served.close();
  }, 60_000);

  it("a bad line (JSON) or row (binary) of a batch message is rejected alone, counted, kept with its place; the batch's good bars land", async () => {
    const prefix = "dlqb";
    const subjects = new BusSubjects(prefix);
    const served = await shardOf(prefix, { batchResults: true });
    const bus = await connectBus(nats.url);
    const publisher = await BusPublisher.open(bus, { prefix });
    const line = (k: number, high = 11 + k) =>
      JSON.stringify({
        type: "bar",
        at: OPEN + (k + 1) * 60_000,
        symbol: "AAA",
        interval: "1m",
        time: OPEN + k * 60_000,
        open: 10 + k,
        high,
        low: 9 + k,
        close: 10.5 + k,
        volume: 100,
      });
    // Minute 0 from the publisher (one batch message with its watermark), minute 1 by hand:
    // a good bar, a line that is not JSON, another shard's symbol, a bar with high below low,
    // and the watermark line.
    await publisher.minute(
      {
        ...allocBarColumns(1),
        length: 1,
        symbol: ["AAA"],
        time: Float64Array.of(OPEN),
        open: Float64Array.of(10),
        high: Float64Array.of(11),
        low: Float64Array.of(9),
        close: Float64Array.of(10.5),
        volume: Float64Array.of(100),
      },
      0,
    );
    const bad = line(1, 1);
    const lines = [
      line(1),
      "{not json",
      line(1).replace('"AAA"', '"BBB"'),
      bad,
      JSON.stringify({ type: "clock", at: OPEN + 2 * 60_000 }),
    ];
    await bus.js.publish(subjects.rawBatch, encoder.encode(lines.join("\n")), { msgID: "by-hand" });
    // Minute 2 as a binary batch: a good bar, a bar with high below low, another shard's symbol.
    const m2 = OPEN + 2 * 60_000;
    const rows = allocBarColumns(3);
    rows.symbol.splice(0, 3, "AAA", "AAA", "BBB");
    rows.time.set([m2, m2, m2]);
    rows.open.set([12, 12, 12]);
    rows.high.set([13, 1, 13]);
    rows.low.set([11, 11, 11]);
    rows.close.set([12.5, 12.5, 12.5]);
    rows.volume.set([100, 100, 100]);
    rows.length = 3;
    await bus.js.publish(subjects.rawBatch, encodeBinaryBatch(rows, 0, 3, m2 + 60_000), { msgID: "binary" });
    await publisher.end(OPEN + 3 * 60_000);
    const { names, metrics } = await drained(served, bus.jsm, subjects);
    expect(metrics).toContain('tickwright_bus_rejected_total{reason="not JSON"} 1');
    expect(metrics).toContain('tickwright_bus_rejected_total{reason="high below low"} 2');
    expect(metrics).toContain("tickwright_bus_consumer_lag 0");
    expect(served.shard.counters().rawBars).toBe(3);
    const info = await bus.jsm.streams.info(names.deadLetter);
    expect(info.state.messages).toBe(3);
    const kept = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++)
      kept.push(await bus.jsm.streams.getMessage(names.deadLetter, { seq }));
    expect(kept.map((m) => [m?.subject, m?.header.get("Tw-Line"), m?.header.get("Tw-Reason")])).toEqual([
      ["dlqb.dlq.batch", "1", "not JSON"],
      ["dlqb.dlq.batch", "3", "high below low"],
      ["dlqb.dlq.batch", "1", "high below low"],
    ]);
    expect(new TextDecoder().decode(kept[1]?.data)).toBe(bad);
    expect(JSON.parse(new TextDecoder().decode(kept[2]?.data))).toMatchObject({
      symbol: "AAA",
      time: m2,
      high: 1,
    });
    // Every good bar landed: the results hold the 1m bars of minutes 0, 1 and 2.
    const bars = (await resultLines(nats.url, prefix))
      .map((l) => JSON.parse(l) as { type: string; interval?: string; time?: number })
      .filter((e) => e.type === "bar" && e.interval === "1m")
      .map((e) => e.time);
    expect(bars).toEqual([OPEN, OPEN + 60_000, m2]);
    await bus.close();
    await served.close();
  }, 60_000);
});
