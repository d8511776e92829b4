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
      suspicious BOOLEAN NOT NULL DEFAULT false,
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
    exchange TEXT, condition TEXT, suspicious BOOLEAN NOT NULL
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
 * Moves staged bars into `bars` with interval $1. `dedupe` keeps only the last row of each
 * (symbol, time) in the batch: needed when the batch repeats a key, which plain ON CONFLICT
 * refuses (SQLSTATE 21000).
 */
export function upsertBarsSql(s: string, dedupe: boolean): string {
  const source = dedupe
    ? `SELECT DISTINCT ON (symbol, "time") symbol, "time", ${BAR_VALUES} FROM pg_temp.tw_stage_bars ORDER BY symbol, "time", ord DESC`
    : `SELECT symbol, "time", ${BAR_VALUES} FROM pg_temp.tw_stage_bars`;
  return `INSERT INTO ${s}.bars (symbol, "interval", "time", ${BAR_VALUES})
    SELECT symbol, $1::text, "time", ${BAR_VALUES} FROM (${source}) AS staged
    ON CONFLICT (symbol, "interval", "time") DO UPDATE SET ${updateSet(BAR_VALUES)}`;
}

/** Moves staged quotes into `quotes`; `dedupe` as for bars. */
export function upsertQuotesSql(s: string, dedupe: boolean): string {
  const source = dedupe
    ? `SELECT DISTINCT ON (symbol, "time") symbol, "time", ${QUOTE_VALUES} FROM pg_temp.tw_stage_quotes ORDER BY symbol, "time", ord DESC`
    : `SELECT symbol, "time", ${QUOTE_VALUES} FROM pg_temp.tw_stage_quotes`;
  return `INSERT INTO ${s}.quotes (symbol, "time", ${QUOTE_VALUES})
    SELECT symbol, "time", ${QUOTE_VALUES} FROM (${source}) AS staged
    ON CONFLICT (symbol, "time") DO UPDATE SET ${updateSet(QUOTE_VALUES)}`;
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

/** The bar range query behind readBars/streamBars; `resume` adds a keyset bound after ($5, $6). */
export function selectBarsSql(s: string, resume: boolean): string {
  return `SELECT symbol, "time", ${BAR_VALUES} FROM ${s}.bars
    WHERE symbol = ANY($1::text[]) AND "interval" = $2 AND "time" >= $3 AND "time" < $4
    ${resume ? `AND ("time", symbol) > ($5::bigint, $6::text)` : ""}
    ORDER BY "time", symbol`;
}
