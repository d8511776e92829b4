import type { CorporateAction } from "../store/types.js";
import { compactDate, isoDate } from "./dates.js";
import { eachCsvLine, type RejectSink } from "./rejects.js";

/** An action read from a plain actions CSV, with where it was (a dividend's factor is not known yet). */
export interface CsvAction {
  action: CorporateAction;
  line: number;
  raw: string;
}

/**
 * Parses a plain actions CSV: `symbol,date,kind,value` per line (a first line starting with
 * `symbol` is a header). `date` is the ex-date (`YYYY-MM-DD` or `YYYYMMDD`), `kind` one of
 * split (value: new shares per old share, 2 for 2:1), dividend (value: cash per share) or
 * rename (symbol: the ticker before, value: the ticker from `date` on). Splits and dividends
 * are given under the security's current ticker. A row that does not parse, a value that is
 * not positive, or a repeated (symbol, date, kind) is rejected (FILE:LINE and why). A
 * dividend's factor and reference price are left NaN: they need the close before the ex-date.
 */
export function parseActionsCsv(text: string, file: string, rejects: RejectSink): CsvAction[] {
  const out: CsvAction[] = [];
  const seen = new Set<string>();
  eachCsvLine(text, (f, line, raw) => {
    if (out.length === 0 && f[0].toLowerCase() === "symbol") return;
    const reject = (reason: string) => rejects.add(file, line, reason, raw);
    if (f.length !== 4) return reject("expected 4 fields (symbol,date,kind,value)");
    const [symbol, dateText, kindText, valueText] = f;
    if (symbol === "") return reject("symbol is empty");
    const date = isoDate(dateText) ?? compactDate(dateText);
    if (date === null) return reject("date is not YYYY-MM-DD");
    const kind = kindText.toLowerCase();
    if (kind !== "split" && kind !== "dividend" && kind !== "rename")
      return reject("kind is not split, dividend or rename");
    let action: CorporateAction;
    if (kind === "rename") {
      if (valueText === "") return reject("rename without the new ticker");
      action = {
        symbol: valueText,
        date,
        kind,
        value: Number.NaN,
        factor: 1,
        reference: Number.NaN,
        previous: symbol,
      };
    } else {
      const value = Number(valueText);
      if (valueText === "" || !Number.isFinite(value)) return reject(`${kind} value is not a number`);
      if (value <= 0) return reject(`${kind} value is not positive`);
      action =
        kind === "split"
          ? { symbol, date, kind, value, factor: 1 / value, reference: Number.NaN }
          : { symbol, date, kind: "dividend", value, factor: Number.NaN, reference: Number.NaN };
    }
    const key = `${action.symbol}\u0000${date}\u0000${kind}`;
    if (seen.has(key)) return reject("repeats an action (symbol, date, kind) of the file");
    seen.add(key);
    out.push({ action, line, raw });
  });
  return out;
}

/**
 * A dividend with its factor from the close before its ex-date: `1 - cash / close`; null when
 * the cash is not below the close (the factor would not be positive).
 */
export function withReference(dividend: CorporateAction, close: number): CorporateAction | null {
  if (!(close > dividend.value)) return null;
  return { ...dividend, reference: close, factor: 1 - dividend.value / close };
}
