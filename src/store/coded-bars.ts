import { type DuckDBConnection, type DuckDBDataChunk, listValue } from "@duckdb/node-api";
import type { BarColumns } from "../model/bar.js";
import { MINUTE_MS } from "../model/time.js";
import { readBytes, readDoubles, readInts } from "./duckdb-vectors.js";
import type { BarQuery, CodedBarColumns } from "./types.js";

/**
 * A range read of bars, each row's symbol as its index into the bound symbol list ($1), in
 * (time, symbol) order. Column order matches `copyCodedChunk`.
 */
export const CODED_BARS_SQL = `SELECT s.i::INTEGER, b.time::DOUBLE, b.open, b.high, b.low, b.close, b.volume,
    COALESCE(b.trades, 'NaN'::DOUBLE), COALESCE(b.vwap, 'NaN'::DOUBLE), b.flags::UTINYINT
  FROM bars b
  JOIN (SELECT unnest($1::VARCHAR[]) AS symbol, generate_subscripts($1::VARCHAR[], 1) - 1 AS i) s
    ON b.symbol = s.symbol
  WHERE b.interval = $2 AND b.time >= $3 AND b.time < $4
  ORDER BY b.time, b.symbol`;

/** The same rows in no particular order (sorted here instead: see `readCodedBars`). */
const UNORDERED_SQL = CODED_BARS_SQL.slice(0, CODED_BARS_SQL.indexOf("\n  ORDER BY"));

/** A coded read as the worker thread gets it (distinct symbols, bounds whole ms). */
export interface CodedBarsRequest extends Omit<BarQuery, "from" | "to"> {
  type: "read";
  id: number;
  from: number;
  to: number;
  /** The code of each symbol (default: its index). */
  codes?: Int32Array;
}

/** A coded read's columns as the worker thread hands them back. */
export interface CodedBarsReply extends CodedBarColumns {
  id: number;
}

/**
 * Runs a coded read on a connection. The symbols are bound in byte order, so a row's index
 * into them ranks it as `ORDER BY symbol` would; when every time is a whole minute (one-minute
 * bars), rows are fetched unordered and put in (time, symbol) order by two counting sorts
 * (linear, and faster than DuckDB's sort of the same rows); otherwise DuckDB sorts.
 */
export async function readCodedBars(
  con: DuckDBConnection,
  req: Omit<CodedBarsRequest, "type" | "id">,
): Promise<CodedBarColumns> {
  const order = [...req.symbols.keys()].sort((a, b) =>
    Buffer.compare(Buffer.from(req.symbols[a]), Buffer.from(req.symbols[b])),
  );
  const codeOfRank = Int32Array.from(order, (k) => (req.codes ? req.codes[k] : k));
  const params = [
    listValue(order.map((k) => req.symbols[k])),
    req.interval,
    BigInt(req.from),
    BigInt(req.to),
  ];
  const rows = await fetchAll(con, UNORDERED_SQL, params);
  const sorted = sortByMinuteAndRank(rows, order.length);
  const out = sorted ?? (await fetchAll(con, CODED_BARS_SQL, params));
  for (let i = 0; i < out.length; i++) out.code[i] = codeOfRank[out.code[i]];
  return out;
}

async function fetchAll(
  con: DuckDBConnection,
  sql: string,
  params: Parameters<DuckDBConnection["run"]>[1],
): Promise<CodedBarColumns> {
  const result = await con.run(sql, params);
  const out = codedColumns(result.rowCount);
  let at = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    copyCodedChunk(chunk, out, at);
    at += chunk.rowCount;
  }
  return out;
}

/**
 * Rows in (time, rank) order, stable: by rank, then by minute. Undefined when a time is not
 * a whole minute or the span is too long for a counting sort.
 */
