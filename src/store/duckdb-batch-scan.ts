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

/**
 * A batch of bars, symbols as codes, as the table function `tw_batch()` on a connection, so
 * that `INSERT INTO bars SELECT ... FROM tw_batch()` runs on DuckDB's own threads: this
 * thread only copies whole column ranges into each chunk DuckDB asks for (the appender would
 * do DuckDB's insert work here). Chunks are full (CHUNK_ROWS rows but the last); the insert
 * turns the code column into symbols through a bound list.
 */
export class BatchScan {
  private batch: CodedBarColumns | null = null;
  private at = 0;
  private readonly fn: DuckDBTableFunction;

  constructor() {
    this.fn = DuckDBTableFunction.create({
      name: BATCH_SCAN,
      bindFunction: (bind) => {
        for (const [name, type] of COLUMNS) bind.addResultColumn(name, type);
      },
      // DuckDB's threads insert in parallel, each asking this thread for its next chunk
      initFunction: (init) => init.setMaxThreads(cpus().length),
      mainFunction: (info, chunk) => {
        try {
          this.fill(chunk);
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

  /** Runs `work` (a statement reading `tw_batch()`) with `batch` as what the scan yields. */
  async scan<T>(batch: CodedBarColumns, work: () => Promise<T>): Promise<T> {
    this.batch = batch;
    this.at = 0;
    try {
      return await work();
    } finally {
      this.batch = null;
    }
  }

  /** The next chunk: up to CHUNK_ROWS rows; none when the batch is done. */
  private fill(chunk: DuckDBDataChunk): void {
    const b = this.batch;
    const from = this.at;
    const rows = b === null ? 0 : Math.min(CHUNK_ROWS, b.length - from);
    chunk.rowCount = rows;
    if (b === null || rows === 0) return;
    writeColumn(chunk, 0, b.code, from, rows);
    for (let c = 0; c < DOUBLES.length; c++) writeColumn(chunk, c + 1, b[DOUBLES[c]], from, rows);
    writeColumn(chunk, 9, b.flags, from, rows);
    this.at = from + rows;
  }
}
