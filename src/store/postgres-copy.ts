import type { BarColumns, QuoteBar, Tick } from "../model/bar.js";

/**
 * COPY text-format encoders: rows are tab-separated lines, NULL is `\N`. Each row starts
 * with its ordinal in the batch (`ord`), so duplicate keys inside one batch resolve to the
 * last one written. Numbers print with JavaScript's shortest round-trip spelling, which
 * PostgreSQL reads back to the same double (`NaN` and `Infinity` included).
 */

const NULL = "\\N";
const SPECIAL = /[\\\t\n\r]/;

/** A text value escaped for COPY text format; null/undefined become `\N`. */
export function copyText(value: string | null | undefined): string {
  if (value === null || value === undefined) return NULL;
  if (!SPECIAL.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r",
  );
}

/** A double in COPY text; keeps the sign of -0, which JavaScript prints as "0". */
function num(x: number): string {
  return x === 0 && 1 / x < 0 ? "-0" : `${x}`;
}

/** A double that is NULL when NaN (absent trades/vwap). */
function optional(x: number): string {
  return Number.isNaN(x) ? NULL : num(x);
}

/** Bar columns as COPY text in chunks of `rowsPerChunk` rows: ord, symbol, time, OHLCV, trades, vwap, flags. */
export function* barCopyChunks(bars: BarColumns, rowsPerChunk = 4096): Generator<string> {
  const { symbol, time, open, high, low, close, volume, trades, vwap, flags } = bars;
  let lastSymbol: string | undefined;
  let lastText = NULL;
  for (let start = 0; start < bars.length; start += rowsPerChunk) {
    const end = Math.min(bars.length, start + rowsPerChunk);
    let text = "";
    for (let i = start; i < end; i++) {
      const s = symbol[i];
      if (s !== lastSymbol || i === 0) {
        lastSymbol = s;
        lastText = copyText(s);
      }
      text += `${i}\t${lastText}\t${time[i]}\t${num(open[i])}\t${num(high[i])}\t${num(low[i])}\t${num(close[i])}\t${num(volume[i])}\t${optional(trades[i])}\t${optional(vwap[i])}\t${flags[i]}\n`;
    }
    yield text;
  }
}

/** Quote bars as COPY text: ord, symbol, time, bid OHLC + size, ask OHLC + size. */
export function* quoteCopyChunks(quotes: readonly QuoteBar[], rowsPerChunk = 4096): Generator<string> {
  for (let start = 0; start < quotes.length; start += rowsPerChunk) {
    const end = Math.min(quotes.length, start + rowsPerChunk);
    let text = "";
    for (let i = start; i < end; i++) {
      const q = quotes[i];
      text += `${i}\t${copyText(q.symbol)}\t${q.time}\t${num(q.bidOpen)}\t${num(q.bidHigh)}\t${num(q.bidLow)}\t${num(q.bidClose)}\t${num(q.bidSize)}\t${num(q.askOpen)}\t${num(q.askHigh)}\t${num(q.askLow)}\t${num(q.askClose)}\t${num(q.askSize)}\n`;
    }
    yield text;
  }
}

/** Ticks as COPY text: ord, symbol, time, price, size, exchange, condition, suspicious. */
export function* tickCopyChunks(ticks: readonly Tick[], rowsPerChunk = 4096): Generator<string> {
  for (let start = 0; start < ticks.length; start += rowsPerChunk) {
    const end = Math.min(ticks.length, start + rowsPerChunk);
    let text = "";
    for (let i = start; i < end; i++) {
      const t = ticks[i];
      text += `${i}\t${copyText(t.symbol)}\t${t.time}\t${num(t.price)}\t${num(t.size)}\t${copyText(t.exchange)}\t${copyText(t.condition)}\t${t.suspicious ? "t" : "f"}\n`;
    }
    yield text;
  }
}
