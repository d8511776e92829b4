import {
  type DuckDBConnection,
  type DuckDBDataChunk,
  type DuckDBPreparedStatement,
  listValue,
} from "@duckdb/node-api";
import type { BarColumns } from "../model/bar.js";
import { MINUTE_MS } from "../model/time.js";
import { bytesOf, doublesOf, readBytes, readDoubles, readInts } from "./duckdb-vectors.js";
import type { BarQuery, CodedBarColumns } from "./types.js";

/**
 * A range read of bars, each row's symbol as its index into the bound symbol list ($1), in
 * (time, symbol) order. Column order matches `copyBarValues` (after the code).
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

/** The two reads without trades and vwap (a replay keeps neither): flags is column 7. */
const OHLCV_SQL = CODED_BARS_SQL.replace(
  "\n    COALESCE(b.trades, 'NaN'::DOUBLE), COALESCE(b.vwap, 'NaN'::DOUBLE), b.flags",
  " b.flags",
);
const OHLCV_UNORDERED_SQL = OHLCV_SQL.slice(0, OHLCV_SQL.indexOf("\n  ORDER BY"));

/** A coded read as the worker thread gets it (distinct symbols, bounds whole ms). */
export interface CodedBarsRequest extends Omit<BarQuery, "from" | "to"> {
  type: "read";
  id: number;
  from: number;
  to: number;
  /** The code of each symbol (default: its index). */
  codes?: Int32Array;
  /** Read time, OHLCV and flags only: trades and vwap come back NaN. */
  ohlcv?: boolean;
  /** Also each code's rows in series columns (`CodedBarColumns.placed`). */
  placed?: boolean;
}

/**
 * Buffers the main thread hands back to the worker: a read's columns (`codedColumnList`
 * order), or the buffer of a read's placed rows (`placed`).
 */
export interface RecycleMessage {
  type: "recycle";
  buffers: ArrayBuffer[];
  placed?: boolean;
}

/** A coded read's columns as the worker thread hands them back. */
export interface CodedBarsReply extends CodedBarColumns {
  id: number;
}

/** Prepared statements of one connection by SQL text (a worker keeps one per connection). */
export type StatementCache = Map<string, Promise<DuckDBPreparedStatement>>;

/**
 * Runs a coded read on a connection. The symbols are bound in byte order, so a row's index
 * into them ranks it as `ORDER BY symbol` would. When every time is a whole minute
 * (one-minute bars), rows are fetched unordered (DuckDB hands them back much as stored: in
 * time order, but for a few chunks, when written a minute at a time; grouped by symbol when
 * written a symbol at a time) and each is put straight at its (time, symbol) place in the
 * output columns: when the rows come in a few ordered stretches, those are merged a block
 * at a time (`orderedRuns`); otherwise one counting pass over (minute, rank) gives every row
 * its place (two passes when the span holds many more (minute, rank) pairs than rows). Each
 * column is then copied from DuckDB's vectors to those places. Otherwise DuckDB sorts.
 * `statements` keeps the statements prepared on this connection for the next read; `run`
 * serializes the statements' runs when reads overlap (the next read's query then runs on
 * DuckDB's threads while this one places its rows).
 */
export async function readCodedBars(
  con: DuckDBConnection,
  req: Omit<CodedBarsRequest, "type" | "id">,
  statements: StatementCache = new Map(),
  run: <T>(task: () => Promise<T>) => Promise<T> = (task) => task(),
  columns: (n: number) => CodedBarColumns = codedColumns,
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
  const query = async (sql: string) => {
    const result = await run(async () => {
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = con.prepare(sql)));
      const prepared = await statement;
      prepared.bind(params);
      return prepared.run();
    });
    // The result is materialized: its chunks are taken synchronously (an awaited fetchChunk
    // each cost about as much CPU as DuckDB's whole scan of a replay's reads, measured).
    const chunks: DuckDBDataChunk[] = [];
    for (let k = 0; k < result.chunkCount; k++) {
      const chunk = result.getChunk(k);
      if (chunk.rowCount > 0) chunks.push(chunk);
    }
    // Each row's rank and time, which decide its place.
    const n = chunks.reduce((sum, c) => sum + c.rowCount, 0);
    const rank = new Int32Array(n);
    const time = new Float64Array(n);
    let at = 0;
    for (const chunk of chunks) {
      readInts(chunk, 0, chunk.rowCount, rank, at);
      readDoubles(chunk, 1, chunk.rowCount, time, at);
      at += chunk.rowCount;
    }
    return { chunks, rank, time };
  };
  const ohlcv = req.ohlcv === true;
  const rows = await query(ohlcv ? OHLCV_UNORDERED_SQL : UNORDERED_SQL);
  const out = columns(rows.time.length);
  const runs = orderedRuns(
    rows.rank,
    rows.time,
    rows.chunks.map((c) => c.rowCount),
  );
  if (runs) return placeRows(rows, runs, undefined, codeOfRank, out, ohlcv);
  const place = placesByMinuteAndRank(rows.rank, rows.time, order.length);
  if (place) return placeRows(rows, undefined, place, codeOfRank, out, ohlcv);
  const sorted = await query(ohlcv ? OHLCV_SQL : CODED_BARS_SQL);
  return placeRows(sorted, chunkRuns(sorted.chunks), undefined, codeOfRank, out, ohlcv);
}

