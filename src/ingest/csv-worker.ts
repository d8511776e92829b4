/**
 * The parsing thread of a CSV ingest: reads each file it is given, validates its rows (the
 * same CsvBarReader, BarBatcher, TimeRule and DuplicateIndex as an ingest on one thread) and
 * hands each full batch to the main thread, which writes it to the store. Arrays move, they
 * are not copied, and come back to be filled again; at most one batch waits for the main
 * thread while the next is parsed.
 */
import { parentPort, workerData } from "node:worker_threads";
import { TableCalendar } from "../calendar/table.js";
import type { BarColumns } from "../model/bar.js";
import { parseInterval } from "../model/interval.js";
import { allocBatch, BarBatcher, type BatchBuffers, DuplicateIndex } from "./batcher.js";
import { importCsvBars } from "./csv.js";
import {
  type BatchArrays,
  type BatchMessage,
  batchArrays,
  type CsvThreadSettings,
  type FromCsvThread,
  type ToCsvThread,
} from "./csv-protocol.js";
import { fileFailure, openCsvFile } from "./file-read.js";
import { Rejects, RejectsBuffer } from "./rejects.js";
import { TimeRule } from "./time-rule.js";
import { TimeParser } from "./timestamps.js";

const port = parentPort;
if (port === null) throw new Error("csv-worker runs as a worker thread");
const settings = workerData as CsvThreadSettings;
const post = (m: FromCsvThread, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

/** A write the main thread reported failed; the main thread holds the store's error. */
class WriteFailed extends Error {}

/**
 * The first batch is this part of a batch: the store starts on it while the rest is parsed
 * (1M-row ingests: median 1,353 -> 1,266 ms with a quarter, AMD EPYC 2 vCPU, 2026-12-02). A
 * quarter of a DuckDB store's batch is one row group.
 */
const FIRST_BATCH_PART = 4;

const cal = settings.calendar;
const calendar = new TableCalendar(cal.name, cal.timeZone, cal.columns, cal.coverFrom, cal.coverTo);
const time = new TimeParser(settings.timeFormat, settings.tz);

/** Rejections as rejects-CSV bytes: the main thread writes them as they are, holding no string per row. */
const pending = new RejectsBuffer();
const rejects = new Rejects(pending, 0);
let taken: (() => void) | null = null;
const handOver = (ack: boolean): boolean => {
  const r = pending.take();
  if (r === null) return false;
  post({ type: "rejects", tally: r.tally, lines: r.lines, length: r.length, ack }, [r.lines]);
  return true;
};
const sendRejects = () => handOver(false);
/**
 * Hands the rejections over and waits until the main thread has them written, so that a
 * file of bad rows cannot pile them up in the main thread's queue: memory stays bounded.
 */
const handOverRejects = (): Promise<void> | undefined => {
  if (!handOver(true)) return undefined;
  return new Promise<void>((resolve) => {
    taken = resolve;
  });
};

let nextId = 0;
const waiting = new Map<number, { resolve: (n: number) => void; reject: (e: Error) => void }>();
/** Batches posted and not yet given back, and the ones given back, to fill again. */
const posted = new Map<number, BarColumns>();
const pool: BatchBuffers[] = [];
const duplicates = new DuplicateIndex();
let namesSent = 0;

/**
 * Posts a batch to the main thread, its arrays moved and its symbols as codes into every
 * name posted so far; resolves to the rows written.
 */
function write(_interval: string, cols: BarColumns, codes: Int32Array): Promise<number> {
  const names = duplicates.names.slice(namesSent);
  namesSent += names.length;
  const id = nextId++;
  const { time, open, high, low, close, volume, trades, vwap } = cols;
  const m: BatchMessage = {
    type: "batch",
    id,
    length: cols.length,
    names,
    codes,
    time,
    open,
    high,
    low,
    close,
    volume,
    trades,
    vwap,
  };
  posted.set(id, cols);
  sendRejects();
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    post(m, batchArrays(m));
  });
}

/** The arrays of batch `id` back from the main thread: its columns are filled again. */
function reuse(id: number, a: BatchArrays): void {
  const cols = posted.get(id);
  if (cols === undefined) return;
  Object.assign(cols, { length: 0, time: a.time, open: a.open, high: a.high, low: a.low, close: a.close });
  Object.assign(cols, { volume: a.volume, trades: a.trades, vwap: a.vwap });
  pool.push({ cols, codes: a.codes });
}

const batcher = new BarBatcher(
  new TimeRule(calendar, parseInterval(settings.interval)),
  settings.batchRows,
  write,
  duplicates,
  {
    alloc: () => pool.pop() ?? allocBatch(settings.batchRows, true),
    eager: true,
    codesOnly: true,
    firstBatchRows: Math.ceil(settings.batchRows / FIRST_BATCH_PART),
  },
);

async function readFile(file: string, symbol: string | undefined): Promise<void> {
  let rows = 0;
  const { source, disk } = openCsvFile(file);
  try {
    rows = await importCsvBars(source, {
      file,
      symbol,
      time,
      batcher,
      rejects,
      maxLineBytes: settings.maxLineBytes,
      onChunk: (_bytes, r) => {
        rows = r;
        post({ type: "progress", bytesRead: disk.bytesRead, rows: r });
        return handOverRejects();
      },
    });
    sendRejects();
    post({ type: "fileDone", rows });
  } catch (err) {
    source.destroy();
    sendRejects();
    if (err instanceof WriteFailed) {
      post({ type: "fileDone", rows, storeFailed: true });
      return;
    }
    const failure = fileFailure(err);
    if (failure === null) throw err;
    post({ type: "fileDone", rows, failure });
  }
}

let work: Promise<void> = Promise.resolve();
port.on("message", (m: ToCsvThread) => {
  if (m.type === "rejectsTaken") {
    pending.giveBack(m.lines);
    if (m.ack) {
      taken?.();
      taken = null;
    }
    return;
  }
  if (m.type === "written" || m.type === "writeFailed") {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.type === "written") reuse(m.id, m.arrays);
    posted.delete(m.id);
    if (m.type === "written") w?.resolve(m.stored);
    else w?.reject(new WriteFailed());
    return;
  }
  work = work
    .then(async () => {
      if (m.type === "file") await readFile(m.file, m.symbol);
      else {
        await batcher.finish();
        post({ type: "finished" });
      }
    })
    .catch((err: unknown) => {
      // only `finish` gets here with a failed write; the main thread holds the store's error
      if (err instanceof WriteFailed) post({ type: "finished" });
      else post({ type: "fatal", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    });
});