function sortByMinuteAndRank(rows: CodedBarColumns, ranks: number): CodedBarColumns | undefined {
  const n = rows.length;
  const time = rows.time;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const t = time[i];
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  if (n === 0) return rows;
  const minutes = (hi - lo) / MINUTE_MS + 1;
  if (!Number.isInteger(minutes) || minutes > 4 * n + 1440) return undefined;
  const minute = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const m = (time[i] - lo) / MINUTE_MS;
    if (!Number.isInteger(m)) return undefined;
    minute[i] = m;
  }
  const byRank = countingOrder(rows.code, ranks, undefined);
  const perm = countingOrder(minute, minutes, byRank);
  const out = codedColumns(n);
  for (let j = 0; j < n; j++) out.code[j] = rows.code[perm[j]];
  permute(rows.time, out.time, perm);
  permute(rows.open, out.open, perm);
  permute(rows.high, out.high, perm);
  permute(rows.low, out.low, perm);
  permute(rows.close, out.close, perm);
  permute(rows.volume, out.volume, perm);
  permute(rows.trades, out.trades, perm);
  permute(rows.vwap, out.vwap, perm);
  for (let j = 0; j < n; j++) out.flags[j] = rows.flags[perm[j]];
  return out;
}

function permute(src: Float64Array, dst: Float64Array, perm: Int32Array): void {
  for (let j = 0; j < perm.length; j++) dst[j] = src[perm[j]];
}

/** Stable counting sort of `within` (default: 0..n-1) by `key` in [0, buckets). */
function countingOrder(key: Int32Array, buckets: number, within: Int32Array | undefined): Int32Array {
  const n = key.length;
  const start = new Int32Array(buckets + 1);
  for (let i = 0; i < n; i++) start[key[i] + 1]++;
  for (let b = 0; b < buckets; b++) start[b + 1] += start[b];
  const out = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const i = within ? within[j] : j;
    out[start[key[i]]++] = i;
  }
  return out;
}

/** Copies a result chunk of CODED_BARS_SQL into `out` at row `at`. */
export function copyCodedChunk(chunk: DuckDBDataChunk, out: CodedBarColumns, at: number): void {
  readInts(chunk, 0, chunk.rowCount, out.code, at);
  copyBarValues(chunk, chunk.rowCount, out, at);
}

/** Copies columns 1..9 (time .. flags) of a result chunk of CODED_BARS_SQL into `out` at row `at`. */
export function copyBarValues(
  chunk: DuckDBDataChunk,
  rows: number,
  out: Omit<CodedBarColumns, "code">,
  at: number,
): void {
  readDoubles(chunk, 1, rows, out.time, at);
  readDoubles(chunk, 2, rows, out.open, at);
  readDoubles(chunk, 3, rows, out.high, at);
  readDoubles(chunk, 4, rows, out.low, at);
  readDoubles(chunk, 5, rows, out.close, at);
  readDoubles(chunk, 6, rows, out.volume, at);
  readDoubles(chunk, 7, rows, out.trades, at);
  readDoubles(chunk, 8, rows, out.vwap, at);
  readBytes(chunk, 9, rows, out.flags, at);
}

/** Empty coded columns of `n` rows. */
export function codedColumns(n: number): CodedBarColumns {
  return {
    length: n,
    code: new Int32Array(n),
    time: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
    trades: new Float64Array(n),
    vwap: new Float64Array(n),
    flags: new Uint8Array(n),
  };
}

/**
 * Bars read with names as coded columns: rows of `symbols[k]` get `codes[k]` (default k), rows
 * of any other symbol -1.
 */
export function codeBars(bars: BarColumns, symbols: readonly string[], codes?: Int32Array): CodedBarColumns {
  const index = new Map<string, number>();
  for (let k = 0; k < symbols.length; k++) index.set(symbols[k], codes ? codes[k] : k);
  const code = new Int32Array(bars.length);
  for (let i = 0; i < bars.length; i++) code[i] = index.get(bars.symbol[i]) ?? -1;
  const { symbol: _names, ...columns } = bars;
  return { ...columns, code };
}
