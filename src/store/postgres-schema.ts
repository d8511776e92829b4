import { InvalidArgumentError } from "../model/errors.js";

/** Schema names tickwright accepts: lower-case identifiers, so quoting never changes meaning. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

/** The schema name quoted for SQL, after checking it is a plain lower-case identifier. */
export function quoteSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema) || schema.length > 63) {
    throw new InvalidArgumentError(
      `bad PostgreSQL schema "${schema}": expected a lower-case identifier (a-z, 0-9, _; not starting with a digit)`,
    );
  }
  return `"${schema}"`;
}

/** Chunk length of TimescaleDB hypertables on the epoch-ms `time` column: one week. */
export const CHUNK_TIME_MS = 86_400_000 * 7;

/**
 * The tables, the same portable layout as the DuckDB store. Times are epoch ms UTC (BIGINT);
 * symbols compare byte-wise (`COLLATE "C"`) so ordering matches DuckDB and JavaScript.
 */
export function tableDdl(s: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${s}.bars (
      symbol TEXT COLLATE "C" NOT NULL,
      "interval" TEXT COLLATE "C" NOT NULL,
      "time" BIGINT NOT NULL,
      open DOUBLE PRECISION NOT NULL,
      high DOUBLE PRECISION NOT NULL,
      low DOUBLE PRECISION NOT NULL,
      close DOUBLE PRECISION NOT NULL,
      volume DOUBLE PRECISION NOT NULL,
      trades DOUBLE PRECISION,
      vwap DOUBLE PRECISION,
      flags SMALLINT NOT NULL DEFAULT 0,
      PRIMARY KEY (symbol, "interval", "time")
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.quotes (
      symbol TEXT COLLATE "C" NOT NULL,
      "time" BIGINT NOT NULL,
      bid_open DOUBLE PRECISION NOT NULL,
      bid_high DOUBLE PRECISION NOT NULL,
      bid_low DOUBLE PRECISION NOT NULL,
      bid_close DOUBLE PRECISION NOT NULL,
      bid_size DOUBLE PRECISION NOT NULL,
      ask_open DOUBLE PRECISION NOT NULL,
      ask_high DOUBLE PRECISION NOT NULL,
      ask_low DOUBLE PRECISION NOT NULL,
      ask_close DOUBLE PRECISION NOT NULL,
      ask_size DOUBLE PRECISION NOT NULL,
      PRIMARY KEY (symbol, "time")
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.ticks (
      symbol TEXT COLLATE "C" NOT NULL,
      "time" BIGINT NOT NULL,
      seq INTEGER NOT NULL,
      price DOUBLE PRECISION NOT NULL,
      size DOUBLE PRECISION NOT NULL,
      exchange TEXT,
      condition TEXT,
      suspicious BOOLEAN,
      PRIMARY KEY (symbol, "time", seq)
    )`,
  ];
}

/**
 * Per-connection staging tables for COPY: rows land here first, then one INSERT ... ON
 * CONFLICT moves them into the real table inside the same transaction. Emptied at commit.
 */
export const STAGING_DDL = [
  `CREATE TEMP TABLE IF NOT EXISTS tw_stage_bars (
    ord INTEGER NOT NULL, symbol TEXT COLLATE "C" NOT NULL, "time" BIGINT NOT NULL,
    open DOUBLE PRECISION NOT NULL, high DOUBLE PRECISION NOT NULL, low DOUBLE PRECISION NOT NULL,
    close DOUBLE PRECISION NOT NULL, volume DOUBLE PRECISION NOT NULL,
    trades DOUBLE PRECISION, vwap DOUBLE PRECISION, flags SMALLINT NOT NULL
  ) ON COMMIT DELETE ROWS`,
  `CREATE TEMP TABLE IF NOT EXISTS tw_stage_quotes (
    ord INTEGER NOT NULL, symbol TEXT COLLATE "C" NOT NULL, "time" BIGINT NOT NULL,
    bid_open DOUBLE PRECISION NOT NULL, bid_high DOUBLE PRECISION NOT NULL,
    bid_low DOUBLE PRECISION NOT NULL, bid_close DOUBLE PRECISION NOT NULL,
    bid_size DOUBLE PRECISION NOT NULL, ask_open DOUBLE PRECISION NOT NULL,
    ask_high DOUBLE PRECISION NOT NULL, ask_low DOUBLE PRECISION NOT NULL,
    ask_close DOUBLE PRECISION NOT NULL, ask_size DOUBLE PRECISION NOT NULL
  ) ON COMMIT DELETE ROWS`,
  `CREATE TEMP TABLE IF NOT EXISTS tw_stage_ticks (
    ord INTEGER NOT NULL, symbol TEXT COLLATE "C" NOT NULL, "time" BIGINT NOT NULL,
    price DOUBLE PRECISION NOT NULL, size DOUBLE PRECISION NOT NULL,
    exchange TEXT, condition TEXT, suspicious BOOLEAN
  ) ON COMMIT DELETE ROWS`,
];

const BAR_VALUES = "open, high, low, close, volume, trades, vwap, flags";
const QUOTE_VALUES =
  "bid_open, bid_high, bid_low, bid_close, bid_size, ask_open, ask_high, ask_low, ask_close, ask_size";

function updateSet(columns: string): string {
  return columns
    .split(", ")
    .map((c) => `${c} = EXCLUDED.${c}`)
    .join(", ");
}

/**
 * How staged rows move into a keyed table, fastest first. A fresh range (no stored row of a
 * staged symbol within the batch's time span) goes in with a plain INSERT; otherwise, or when
 * that meets a key after all (a concurrent writer: SQLSTATE 23505), INSERT ... ON CONFLICT
 * DO UPDATE; when the batch repeats a key, which ON CONFLICT refuses (21000), the same keeping
 * only the last staged row of each key.
 */
export interface MoveSql {
  /** One row, one column `overlap`: true when stored rows may collide with the batch (an index probe per symbol). */
  overlap: string;
  insert: string;
  upsert: string;
  dedupe: string;
}

function moveSql(s: string, table: string, stage: string, values: string, interval: boolean): MoveSql {
  const key = interval ? `symbol, "interval", "time"` : `symbol, "time"`;
  const keyValues = interval ? `symbol, $1::text, "time"` : `symbol, "time"`;
  const last = `(SELECT DISTINCT ON (symbol, "time") * FROM pg_temp.${stage} ORDER BY symbol, "time", ord DESC) AS staged`;
  const insert = (from: string) =>
    `INSERT INTO ${s}.${table} (${key}, ${values}) SELECT ${keyValues}, ${values} FROM ${from}`;
  const onConflict = `ON CONFLICT (${key}) DO UPDATE SET ${updateSet(values)}`;
  return {
    overlap: `SELECT EXISTS (
        SELECT 1 FROM (SELECT symbol, min("time") AS lo, max("time") AS hi FROM pg_temp.${stage} GROUP BY symbol) AS r
        WHERE EXISTS (SELECT 1 FROM ${s}.${table} AS t
          WHERE t.symbol = r.symbol ${interval ? `AND t."interval" = $1` : ""} AND t."time" BETWEEN r.lo AND r.hi)
      ) AS overlap`,
    insert: insert(`pg_temp.${stage}`),
    upsert: `${insert(`pg_temp.${stage}`)} ${onConflict}`,
    dedupe: `${insert(last)} ${onConflict}`,
  };
}

/** Moves staged bars into `bars`, with the interval as $1. */
export function barMoveSql(s: string): MoveSql {
  return moveSql(s, "bars", "tw_stage_bars", BAR_VALUES, true);
}

/** Moves staged quotes into `quotes` (no parameters). */
export function quoteMoveSql(s: string): MoveSql {
  return moveSql(s, "quotes", "tw_stage_quotes", QUOTE_VALUES, false);
}

/** Deletes each staged symbol's stored ticks within the staged time span (re-ingest replaces). */
export function deleteTickRangeSql(s: string): string {
  return `DELETE FROM ${s}.ticks AS t USING (
      SELECT symbol, min("time") AS lo, max("time") AS hi FROM pg_temp.tw_stage_ticks GROUP BY symbol
    ) AS r
    WHERE t.symbol = r.symbol AND t."time" >= r.lo AND t."time" <= r.hi`;
}

/** Inserts staged ticks, numbering prints of one (symbol, time) in batch order. */
export function insertTicksSql(s: string): string {
  return `INSERT INTO ${s}.ticks (symbol, "time", seq, price, size, exchange, condition, suspicious)
    SELECT symbol, "time", (row_number() OVER (PARTITION BY symbol, "time" ORDER BY ord) - 1)::int,
      price, size, exchange, condition, suspicious
    FROM pg_temp.tw_stage_ticks`;
}

/**
 * The bar range query behind readBars/streamBars. Parameters in order: the symbols (text[],
 * left out when `allSymbols`), interval, from, to, and with `resume` the (time, symbol) of the
 * last row already read, so a retried read carries on after it.
 */
export function selectBarsSql(s: string, allSymbols: boolean, resume: boolean): string {
  let n = 0;
  const where = allSymbols ? [] : [`symbol = ANY($${++n}::text[])`];
  where.push(`"interval" = $${++n}`, `"time" >= $${++n}`, `"time" < $${++n}`);
  if (resume) where.push(`("time", symbol) > ($${++n}::bigint, $${++n}::text)`);
  return `SELECT symbol, "time", ${BAR_VALUES} FROM ${s}.bars WHERE ${where.join(" AND ")} ORDER BY "time", symbol`;
}

/** The WHERE of quote and tick range reads: symbols (left out when `allSymbols`), from, to. */
export function rangeWhere(allSymbols: boolean): string {
  return allSymbols
    ? `"time" >= $1 AND "time" < $2`
    : `symbol = ANY($1::text[]) AND "time" >= $2 AND "time" < $3`;
}
