import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { allocBarColumns, type BarColumns, type QuoteBar, type Tick } from "../model/bar.js";
import { concatBarColumns } from "../model/columns.js";
import { InvalidArgumentError, StoreError } from "../model/errors.js";
import { parseInterval } from "../model/interval.js";
import { ALL_DATES, actionFromRow, actionValues, lastActionPerKey } from "./action-rows.js";
import { actionsDdl, selectActionsSql, upsertActionsSql } from "./postgres-actions.js";
import { barCopyChunks, quoteCopyChunks, tickCopyChunks } from "./postgres-copy.js";
import { backoffMs, isRetryable, type RetryOptions, withRetry } from "./postgres-retry.js";
import {
  barMoveSql,
  CHUNK_TIME_MS,
  deleteTickRangeSql,
  insertTicksSql,
  type MoveSql,
  quoteMoveSql,
  quoteSchema,
  rangeWhere,
  STAGING_DDL,
  selectBarsSql,
  tableDdl,
} from "./postgres-schema.js";
import type {
  ActionQuery,
  BarQuery,
  CorporateAction,
  RangeQuery,
  Repository,
  SymbolCoverage,
} from "./types.js";

export type { RetryOptions } from "./postgres-retry.js";

/** Options of a PostgreSQL repository; every one has a sane default. */
export interface PostgresOptions {
  /** Most connections the pool opens. Default 4. */
  poolMax?: number;
  /** Schema holding the tables. Default: the URL's `?schema=` parameter, else `public`. */
  schema?: string;
  /** Retry of calls that lose their connection. Default 5 attempts from 100 ms, doubling. */
  retry?: RetryOptions;
  /** `application_name` of the connections (a URL `application_name` wins). Default `tickwright`. */
  applicationName?: string;
  /** Server-side limit of one statement, ms. Default 300000. */
  statementTimeoutMs?: number;
  /** An idle pooled connection is closed after this long, ms. Default 10000. */
  idleTimeoutMs?: number;
  /** Giving up on opening a connection after this long, ms. Default 5000. */
  connectionTimeoutMs?: number;
  /** Rows per FETCH when `streamBars` is not told. Default 50000. */
  chunkRows?: number;
  /** Set false to keep plain tables even where TimescaleDB is available. Default true. */
  timescale?: boolean;
}

/** How `init` laid out the tables. */
export interface PostgresStorage {
  /** True when bars, quotes and ticks are TimescaleDB hypertables. */
  hypertables: boolean;
  /** One line saying why (extension version, or why plain tables). */
  note: string;
}

const INT8_OID = 20;
const DEFAULT_CHUNK_ROWS = 50_000;
const CURSOR = "tw_bars_cursor";

/** Type parsers of this store's pools only: BIGINT (epoch ms, counts) as a JS number. */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID && format !== "binary") return (text: string) => Number(text);
    return pg.types.getTypeParser(oid, format as "text");
  },
} as pg.CustomTypesConfig;

/**
 * The Repository on a PostgreSQL server (TimescaleDB hypertables where the extension is
 * there). A write is one transaction: binary COPY into a per-connection staging table, then
 * one INSERT into the table (plain for a fresh range, ON CONFLICT DO UPDATE where stored rows
 * may collide), so it lands whole or not at all and re-writing changes nothing. Range reads
 * stream through a server-side cursor. Calls that lose their connection are retried as a
 * whole with exponential backoff (reads resume after the last row handed out), then fail
 * with a StoreError carrying the cause.
 */
export class PostgresRepository implements Repository {
  readonly kind = "postgres";
  /** The schema holding the tables. */
  readonly schema: string;
  /** Filled by `init`. */
  storage: PostgresStorage = { hypertables: false, note: "not initialized" };

  private readonly s: string;
  private readonly pool: pg.Pool;
  private readonly retry: RetryOptions;
  private readonly chunkRows: number;
  private readonly timescale: boolean;
  private readonly staged = new WeakSet<pg.PoolClient>();
  private initialized = false;

