import { cpus } from "node:os";
import {
  DOUBLE,
  type DuckDBConnection,
  type DuckDBDataChunk,
  DuckDBTableFunction,
  INTEGER,
  UTINYINT,
} from "@duckdb/node-api";
import { CHUNK_ROWS, writeColumn } from "./duckdb-vectors.js";
import type { CodedBarColumns } from "./types.js";

/** The table function a batch is scanned through. */
export const BATCH_SCAN = "tw_batch";

const COLUMNS = [
  ["sym", INTEGER],
  ["time", DOUBLE],
  ["open", DOUBLE],
  ["high", DOUBLE],
  ["low", DOUBLE],
  ["close", DOUBLE],
  ["volume", DOUBLE],
  ["trades", DOUBLE],
  ["vwap", DOUBLE],
  ["flags", UTINYINT],
] as const;

type DoubleColumn = "time" | "open" | "high" | "low" | "close" | "volume" | "trades" | "vwap";
const DOUBLES: readonly DoubleColumn[] = ["time", "open", "high", "low", "close", "volume", "trades", "vwap"];
/** Each double column's index among the scan's columns. */
const DOUBLE_INDEX = Object.fromEntries(DOUBLES.map((c, k) => [c, k + 1])) as Record<DoubleColumn, number>;

/** Which of the optional columns a statement reads from the scan. */
export interface ScannedColumns {
  trades: boolean;
  vwap: boolean;
}

/**
 * Rows of a DuckDB row group (the storage default). A thread of a parallel insert whose share
 * of the rows is smaller than this does not write them to the file as it inserts: they are
 * appended to the transaction's own storage and written at COMMIT, through the write-ahead
 * log. Measured (1M rows in batches of 262,144 on two threads, 2026-12-02): such commits took
 * 36-106 ms each, against 3-14 ms when every thread's share held one.
 */
export const ROW_GROUP_ROWS = 122_880;

/** One thread's part of a batch: rows [at, end). */
interface Part {
  at: number;
  end: number;
}

/**
 * A batch of bars, symbols as codes, as the table function `tw_batch()` on a connection, so
 * that `INSERT INTO bars SELECT ... FROM tw_batch()` runs on DuckDB's own threads: this
 * thread only copies whole column ranges into each chunk DuckDB asks for (the appender would
 * do DuckDB's insert work here). The batch is cut into one part per inserting thread, each
 * of at least a row group (ROW_GROUP_ROWS) when the batch holds that many, so every thread
 * writes its rows to the file while it inserts and the COMMIT has little left to write; a
 * thread that finishes its part takes the next part nobody has started. Chunks are full
 * (CHUNK_ROWS rows) but a part's last; the insert turns the code column into symbols through
 * a bound list.
 */
export class BatchScan {
  private batch: CodedBarColumns | null = null;
  /** The parts of the batch being scanned, and the next one no thread has taken. */
  private parts: Part[] = [];
  private nextPart = 0;
  /** The double columns copied into each chunk. */
  private doubles: readonly DoubleColumn[] = DOUBLES;
  private readonly fn: DuckDBTableFunction;

  constructor() {
    this.fn = DuckDBTableFunction.create({
      name: BATCH_SCAN,
      bindFunction: (bind) => {
        for (const [name, type] of COLUMNS) bind.addResultColumn(name, type);
      },
      initFunction: (init) => {
        this.parts = partsOf(this.batch?.length ?? 0, cpus().length);
        this.nextPart = 0;
        init.setMaxThreads(this.parts.length);
      },
      localInitFunction: (init) => init.setInitData({ part: this.takePart() }),
      mainFunction: (info, chunk) => {
        try {
          this.fill(info.localInitData as { part: Part | undefined }, chunk);
        } catch (err) {
          info.setError(err instanceof Error ? err.message : String(err));
        }
      },
    });
  }

  /** Makes `tw_batch()` known on a connection. */
  register(con: DuckDBConnection): void {
    con.registerTableFunction(this.fn);
  }

  /**
   * Runs `work` (a statement reading `tw_batch()`) with `batch` as what the scan yields. A
   * column `read` says false of is not copied (the statement does not read it).
   */
  async scan<T>(batch: CodedBarColumns, read: ScannedColumns, work: () => Promise<T>): Promise<T> {
    this.batch = batch;
    this.doubles = DOUBLES.filter((c) => (c !== "trades" || read.trades) && (c !== "vwap" || read.vwap));
    try {
      return await work();
    } finally {
      this.batch = null;
      this.parts = [];
      this.doubles = DOUBLES;
    }
  }

  private takePart(): Part | undefined {
    return this.nextPart < this.parts.length ? this.parts[this.nextPart++] : undefined;
  }

  /** The thread's next chunk: up to CHUNK_ROWS rows of its part (or of the next free part); none when all are done. */
  private fill(local: { part: Part | undefined }, chunk: DuckDBDataChunk): void {
    const b = this.batch;
    let part = local.part;
    while (part !== undefined && part.at >= part.end) part = local.part = this.takePart();
    if (b === null || part === undefined) {
      chunk.rowCount = 0;
      return;
    }
    const from = part.at;
    const rows = Math.min(CHUNK_ROWS, part.end - from);
    chunk.rowCount = rows;
    writeColumn(chunk, 0, b.code, from, rows);
    const doubles = this.doubles;
    for (let c = 0; c < doubles.length; c++)
      writeColumn(chunk, DOUBLE_INDEX[doubles[c]], b[doubles[c]], from, rows);
    writeColumn(chunk, 9, b.flags, from, rows);
    part.at = from + rows;
  }
}

/**
 * `rows` cut into at most `threads` consecutive parts of nearly equal size, each of at least
 * ROW_GROUP_ROWS rows (a single part when there are fewer).
 */
export function partsOf(rows: number, threads: number): Part[] {
  const n = Math.max(1, Math.min(threads, Math.floor(rows / ROW_GROUP_ROWS)));
  const parts: Part[] = [];
  for (let k = 0; k < n; k++) {
    parts.push({ at: Math.floor((rows * k) / n), end: Math.floor((rows * (k + 1)) / n) });
  }
  return parts;
}
