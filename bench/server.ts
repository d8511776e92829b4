import type { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import autocannon from "autocannon";
import Fastify from "fastify";
import { getCalendar } from "../src/calendar/index.js";
import { createEngine } from "../src/engine/engine.js";
import { allocBarColumns, type BarColumns } from "../src/model/bar.js";
import { startServer } from "../src/server/listen.js";
import { openRepository } from "../src/store/index.js";
import type { BenchGroup, Figure } from "./harness.js";

/** Symbols replayed while the API is under load. */
const SYMBOLS = 400;
/** Stored sessions per symbol before the replayed one: the span of stored-range and quality reads. */
const STORED_SESSIONS = 20;
/** Replay pace: one one-minute bar per symbol per wall second. */
const SPEED = 60;
/** The offered rate of the main figure. */
const RATE = 1000;
const SECONDS = 10;
/** Offered rates tried for `apiMaxRequestsPerSecond`, each for STEP_SECONDS. */
const STEPS = [1000, 1500, 2000, 3000, 4000, 6000];
const STEP_SECONDS = 4;
/** The p99 a step must hold to count as held. */
const HELD_P99_MS = 50;
/**
 * Connections. autocannon's rate limit sends each second's quota back to back and then waits,
 * so this is also how many requests are in flight during that burst: latency ~ connections x
 * the time to serve one request.
 */
const CONNECTIONS = 8;
const WARMUP_SECONDS = 2;

const ROLE = "tickwright-bench-server";
const symbolName = (i: number) => `S${String(i).padStart(3, "0")}`;

/** A deterministic random walk of one session's regular minutes for `symbols`, as columns. */
function sessionColumns(minutes: Float64Array, symbols: string[], seed: number): BarColumns {
  const c = allocBarColumns(minutes.length * symbols.length);
  let s = seed >>> 0;
  const price = symbols.map((_, i) => 50 + i);
  let row = 0;
  for (const t of minutes) {
    for (let k = 0; k < symbols.length; k++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      // About one minute in 500 missing, so quality reads find gaps.
      if (s % 500 === 7) continue;
      const open = price[k];
      const close = Math.max(1, Math.round((open + ((s % 21) - 10) / 100) * 100) / 100);
      c.symbol[row] = symbols[k];
      c.time[row] = t;
      c.open[row] = open;
      c.high[row] = Math.max(open, close) + (s % 7) / 100;
      c.low[row] = Math.min(open, close) - (s % 5) / 100;
      c.close[row] = close;
      c.volume[row] = 100 + (s % 1000);
      price[k] = close;
      row++;
    }
  }
  c.length = row;
  return c;
}

/** What the worker reports when stopped. */
interface WorkerReport {
  /** Longest event-loop stall of the server's thread while under load, ms. */
  loopMaxMs: number;
  /** Longest stall less the time the thread waited for a CPU (undefined off Linux), ms. */
  ownMaxMs: number | undefined;
  barsIn: number;
}

/** This thread's ns on a CPU and ns runnable but waiting for one (Linux), or undefined. */
function schedstat(): { run: number; wait: number } | undefined {
  try {
    const [run, wait] = readFileSync("/proc/thread-self/schedstat", "utf8").split(" ").map(Number);
    return { run, wait };
  } catch {
    return undefined;
  }
}

/**
 * The longest stall of this thread's event loop that was its own doing: a timer every
 * TICK_MS; the time between two ticks, less the time the OS kept the thread waiting for a
 * CPU (a machine shared with other work deschedules it), is what the loop's own tasks and
 * blocking calls took.
 */
function ownStalls(): { stop: () => number | undefined } {
  const TICK_MS = 2;
  let prev = { at: performance.now(), stat: schedstat() };
  let max = 0;
  const timer = setInterval(() => {
    const at = performance.now();
    const stat = schedstat();
    if (stat && prev.stat) {
      const waited = (stat.wait - prev.stat.wait) / 1e6;
      max = Math.max(max, at - prev.at - TICK_MS - waited);
    }
    prev = { at, stat };
  }, TICK_MS);
  return {
    stop: () => {
      clearInterval(timer);
      return prev.stat ? max : undefined;
    },
  };
}

/**
 * The server side, in a worker thread so the load generator does not share its event loop:
 * stores STORED_SESSIONS + 1 sessions of SYMBOLS symbols in a DuckDB file, replays the
 * last one at SPEED x real time, serves the API and posts its URL once the first bars are in.
 * Also serves the floor: a bare fastify route with a constant JSON body, on its own port.
 */
async function serveInWorker(): Promise<void> {
  const xnys = getCalendar("XNYS");
  const sessions = xnys.sessions("2024-01-02", "2024-03-29").slice(0, STORED_SESSIONS + 1);
  const symbols = Array.from({ length: SYMBOLS }, (_, i) => symbolName(i));
  // A database file, as `serve --db FILE` reads (its range reads then run off the main thread).
  const dir = mkdtempSync(join(tmpdir(), "tw-bench-server-"));
  const repository = await openRepository(join(dir, "bench.duckdb"));
  for (const [i, session] of sessions.entries()) {
    await repository.writeBars("1m", sessionColumns(xnys.expectedMinutes(session), symbols, i + 1));
  }
  const last = sessions[sessions.length - 1].date;
  const engine = await createEngine(
    { symbols, from: last, to: last, speed: SPEED, derived: { intervals: ["5m", "15m"] } },
    { repository, calendar: xnys },
  );
  const server = await startServer({ engine, port: 0, defaultMetrics: false });
  const floor = Fastify();
  floor.get("/health", async () => ({ status: "ok", at: 0 }));
  const floorUrl = await floor.listen({ port: 0, host: "127.0.0.1" });
  let bars = 0;
  const ready = new Promise<void>((resolve) => {
    const off = engine.on("bar", () => {
      if (++bars >= 5 * SYMBOLS) {
        off();
        resolve();
      }
    });
  });
  const replay = engine.run();
  await ready;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  let own: ReturnType<typeof ownStalls> | undefined;
  let report: WorkerReport | undefined;
  parentPort!.on("message", async (m: string) => {
    if (m === "measure") {
      loop.reset();
      loop.enable();
      own = ownStalls();
      return;
    }
    if (m === "measured") {
      loop.disable();
      report = { loopMaxMs: loop.max / 1e6, ownMaxMs: own?.stop(), barsIn: engine.counters().barsIn };
      return;
    }
    await engine.stop();
    await replay;
    await server.close();
    await floor.close();
    await repository.close();
    rmSync(dir, { recursive: true, force: true });
    parentPort!.postMessage(report ?? { loopMaxMs: Number.NaN, ownMaxMs: undefined, barsIn: 0 });
  });
  parentPort!.postMessage({
    url: server.url,
    floorUrl,
    dates: sessions.slice(0, STORED_SESSIONS).map((s) => s.date),
  });
}

/** The request mix: 35% stored-range bars, 35% recent bars, 20% health, 10% quality. */
function mixPaths(dates: string[], n: number): string[] {
  let s = 12345;
  const rand = (k: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % k;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = i % 20;
    if (r < 7) {
      const date = dates[rand(dates.length)];
      out.push(`/api/bars?symbol=${symbolName(rand(SYMBOLS))}&interval=5m&from=${date}&to=${date}`);
    } else if (r < 14) {
      out.push(`/api/bars?symbol=${symbolName(rand(SYMBOLS))}&interval=5m&n=100`);
    } else if (r < 18) {
      out.push("/health");
    } else {
      const first = rand(SYMBOLS - 10);
      const list = Array.from({ length: 10 }, (_, k) => symbolName(first + k)).join(",");
      out.push(`/api/quality?symbols=${list}&from=${dates[0]}&to=${dates[dates.length - 1]}`);
    }
  }
  return out;
}

/** One load step's latencies (fractional ms, from autocannon's per-response times) and failures. */
interface Step {
  p50: number;
  p99: number;
  max: number;
  rps: number;
  errors: number;
}

async function load(url: string, paths: string[], rate: number, seconds: number): Promise<Step> {
  let n = 0;
  const times = new Float64Array(Math.ceil(rate * seconds * 1.5) + 100);
  let count = 0;
  // The promise autocannon returns is also its event emitter (the types leave that out).
  const job = autocannon({
    url,
    connections: CONNECTIONS,
    overallRate: rate,
    duration: seconds,
    requests: [{ setupRequest: (req) => ({ ...req, path: paths[n++ % paths.length] }) }],
  }) as ReturnType<typeof autocannon> & EventEmitter;
  job.on("response", (_client: unknown, _status: number, _bytes: number, ms: number) => {
    if (count < times.length) times[count++] = ms;
  });
  const result = await job;
  const sorted = times.subarray(0, count).sort();
  const at = (q: number) => sorted[Math.min(count - 1, Math.floor(q * count))];
  return {
    p50: at(0.5),
    p99: at(0.99),
    max: sorted[count - 1],
    rps: result.requests.average,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}

/** The highest offered rate of STEPS held with p99 < HELD_P99_MS and no errors (0 if none). */
async function maxHeld(url: string, paths: string[]): Promise<{ rate: number; steps: string }> {
  let held = 0;
  const seen: string[] = [];
  for (const rate of STEPS) {
    const step = await load(url, paths, rate, STEP_SECONDS);
    seen.push(`${rate}: p99 ${step.p99.toFixed(1)} ms${step.errors > 0 ? `, ${step.errors} failed` : ""}`);
    if (step.p99 >= HELD_P99_MS || step.errors > 0 || step.rps < rate * 0.9) break;
    held = rate;
  }
  return { rate: held, steps: seen.join("; ") };
}

async function run(): Promise<Figure[]> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: ROLE } });
  const started = await new Promise<{ url: string; floorUrl: string; dates: string[] }>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  const paths = mixPaths(started.dates, 10_000);
  const floorPaths = ["/health"];
  // Cold: the mix's quality request (10 symbols x 20 sessions) before anything is kept.
  const dates = started.dates;
  const coldSymbols = Array.from({ length: 10 }, (_, k) => symbolName(k)).join(",");
  const t0 = performance.now();
  const cold = await fetch(
    `${started.url}/api/quality?symbols=${coldSymbols}&from=${dates[0]}&to=${dates[dates.length - 1]}`,
  );
  if (!cold.ok) throw new Error(`cold quality read: HTTP ${cold.status} ${await cold.text()}`);
  const coldMs = performance.now() - t0;
  // Cold too: the first stored-range request of each stored session reads that session whole.
  const t1 = performance.now();
  for (const date of dates) {
    const r = await fetch(`${started.url}/api/bars?symbol=S000&interval=5m&from=${date}&to=${date}`);
    if (!r.ok) throw new Error(`cold bars read: HTTP ${r.status} ${await r.text()}`);
  }
  const coldSessionsMs = performance.now() - t1;
  await load(started.url, paths, RATE, WARMUP_SECONDS);
  worker.postMessage("measure");
  const main = await load(started.url, paths, RATE, SECONDS);
  worker.postMessage("measured");
  const floor = await load(started.floorUrl, floorPaths, RATE, SECONDS);
  const apiMax = await maxHeld(started.url, paths);
  const floorMax = await maxHeld(started.floorUrl, floorPaths);
  worker.postMessage("stop");
  const report = await new Promise<WorkerReport>((resolve) => worker.once("message", resolve));
  const own = report.ownMaxMs;
  await worker.terminate();
  const mix =
    "35% /api/bars one stored session at 5m, 35% /api/bars?n=100, 20% /health, 10% /api/quality 10 symbols x 20 sessions";
  const setting = `${RATE}/s for ${SECONDS} s, ${CONNECTIONS} connections, ${SYMBOLS} symbols replaying at ${SPEED}x`;
  return [
    { name: "apiP50Millis", value: main.p50, unit: "ms", note: mix },
    {
      name: "apiP99Millis",
      value: main.p99,
      unit: "ms",
      note: `target < 20 ms, ${main.errors} failed; ${setting}; floor (bare fastify, constant JSON) p99 ${floor.p99.toFixed(2)} ms (${(main.p99 / floor.p99).toFixed(1)}x)`,
    },
    { name: "apiMaxMillis", value: main.max, unit: "ms", note: "slowest response" },
    {
      name: "apiColdQualityMillis",
      value: coldMs,
      unit: "ms",
      note: `first /api/quality of 10 symbols x ${dates.length} sessions: one read of those symbols' minutes`,
    },
    {
      name: "apiColdSessionsMillis",
      value: coldSessionsMs,
      unit: "ms",
      note: `the first /api/bars of each of the ${dates.length} stored sessions, one after another: each reads its session whole (${SYMBOLS} symbols) to keep it`,
    },
    {
      name: "apiEventLoopMaxMillis",
      value: report.loopMaxMs,
      unit: "ms",
      note: "longest stall of the server's event loop during the 1,000 req/s run (wall time, the OS descheduling the thread included)",
    },
    {
      name: "apiEventLoopOwnMaxMillis",
      value: own ?? Number.NaN,
      unit: "ms",
      note:
        own === undefined
          ? "needs Linux's /proc/thread-self/schedstat"
          : "longest stall of the event loop less the time the thread waited for a CPU (schedstat): what the server's own work blocked; target < 20 ms",
    },
    {
      name: "apiRequestsPerSecond",
      value: main.rps,
      unit: "req/s",
      note: `offered ${RATE}/s`,
    },
    {
      name: "apiMaxRequestsPerSecond",
      value: apiMax.rate,
      unit: "req/s",
      note: `highest offered rate with p99 < ${HELD_P99_MS} ms (${apiMax.steps}); floor ${floorMax.rate} req/s (${floorMax.steps})`,
    },
  ];
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE) await serveInWorker();

/** API latency under a realistic mix while a paced replay runs (autocannon against a worker-thread server). */
const group: BenchGroup = { name: "server", run };
export default group;
