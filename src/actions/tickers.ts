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
  return (await securityHistories(repository, [symbol])).get(symbol)!;
}

/** One security's walk back through its renames. */
interface Walk {
  history: SecurityHistory;
  ticker: string;
  to: DateString;
}

/**
 * The histories of many securities (as `securityHistory`), reading the store once per step
 * back through the renames (so a few reads, whatever the number of symbols).
 */
export async function securityHistories(
  repository: Pick<Repository, "readActions">,
  symbols: readonly string[],
): Promise<Map<string, SecurityHistory>> {
  const out = new Map<string, SecurityHistory>();
  if (symbols.length === 0) return out;
  const byTicker = new Map<string, CorporateAction[]>();
  const read = async (tickers: readonly string[]) => {
    const missing = [...new Set(tickers)].filter((t) => !byTicker.has(t));
    if (missing.length === 0) return;
    for (const t of missing) byTicker.set(t, []);
    for (const a of await repository.readActions({ symbols: missing })) byTicker.get(a.symbol)?.push(a);
  };
  await read(symbols);
  let walks: Walk[] = [];
  for (const symbol of new Set(symbols)) {
    const actions = byTicker.get(symbol)!.filter((a) => a.kind !== "rename");
    const history: SecurityHistory = { symbol, spans: [], actions, renames: [] };
    out.set(symbol, history);
    walks.push({ history, ticker: symbol, to: "9999-99-99" });
  }
  for (let k = 0; walks.length > 0; k++) {
    const next: Walk[] = [];
    for (const { history, ticker, to } of walks) {
      const into = byTicker
        .get(ticker)!
        .filter((a) => a.kind === "rename" && a.date <= to && a.previous !== undefined);
      const last = into[into.length - 1];
      if (!last || k === MAX_RENAMES) {
        history.spans.push({ ticker, from: "0000-00-00", to });
        continue;
      }
      history.spans.push({ ticker, from: last.date, to });
      history.renames.push(last);
      next.push({ history, ticker: last.previous!, to: dayBefore(last.date) });
    }
    await read(next.map((w) => w.ticker));
    walks = next;
  }
  for (const h of out.values()) {
    h.spans.reverse();
    h.renames.reverse();
  }
  return out;
}

/** The spans of a history that overlap dates [from, to]. */
export function spansWithin(history: SecurityHistory, from: DateString, to: DateString): TickerSpan[] {
  return history.spans.filter((s) => s.from <= to && s.to >= from);
}
