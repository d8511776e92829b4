import type { EventEmitter } from "node:events";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import autocannon from "autocannon";
import { getCalendar } from "../src/calendar/index.js";
import { createEngine } from "../src/engine/engine.js";
import { allocBarColumns, type BarColumns } from "../src/model/bar.js";
import { startServer } from "../src/server/listen.js";
import { openRepository } from "../src/store/index.js";
import type { BenchGroup, Figure } from "./harness.js";

/** Symbols replayed while the API is under load. */
const SYMBOLS = 100;
/** Stored sessions per symbol: the last is replayed, the five before are its history. */
const SESSIONS = 6;
/** Replay pace: one one-minute bar per symbol per wall second. */
const SPEED = 60;
const RATE = 1000;
const SECONDS = 10;
/**
 * Connections. autocannon's rate limit sends each second's quota back to back and then waits,
 * so this is also how many requests are in flight during that burst: latency ~ connections x
 * the time to serve one request.
 */
const CONNECTIONS = 8;
const WARMUP_SECONDS = 2;

const ROLE = "tickwright-bench-server";

/** A deterministic random walk of one session's regular minutes for `symbols`, as columns. */
function sessionColumns(minutes: Float64Array, symbols: string[], seed: number): BarColumns {
  const c = allocBarColumns(minutes.length * symbols.length);
  let s = seed >>> 0;
  const price = symbols.map((_, i) => 50 + i);
  let row = 0;
  for (const t of minutes) {
    for (let k = 0; k < symbols.length; k++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
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

/**
 * The server side, in a worker thread so the load generator does not share its event loop:
 * stores SESSIONS sessions of SYMBOLS symbols in an in-memory DuckDB, replays the last one
 * at SPEED x real time, serves the API and posts its URL once the first bars are in.
 */
async function serveInWorker(): Promise<void> {
  const xnys = getCalendar("XNYS");
  const sessions = xnys.sessions("2024-03-04", "2024-03-29").slice(0, SESSIONS);
  const symbols = Array.from({ length: SYMBOLS }, (_, i) => `S${String(i).padStart(3, "0")}`);
  const repository = await openRepository(":memory:");
  for (const [i, session] of sessions.entries()) {
    await repository.writeBars("1m", sessionColumns(xnys.expectedMinutes(session), symbols, i + 1));
  }
  const last = sessions[sessions.length - 1].date;
  const engine = await createEngine(
    { symbols, from: last, to: last, speed: SPEED, derived: { intervals: ["5m", "15m"] } },
    { repository, calendar: xnys },
  );
  const server = await startServer({ engine, port: 0, defaultMetrics: false });
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
  parentPort!.postMessage({ url: server.url });
  parentPort!.once("message", async () => {
    const barsIn = engine.session.status().symbols;
    await engine.stop();
    await replay;
    await server.close();
    await repository.close();
    parentPort!.postMessage({ done: true, symbols: barsIn });
  });
}

async function run(): Promise<Figure[]> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: ROLE } });
  const url = await new Promise<string>((resolve, reject) => {
    worker.once("message", (m: { url: string }) => resolve(m.url));
    worker.once("error", reject);
  });
  let n = 0;
  const load = (seconds: number) =>
    autocannon({
      url,
      connections: CONNECTIONS,
      overallRate: RATE,
      duration: seconds,
      requests: [
        {
          setupRequest: (req) => ({
            ...req,
            path: `/api/bars?symbol=S${String(n++ % SYMBOLS).padStart(3, "0")}&interval=5m&n=100`,
          }),
        },
      ],
    });
  await load(WARMUP_SECONDS);
  // Each response's own time in fractional ms (autocannon's histogram keeps whole ms only,
  // and its coordinated-omission correction assumes a 1 ms send interval).
  const times = new Float64Array(RATE * SECONDS * 2);
  let count = 0;
  // The promise autocannon returns is also its event emitter (the types leave that out).
  const job = load(SECONDS) as ReturnType<typeof load> & EventEmitter;
  job.on("response", (_client: unknown, _status: number, _bytes: number, ms: number) => {
    if (count < times.length) times[count++] = ms;
  });
  const result = await job;
  worker.postMessage("stop");
  await new Promise<void>((resolve) => worker.once("message", () => resolve()));
  await worker.terminate();
  const sorted = times.subarray(0, count).sort();
  const at = (q: number) => sorted[Math.min(count - 1, Math.floor(q * count))];
  const errors = result.non2xx + result.errors + result.timeouts;
  const note = `${RATE}/s for ${SECONDS} s, ${CONNECTIONS} connections, ${SYMBOLS} symbols replaying at ${SPEED}x${errors > 0 ? `; ${errors} failed` : ""}`;
  return [
    { name: "apiP50Millis", value: at(0.5), unit: "ms", note: "GET /api/bars?interval=5m&n=100" },
    { name: "apiP99Millis", value: at(0.99), unit: "ms", note: `target < 10 ms; ${note}` },
    { name: "apiMaxMillis", value: sorted[count - 1], unit: "ms", note: "slowest response" },
    {
      name: "apiRequestsPerSecond",
      value: result.requests.average,
      unit: "req/s",
      note: `offered ${RATE}/s`,
    },
  ];
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE) await serveInWorker();

/** API latency under load while a paced replay runs (autocannon against a worker-thread server). */
const group: BenchGroup = { name: "server", run };
export default group;
