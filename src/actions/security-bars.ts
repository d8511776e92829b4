import { allocBarColumns, type BarColumns } from "../model/bar.js";
import { pickColumns } from "../model/columns.js";
import { parseDate, zonedToUtc } from "../model/time.js";
import type { BarQuery, Repository } from "../store/types.js";
import type { TickerSpan } from "./tickers.js";

/** Rows of a stored ticker over [start, end) (epoch ms) that belong to the security `symbol`. */
interface Claim {
  start: number;
  end: number;
  symbol: string;
  /** The symbol's place among the plan's symbols, sorted. */
  rank: number;
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
  for (const symbol of new Set(symbols)) {
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
      list.push({ start, end, symbol, rank: 0 });
      claims.set(ticker, list);
    }
  }
  if (plain) return null;
  const ranks = new Map([...new Set(symbols)].sort().map((symbol, i) => [symbol, i]));
  for (const list of claims.values()) for (const c of list) c.rank = ranks.get(c.symbol)!;
  return { tickers: [...claims.keys()].sort(), claims };
}

/** Rows at one time sorted at most (their place is packed into a sort key beside the rank). */
const RUN_BITS = 2 ** 21;

/**
 * The rows (ordered by time, then ticker) that a plan's claims take, with the claim of each,
 * ordered by (time, symbol): each run of one time that the renaming put out of order is sorted
 * by symbol rank, and the next run with the same claims in the same order reuses that order.
 */
function owned(
  length: number,
  timeAt: (i: number) => number,
  tickerAt: (i: number) => string,
  plan: TickerPlan,
): { rows: Int32Array; owners: Claim[] } {
  let rows = new Int32Array(length);
  const owners: Claim[] = [];
  let lastTicker = "";
  let claims: Claim[] = [];
  for (let i = 0; i < length; i++) {
    const t = timeAt(i);
    const ticker = tickerAt(i);
    if (ticker !== lastTicker) {
      lastTicker = ticker;
      claims = plan.claims.get(ticker) ?? [];
    }
    for (const c of claims) {
      if (t < c.start || t >= c.end) continue;
      if (owners.length === rows.length) {
        const grown = new Int32Array(rows.length * 2 + 1);
        grown.set(rows);
        rows = grown;
      }
      rows[owners.length] = i;
      owners.push(c);
    }
  }
  const n = owners.length;
  rows = rows.subarray(0, n);
  let runOwners: Claim[] = [];
  let order = new Int32Array(0);
  let scratch = new Int32Array(0);
  for (let a = 0; a < n; ) {
    const t = timeAt(rows[a]);
    let b = a + 1;
    let sorted = true;
    for (; b < n && timeAt(rows[b]) === t; b++) if (owners[b - 1].rank > owners[b].rank) sorted = false;
    const m = b - a;
    if (!sorted && m < RUN_BITS) {
      let same = runOwners.length === m;
      for (let k = 0; same && k < m; k++) same = owners[a + k] === runOwners[k];
      if (!same) {
        runOwners = owners.slice(a, b);
        const keys = new Float64Array(m);
        for (let k = 0; k < m; k++) keys[k] = runOwners[k].rank * RUN_BITS + k;
        keys.sort();
        order = new Int32Array(m);
        for (let k = 0; k < m; k++) order[k] = keys[k] % RUN_BITS;
      }
      if (scratch.length < m) scratch = new Int32Array(m);
      scratch.set(rows.subarray(a, b));
      for (let k = 0; k < m; k++) {
        rows[a + k] = scratch[order[k]];
        owners[a + k] = runOwners[order[k]];
      }
    }
    a = b;
  }
  return { rows, owners };
}

/** Bars read under a plan's tickers, renamed to their securities and ordered by (time, symbol). */
export function planBars(read: BarColumns, plan: TickerPlan): BarColumns {
  const { rows, owners } = owned(
    read.length,
    (i) => read.time[i],
    (i) => read.symbol[i],
    plan,
  );
  const out = pickColumns(read, rows);
  for (let n = 0; n < rows.length; n++) out.symbol[n] = owners[n].symbol;
  return out;
}

/** Quote bars or ticks read under a plan's tickers, renamed to their securities and ordered by (time, symbol). */
export function planRows<T extends { symbol: string; time: number }>(
  read: readonly T[],
  plan: TickerPlan,
): T[] {
  const { rows, owners } = owned(
    read.length,
    (i) => read[i].time,
    (i) => read[i].symbol,
    plan,
  );
  return Array.from(rows, (i, n) => {
    const symbol = owners[n].symbol;
    return read[i].symbol === symbol ? read[i] : { ...read[i], symbol };
  });
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
