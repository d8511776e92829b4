import { allocBarColumns, type BarColumns } from "../model/bar.js";
import { parseDate, zonedToUtc } from "../model/time.js";
import type { BarQuery, Repository } from "../store/types.js";
import type { TickerSpan } from "./tickers.js";

/** Rows of a stored ticker over [start, end) (epoch ms) that belong to the security `symbol`. */
interface Claim {
  start: number;
  end: number;
  symbol: string;
}

/**
 * How securities are read across their renames: the stored tickers to read, and for each
 * ticker which of its rows belong to which security, by time.
 */
export interface TickerPlan {
  tickers: string[];
  claims: Map<string, Claim[]>;
}

/**
 * The plan of reading `symbols` over [from, to) (epoch ms), each under the tickers of its
 * `spans` (a span starts at local midnight of its first date in `timeZone`); null when every
 * symbol reads as itself there (a plain read).
 */
export function tickerPlan(
  symbols: readonly string[],
  spansOf: (symbol: string) => readonly TickerSpan[] | undefined,
  from: number,
  to: number,
  timeZone: string,
): TickerPlan | null {
  const claims = new Map<string, Claim[]>();
  let plain = true;
  for (const symbol of symbols) {
    const spans = spansOf(symbol) ?? [{ ticker: symbol, from: "0000-00-00", to: "9999-99-99" }];
    const starts = spans.map((s, i) =>
      i === 0 ? Number.NEGATIVE_INFINITY : zonedToUtc(timeZone, parseDate(s.from), 0),
    );
    for (let i = 0; i < spans.length; i++) {
      const start = starts[i];
      const end = i + 1 < spans.length ? starts[i + 1] : Number.POSITIVE_INFINITY;
      if (start >= to || end <= from) continue;
      const ticker = spans[i].ticker;
      if (ticker !== symbol || start > from || end < to) plain = false;
      const list = claims.get(ticker) ?? [];
      list.push({ start, end, symbol });
      claims.set(ticker, list);
    }
  }
  if (plain) return null;
  return { tickers: [...claims.keys()].sort(), claims };
}

/** Rows (ordered by time, then symbol) named by the security that owns them: indices and names, ordered again. */
function owned(
  length: number,
  timeAt: (i: number) => number,
  tickerAt: (i: number) => string,
  plan: TickerPlan,
): { rows: number[]; symbols: string[] } {
  const rows: number[] = [];
  const symbols: string[] = [];
  let sorted = true;
  for (let i = 0; i < length; i++) {
    const t = timeAt(i);
    for (const c of plan.claims.get(tickerAt(i)) ?? []) {
      if (t < c.start || t >= c.end) continue;
      const n = rows.length;
      if (n > 0 && timeAt(rows[n - 1]) === t && symbols[n - 1] > c.symbol) sorted = false;
      rows.push(i);
      symbols.push(c.symbol);
    }
  }
  if (sorted) return { rows, symbols };
  const order = rows.map((_, k) => k);
  order.sort(
    (a, b) =>
      timeAt(rows[a]) - timeAt(rows[b]) || (symbols[a] < symbols[b] ? -1 : symbols[a] > symbols[b] ? 1 : 0),
  );
  return { rows: order.map((k) => rows[k]), symbols: order.map((k) => symbols[k]) };
}

/** Bars read under a plan's tickers, renamed to their securities and ordered by (time, symbol). */
export function planBars(read: BarColumns, plan: TickerPlan): BarColumns {
  const { rows, symbols } = owned(
    read.length,
    (i) => read.time[i],
    (i) => read.symbol[i],
    plan,
  );
  const out = allocBarColumns(rows.length);
  for (let n = 0; n < rows.length; n++) {
    const i = rows[n];
    out.symbol[n] = symbols[n];
    out.time[n] = read.time[i];
    out.open[n] = read.open[i];
    out.high[n] = read.high[i];
    out.low[n] = read.low[i];
    out.close[n] = read.close[i];
    out.volume[n] = read.volume[i];
    out.trades[n] = read.trades[i];
    out.vwap[n] = read.vwap[i];
    out.flags[n] = read.flags[i];
  }
  out.length = rows.length;
  return out;
}

/** Quote bars or ticks read under a plan's tickers, renamed to their securities and ordered by (time, symbol). */
export function planRows<T extends { symbol: string; time: number }>(
  read: readonly T[],
  plan: TickerPlan,
): T[] {
  const { rows, symbols } = owned(
    read.length,
    (i) => read[i].time,
    (i) => read[i].symbol,
    plan,
  );
  return rows.map((i, n) => (read[i].symbol === symbols[n] ? read[i] : { ...read[i], symbol: symbols[n] }));
}

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
  const plan = tickerPlan([symbol], () => spans, query.from, query.to, timeZone);
  if (!plan) return repository.readBars({ ...query, symbols: [symbol] });
  return planBars(await repository.readBars({ ...query, symbols: plan.tickers }), plan);
}
