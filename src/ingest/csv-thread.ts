import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type Calendar, TableCalendar } from "../calendar/index.js";
import { InputError } from "../model/errors.js";
import { DAY_MS } from "../model/time.js";
import type { CodedBarColumns } from "../store/index.js";
import {
  type BatchMessage,
  batchArrays,
  type CsvThreadSettings,
  type FromCsvThread,
  type ToCsvThread,
} from "./csv-protocol.js";
import type { Rejects } from "./rejects.js";

/**
 * The parsing thread's script. Tests run this module from its TypeScript source, which a
 * worker thread cannot load; they use the build of the same file (`npm test` builds first).
 */
function workerScript(): URL {
  const own = new URL("./csv-worker.js", import.meta.url);
  if (!import.meta.url.endsWith(".ts")) return own;
  const built = new URL(own.href.replace("/src/ingest/", "/dist/src/ingest/"));
  if (!existsSync(fileURLToPath(built)))
    throw new Error(`${fileURLToPath(built)} is missing: run npm run build`);
  return built;
}

/** The parsing thread's settings, when the calendar can be handed over (a session table). */
export function csvThreadSettings(
  calendar: Calendar,
  opts: Omit<CsvThreadSettings, "calendar">,
): CsvThreadSettings | null {
  if (!(calendar instanceof TableCalendar)) return null;
  const day = (d: string) => Date.parse(`${d}T00:00:00Z`) / DAY_MS;
  const { name, timeZone, columns, firstDate, lastDate } = calendar;
  return {
    ...opts,
    calendar: { name, timeZone, columns, coverFrom: day(firstDate), coverTo: day(lastDate) },
  };
}

/** Writes one batch whose row i has the symbol `names[code[i]]`; resolves to the rows written. */
export type CodedBarWriter = (
  interval: string,
  bars: CodedBarColumns,
  names: readonly string[],
) => Promise<number>;

/** The parsing thread's young generation, in MB (its rows are short-lived). */
const YOUNG_GENERATION_MB = 16;

/**
 * A parsing thread whose ingest finished, kept (not holding the process open) for the next
 * ingest of this process: its module is loaded and its parser compiled, which in a new thread
 * take the first tenth of a second of an ingest (measured: 36-47 ms to start, the first
 * 122,880 rows parsed at about half the later speed).
 */
let idle: { worker: Worker; forget: () => void } | null = null;

