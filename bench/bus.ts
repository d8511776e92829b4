import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { DeliverPolicy } from "@nats-io/jetstream";
import {
  AckedPublisher,
  BusPublisher,
  BusSubjects,
  connectBus,
  encodeRawBar,
  ensureStreams,
  Shard,
  streamNames,
} from "../src/bus/index.js";
import { TestNats } from "../src/bus/test-support.js";
import { getCalendar } from "../src/calendar/index.js";
import { generateBars } from "../src/ingest/generate.js";
import { openRepository } from "../src/store/index.js";
import type { BenchGroup, Figure } from "./harness.js";

/** Symbols published, as the issue asks (BENCH_BUS_SYMBOLS for a shorter profile run). */
const SYMBOLS = Number(process.env.BENCH_BUS_SYMBOLS ?? 400);
/** The session replayed (regular hours: 390 minutes, so 156,000 bars). */
const DATE = "2024-01-02";
const ROLE = "bus-shard";
/** Raw messages (and results) awaiting their ack at most, the same for the floor. */
const IN_FLIGHT = 1024;
const CONFIG = {
  from: DATE,
  to: DATE,
  derived: { intervals: ["5m", "15m", "60m"] },
  upkeep: { enabled: false },
};

interface ShardJob {
  role: typeof ROLE;
  nats: string;
  prefix: string;
  index: number;
  count: number;
  symbols: string[];
}

/** A shard in a worker thread (its own event loop, as its own process would have). */
async function shardInWorker(job: ShardJob): Promise<void> {
  const repository = await openRepository(":memory:");
  const shard = await Shard.start({
    nats: job.nats,
    prefix: job.prefix,
    shard: { index: job.index, count: job.count },
    symbols: job.symbols,
    config: CONFIG,
    parts: { repository, calendar: getCalendar("XNYS") },
    maxInFlight: IN_FLIGHT,
  });
  parentPort!.postMessage({ ready: true });
  await shard.done;
  const counters = shard.counters();
  await shard.stop();
  await repository.close();
  parentPort!.postMessage({ results: counters.resultsPublished });
}

function startShard(job: Omit<ShardJob, "role">): { ready: Promise<void>; results: Promise<number> } {
  const worker = new Worker(new URL(import.meta.url), { workerData: { ...job, role: ROLE } });
  let ready!: () => void;
  let results!: (n: number) => void;
  const r = {
    ready: new Promise<void>((res) => (ready = res)),
    results: new Promise<number>((res) => (results = res)),
  };
  worker.on("message", (m: { ready?: boolean; results?: number }) => {
    if (m.ready) ready();
    if (m.results !== undefined) {
      results(m.results);
      void worker.terminate();
    }
  });
  worker.on("error", (err) => {
    throw err;
  });
  return r;
}

/** Reads a stream from its start as it fills; `until(n)` resolves at the n-th message's arrival time. */
async function consumeAll(url: string, stream: string): Promise<{ until(n: number): Promise<number> }> {
  const bus = await connectBus(url, "bench-consumer");
  const c = await bus.js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const messages = await c.consume({ max_messages: 4096 });
  let n = 0;
  let lastAt = 0;
  void (async () => {
    for await (const _ of messages) {
      n++;
      lastAt = performance.now();
    }
  })();
  return {
    async until(count: number) {
      while (n < count) await new Promise((r) => setTimeout(r, 5));
      void messages.close();
      await bus.close();
      return lastAt;
    },
  };
}

/**
 * One run of publisher -> `shards` shards -> results consumed: wall time from the first raw
 * bar published to the last result read by a subscriber of every result.
 */
async function busRun(
  nats: TestNats,
  prefix: string,
  shards: number,
  sessions: ReturnType<typeof generateBars>,
  symbols: string[],
): Promise<{ bars: number; results: number; ms: number }> {
  const runs = Array.from({ length: shards }, (_, i) =>
    startShard({ nats: nats.url, prefix, index: i + 1, count: shards, symbols }),
  );
  await Promise.all(runs.map((r) => r.ready));
  const bus = await connectBus(nats.url, "bench-publisher");
  const publisher = await BusPublisher.open(bus, { prefix, maxInFlight: IN_FLIGHT });
  const consumed = await consumeAll(nats.url, streamNames(new BusSubjects(prefix)).out);
  const t0 = performance.now();
  let bars = 0;
  for (const { bars: batch } of sessions) {
    for (let i = 0; i < batch.length; ) {
      const next = await publisher.minute(batch, i);
      bars += next - i;
      i = next;
    }
  }
  await publisher.end(Date.parse(`${DATE}T23:59:00Z`));
  await Promise.all(runs.map((r) => r.results));
  // Every shard publishes the boundaries; the stream keeps each once (same message id).
  const results = (await bus.jsm.streams.info(streamNames(new BusSubjects(prefix)).out)).state.messages;
  const t1 = await consumed.until(results);
  await bus.close();
  return { bars, results, ms: t1 - t0 };
}

/**
 * The floor: the same client publishing `count` messages of `size` bytes through the same
 * server with the same in-flight window and consuming them at once, nothing else running.
 */
async function floorRun(nats: TestNats, count: number, payload: Uint8Array): Promise<number> {
  const bus = await connectBus(nats.url, "bench-floor");
  const subjects = new BusSubjects("floor");
  await ensureStreams(bus.jsm, subjects);
  const publisher = new AckedPublisher(bus.js, { maxInFlight: IN_FLIGHT });
  const consumed = await consumeAll(nats.url, streamNames(subjects).raw);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const r = publisher.publish(subjects.raw("bar", `S${i % SYMBOLS}`), payload, `f.${i}`);
    if (r) await r;
  }
  await publisher.flush();
  const t1 = await consumed.until(count);
  await bus.close();
  return count / ((t1 - t0) / 1000);
}

const group: BenchGroup = {
  name: "bus",
  async run(): Promise<Figure[]> {
    const sessions = generateBars({ symbols: SYMBOLS, days: 1, start: DATE, seed: 5 });
    const symbols = [...new Set(sessions[0].bars.symbol)].sort();
    const b = sessions[0].bars;
    const sample = encodeRawBar({
      symbol: b.symbol[0],
      time: b.time[0],
      open: b.open[0],
      high: b.high[0],
      low: b.low[0],
      close: b.close[0],
      volume: b.volume[0],
    });
    const nats = await TestNats.start();
    try {
      const floor = await floorRun(nats, b.length, sample);
      const one = await busRun(nats, "bench1", 1, sessions, symbols);
      const two = await busRun(nats, "bench2", 2, sessions, symbols);
      const rate = (r: { bars: number; ms: number }) => r.bars / (r.ms / 1000);
      const note = (r: { bars: number; results: number; ms: number }) =>
        `${(rate(r) / floor).toFixed(2)}x floor; ${r.bars} bars, ${r.results} results in ${Math.round(r.ms)} ms`;
      return [
        {
          name: "jetstreamFloorMessagesPerSecond",
          value: floor,
          unit: "msg/s",
          note: `${sample.length} B each`,
        },
        { name: "busBarsPerSecond", value: rate(one), unit: "bars/s", note: `1 shard: ${note(one)}` },
        { name: "busBarsPerSecond2Shards", value: rate(two), unit: "bars/s", note: `2 shards: ${note(two)}` },
      ];
    } finally {
      await nats.stop();
    }
  },
};

export default group;

if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE)
  await shardInWorker(workerData as ShardJob);