  private constructor(url: string, opts: PostgresOptions) {
    const { connectionString, schema } = splitUrl(url);
    this.schema = opts.schema ?? schema ?? "public";
    this.s = quoteSchema(this.schema);
    this.retry = opts.retry ?? {};
    this.chunkRows = positive(opts.chunkRows ?? DEFAULT_CHUNK_ROWS, "chunkRows");
    this.timescale = opts.timescale ?? true;
    this.pool = new pg.Pool({
      connectionString,
      max: positive(opts.poolMax ?? 4, "poolMax"),
      idleTimeoutMillis: opts.idleTimeoutMs ?? 10_000,
      connectionTimeoutMillis: opts.connectionTimeoutMs ?? 5_000,
      statement_timeout: opts.statementTimeoutMs ?? 300_000,
      application_name: opts.applicationName ?? "tickwright",
      types,
    });
    // A pooled connection the server drops must not crash the process: the pool discards
    // idle ones, and a checked-out one fails its next query, which the caller retries.
    this.pool.on("error", () => {});
    this.pool.on("connect", (client) => client.on("error", () => {}));
  }

  /**
   * Connects to `url` (`postgres://` or `postgresql://`; `?schema=name` picks the schema)
   * and creates the schema if missing. Throws StoreError when the server cannot be
   * reached after the retries.
   */
  static async open(url: string, opts: PostgresOptions = {}): Promise<PostgresRepository> {
    const repo = new PostgresRepository(url, opts);
    try {
      await repo.init();
    } catch (err) {
      await repo.close();
      throw err;
    }
    return repo;
  }

