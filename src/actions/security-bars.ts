import { allocBarColumns, type BarColumns } from "../model/bar.js";
import { parseDate, zonedToUtc } from "../model/time.js";
import type { BarQuery, Repository } from "../store/types.js";
import type { TickerSpan } from "./tickers.js";

/**
 * The stored bars of a security over a range, across its renames: for each date, the bars
 * stored under the ticker it traded under then (`spans`), all named `symbol`. With one span
 * under `symbol` itself, a plain read.
 */
export async function readSecurityBars(
  repository: Pick<Repository, "readBars">,
  symbol: string,
  spans: readonly TickerSpan[],
  query: Omit<BarQuery, "symbols">,
  timeZone: string,
): Promise<BarColumns> {
  if (spans.length === 0) return allocBarColumns(0);
  if (spans.length === 1 && spans[0].ticker === symbol)
    return repository.readBars({ ...query, symbols: [symbol] });
  const tickers = [...new Set(spans.map((s) => s.ticker))];
  const read = await repository.readBars({ ...query, symbols: tickers });
  // Span i covers [starts[i], starts[i + 1]): local midnights of the spans' first dates.
  const starts = spans.map((s, i) =>
    i === 0 ? Number.NEGATIVE_INFINITY : zonedToUtc(timeZone, parseDate(s.from), 0),
  );
  const out = allocBarColumns(read.length);
  let n = 0;
  let k = 0;
  for (let i = 0; i < read.length; i++) {
    const t = read.time[i];
    while (k + 1 < spans.length && t >= starts[k + 1]) k++;
    if (read.symbol[i] !== spans[k].ticker) continue;
    out.symbol[n] = symbol;
    out.time[n] = t;
    out.open[n] = read.open[i];
    out.high[n] = read.high[i];
    out.low[n] = read.low[i];
    out.close[n] = read.close[i];
    out.volume[n] = read.volume[i];
    out.trades[n] = read.trades[i];
    out.vwap[n] = read.vwap[i];
    out.flags[n] = read.flags[i];
    n++;
  }
  out.length = n;
  return out;
}
