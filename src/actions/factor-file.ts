import type { Calendar } from "../calendar/types.js";
import type { DateString } from "../model/time.js";
import type { CorporateAction } from "../store/types.js";
import { compactDate, exDateAfter } from "./dates.js";
import { eachCsvLine, type RejectSink } from "./rejects.js";

/**
 * One row of a LEAN factor file: the cumulative price (dividend) and split factors that
 * apply to prices dated up to and including `date` and after the previous row's date, and
 * the close of `date` they were computed from.
 */
export interface FactorRow {
  date: DateString;
  priceFactor: number;
  splitFactor: number;
  referencePrice: number;
}

/**
 * Parses a LEAN factor file (`YYYYMMDD,price factor,split factor,reference price` per line).
 * A row that does not parse, has a factor that is not positive, a negative reference price,
 * or is not dated after the row before it is rejected (FILE:LINE and why); the rest is kept.
 */
export function parseFactorFile(text: string, file: string, rejects: RejectSink): FactorRow[] {
  const rows: FactorRow[] = [];
  eachCsvLine(text, (f, line, raw) => {
    const reject = (reason: string) => rejects.add(file, line, reason, raw);
    if (f.length < 3) return reject("expected 4 fields (date,price factor,split factor,reference price)");
    const date = compactDate(f[0]);
    if (date === null) return reject("date is not YYYYMMDD");
    const priceFactor = Number(f[1]);
    const splitFactor = Number(f[2]);
    const referencePrice = f.length > 3 && f[3] !== "" ? Number(f[3]) : Number.NaN;
    if (f[1] === "" || !Number.isFinite(priceFactor)) return reject("price factor is not a number");
    if (f[2] === "" || !Number.isFinite(splitFactor)) return reject("split factor is not a number");
    if (priceFactor <= 0) return reject("price factor is not positive");
    if (splitFactor <= 0) return reject("split factor is not positive");
    if (f.length > 3 && f[3] !== "" && !(referencePrice >= 0))
      return reject("reference price is not a number >= 0");
    const prev = rows[rows.length - 1];
    if (prev && date <= prev.date) return reject("date is not after the row before");
    rows.push({ date, priceFactor, splitFactor, referencePrice });
  });
  return rows;
}

/**
 * The splits and dividends a factor file records, under `symbol`: wherever a factor changes
 * from one row to the next (or from the last row to 1, LEAN's factor after its last row), an
 * action takes effect at the first session after the earlier row's date. A split's factor is
 * the ratio of the split factors, a dividend's the ratio of the price factors, so the product
 * of the factors of every later action is the file's cumulative factor of a date. A dividend's
 * cash is the earlier row's reference price times one minus its factor.
 */
export function factorFileActions(
  symbol: string,
  rows: readonly FactorRow[],
  calendar: Calendar,
): CorporateAction[] {
  const out: CorporateAction[] = [];
  for (let i = 0; i < rows.length; i++) {
    const a = rows[i];
    const b = rows[i + 1] ?? { priceFactor: 1, splitFactor: 1 };
    if (a.splitFactor === b.splitFactor && a.priceFactor === b.priceFactor) continue;
    const date = exDateAfter(calendar, a.date);
    const reference = a.referencePrice > 0 ? a.referencePrice : Number.NaN;
    if (a.priceFactor !== b.priceFactor) {
      const factor = a.priceFactor / b.priceFactor;
      out.push({ symbol, date, kind: "dividend", value: reference * (1 - factor), factor, reference });
    }
    if (a.splitFactor !== b.splitFactor) {
      out.push({
        symbol,
        date,
        kind: "split",
        value: b.splitFactor / a.splitFactor,
        factor: a.splitFactor / b.splitFactor,
        reference,
      });
    }
  }
  return out;
}

/** The row whose factors apply to prices of `date`: the first dated on or after it (undefined after the last). */
export function factorRowOn(rows: readonly FactorRow[], date: DateString): FactorRow | undefined {
  return rows.find((r) => r.date >= date);
}
