import { readFileSync } from "node:fs";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { DeliverPolicy } from "@nats-io/jetstream";
import {
  AckedPublisher,
  BusPublisher,
  BusSubjects,
  connectBus,
  encodeRawBar,
  ensureStreams,
  resultBatchLines,
  Shard,
  streamNames,
} from "../src/bus/index.js";
import { TestNats } from "../src/bus/test-support.js";
import { getCalendar } from "../src/calendar/index.js";
import { generateBars } from "../src/ingest/generate.js";
import { columnsToBars } from "../src/model/bar.js";
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
    batchResults: true,
  });
  parentPort!.postMessage({ ready: true });
  await shard.done;
  await shard.stop();
  await repository.close();
  parentPort!.postMessage({ finished: true });
}

function startShard(job: Omit<ShardJob, "role">): { ready: Promise<void>; finished: Promise<void> } {
  const worker = new Worker(new URL(import.meta.url), { workerData: { ...job, role: ROLE } });
  let ready!: () => void;
  let finished!: () => void;
  const r = {
    ready: new Promise<void>((res) => (ready = res)),
    finished: new Promise<void>((res) => (finished = res)),
  };
  worker.on("message", (m: { ready?: boolean; finished?: boolean }) => {
    if (m.ready) ready();
    if (m.finished) {
      finished();
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

/** What the bus sent through the server in one run: every message of its raw and result streams. */
interface Traffic {
  raw: { subject: string; data: Uint8Array }[];
  out: { subject: string; data: Uint8Array }[];
}

/** Every message a stream holds, in order (read after the timed part). */
async function streamMessages(url: string, stream: string): Promise<Traffic["raw"]> {
  const bus = await connectBus(url, "bench-reader");
  const last = (await bus.jsm.streams.info(stream)).state.last_seq;
  const c = await bus.js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const out: Traffic["raw"] = [];
  for await (const m of await c.consume({ max_messages: 4096 })) {
    out.push({ subject: m.subject, data: m.data });
    if (m.seq >= last) break;
  }
  await bus.close();
  return out;
}

/**
 * CPU time so far, in ms: this process (every thread: publisher, shards, consumers) and the
 * nats-server (from /proc; 0 where there is none).
 */
function cpuMs(nats: TestNats): { own: number; server: number } {
  const u = process.cpuUsage();
  let server = 0;
  try {
    const fields = readFileSync(`/proc/${nats.pid}/stat`, "utf8").split(") ")[1].split(" ");
    server = ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    server = 0;
  }
  return { own: (u.user + u.system) / 1000, server };
}

function cpuSince(nats: TestNats, c0: { own: number; server: number }): { own: number; server: number } {
  const c1 = cpuMs(nats);
  return { own: c1.own - c0.own, server: c1.server - c0.server };
}

function bytes(ms: Traffic["raw"]): number {
  return ms.reduce((n, m) => n + m.data.length, 0);
}

/**
 * One run of publisher -> `shards` shards -> results consumed: wall time from the first raw
 * bar published to the last result read by a subscriber of every result. Raw bars go out a
 * minute to a message (`BusPublisher` default), results a window to a message per shard
 * (`batchResults`).
 */
async function busRun(
  nats: TestNats,
  prefix: string,
  shards: number,
  sessions: ReturnType<typeof generateBars>,
  symbols: string[],
): Promise<{
  bars: number;
  results: number;
  ms: number;
  cpu: { own: number; server: number };
  traffic: Traffic;
}> {
  const runs = Array.from({ length: shards }, (_, i) =>
    startShard({ nats: nats.url, prefix, index: i + 1, count: shards, symbols }),
  );
  await Promise.all(runs.map((r) => r.ready));
  const bus = await connectBus(nats.url, "bench-publisher");
  const publisher = await BusPublisher.open(bus, { prefix, maxInFlight: IN_FLIGHT });
  const names = streamNames(new BusSubjects(prefix));
  const consumed = await consumeAll(nats.url, names.out);
  const c0 = cpuMs(nats);
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
  await Promise.all(runs.map((r) => r.finished));
  // Every shard publishes the boundaries; the stream keeps each once (same message id).
  const t1 = await consumed.until((await bus.jsm.streams.info(names.out)).state.messages);
  const cpu = cpuSince(nats, c0);
  await bus.close();
  const traffic = {
    raw: await streamMessages(nats.url, names.raw),
    out: await streamMessages(nats.url, names.out),
  };
  let results = 0;
  for (const m of traffic.out) {
    if (m.subject.includes(".out.batch."))
      results += resultBatchLines(m.data).filter((l) => !l.startsWith('{"type":"progress"')).length;
    else if (!m.subject.includes(".out.progress.")) results++;
  }
  return { bars, results, ms: t1 - t0, cpu, traffic };
}

/**
 * The floor: the same client publishing the very messages a bus run sent (the same count,
 * sizes and payloads: raw ones to a raw stream, results to a result stream, each from its own
 * connection with the same in-flight window, as the publisher and the shard do) through the
 * same server, and a consumer of each stream reading them at once; nothing else runs.
 * Returns the wall time in ms from the first publish to the last message read.
 */
async function floorRun(
  nats: TestNats,
  prefix: string,
  traffic: Traffic,
): Promise<{ ms: number; cpu: { own: number; server: number } }> {
  const subjects = new BusSubjects(prefix);
  const setup = await connectBus(nats.url, "bench-floor");
  const names = await ensureStreams(setup.jsm, subjects);
  const consumers = [await consumeAll(nats.url, names.raw), await consumeAll(nats.url, names.out)];
  const send = async (ms: Traffic["raw"], subject: (i: number) => string) => {
    const bus = await connectBus(nats.url, "bench-floor-publisher");
    const publisher = new AckedPublisher(bus.js, { maxInFlight: IN_FLIGHT });
    for (let i = 0; i < ms.length; i++) {
      const r = publisher.publish(subject(i), ms[i].data, `f.${i}`);
      if (r) await r;
    }
    await publisher.flush();
    await bus.close();
  };
  const c0 = cpuMs(nats);
  const t0 = performance.now();
  await Promise.all([
    send(traffic.raw, () => subjects.rawBatch),
    send(traffic.out, (i) => subjects.resultBatch(i % 2)),
  ]);
  const t1 = Math.max(
    await consumers[0].until(traffic.raw.length),
    await consumers[1].until(traffic.out.length),
  );
  const cpu = cpuSince(nats, c0);
  await setup.close();
  return { ms: t1 - t0, cpu };
}

/**
 * The traffic of the bus without batching, as the floor is defined: one message a raw
 * bar (its JSON line, as `batchBars: 1` publishes it) and one a result line (as a shard without
 * `--bus-batch` publishes it), built from a batched run's results.
 */
function perBarTraffic(sessions: ReturnType<typeof generateBars>, batched: Traffic): Traffic {
  const raw = sessions
    .flatMap((s) => columnsToBars(s.bars))
    .map((b) => ({ subject: "", data: encodeRawBar(b) }));
  const out: Traffic["out"] = [];
  for (const m of batched.out) {
    if (!m.subject.includes(".out.batch.")) out.push(m);
    else
      for (const line of resultBatchLines(m.data))
        if (!line.startsWith('{"type":"progress"'))
          out.push({ subject: "", data: new TextEncoder().encode(line) });
  }
  return { raw, out };
}

/** Each measurement is repeated, floor and bus alternating; the figures are the medians. */
const REPEATS = 3;

interface Pair {
  bus: Awaited<ReturnType<typeof busRun>>;
  floor: Awaited<ReturnType<typeof floorRun>>;
}

async function repeated(
  nats: TestNats,
  sessions: ReturnType<typeof generateBars>,
  symbols: string[],
  shards: number,
): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (let k = 0; k < REPEATS; k++) {
    const bus = await busRun(nats, `bench${shards}r${k}`, shards, sessions, symbols);
    pairs.push({ bus, floor: await floorRun(nats, `floor${shards}r${k}`, bus.traffic) });
  }
  return pairs;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US");

/** The floor's and the bus's figures of repeated pairs: medians, and each pair's ratio. */
function figures(label: string, pairs: Pair[]): Figure[] {
  const t = pairs[0].bus.traffic;
  const { bars, results } = pairs[0].bus;
  const messages = t.raw.length + t.out.length;
  const floorMs = median(pairs.map((p) => p.floor.ms));
  const busMs = median(pairs.map((p) => p.bus.ms));
  const ratios = pairs.map((p) => p.floor.ms / p.bus.ms);
  const cpu = (c: { own: number; server: number }) => `${fmt(c.own)}+${fmt(c.server)}`;
  const cpuNote = (which: "bus" | "floor") =>
    `CPU ms (this process + nats-server) ${pairs.map((p) => cpu(p[which].cpu)).join(", ")}`;
  return [
    {
      name: `jetstreamFloorMessagesPerSecond${label}`,
      value: messages / (floorMs / 1000),
      unit: "msg/s",
      note: `${t.raw.length} raw + ${t.out.length} result msgs, ${(bytes(t.raw) / 1e6).toFixed(1)} + ${(bytes(t.out) / 1e6).toFixed(1)} MB, median ${Math.round(floorMs)} ms: ${fmt(bars / (floorMs / 1000))} bars/s; ${cpuNote("floor")}`,
    },
    {
      name: `busBarsPerSecond${label}`,
      value: bars / (busMs / 1000),
      unit: "bars/s",
      note: `${median(ratios).toFixed(2)}x floor (pairs ${ratios.map((r) => r.toFixed(2)).join(", ")}); ${bars} bars, ${results} results, median ${Math.round(busMs)} ms: ${fmt(messages / (busMs / 1000))} msg/s; ${cpuNote("bus")}`,
    },
  ];
}

const group: BenchGroup = {
  name: "bus",
  async run(): Promise<Figure[]> {
    const sessions = generateBars({ symbols: SYMBOLS, days: 1, start: DATE, seed: 5 });
    const symbols = [...new Set(sessions[0].bars.symbol)].sort();
    const nats = await TestNats.start();
    try {
      const runs = (await repeated(nats, sessions, symbols, 1)).concat(
        await repeated(nats, sessions, symbols, 2),
      );
      const one = figures("SameTraffic", runs.slice(0, REPEATS));
      const two = figures("SameTraffic2Shards", runs.slice(REPEATS));
      // The floor: the messages of the bus without batching (a bar or a result line
      // each), as many as it would send; the bus's bars/s against this floor's messages/s.
      const unbatched = perBarTraffic(sessions, runs[0].bus.traffic);
      const floors: number[] = [];
      for (let k = 0; k < REPEATS; k++) floors.push((await floorRun(nats, `floorbar${k}`, unbatched)).ms);
      const floorMs = median(floors);
      const count = unbatched.raw.length + unbatched.out.length;
      const floor = count / (floorMs / 1000);
      const busOf = (f: Figure[]) => f.find((x) => x.name.startsWith("busBarsPerSecond"))!.value;
      const ratio = (v: number) => `${(v / floor).toFixed(2)}x jetstreamFloorMessagesPerSecond`;
      return [
        {
          name: "jetstreamFloorMessagesPerSecond",
          value: floor,
          unit: "msg/s",
          note: `the bus's messages unbatched: ${unbatched.raw.length} raw bars + ${unbatched.out.length} result lines, ${(bytes(unbatched.raw) / 1e6).toFixed(1)} + ${(bytes(unbatched.out) / 1e6).toFixed(1)} MB, median ${Math.round(floorMs)} ms of ${floors.map((m) => Math.round(m)).join(", ")}`,
        },
        { name: "busBarsPerSecond", value: busOf(one), unit: "bars/s", note: ratio(busOf(one)) },
        { name: "busBarsPerSecond2Shards", value: busOf(two), unit: "bars/s", note: ratio(busOf(two)) },
        ...one.map((f) => (f.name.startsWith("bus") ? { ...f, name: "busBarsPerSecondSameTrafficPair" } : f)),
        ...two.map((f) =>
          f.name.startsWith("bus") ? { ...f, name: "busBarsPerSecondSameTrafficPair2Shards" } : f,
        ),
      ];
    } finally {
      await nats.stop();
    }
  },
};

export default group;

if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE)
  await shardInWorker(workerData as ShardJob);