  /**
   * Creates the schema, tables (hypertables where TimescaleDB is available) under an
   * advisory lock, so two processes starting together do not race. Idempotent; a second
   * call on the same repository does nothing.
   */
  async init(): Promise<void> {
    if (this.initialized) return;
    this.storage = await this.transaction("init", async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`tickwright.schema.${this.schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.s}`);
      for (const ddl of [...tableDdl(this.s), actionsDdl(this.s)]) await client.query(ddl);
      return this.timescale
        ? await this.hypertables(client)
        : { hypertables: false, note: "plain tables (TimescaleDB turned off)" };
    });
    this.initialized = true;
  }

  /** Converts the tables to hypertables when TimescaleDB can be had; otherwise plain tables and why. */
  private async hypertables(client: pg.PoolClient): Promise<PostgresStorage> {
    const available = await client.query<{ installed_version: string | null }>(
      "SELECT installed_version FROM pg_available_extensions WHERE name = 'timescaledb'",
    );
    if (available.rows.length === 0) {
      return { hypertables: false, note: "plain tables: TimescaleDB is not available on this server" };
    }
    await client.query("SAVEPOINT tw_timescale");
    try {
      if (available.rows[0].installed_version === null) {
        await client.query("CREATE EXTENSION IF NOT EXISTS timescaledb");
      }
      for (const table of ["bars", "quotes", "ticks"]) {
        await client.query(
          `SELECT create_hypertable($1::regclass, 'time', chunk_time_interval => $2::bigint,
            if_not_exists => true, migrate_data => true)`,
          [`${this.s}.${table}`, CHUNK_TIME_MS],
        );
      }
      const version = await client.query<{ v: string }>(
        "SELECT extversion AS v FROM pg_extension WHERE extname = 'timescaledb'",
      );
      await client.query("RELEASE SAVEPOINT tw_timescale");
      return {
        hypertables: true,
        note: `TimescaleDB ${version.rows[0]?.v ?? "?"} hypertables (7-day chunks)`,
      };
    } catch (err) {
      await client.query("ROLLBACK TO SAVEPOINT tw_timescale");
      return {
        hypertables: false,
        note: `plain tables: TimescaleDB could not be used (${(err as Error).message})`,
      };
    }
  }

  async writeBars(interval: string, bars: BarColumns): Promise<number> {
    const name = parseInterval(interval).name;
    if (bars.length === 0) return 0;
    return this.transaction("writeBars", async (client) => {
      await this.copy(client, "COPY pg_temp.tw_stage_bars FROM STDIN (FORMAT binary)", barCopyChunks(bars));
      return this.move(client, barMoveSql(this.s), [name]);
    });
  }

  async readBars(query: BarQuery): Promise<BarColumns> {
    const chunks: BarColumns[] = [];
    for await (const chunk of this.streamBars(query)) chunks.push(chunk);
    return chunks.length === 1 ? chunks[0] : concatBarColumns(chunks);
  }

  /**
   * Streams a range through a server-side cursor, `chunkRows` rows per FETCH (the last chunk
   * shorter); an empty `query.symbols` means every symbol. When the
   * connection is lost, the read resumes on a new one after the last row already handed
   * out, so the consumer sees every row exactly once.
   */
  async *streamBars(query: BarQuery, chunkRows?: number): AsyncIterable<BarColumns> {
    const n = positive(chunkRows ?? this.chunkRows, "chunkRows");
    const name = parseInterval(query.interval).name;
    const from = msBound(query.from);
    const to = msBound(query.to);
    if (!(from < to)) return;
    const all = query.symbols.length === 0;
    const params: unknown[] = all ? [name, from, to] : [query.symbols, name, from, to];
    const base = params.length;
    let resume = false;
    let failures = 0;
    for (;;) {
      let client: pg.PoolClient | undefined;
      let done = false;
      try {
        client = await this.pool.connect();
        await client.query("BEGIN READ ONLY");
        await client.query(
          `DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${selectBarsSql(this.s, all, resume)}`,
          params,
        );
        for (;;) {
          const res = await client.query<unknown[]>({ text: `FETCH ${n} FROM ${CURSOR}`, rowMode: "array" });
          const rows = res.rows;
          if (rows.length === 0) break;
          const chunk = rowsToBars(rows);
          const last = chunk.length - 1;
          params[base] = chunk.time[last];
          params[base + 1] = chunk.symbol[last];
          resume = true;
          failures = 0;
          yield chunk;
          if (rows.length < n) break;
        }
        await client.query("COMMIT");
        done = true;
      } catch (err) {
        client?.release(err as Error);
        client = undefined;
        failures++;
        if (!isRetryable(err)) throw new StoreError(`streamBars failed: ${(err as Error).message}`, err);
        const attempts = Math.max(1, this.retry.attempts ?? 5);
        if (failures >= attempts) {
          throw new StoreError(
            `streamBars failed after ${failures} attempt(s): ${(err as Error).message}`,
            err,
          );
        }
        const delay = backoffMs(failures, this.retry.baseDelayMs ?? 100, this.retry.maxDelayMs ?? 5000);
        this.retry.onRetry?.(err, failures, delay);
        await new Promise((resolve) => setTimeout(resolve, delay));
      } finally {
        // Reached with a live client when the read completed or the consumer stopped early.
        if (client) await releaseAfter(client, done ? null : "ROLLBACK");
      }
      if (done) return;
    }
  }

  async writeQuotes(quotes: readonly QuoteBar[]): Promise<number> {
    if (quotes.length === 0) return 0;
    return this.transaction("writeQuotes", async (client) => {
      await this.copy(
        client,
        "COPY pg_temp.tw_stage_quotes FROM STDIN (FORMAT binary)",
        quoteCopyChunks(quotes),
      );
      return this.move(client, quoteMoveSql(this.s), []);
    });
  }

  async readQuotes(query: RangeQuery): Promise<QuoteBar[]> {
    const { all, params, empty } = rangeParams(query);
    if (empty) return [];
    const res = await this.query<unknown[]>(
      "readQuotes",
      `SELECT symbol, "time", bid_open, bid_high, bid_low, bid_close, bid_size,
        ask_open, ask_high, ask_low, ask_close, ask_size
       FROM ${this.s}.quotes WHERE ${rangeWhere(all)} ORDER BY "time", symbol`,
      params,
    );
    return res.rows.map((r) => ({
      symbol: r[0] as string,
      time: r[1] as number,
      bidOpen: r[2] as number,
      bidHigh: r[3] as number,
      bidLow: r[4] as number,
      bidClose: r[5] as number,
      bidSize: r[6] as number,
      askOpen: r[7] as number,
      askHigh: r[8] as number,
      askLow: r[9] as number,
      askClose: r[10] as number,
      askSize: r[11] as number,
    }));
  }

  /**
   * Writes ticks in one transaction: each symbol's stored ticks within the batch's time span
   * are replaced by the batch, prints of one millisecond keeping their batch order.
   */
  async writeTicks(ticks: readonly Tick[]): Promise<number> {
    if (ticks.length === 0) return 0;
    await this.transaction("writeTicks", async (client) => {
      await this.copy(
        client,
        "COPY pg_temp.tw_stage_ticks FROM STDIN (FORMAT binary)",
        tickCopyChunks(ticks),
      );
      await client.query(deleteTickRangeSql(this.s));
      await client.query(insertTicksSql(this.s));
    });
    return ticks.length;
  }

  async readTicks(query: RangeQuery): Promise<Tick[]> {
    const { all, params, empty } = rangeParams(query);
    if (empty) return [];
    const res = await this.query<unknown[]>(
      "readTicks",
      `SELECT symbol, "time", price, size, exchange, condition, suspicious
       FROM ${this.s}.ticks WHERE ${rangeWhere(all)} ORDER BY "time", symbol, seq`,
      params,
    );
    return res.rows.map((r) => {
      const tick: Tick = {
        symbol: r[0] as string,
        time: r[1] as number,
        price: r[2] as number,
        size: r[3] as number,
      };
      if (r[4] !== null) tick.exchange = r[4] as string;
      if (r[5] !== null) tick.condition = r[5] as string;
      if (r[6] !== null) tick.suspicious = r[6] as boolean;
      return tick;
    });
  }

  async symbols(interval?: string): Promise<string[]> {
    const res =
      interval === undefined
        ? await this.query<unknown[]>(
            "symbols",
            `SELECT DISTINCT symbol FROM ${this.s}.bars ORDER BY symbol`,
            [],
          )
        : await this.query<unknown[]>(
            "symbols",
            `SELECT DISTINCT symbol FROM ${this.s}.bars WHERE "interval" = $1 ORDER BY symbol`,
            [parseInterval(interval).name],
          );
    return res.rows.map((r) => r[0] as string);
  }

  async coverage(symbol?: string): Promise<SymbolCoverage[]> {
    const where = symbol === undefined ? "" : "WHERE symbol = $1";
    const res = await this.query<unknown[]>(
      "coverage",
      `SELECT symbol, "interval", min("time"), max("time"), count(*) FROM ${this.s}.bars ${where}
       GROUP BY symbol, "interval" ORDER BY symbol, "interval"`,
      symbol === undefined ? [] : [symbol],
    );
    return res.rows.map((r) => ({
      symbol: r[0] as string,
      interval: r[1] as string,
      first: r[2] as number,
      last: r[3] as number,
      count: r[4] as number,
    }));
  }

  async writeActions(actions: readonly CorporateAction[]): Promise<number> {
    const rows = lastActionPerKey(actions);
    if (rows.length === 0) return 0;
    const columns: unknown[][] = [[], [], [], [], [], [], []];
    for (const a of rows) {
      actionValues(a).forEach((v, k) => {
        columns[k].push(v);
      });
    }
    await this.transaction("writeActions", (client) => client.query(upsertActionsSql(this.s), columns));
    return rows.length;
  }

  async readActions(query: ActionQuery): Promise<CorporateAction[]> {
    const all = query.symbols.length === 0;
    const range = [query.from ?? ALL_DATES.from, query.to ?? ALL_DATES.to];
    const res = await this.query<unknown[]>(
      "readActions",
      selectActionsSql(this.s, all),
      all ? range : [[...new Set(query.symbols)], ...range],
    );
    return res.rows.map(actionFromRow);
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  /** One statement with retries. */
  private query<R extends unknown[]>(
    what: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return withRetry(what, this.retry, () => this.pool.query<R>({ text, values, rowMode: "array" }));
  }

  /**
   * Runs `fn` in one transaction on one pooled connection, retried as a whole when the
   * connection is lost. A connection that failed is discarded, never reused.
   */
  private transaction<T>(what: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withRetry(what, this.retry, async () => {
      const client = await this.pool.connect();
      try {
        if (!this.staged.has(client)) {
          for (const ddl of STAGING_DDL) await client.query(ddl);
          this.staged.add(client);
        }
        await client.query("BEGIN");
        const result = await fn(client);
        await client.query("COMMIT");
        client.release();
        return result;
      } catch (err) {
        client.release(err as Error);
        throw err;
      }
    });
  }

  /** Streams binary COPY data into a staging table. */
  private async copy(client: pg.PoolClient, sql: string, chunks: Iterable<Buffer>): Promise<void> {
    await pipeline(Readable.from(chunks, { objectMode: false }), client.query(copyFrom(sql)));
  }

  /** Moves the staged batch into its table (see MoveSql); returns the rows written (distinct keys). */
  private async move(client: pg.PoolClient, sql: MoveSql, values: unknown[]): Promise<number> {
    const probe = await client.query<{ overlap: boolean }>(sql.overlap, values);
    if (!probe.rows[0].overlap) {
      const n = await unless(client, "23505", sql.insert, values);
      if (n !== null) return n;
    }
    const n = await unless(client, "21000", sql.upsert, values);
    if (n !== null) return n;
    return (await client.query(sql.dedupe, values)).rowCount ?? 0;
  }
}