/** Buckets a single counting pass may use, at most (an Int32Array of 64 MB). */
const MAX_BUCKETS = 16 * 1024 * 1024;

/**
 * Blocks of rows in (time, rank) order among themselves, and the place of each block's first
 * row: `from[r]` is the first row (in chunk order) of run `r`, `to[r]` its place. Runs are in
 * chunk order, each ends where the next begins, and none crosses a chunk's end.
 */
export interface Runs {
  from: Int32Array;
  to: Int32Array;
}

/**
 * The rows of a result cut into runs that can be placed a block at a time, when there are
 * few: rows come in a few ordered stretches (so a store written in time order hands them
 * back, pieces of DuckDB's parallel scan swapped or interleaved), merged here a block at a
 * time: the stretch with the least next row gives every row up to the next row of any
 * other stretch. Undefined when that takes many blocks (rows grouped by symbol, say): a
 * counting sort is then cheaper.
 */
export function orderedRuns(
  rank: Int32Array,
  time: Float64Array,
  chunkRows: readonly number[],
): Runs | undefined {
  const n = time.length;
  const maxBlocks = 8 * chunkRows.length + 64;
  // Ordered stretches: [start[s], end[s]), cut at chunk ends and wherever the order breaks.
  const start: number[] = [];
  const end: number[] = [];
  let chunkEnd = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (i === chunkEnd) chunkEnd += chunkRows[k++];
    else if (time[i] > time[i - 1] || (time[i] === time[i - 1] && rank[i] > rank[i - 1])) continue;
    if (start.length === maxBlocks) return undefined;
    if (i > 0) end.push(i);
    start.push(i);
  }
  if (n > 0) end.push(n);
  const before = (i: number, j: number) => time[i] < time[j] || (time[i] === time[j] && rank[i] < rank[j]);
  const from: number[] = [];
  const to: number[] = [];
  const head = start.slice();
  let placed = 0;
  for (;;) {
    let least = -1;
    let next = -1;
    for (let s = 0; s < head.length; s++) {
      if (head[s] === end[s]) continue;
      if (least < 0 || before(head[s], head[least])) {
        next = least;
        least = s;
      } else if (next < 0 || before(head[s], head[next])) next = s;
    }
    if (least < 0) break;
    if (from.length === maxBlocks) return undefined;
    // the least stretch's rows before the next stretch's head (at least one)
    let lo = head[least] + 1;
    let hi = end[least];
    if (next >= 0) {
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (before(mid, head[next])) lo = mid + 1;
        else hi = mid;
      }
    } else lo = hi;
    from.push(head[least]);
    to.push(placed);
    placed += lo - head[least];
    head[least] = lo;
  }
  const order = [...from.keys()].sort((a, b) => from[a] - from[b]);
  return {
    from: Int32Array.from(order, (q) => from[q]),
    to: Int32Array.from(order, (q) => to[q]),
  } satisfies Runs;
}

/** Every chunk a run, in order. */
function chunkRuns(chunks: readonly DuckDBDataChunk[]): Runs {
  const from = new Int32Array(chunks.length);
  for (let k = 1; k < chunks.length; k++) from[k] = from[k - 1] + chunks[k - 1].rowCount;
  return { from, to: from };
}

/**
 * The place of each row in (time, rank) order, stable; undefined when a time is not a whole
 * minute or the span is too long for a counting sort.
 */
function placesByMinuteAndRank(rank: Int32Array, time: Float64Array, ranks: number): Int32Array | undefined {
  const n = time.length;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const t = time[i];
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  const minutes = (hi - lo) / MINUTE_MS + 1;
  if (!Number.isInteger(minutes) || minutes > 4 * n + 1440) return undefined;
  const minute = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const m = (time[i] - lo) / MINUTE_MS;
    if (!Number.isInteger(m)) return undefined;
    minute[i] = m;
  }
  const buckets = minutes * ranks;
  if (buckets <= 8 * n + 65_536 && buckets <= MAX_BUCKETS) {
    // One pass: each (minute, rank) is a bucket of its own.
    for (let i = 0; i < n; i++) minute[i] = minute[i] * ranks + rank[i];
    return countingPlaces(minute, buckets);
  }
  // Two stable passes: by rank, then by minute.
  const byRank = countingOrder(rank, ranks, undefined);
  const perm = countingOrder(minute, minutes, byRank);
  const place = new Int32Array(n);
  for (let j = 0; j < n; j++) place[perm[j]] = j;
  return place;
}

