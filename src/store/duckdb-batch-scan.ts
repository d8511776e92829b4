import { cpus } from "node:os";
import {
  DOUBLE,
  type DuckDBConnection,
  type DuckDBDataChunk,
  DuckDBTableFunction,
  UTINYINT,
  VARCHAR,
} from "@duckdb/node-api";
import type { BarColumns } from "../model/bar.js";
import {
  CHUNK_ROWS,
  type ConstantValue,
  Gather,
  setConstant,
  varcharValue,
  writeColumn,
} from "./duckdb-vectors.js";

/** The table function a batch is scanned through. */
export const BATCH_SCAN = "tw_batch";

const COLUMNS = [
  ["symbol", VARCHAR],
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

/** One batch being scanned: its rows by symbol, `order` null when they are already grouped. */
interface ScanPlan {
  batch: BarColumns;
  /** Row positions by symbol: symbol k's rows are [starts[k], starts[k+1]) of `order` (or of the batch). */
  starts: Int32Array;
  order: Int32Array | null;
  symbols: ConstantValue[];
  /** The symbol of the next chunk, and the next row of it. */
  k: number;
  at: number;
}

/**
 * A batch of bars as the table function `tw_batch()` on a connection, so that
 * `INSERT INTO bars SELECT ... FROM tw_batch()` runs on DuckDB's own thread: this thread only
 * copies whole columns into each chunk when DuckDB asks for it (the appender would do
 * DuckDB's insert work here, on the thread the parsing needs). Each chunk holds one symbol,
 * a constant vector, so no per-row string is made; rows already grouped by symbol (as the
 * CSV thread sends them) are copied as they are, others gathered.
 */
export class BatchScan {
  private plan: ScanPlan | null = null;
  private readonly gather = new Gather();
  private readonly flags = new Uint8Array(CHUNK_ROWS);
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
  async scan<T>(
    batch: BarColumns,
    codes: Int32Array,
    names: readonly string[],
    work: () => Promise<T>,
  ): Promise<T> {
    const n = batch.length;
    const starts = new Int32Array(names.length + 1);
    for (let i = 0; i < n; i++) starts[codes[i] + 1]++;
    for (let k = 0; k < names.length; k++) starts[k + 1] += starts[k];
    let grouped = true;
    for (let i = 0; i < n && grouped; i++) grouped = i >= starts[codes[i]] && i < starts[codes[i] + 1];
    let order: Int32Array | null = null;
    if (!grouped) {
      order = new Int32Array(n);
      const next = starts.slice(0, names.length);
      for (let i = 0; i < n; i++) order[next[codes[i]]++] = i;
    }
    this.plan = { batch, starts, order, symbols: names.map(varcharValue), k: 0, at: 0 };
    try {
      return await work();
    } finally {
      this.plan = null;
    }
  }

  /** The next chunk: up to CHUNK_ROWS rows of one symbol; none when the batch is done. */
  private fill(chunk: DuckDBDataChunk): void {
    const p = this.plan;
    if (p === null) {
      chunk.rowCount = 0;
      return;
    }
    while (p.k < p.symbols.length && p.at >= p.starts[p.k + 1]) {
      p.k++;
      if (p.k < p.symbols.length) p.at = p.starts[p.k];
    }
    if (p.k >= p.symbols.length) {
      chunk.rowCount = 0;
      return;
    }
    const from = p.at;
    const rows = Math.min(CHUNK_ROWS, p.starts[p.k + 1] - from);
    chunk.rowCount = rows;
    setConstant(chunk, 0, p.symbols[p.k]);
    const b = p.batch;
    const order = p.order;
    if (order === null) {
      for (let c = 0; c < DOUBLES.length; c++) writeColumn(chunk, c + 1, b[DOUBLES[c]], from, rows);
      writeColumn(chunk, 9, b.flags, from, rows);
    } else {
      for (let c = 0; c < DOUBLES.length; c++)
        this.gather.doubles(chunk, c + 1, b[DOUBLES[c]], order, from, rows);
      const f = this.flags;
      for (let i = 0; i < rows; i++) f[i] = b.flags[order[from + i]];
      writeColumn(chunk, 9, f, 0, rows);
    }
    p.at = from + rows;
  }
}
