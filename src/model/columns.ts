import { allocBarColumns, type BarColumns } from "./bar.js";

/** Rows [from, to) of bar columns as views over the same buffers (the symbols copied). */
export function sliceColumns(c: BarColumns, from: number, to = c.length): BarColumns {
  return {
    length: to - from,
    symbol: c.symbol.slice(from, to),
    time: c.time.subarray(from, to),
    open: c.open.subarray(from, to),
    high: c.high.subarray(from, to),
    low: c.low.subarray(from, to),
    close: c.close.subarray(from, to),
    volume: c.volume.subarray(from, to),
    trades: c.trades.subarray(from, to),
    vwap: c.vwap.subarray(from, to),
    flags: c.flags.subarray(from, to),
  };
}

/** Columns allocated for more rows than they hold, copied down to their `length`. */
export function trimColumns(c: BarColumns): BarColumns {
  if (c.time.length === c.length) return c;
  const n = c.length;
  return {
    length: n,
    symbol: c.symbol.slice(0, n),
    time: c.time.slice(0, n),
    open: c.open.slice(0, n),
    high: c.high.slice(0, n),
    low: c.low.slice(0, n),
    close: c.close.slice(0, n),
    volume: c.volume.slice(0, n),
    trades: c.trades.slice(0, n),
    vwap: c.vwap.slice(0, n),
    flags: c.flags.slice(0, n),
  };
}

/** Concatenates bar column chunks into one. */
export function concatBarColumns(parts: readonly BarColumns[]): BarColumns {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = allocBarColumns(total);
  let at = 0;
  for (const p of parts) {
    copyRows(p, out, at);
    at += p.length;
  }
  out.length = total;
  return out;
}

/** The same rows in new columns with room for `capacity` rows (at least `c.length`). */
export function grownColumns(c: BarColumns, capacity: number): BarColumns {
  const out = allocBarColumns(Math.max(capacity, c.length));
  copyRows(c, out, 0);
  out.length = c.length;
  return out;
}

/** Copies the rows of `p` into `out` from row `at`. */
function copyRows(p: BarColumns, out: BarColumns, at: number): void {
  const n = p.length;
  for (let i = 0; i < n; i++) out.symbol[at + i] = p.symbol[i];
  out.time.set(p.time.subarray(0, n), at);
  out.open.set(p.open.subarray(0, n), at);
  out.high.set(p.high.subarray(0, n), at);
  out.low.set(p.low.subarray(0, n), at);
  out.close.set(p.close.subarray(0, n), at);
  out.volume.set(p.volume.subarray(0, n), at);
  out.trades.set(p.trades.subarray(0, n), at);
  out.vwap.set(p.vwap.subarray(0, n), at);
  out.flags.set(p.flags.subarray(0, n), at);
}

/** The given rows of bar columns, in the given order, as new columns. */
export function pickColumns(c: BarColumns, rows: ArrayLike<number>): BarColumns {
  const out = allocBarColumns(rows.length);
  for (let j = 0; j < rows.length; j++) {
    const i = rows[j];
    out.symbol[j] = c.symbol[i];
    out.time[j] = c.time[i];
    out.open[j] = c.open[i];
    out.high[j] = c.high[i];
    out.low[j] = c.low[i];
    out.close[j] = c.close[i];
    out.volume[j] = c.volume[i];
    out.trades[j] = c.trades[i];
    out.vwap[j] = c.vwap[i];
    out.flags[j] = c.flags[i];
  }
  out.length = rows.length;
  return out;
}