/** The place of each row when stably sorted by `key` in [0, buckets). */
function countingPlaces(key: Int32Array, buckets: number): Int32Array {
  const n = key.length;
  const start = new Int32Array(buckets + 1);
  for (let i = 0; i < n; i++) start[key[i] + 1]++;
  for (let b = 0; b < buckets; b++) start[b + 1] += start[b];
  const place = key;
  for (let i = 0; i < n; i++) place[i] = start[key[i]]++;
  return place;
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

/**
 * Coded columns of a result's rows, each row's rank turned into its code: each of `runs`
 * as one block at its place, or else row `i` (in chunk order) at `place[i]`. The rank and
 * time columns are those already read; the others are copied from the chunks' vectors to
 * their places in `out`. `ohlcv`: the result has no trades and vwap columns (they are set NaN).
 */
function placeRows(
  rows: { chunks: readonly DuckDBDataChunk[]; rank: Int32Array; time: Float64Array },
  runs: Runs | undefined,
  place: Int32Array | undefined,
  codeOfRank: Int32Array,
  out: CodedBarColumns,
  ohlcv: boolean,
): CodedBarColumns {
  const { chunks, rank, time } = rows;
  const n = time.length;
  const code = rank;
  for (let i = 0; i < n; i++) code[i] = codeOfRank[rank[i]];
  const doubles = [out.open, out.high, out.low, out.close, out.volume];
  if (ohlcv) {
    out.trades.fill(Number.NaN);
    out.vwap.fill(Number.NaN);
  } else doubles.push(out.trades, out.vwap);
  const flagsColumn = doubles.length + 2;
  let at = 0;
  let r = 0;
  for (let k = 0; k < chunks.length; k++) {
    const chunk = chunks[k];
    const count = chunk.rowCount;
    const end = at + count;
    if (runs) {
      const first = r;
      while (r < runs.from.length && runs.from[r] < end) r++;
      copyRuns(code, out.code, runs, first, r, 0, n);
      copyRuns(time, out.time, runs, first, r, 0, n);
      for (let c = 0; c < doubles.length; c++) {
        copyRuns(doublesOf(chunk, c + 2, count), doubles[c], runs, first, r, at, n);
      }
      copyRuns(bytesOf(chunk, flagsColumn, count), out.flags, runs, first, r, at, n);
    } else {
      const places = place!;
      for (let i = 0; i < count; i++) {
        const p = places[at + i];
        out.code[p] = code[at + i];
        out.time[p] = time[at + i];
      }
      for (let c = 0; c < doubles.length; c++)
        scatter(doublesOf(chunk, c + 2, count), doubles[c], places, at);
      const flags = bytesOf(chunk, flagsColumn, count);
      for (let i = 0; i < count; i++) out.flags[places[at + i]] = flags[i];
    }
    at = end;
  }
  return out;
}

/** Copies runs `first .. last - 1` (of `n` rows in all) from `src`, whose item 0 is row `base`, to their places in `dst`. */
function copyRuns<T extends Float64Array | Int32Array | Uint8Array>(
  src: T,
  dst: T,
  runs: Runs,
  first: number,
  last: number,
  base: number,
  n: number,
): void {
  for (let q = first; q < last; q++) {
    const until = q + 1 < runs.from.length ? runs.from[q + 1] : n;
    dst.set(src.subarray(runs.from[q] - base, until - base) as never, runs.to[q]);
  }
}

/** `dst[place[at + i]] = src[i]` for every item of `src`. */
function scatter(src: Float64Array, dst: Float64Array, place: Int32Array, at: number): void {
  for (let i = 0; i < src.length; i++) dst[place[at + i]] = src[i];
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

/** The ten columns of coded bars, in a fixed order (for handing their buffers over). */
export function codedColumnList(c: CodedBarColumns): ArrayBufferView[] {
  return [c.code, c.time, c.open, c.high, c.low, c.close, c.volume, c.trades, c.vwap, c.flags];
}

/** The buffers of a read's placed rows, if any (handed over with the reply). */
export function placedBuffers(c: CodedBarColumns): ArrayBuffer[] {
  const p = c.placed;
  if (!p) return [];
  return [p.buffer, p.offset.buffer, p.rows.buffer, p.row.buffer] as ArrayBuffer[];
}

/**
 * Coded columns of `n` rows over buffers of a previous read (`codedColumnList` order; each at
 * least `n` rows long), or new ones.
 */
export function codedColumnsIn(n: number, buffers?: readonly ArrayBuffer[]): CodedBarColumns {
  if (!buffers) return codedColumns(n);
  const [code, time, open, high, low, close, volume, trades, vwap, flags] = buffers;
  return {
    length: n,
    code: new Int32Array(code, 0, n),
    time: new Float64Array(time, 0, n),
    open: new Float64Array(open, 0, n),
    high: new Float64Array(high, 0, n),
    low: new Float64Array(low, 0, n),
    close: new Float64Array(close, 0, n),
    volume: new Float64Array(volume, 0, n),
    trades: new Float64Array(trades, 0, n),
    vwap: new Float64Array(vwap, 0, n),
    flags: new Uint8Array(flags, 0, n),
  };
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
