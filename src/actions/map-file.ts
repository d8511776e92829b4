import type { Calendar } from "../calendar/types.js";
import type { DateString } from "../model/time.js";
import type { CorporateAction } from "../store/types.js";
import { compactDate, exDateAfter } from "./dates.js";
import { eachCsvLine, type RejectSink } from "./rejects.js";

/** One row of a LEAN map file: the ticker a security traded under up to and including `date`. */
export interface MapRow {
  date: DateString;
  ticker: string;
  exchange?: string;
}

/**
 * Parses a LEAN map file (`YYYYMMDD,ticker[,exchange]` per line; tickers upper-cased). A row
 * that does not parse or is not dated after the row before it is rejected (FILE:LINE and why).
 */
export function parseMapFile(text: string, file: string, rejects: RejectSink): MapRow[] {
  const rows: MapRow[] = [];
  eachCsvLine(text, (f, line, raw) => {
    const reject = (reason: string) => rejects.add(file, line, reason, raw);
    if (f.length < 2) return reject("expected date,ticker[,exchange]");
    const date = compactDate(f[0]);
    if (date === null) return reject("date is not YYYYMMDD");
    if (f[1] === "") return reject("ticker is empty");
    const prev = rows[rows.length - 1];
    if (prev && date <= prev.date) return reject("date is not after the row before");
    const row: MapRow = { date, ticker: f[1].toUpperCase() };
    if (f.length > 2 && f[2] !== "") row.exchange = f[2];
    rows.push(row);
  });
  return rows;
}

/**
 * The ticker changes a map file records: where the ticker of one row differs from the row
 * before, a rename to it takes effect at the first session after the earlier row's date.
 */
export function mapFileRenames(rows: readonly MapRow[], calendar: Calendar): CorporateAction[] {
  const out: CorporateAction[] = [];
  for (let i = 1; i < rows.length; i++) {
    const before = rows[i - 1];
    if (rows[i].ticker === before.ticker) continue;
    out.push({
      symbol: rows[i].ticker,
      date: exDateAfter(calendar, before.date),
      kind: "rename",
      value: Number.NaN,
      factor: 1,
      reference: Number.NaN,
      previous: before.ticker,
    });
  }
  return out;
}
