import type { DateString } from "../model/time.js";
import type { CorporateAction, Repository } from "../store/types.js";
import { dayBefore } from "./dates.js";

/** A ticker a security traded under, over dates [from, to] (inclusive; open ends as `0000-00-00` / `9999-99-99`). */
export interface TickerSpan {
  ticker: string;
  from: DateString;
  to: DateString;
}

/** A security named by its current ticker: the tickers it traded under and its actions. */
export interface SecurityHistory {
  symbol: string;
  /** Oldest first, contiguous; one span (the symbol itself, every date) when it was never renamed. */
  spans: TickerSpan[];
  /** The splits and dividends stored under the current ticker, by date. */
  actions: CorporateAction[];
  /** The renames that led to the current ticker, by date. */
  renames: CorporateAction[];
}

/** Renames followed back from one ticker at most (a guard against a cycle in bad data). */
const MAX_RENAMES = 64;

/**
 * A security's history from the store: its splits and dividends (those stored under `symbol`)
 * and the chain of renames into `symbol`, followed back (the latest rename into a ticker
 * before the date the next one took effect), as the tickers it traded under per date range.
 */
export async function securityHistory(
  repository: Pick<Repository, "readActions">,
  symbol: string,
): Promise<SecurityHistory> {
  const own = await repository.readActions({ symbols: [symbol] });
  const actions = own.filter((a) => a.kind !== "rename");
  const spans: TickerSpan[] = [];
  const renames: CorporateAction[] = [];
  let ticker = symbol;
  let to = "9999-99-99";
  let stored = own;
  for (let k = 0; ; k++) {
    const into = stored.filter((a) => a.kind === "rename" && a.date <= to && a.previous !== undefined);
    const last = into[into.length - 1];
    if (!last || k === MAX_RENAMES) {
      spans.push({ ticker, from: "0000-00-00", to });
      break;
    }
    spans.push({ ticker, from: last.date, to });
    renames.push(last);
    ticker = last.previous!;
    to = dayBefore(last.date);
    stored = await repository.readActions({ symbols: [ticker], to });
  }
  return { symbol, spans: spans.reverse(), actions, renames: renames.reverse() };
}

/** The spans of a history that overlap dates [from, to]. */
export function spansWithin(history: SecurityHistory, from: DateString, to: DateString): TickerSpan[] {
  return history.spans.filter((s) => s.from <= to && s.to >= from);
}