/** Separates tickwright's `?schema=` from the connection string pg reads. */
function splitUrl(url: string): { connectionString: string; schema: string | undefined } {
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new InvalidArgumentError(`not a PostgreSQL URL: "${url}" (expected postgres://...)`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(`bad PostgreSQL URL: "${url}"`);
  }
  const schema = parsed.searchParams.get("schema") ?? undefined;
  if (schema === undefined) return { connectionString: url, schema };
  parsed.searchParams.delete("schema");
  return { connectionString: parsed.toString(), schema };
}

/** Epoch-ms bounds of JavaScript dates; range bounds are clamped to them (so ±Infinity work). */
const MAX_MS = 8.64e15;

/** A range bound as an integer the BIGINT comparison takes: clamped, rounded up (times are integers). */
function msBound(t: number): number {
  if (Number.isNaN(t)) throw new InvalidArgumentError("range bound is NaN");
  return Math.ceil(Math.min(MAX_MS, Math.max(-MAX_MS, t)));
}

/** Parameters of a quote or tick range read: [symbols,] from, to; `empty` when from >= to. */
function rangeParams(query: RangeQuery): { all: boolean; params: unknown[]; empty: boolean } {
  const all = query.symbols.length === 0;
  const from = msBound(query.from);
  const to = msBound(query.to);
  return { all, params: all ? [from, to] : [query.symbols, from, to], empty: !(from < to) };
}

