/**
 * The parsing thread of a CSV ingest: reads each file it is given, validates its rows (the
 * same CsvBarReader, BarBatcher, TimeRule and DuplicateIndex as an ingest on one thread) and
 * hands each full batch to the main thread, which writes it to the store. Arrays move, they
 * are not copied, and come back to be filled again; at most one batch waits for the main
 * thread while the next is parsed. The thread serves one ingest at a time: `start` begins
 * one (all its state is new), and a thread whose ingest finished may be given the next, its
 * compiled code warm.
 */
import { parentPort } from "node:worker_threads";
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
const post = (m: FromCsvThread, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

/** A write the main thread reported failed; the main thread holds the store's error. */
class WriteFailed extends Error {}

/**
 * The first batch is this part of a batch: the store starts on it while the rest is parsed
 * (1M-row ingests: median 1,353 -> 1,266 ms with a quarter, AMD EPYC 2 vCPU, 2026-12-02). A
 * quarter of a DuckDB store's batch is one row group.
 */
const FIRST_BATCH_PART = 4;

/**
 * Batch buffers an ingest finished with, kept for the next ingest this thread serves (of
 * the same batch size), at most SPARE_BATCHES sets and for SPARE_MS: a new set (about 34 MB
 * at the DuckDB store's batch size) is zeroed and faulted in, and the ones let go are
 * collected (parse alone, eight parses a process, the first left out: 222-316 ms a million
 * rows with buffers reused, 268-684 ms with new ones; AMD EPYC 2 vCPU, 2026-12-03).
 */
const spare: { rows: number; sets: BatchBuffers[]; timer: ReturnType<typeof setTimeout> | null } = {
  rows: 0,
  sets: [],
  timer: null,
};
const SPARE_BATCHES = 3;
const SPARE_MS = 30_000;

/** The spare sets for batches of `rows` rows (none of another size), taken. */
function takeSpare(rows: number): BatchBuffers[] {
  if (spare.timer !== null) clearTimeout(spare.timer);
  spare.timer = null;
  const sets = spare.rows === rows ? spare.sets : [];
  spare.sets = [];
  return sets;
}

/** Keeps an ended ingest's sets for the next one, until SPARE_MS pass without one. */
function keepSpare(rows: number, sets: BatchBuffers[]): void {
  spare.rows = rows;
  spare.sets = sets.slice(0, SPARE_BATCHES);
  spare.timer = setTimeout(() => {
    spare.sets = [];
    spare.timer = null;
  }, SPARE_MS);
  spare.timer.unref();
}

/** One ingest's parsing: its calendar, time parser, batches, duplicate index and rejections. */
class ParseJob {
  private readonly time: TimeParser;
  /** Rejections as rejects-CSV bytes: the main thread writes them as they are, holding no string per row. */
  private readonly pending = new RejectsBuffer();
  private readonly rejects = new Rejects(this.pending, 0);
  private taken: (() => void) | null = null;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (n: number) => void; reject: (e: Error) => void }>();
  /** Batches posted and not yet given back, and the ones given back, to fill again. */
  private readonly posted = new Map<number, BarColumns>();
  private readonly pool: BatchBuffers[];
  private readonly duplicates = new DuplicateIndex();
  private namesSent = 0;
  private readonly batcher: BarBatcher;
  private work: Promise<void> = Promise.resolve();

  /** `ended` is called once the ingest finished: the thread then holds nothing of it but its spare batch buffers. */
  constructor(
    private readonly settings: CsvThreadSettings,
    private readonly ended: () => void,
  ) {
    this.pool = takeSpare(settings.batchRows);
    const cal = settings.calendar;
    const calendar = new TableCalendar(cal.name, cal.timeZone, cal.columns, cal.coverFrom, cal.coverTo);
    this.time = new TimeParser(settings.timeFormat, settings.tz);
    this.batcher = new BarBatcher(
      new TimeRule(calendar, parseInterval(settings.interval)),
      settings.batchRows,
      (_interval, cols, codes) => this.write(cols, codes),
      this.duplicates,
      {
        alloc: () => this.pool.pop() ?? allocBatch(settings.batchRows, true),
        eager: true,
        codesOnly: true,
        firstBatchRows: Math.ceil(settings.batchRows / FIRST_BATCH_PART),
      },
    );
  }

  /** A message of the main thread about this ingest. */
  receive(m: Exclude<ToCsvThread, { type: "start" }>): void {
    switch (m.type) {
      case "rejectsTaken":
        this.pending.giveBack(m.lines);
        if (m.ack) {
          this.taken?.();
          this.taken = null;
        }
        return;
      case "written":
      case "writeFailed": {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (m.type === "written") this.reuse(m.id, m.arrays);
        this.posted.delete(m.id);
        if (m.type === "written") w?.resolve(m.stored);
        else w?.reject(new WriteFailed());
        return;
      }
      case "file":
        this.queue(() => this.readFile(m.file, m.symbol));
        return;
      case "finish":
        this.queue(async () => {
          await this.batcher.finish();
          keepSpare(this.settings.batchRows, [...this.pool, this.batcher.buffers]);
          this.ended();
          post({ type: "finished" });
        });
    }
  }

  private queue(task: () => Promise<void>): void {
    this.work = this.work.then(task).catch((err: unknown) => {
      // only `finish` gets here with a failed write; the main thread holds the store's error
      if (err instanceof WriteFailed) post({ type: "finished" });
      else post({ type: "fatal", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    });
  }

  private handOver(ack: boolean): boolean {
    const r = this.pending.take();
    if (r === null) return false;
    post({ type: "rejects", tally: r.tally, lines: r.lines, length: r.length, ack }, [r.lines]);
    return true;
  }

  /**
   * Hands the rejections over and waits until the main thread has them written, so that a
   * file of bad rows cannot pile them up in the main thread's queue: memory stays bounded.
   */
  private handOverRejects(): Promise<void> | undefined {
    if (!this.handOver(true)) return undefined;
    return new Promise<void>((resolve) => {
      this.taken = resolve;
    });
  }

  /**
   * Posts a batch to the main thread, its arrays moved and its symbols as codes into every
   * name posted so far; resolves to the rows written.
   */
  private write(cols: BarColumns, codes: Int32Array): Promise<number> {
    const names = this.duplicates.names.slice(this.namesSent);
    this.namesSent += names.length;
    const id = this.nextId++;
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
    this.posted.set(id, cols);
    this.handOver(false);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      post(m, batchArrays(m));
    });
  }

  /** The arrays of batch `id` back from the main thread: its columns are filled again. */
  private reuse(id: number, a: BatchArrays): void {
    const cols = this.posted.get(id);
    if (cols === undefined) return;
    Object.assign(cols, { length: 0, time: a.time, open: a.open, high: a.high, low: a.low, close: a.close });
    Object.assign(cols, { volume: a.volume, trades: a.trades, vwap: a.vwap });
    this.pool.push({ cols, codes: a.codes });
  }

  private async readFile(file: string, symbol: string | undefined): Promise<void> {
    let rows = 0;
    const { source, disk } = openCsvFile(file);
    try {
      rows = await importCsvBars(source, {
        file,
        symbol,
        time: this.time,
        batcher: this.batcher,
        rejects: this.rejects,
        maxLineBytes: this.settings.maxLineBytes,
        onChunk: (_bytes, r) => {
          rows = r;
          post({ type: "progress", bytesRead: disk.bytesRead, rows: r });
          return this.handOverRejects();
        },
      });
      this.handOver(false);
      post({ type: "fileDone", rows });
    } catch (err) {
      source.destroy();
      this.handOver(false);
      if (err instanceof WriteFailed) {
        post({ type: "fileDone", rows, storeFailed: true });
        return;
      }
      const failure = fileFailure(err);
      if (failure === null) throw err;
      post({ type: "fileDone", rows, failure });
    }
  }
}

let job: ParseJob | null = null;
port.on("message", (m: ToCsvThread) => {
  if (m.type === "start") {
    const started = new ParseJob(m.settings, () => {
      if (job === started) job = null;
    });
    job = started;
  } else job?.receive(m);
});
