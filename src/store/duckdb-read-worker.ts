/**
 * The worker thread behind `OffThreadBarReader`: opens the DuckDB file READ_ONLY (its own
 * instance: DuckDB allows it beside the process's read-write one, and it sees what was
 * committed when it opened), runs range reads of bars and copies each result into one
 * typed array per column, handed back as transferable buffers: the main thread gets
 * ready columns without decoding a row. Reads may overlap: their queries run one at a time
 * (one connection, its statements prepared once), and a read places its rows while the
 * next one's query runs on DuckDB's threads. Columns the main thread is done with come back
 * (`recycle`) and hold the next reads' rows, so a replay does not allocate (and fault in)
 * a session's worth of fresh memory per session.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { placeBySymbol } from "../model/series.js";
import {
  type CodedBarsReply,
  type CodedBarsRequest,
  codedColumnList,
  codedColumnsIn,
  placedBuffers,
  type RecycleMessage,
  readCodedBars,
  type StatementCache,
} from "./coded-bars.js";

const port = parentPort!;
const path = workerData as string;

interface Open {
  instance: DuckDBInstance;
  con: DuckDBConnection;
  statements: StatementCache;
}
let open: Promise<Open> | undefined;
/** The tail of the queries run so far (each waits for the one before). */
let queries: Promise<unknown> = Promise.resolve();

function connect(): Promise<Open> {
  open ??= DuckDBInstance.create(path, { access_mode: "READ_ONLY" }).then(async (instance) => ({
    instance,
    con: await instance.connect(),
    statements: new Map(),
  }));
  return open;
}

/** Runs `task` once every query before it has run. */
function inTurn<T>(task: () => Promise<T>): Promise<T> {
  const run = queries.then(task);
  queries = run.catch(() => {});
  return run;
}

/** Column buffers handed back, each set in `codedColumnList` order; a few are kept. */
const pool: ArrayBuffer[][] = [];
const POOL_SETS = 4;

/** Takes the smallest item of `from` whose `size` is `n` or more, if any. */
function takeSmallest<T>(from: T[], size: (item: T) => number, n: number): T | undefined {
  let best = -1;
  for (let k = 0; k < from.length; k++) {
    const s = size(from[k]);
    if (s >= n && (best < 0 || s < size(from[best]))) best = k;
  }
  return best < 0 ? undefined : from.splice(best, 1)[0];
}

/** Columns of `n` rows over the smallest pooled set that holds them (flags: a byte a row), or new ones. */
function columnsFor(n: number) {
  return codedColumnsIn(
    n,
    takeSmallest(pool, (set) => set[9].byteLength, n),
  );
}

/** Buffers of placed rows handed back (a few are kept). */
const placedPool: ArrayBuffer[] = [];

/** The smallest pooled buffer of placed rows of `bytes` or more, or a new one. */
function placedBuffer(bytes: number): ArrayBuffer {
  return takeSmallest(placedPool, (b) => b.byteLength, bytes) ?? new ArrayBuffer(bytes);
}

async function read(req: CodedBarsRequest): Promise<CodedBarsReply> {
  const { con, statements } = await connect();
  const bars = await readCodedBars(con, req, statements, inTurn, columnsFor);
  if (req.placed) bars.placed = placeBySymbol(bars, placedBuffer);
  return { id: req.id, ...bars };
}

async function close(closing: Promise<Open> | undefined): Promise<void> {
  if (!closing) return;
  const opened = await closing.catch(() => undefined);
  if (!opened) return;
  for (const statement of opened.statements.values()) {
    const prepared = await statement.catch(() => undefined);
    prepared?.destroySync();
  }
  opened.con.closeSync();
  opened.instance.closeSync();
}

port.on("message", (msg: CodedBarsRequest | { type: "close"; id: number } | RecycleMessage) => {
  if (msg.type === "recycle") {
    if (msg.placed) {
      if (placedPool.length < POOL_SETS) placedPool.push(msg.buffers[0]);
    } else if (pool.length < POOL_SETS) pool.push(msg.buffers);
    return;
  }
  if (msg.type === "close") {
    const closing = open;
    open = undefined;
    void inTurn(() => close(closing)).finally(() => port.postMessage({ id: msg.id, closed: true }));
    return;
  }
  read(msg).then(
    (reply) => {
      port.postMessage(reply, [
        ...codedColumnList(reply).map((c) => c.buffer as ArrayBuffer),
        ...placedBuffers(reply),
      ]);
    },
    (err: unknown) =>
      port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
