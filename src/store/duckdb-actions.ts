/** The corporate-actions table of the DuckDB store (keyed by symbol, ex_date, kind on write). */
export const ACTIONS_TABLE = `CREATE TABLE IF NOT EXISTS actions (
    symbol VARCHAR NOT NULL, ex_date VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    value DOUBLE, factor DOUBLE NOT NULL, reference DOUBLE, previous VARCHAR)`;

export const DELETE_ACTION = "DELETE FROM actions WHERE symbol = $1 AND ex_date = $2 AND kind = $3";

export const INSERT_ACTION =
  "INSERT INTO actions VALUES ($1::VARCHAR, $2::VARCHAR, $3::VARCHAR, $4::DOUBLE, $5::DOUBLE, $6::DOUBLE, $7::VARCHAR)";

/** Parameters: symbols (empty: all), from, to (inclusive ex-dates). */
export const SELECT_ACTIONS = `SELECT symbol, ex_date, kind, value, factor, reference, previous FROM actions
  WHERE (len($1::VARCHAR[]) = 0 OR list_contains($1::VARCHAR[], symbol)) AND ex_date >= $2 AND ex_date <= $3
  ORDER BY ex_date, symbol, kind`;