function positive(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`${what} must be a positive integer, got ${n}`);
  return n;
}

/** Runs `sql` in a savepoint and returns its row count; null, rolled back, when it fails with SQLSTATE `code`. */
async function unless(
  client: pg.PoolClient,
  code: string,
  sql: string,
  values: unknown[],
): Promise<number | null> {
  await client.query("SAVEPOINT tw_move");
  try {
    const n = (await client.query(sql, values)).rowCount ?? 0;
    await client.query("RELEASE SAVEPOINT tw_move");
    return n;
  } catch (err) {
    if ((err as { code?: string }).code !== code) throw err;
    await client.query("ROLLBACK TO SAVEPOINT tw_move");
    return null;
  }
}

/** Ends the transaction (if any) and returns the connection; a connection that fails that is discarded. */
async function releaseAfter(client: pg.PoolClient, sql: string | null): Promise<void> {
  if (sql === null) {
    client.release();
    return;
  }
  try {
    await client.query(sql);
    client.release();
  } catch (err) {
    client.release(err as Error);
  }
}

/** FETCHed rows (symbol, time, open, high, low, close, volume, trades, vwap, flags) as columns. */
function rowsToBars(rows: unknown[][]): BarColumns {
  const c = allocBarColumns(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    c.symbol[i] = r[0] as string;
    c.time[i] = r[1] as number;
    c.open[i] = r[2] as number;
    c.high[i] = r[3] as number;
    c.low[i] = r[4] as number;
    c.close[i] = r[5] as number;
    c.volume[i] = r[6] as number;
    c.trades[i] = r[7] === null ? Number.NaN : (r[7] as number);
    c.vwap[i] = r[8] === null ? Number.NaN : (r[8] as number);
    c.flags[i] = r[9] as number;
  }
  c.length = rows.length;
  return c;
}