/** A parsing thread for one ingest: the idle one if there is one, else a new one. */
function takeWorker(): Worker {
  const kept = idle;
  idle = null;
  if (kept !== null) {
    kept.worker.off("error", kept.forget).off("exit", kept.forget).ref();
    return kept.worker;
  }
  // A young generation of a fixed size: newer V8s (Node 24) grow it with the heap, which
  // alone took peak RSS past 500 MB on a file of long rows.
  return new Worker(workerScript(), { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
}

/** Keeps a thread whose ingest finished for the next one (one at most; others end). */
async function keepWorker(worker: Worker): Promise<void> {
  if (idle !== null) {
    await worker.terminate();
    return;
  }
  const forget = () => {
    if (idle?.worker === worker) idle = null;
  };
  worker.on("error", forget).on("exit", forget).unref();
  idle = { worker, forget };
}

/**
 * CSV files parsed and validated in a worker thread while this thread writes the batches to
 * the store: on two cores both are busy at once. Batches are written one after another in
 * input order (what is stored after a kill is a prefix); rejections are handed to `rejects`
 * as the thread finds them. A file the thread cannot read rejects `importFile` with an
 * InputError naming it; a failed write rejects it (and `finish`) with the store's error.
 * A thread whose ingest finished cleanly serves the next ingest of the process.
 */
export class CsvThread {
  private readonly worker: Worker;
  private readonly names: string[] = [];
  private writes: Promise<void> = Promise.resolve();
  private storeFailure: { error: unknown } | null = null;
  private current: {
    resolve: (rows: number) => void;
    reject: (e: unknown) => void;
    progress: (bytesRead: number, rows: number) => void;
  } | null = null;
  private finishing: { resolve: () => void; reject: (e: unknown) => void } | null = null;
  private fatal: Error | null = null;
  /** The thread said its ingest finished, with no write failed: it can serve another. */
  private finished = false;
  /** Rows the store reported written. */
  stored = 0;
  /** The parsing thread's id (the same for ingests the thread served one after another). */
  readonly threadId: number;
  /** This ingest's handlers on the thread, taken off when the thread is kept for another. */
  private readonly listeners: {
    message: (m: FromCsvThread) => void;
    error: (err: Error) => void;
    exit: (code: number) => void;
  };

  constructor(
    settings: CsvThreadSettings,
    private readonly write: CodedBarWriter,
    private readonly rejects: Rejects,
  ) {
    this.listeners = {
      message: (m: FromCsvThread) => this.receive(m, settings.interval),
      error: (err: Error) => this.fail(err),
      exit: (code: number) => this.fail(new Error(`the CSV parsing thread exited with code ${code}`)),
    };
    this.worker = takeWorker();
    this.threadId = this.worker.threadId;
    this.worker
      .on("message", this.listeners.message)
      .on("error", this.listeners.error)
      .on("exit", this.listeners.exit);
    this.send({ type: "start", settings });
  }

  /** Reads one file in the thread; resolves to its data rows once its rows are handed over. */
  importFile(file: string, symbol: string | undefined, progress: (bytesRead: number, rows: number) => void) {
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise<number>((resolve, reject) => {
      this.current = { resolve, reject, progress };
      this.send({ type: "file", file, symbol });
    });
  }

  /** Writes the rows still gathered and waits for every write. */
  finish(): Promise<void> {
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise<void>((resolve, reject) => {
      this.finishing = { resolve, reject };
      this.send({ type: "finish" });
    });
  }

  /** Ends this ingest's use of the thread: kept for the next ingest when it finished cleanly, else stopped. */
  async close(): Promise<void> {
    await this.writes;
    if (this.finished && this.fatal === null && this.storeFailure === null) {
      const { message, error, exit } = this.listeners;
      this.worker.off("message", message).off("error", error).off("exit", exit);
      await keepWorker(this.worker);
    } else await this.worker.terminate();
  }

  private send(m: ToCsvThread): void {
    this.worker.postMessage(m);
  }

  private receive(m: FromCsvThread, interval: string): void {
    switch (m.type) {
      case "batch":
        this.writeBatch(m, interval);
        return;
      case "rejects":
        this.rejects.merge(m.tally, new Uint8Array(m.lines, 0, m.length));
        this.worker.postMessage({ type: "rejectsTaken", lines: m.lines, ack: m.ack } satisfies ToCsvThread, [
          m.lines,
        ]);
        return;
      case "progress":
        this.current?.progress(m.bytesRead, m.rows);
        return;
      case "fileDone": {
        const c = this.current;
        this.current = null;
        if (!c) return;
        if (m.storeFailed) this.writes.then(() => c.reject(this.storeFailure?.error));
        else if (m.failure !== undefined) c.reject(new InputError(m.failure));
        else c.resolve(m.rows);
        return;
      }
      case "finished": {
        const f = this.finishing;
        this.finishing = null;
        this.finished = true;
        this.writes.then(() => (this.storeFailure ? f?.reject(this.storeFailure.error) : f?.resolve()));
        return;
      }
      case "fatal":
        this.fail(new Error(`CSV parsing thread: ${m.message}`));
    }
  }

  /** Writes a batch after the ones before it and tells the thread how it went. */
  private writeBatch(m: BatchMessage, interval: string): void {
    for (const name of m.names) this.names.push(name);
    const cols: CodedBarColumns = {
      length: m.length,
      code: m.codes,
      time: m.time,
      open: m.open,
      high: m.high,
      low: m.low,
      close: m.close,
      volume: m.volume,
      trades: m.trades,
      vwap: m.vwap,
      flags: new Uint8Array(m.length),
    };
    this.writes = this.writes.then(async () => {
      if (this.storeFailure) {
        this.send({ type: "writeFailed", id: m.id });
        return;
      }
      try {
        const stored = await this.write(interval, cols, this.names);
        this.stored += stored;
        const { codes, time, open, high, low, close, volume, trades, vwap } = m;
        const arrays = { codes, time, open, high, low, close, volume, trades, vwap };
        this.worker.postMessage(
          { type: "written", id: m.id, stored, arrays } satisfies ToCsvThread,
          batchArrays(arrays),
        );
      } catch (error) {
        this.storeFailure = { error };
        this.send({ type: "writeFailed", id: m.id });
      }
    });
  }

  private fail(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    this.current?.reject(err);
    this.finishing?.reject(err);
    this.current = null;
    this.finishing = null;
  }
}
