import { type DateString, parseDate, zonedToUtc } from "../model/time.js";
import type { CorporateAction, Repository } from "../store/types.js";

/** Renames followed forward from one ticker at most (a guard against a cycle in bad data). */
const MAX_RENAMES = 64;

/**
 * The securities that stored tickers are over session dates [from, to] (each end open when
 * left out), each named once by its current ticker, sorted: a ticker renamed away (the first
 * rename out of it after `from`, else its last one) with no one-minute bar stored from then
 * to `to` is only an earlier name of the security it became, and gives way to that security's
 * current ticker (following its later renames the same way, bars stored under it or not).
 * Reads the renames once, then at most one bar per renamed ticker.
 */
export async function currentTickers(
  repository: Pick<Repository, "readActions" | "streamBars">,
  tickers: readonly string[],
  timeZone: string,
  from?: DateString,
  to?: DateString,
): Promise<string[]> {
  const outOf = new Map<string, CorporateAction[]>();
  for (const a of await repository.readActions({ symbols: [] })) {
    if (a.kind !== "rename" || a.previous === undefined || a.previous === a.symbol) continue;
    const list = outOf.get(a.previous) ?? [];
    list.push(a);
    outOf.set(a.previous, list);
  }
  if (outOf.size === 0) return [...new Set(tickers)].sort();
  const startOf = (date: DateString, days = 0) => zonedToUtc(timeZone, parseDate(date) + days, 0);
  const windowStart = from === undefined ? Number.NEGATIVE_INFINITY : startOf(from);
  const end = to === undefined ? Number.POSITIVE_INFINITY : startOf(to, 1);
  /** The rename ending a ticker's name in the dates asked, when no bar is stored after it. */
  const renamedAway = async (ticker: string): Promise<CorporateAction | undefined> => {
    const outs = outOf.get(ticker);
    if (!outs) return undefined;
    const r = outs.find((a) => from !== undefined && a.date > from) ?? outs[outs.length - 1];
    const since = Math.max(windowStart, startOf(r.date));
    return since < end && (await hasBars(repository, ticker, since, end)) ? undefined : r;
  };
  const out = new Set<string>();
  for (const ticker of new Set(tickers)) {
    let current = ticker;
    for (let k = 0; k < MAX_RENAMES; k++) {
      const r = await renamedAway(current);
      if (!r) break;
      current = r.symbol;
    }
    out.add(current);
  }
  return [...out].sort();
}

/** Whether `ticker` has a one-minute bar starting in [from, to) (reads one bar at most). */
async function hasBars(
  repository: Pick<Repository, "streamBars">,
  ticker: string,
  from: number,
  to: number,
): Promise<boolean> {
  for await (const chunk of repository.streamBars({ symbols: [ticker], interval: "1m", from, to }, 1)) {
    if (chunk.length > 0) return true;
  }
  return false;
}
