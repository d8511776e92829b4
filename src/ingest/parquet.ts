import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import { InputError } from "../model/errors.js";
import type { BarBatcher } from "./batcher.js";
import { type BarField, mapColumns } from "./csv.js";
import type { Rejects } from "./rejects.js";
import { LocalToUtc, TIME_FORM, type TimeParser } from "./timestamps.js";

/** Options of `importParquetBars`. */
export interface ParquetImportOptions {
  file: string;
  symbol?: string;
  time: TimeParser;
  batcher: BarBatcher;
  rejects: Rejects;
  onRows?: (rowsRead: number) => void;
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** How the time column arrives from DuckDB. */
type TimeMode = "utc-ms" | "wall-ms" | "date-ms" | "text";

/**
 * Reads bars from a Parquet file through DuckDB's `read_parquet`, with the CSV importer's
 * column names and validation. The time column may be TIMESTAMP WITH TIME ZONE, a naive
 * TIMESTAMP (needs a zone: `--tz`), a DATE (midnight, in `--tz` or UTC), epoch numbers or text
 * (read like CSV fields). Rejections report the 1-based row number as `line`. Returns the rows
 * read.
 */
export async function importParquetBars(con: DuckDBConnection, opts: ParquetImportOptions): Promise<number> {
  const { file, batcher, rejects, time } = opts;
  let described: DuckDBValue[][];
  try {
    described = (await con.runAndReadAll("DESCRIBE SELECT * FROM read_parquet($1)", [file])).getRows();
  } catch (err) {
    throw new InputError(`${file}: not a readable Parquet file (${(err as Error).message.split("\n")[0]})`);
  }
  const names = described.map((r) => String(r[0]));
  const types = described.map((r) => String(r[1]).toUpperCase());
  const cols = mapColumns(names, file, opts.symbol !== undefined);
  const timeType = types[cols.time];
  const local = time.timeZone ? new LocalToUtc(time.timeZone) : null;
  const daily = batcher.interval === "1d";
  let mode: TimeMode = "text";
  if (timeType.startsWith("TIMESTAMP WITH TIME ZONE") || timeType === "TIMESTAMPTZ") mode = "utc-ms";
  else if (timeType.startsWith("TIMESTAMP")) mode = "wall-ms";
  else if (timeType === "DATE") mode = "date-ms";
  if (mode === "wall-ms" && !local) {
    throw new InputError(
      `${file}: column "${names[cols.time]}" is a TIMESTAMP without time zone; pass --tz ZONE (e.g. --tz UTC)`,
    );
  }
  const t = ident(names[cols.time]);
  const timeExpr =
    mode === "text"
      ? `CAST(${t} AS VARCHAR)`
      : mode === "utc-ms"
        ? `epoch_ms(${t})::DOUBLE`
        : `epoch_ms(${t}::TIMESTAMP)::DOUBLE`;
  const num = (f: BarField) =>
    cols[f] >= 0 ? `TRY_CAST(${ident(names[cols[f]])} AS DOUBLE)` : "NULL::DOUBLE";
  const textOf = (f: BarField) =>
    cols[f] >= 0 ? `CAST(${ident(names[cols[f]])} AS VARCHAR)` : "NULL::VARCHAR";
  const sql = `SELECT ${timeExpr}, ${num("open")}, ${num("high")}, ${num("low")}, ${num("close")}, ${num("volume")},
      ${num("trades")}, ${num("vwap")}, ${textOf("symbol")}, ${textOf("trades")}, ${textOf("vwap")}
    FROM read_parquet($1)`;
  const result = await con.stream(sql, [file]).catch((err: unknown) => {
    throw new InputError(`${file}: not a readable Parquet file (${(err as Error).message.split("\n")[0]})`);
  });
  /** A rejected row as text: time, open, high, low, close, volume, trades, vwap, symbol. */
  const rawRow = (values: readonly DuckDBValue[]) =>
    values
      .slice(0, 9)
      .map((v) => (v === null ? "" : String(v)))
      .join(",");
  let rows = 0;
  for (;;) {
    const chunk = await result.fetchChunk().catch((err: unknown) => {
      throw new InputError(
        `${file}: cannot read row ${rows + 1} on (${(err as Error).message.split("\n")[0]})`,
      );
    });
    if (!chunk || chunk.rowCount === 0) break;
    for (const r of chunk.getRows()) {
      rows++;
      const line = rows;
      let ms = Number.NaN;
      const tv = r[0];
      if (tv !== null) {
        if (mode === "text") {
          ms = time.parseText(String(tv));
          if (time.form === TIME_FORM.naive && !local) {
            throw new InputError(
              `${file}:${line}: time "${String(tv)}" has no UTC offset; pass --tz ZONE (e.g. --tz America/New_York)`,
            );
          }
          if (time.form === TIME_FORM.date && daily) ms = batcher.openOn(time.day);
        } else {
          const v = tv as number;
          if (mode === "date-ms" && daily) ms = batcher.openOn(Math.floor(v / 86_400_000));
          else if (mode === "utc-ms" || !local) ms = v;
          else {
            const day = Math.floor(v / 86_400_000);
            ms = local.toUtc(day, v - day * 86_400_000);
          }
        }
      }
      const numAt = (k: number) => (r[k] === null ? Number.NaN : (r[k] as number));
      const trades = numAt(6);
      const vwap = numAt(7);
      if (r[9] !== null && !(trades >= 0)) {
        rejects.add(file, line, "trades is not a number", rawRow(r));
        continue;
      }
      if (r[10] !== null && !(vwap >= 0)) {
        rejects.add(file, line, "vwap is not a number", rawRow(r));
        continue;
      }
      const symbol = (cols.symbol >= 0 ? (r[8] === null ? "" : String(r[8])) : (opts.symbol ?? ""))
        .trim()
        .toUpperCase();
      const problem = batcher.add(symbol, ms, numAt(1), numAt(2), numAt(3), numAt(4), numAt(5), trades, vwap);
      if (problem !== null) rejects.add(file, line, problem, rawRow(r));
    }
    opts.onRows?.(rows);
    await batcher.drain(1);
  }
  return rows;
}
