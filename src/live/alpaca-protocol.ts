import type { QuoteUpdate } from "../aggregate/quotes.js";
import type { Bar, Tick } from "../model/bar.js";
import { LiveFeedError } from "./errors.js";

/** Alpaca's market-data stream host (append `/v2/{feed}`). */
export const ALPACA_STREAM_URL = "wss://stream.data.alpaca.markets";
/** Alpaca's REST market-data host. */
export const ALPACA_DATA_URL = "https://data.alpaca.markets";

/** Channels of the v2 stocks stream tickwright subscribes to. */
export type AlpacaChannel = "bars" | "trades" | "quotes";

/** One element of a stream message array; `T` is its type (success, error, subscription, b, t, q, ...). */
export type AlpacaMessage = { T: string } & Record<string, unknown>;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * An RFC-3339 timestamp (Alpaca sends nanoseconds, `2021-02-22T15:51:44.208123456Z`) as epoch
 * ms; digits below the millisecond are truncated. `what` names the field in the error.
 */
export function parseRfc3339(text: unknown, what = "t"): number {
  const m = typeof text === "string" ? RFC3339.exec(text) : null;
  if (!m) throw new LiveFeedError(`${what}: expected an RFC-3339 timestamp, got ${JSON.stringify(text)}`);
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const day = new Date(Date.UTC(y, mo - 1, d));
  const ms = Date.parse(m[0]);
  if (
    day.getUTCMonth() !== mo - 1 ||
    day.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59 ||
    Number.isNaN(ms)
  ) {
    throw new LiveFeedError(`${what}: no such time ${JSON.stringify(text)}`);
  }
  return ms;
}

function num(m: Record<string, unknown>, key: string, what: string): number {
  const v = m[key];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new LiveFeedError(`${what}: field "${key}" must be a finite number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function optionalNum(m: Record<string, unknown>, key: string, what: string): number | undefined {
  return m[key] === undefined || m[key] === null ? undefined : num(m, key, what);
}

function str(m: Record<string, unknown>, key: string, what: string): string {
  const v = m[key];
  if (typeof v !== "string" || v.length === 0) {
    throw new LiveFeedError(`${what}: field "${key}" must be a non-empty string, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * A minute bar (`{"T":"b","S","o","h","l","c","v","t","n","vw"}` on the stream, the same keys
 * without T/S from the REST bars endpoint) as a Bar; `t` is the bar's start.
 */
export function alpacaBar(m: Record<string, unknown>, symbol?: string): Bar {
  const what = `alpaca bar ${symbol ?? String(m.S)}`;
  const bar: Bar = {
    symbol: symbol ?? str(m, "S", what),
    time: parseRfc3339(m.t, `${what}: field "t"`),
    open: num(m, "o", what),
    high: num(m, "h", what),
    low: num(m, "l", what),
    close: num(m, "c", what),
    volume: num(m, "v", what),
  };
  const trades = optionalNum(m, "n", what);
  const vwap = optionalNum(m, "vw", what);
  if (trades !== undefined) bar.trades = trades;
  if (vwap !== undefined) bar.vwap = vwap;
  return bar;
}

/** A trade (`{"T":"t","S","p","s","t","x","c":[..],"z"}`) as a Tick; conditions joined by commas. */
export function alpacaTrade(m: Record<string, unknown>): Tick {
  const what = `alpaca trade ${String(m.S)}`;
  const tick: Tick = {
    symbol: str(m, "S", what),
    time: parseRfc3339(m.t, `${what}: field "t"`),
    price: num(m, "p", what),
    size: num(m, "s", what),
  };
  if (typeof m.x === "string") tick.exchange = m.x;
  if (Array.isArray(m.c) && m.c.length > 0) tick.condition = m.c.join(",");
  return tick;
}

/** A quote (`{"T":"q","S","bp","bs","ap","as","t",...}`) as a symbol and a quote update. */
export function alpacaQuote(m: Record<string, unknown>): QuoteUpdate & { symbol: string } {
  const what = `alpaca quote ${String(m.S)}`;
  return {
    symbol: str(m, "S", what),
    time: parseRfc3339(m.t, `${what}: field "t"`),
    bid: num(m, "bp", what),
    bidSize: num(m, "bs", what),
    ask: num(m, "ap", what),
    askSize: num(m, "as", what),
  };
}
