/**
 * The corporate-actions table of the PostgreSQL store, the same layout as DuckDB's. Ex-dates
 * are `YYYY-MM-DD` text; text compares byte-wise (`COLLATE "C"`) so ordering matches DuckDB.
 */
export function actionsDdl(s: string): string {
  return `CREATE TABLE IF NOT EXISTS ${s}.actions (
    symbol TEXT COLLATE "C" NOT NULL,
    ex_date TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    value DOUBLE PRECISION,
    factor DOUBLE PRECISION NOT NULL,
    reference DOUBLE PRECISION,
    previous TEXT,
    PRIMARY KEY (symbol, ex_date, kind)
  )`;
}

/** Upserts actions given as seven parallel arrays (see `actionValues`). */
export function upsertActionsSql(s: string): string {
  return `INSERT INTO ${s}.actions (symbol, ex_date, kind, value, factor, reference, previous)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::float8[], $7::text[])
    ON CONFLICT (symbol, ex_date, kind) DO UPDATE SET value = EXCLUDED.value, factor = EXCLUDED.factor,
      reference = EXCLUDED.reference, previous = EXCLUDED.previous`;
}

/** Parameters: [symbols,] from, to (inclusive ex-dates); symbols left out when `allSymbols`. */
export function selectActionsSql(s: string, allSymbols: boolean): string {
  const where = allSymbols
    ? "ex_date >= $1 AND ex_date <= $2"
    : "symbol = ANY($1::text[]) AND ex_date >= $2 AND ex_date <= $3";
  return `SELECT symbol, ex_date, kind, value, factor, reference, previous FROM ${s}.actions
    WHERE ${where} ORDER BY ex_date, symbol, kind`;
}
