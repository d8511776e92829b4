import {
  type Bar,
  type BarColumns,
  barProblem,
  QUOTE_FIELDS,
  type QuoteBar,
  type Tick,
} from "../model/bar.js";
import { MINUTE_MS } from "../model/time.js";
import type { RawKind } from "./subjects.js";

/**
 * What a raw subject carries, decoded: a one-minute bar, a one-minute quote bar, a trade tick,
 * a publisher watermark (`clock`: everything due up to `at` has been published), the end of a
 * finite feed (`end`), or a message that cannot be used, with the reason.
 */
export type RawMessage =
  | { type: "bar"; bar: Bar }
  | { type: "quote"; quote: QuoteBar }
  | { type: "tick"; tick: Tick }
  | { type: "clock"; at: number }
  | { type: "end"; at: number }
  | { type: "malformed"; reason: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A raw one-minute bar as a `--out` line (`{"type":"bar","at":<end>,"symbol":...,"interval":"1m",
 * "time":<start>,"open":...,"volume":...}`, what `eventLine` writes for it), UTF-8. Raw bars
 * carry no flags.
 */
export function encodeRawBar(bar: Bar): Uint8Array {
  return encoder.encode(rawBarLine(bar.symbol, bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume));
}

/** A raw quote bar as a `--out` line without `at` (`{"type":"quote","symbol":...,"time":<start>,"bidOpen":...}`). */
export function encodeRawQuote(q: QuoteBar): Uint8Array {
  const o: Record<string, unknown> = { type: "quote", symbol: q.symbol, time: q.time };
  for (const f of QUOTE_FIELDS) o[f] = q[f];
  return encoder.encode(JSON.stringify(o));
}

/** A raw trade tick (`{"type":"tick","symbol":...,"time":<ms>,"price":...,"size":...}`, optional fields after). */
export function encodeRawTick(t: Tick): Uint8Array {
  return encoder.encode(JSON.stringify({ type: "tick", ...t }));
}

/** A watermark or the end of the feed, as `{"type":"clock","at":<ms>}` / `{"type":"end",...}`. */
export function encodeControl(type: "clock" | "end", at: number): Uint8Array {
  return encoder.encode(controlLine(type, at));
}

function controlLine(type: "clock" | "end", at: number): string {
  return `{"type":"${type}","at":${at}}`;
}

/** Text of a payload (for dead letters and tails). */
export function payloadText(data: Uint8Array): string {
  return decoder.decode(data);
}

/**
 * Decodes one raw message; `symbol` is the symbol its subject names (undefined on the clock
 * subject) and `kind` the subject's kind (`bar`, `quote`, `tick`), which the message's type
 * must match. Anything unusable comes back as `malformed` with the first problem found: not
 * JSON, an unknown type, a field missing or of the wrong type, a bar or quote time off the
 * minute grid, prices that are not a bar (see `barProblem`) or a quote side (low above high,
 * a negative size), a tick's price not above zero or size below zero, or a symbol other than
 * the subject's.
 */
export function decodeRaw(data: Uint8Array, symbol: string | undefined, kind: RawKind = "bar"): RawMessage {
  const v = parseObject(decoder.decode(data));
  if ("reason" in v) return v;
  const o = v.object;
  if (o.type === "clock" || o.type === "end") {
    if (symbol !== undefined) return bad(`a ${o.type} message on a symbol's subject`);
    return typeof o.at === "number" && Number.isFinite(o.at)
      ? { type: o.type, at: o.at }
      : bad("field at: not a finite number");
  }
  if (o.type !== "bar" && o.type !== "quote" && o.type !== "tick")
    return bad(`field type: ${JSON.stringify(o.type)} is not bar, quote, tick, clock or end`);
  if (symbol === undefined) return bad(`a ${o.type} on the clock subject`);
  if (o.type !== kind) return bad(`field type: a ${o.type} on a ${kind} subject`);
  return dataOf(o, symbol);
}

/**
 * Several raw bars (or quote bars, ticks) in one message, on `<p>.in.batch`: one raw line per
 * item (the form each has on its own subject: `encodeRawBar`, `encodeRawQuote`,
 * `encodeRawTick`), separated by `\n`, and last, with `clockAt`, the watermark line
 * `{"type":"clock","at":<clockAt>}` (as on the clock subject). Rows `from` to `to`
 * (exclusive) of `bars`.
 */
export function encodeRawBatch(bars: BarColumns, from: number, to: number, clockAt?: number): Uint8Array {
  const lines = new Array<string>(to - from);
  for (let i = from; i < to; i++)
    lines[i - from] = rawBarLine(
      bars.symbol[i],
      bars.time[i],
      bars.open[i],
      bars.high[i],
      bars.low[i],
      bars.close[i],
      bars.volume[i],
    );
  if (clockAt !== undefined) lines.push(controlLine("clock", clockAt));
  return encoder.encode(lines.join("\n"));
}

/** The lines of a batch message (see `encodeRawBatch`), undecoded. */
export function batchLines(data: Uint8Array): string[] {
  return decoder.decode(data).split("\n");
}

/**
 * One line of a raw batch: a watermark (`clock` or `end`, as on the clock subject), or, for
 * the symbol's owner (`owns(symbol)`), the item decoded with the checks of `decodeRaw` (the
 * line's own symbol and type standing for the subject's); `skip` for another shard's symbol.
 * A line with no symbol is malformed for every shard.
 */
export function decodeBatchLine(
  line: string,
  owns: (symbol: string) => boolean,
): RawMessage | { type: "skip" } {
  const v = parseObject(line);
  if ("reason" in v) return v;
  const o = v.object;
  if (o.type === "clock" || o.type === "end")
    return typeof o.at === "number" && Number.isFinite(o.at)
      ? { type: o.type, at: o.at }
      : bad("field at: not a finite number");
  if (typeof o.symbol !== "string" || o.symbol.length === 0) return bad("field symbol: not a string");
  if (!owns(o.symbol)) return { type: "skip" };
  if (o.type !== "bar" && o.type !== "quote" && o.type !== "tick")
    return bad(`field type: ${JSON.stringify(o.type)} is not bar, quote, tick, clock or end`);
  return dataOf(o, o.symbol);
}

/** The delivery time of the first item of a batch (NaN when it has none readable). */
export function batchTime(data: Uint8Array): number {
  const line = batchLines(data)[0];
  const m = decodeBatchLine(line, () => true);
  if (m.type === "bar") return m.bar.time + MINUTE_MS;
  if (m.type === "quote") return m.quote.time + MINUTE_MS;
  if (m.type === "tick") return m.tick.time;
  return Number.NaN;
}

function rawBarLine(
  symbol: string,
  time: number,
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
): string {
  return `{"type":"bar","at":${time + MINUTE_MS},"symbol":${JSON.stringify(symbol)},"interval":"1m","time":${time},"open":${open},"high":${high},"low":${low},"close":${close},"volume":${volume}}`;
}

function parseObject(
  text: string,
): { object: Record<string, unknown> } | { type: "malformed"; reason: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { type: "malformed", reason: "not JSON" };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v))
    return { type: "malformed", reason: "not a JSON object" };
  return { object: v as Record<string, unknown> };
}

/** A bar, quote bar or tick of `symbol` (`o.type` is one of them), checked. */
function dataOf(o: Record<string, unknown>, symbol: string): RawMessage {
  if (typeof o.symbol !== "string") return bad("field symbol: not a string");
  if (o.symbol !== symbol) return bad(`field symbol: ${o.symbol} on the subject of ${symbol}`);
  if (typeof o.time !== "number" || !Number.isFinite(o.time)) return bad("field time: not a finite number");
  const time = o.time;
  if (o.type === "tick") return tickOf(o, symbol, time);
  if (time % MINUTE_MS !== 0) return bad("field time: not on a minute boundary");
  if (o.type === "quote") return quoteOf(o, symbol, time);
  if (o.interval !== undefined && o.interval !== "1m")
    return bad(`field interval: ${String(o.interval)} is not 1m`);
  for (const f of ["open", "high", "low", "close", "volume"] as const) {
    if (typeof o[f] !== "number" || !Number.isFinite(o[f])) return bad(`field ${f}: not a finite number`);
  }
  const open = o.open as number;
  const high = o.high as number;
  const low = o.low as number;
  const close = o.close as number;
  const volume = o.volume as number;
  const problem = barProblem(open, high, low, close, volume);
  if (problem) return bad(problem);
  return { type: "bar", bar: { symbol, time, open, high, low, close, volume } };
}

function quoteOf(o: Record<string, unknown>, symbol: string, time: number): RawMessage {
  for (const f of QUOTE_FIELDS)
    if (typeof o[f] !== "number" || !Number.isFinite(o[f])) return bad(`field ${f}: not a finite number`);
  const q = o as unknown as QuoteBar;
  if (q.bidLow > q.bidHigh) return bad("bidLow above bidHigh");
  if (q.askLow > q.askHigh) return bad("askLow above askHigh");
  if (q.bidSize < 0 || q.askSize < 0) return bad("a negative size");
  const quote = { symbol, time } as QuoteBar;
  for (const f of QUOTE_FIELDS) quote[f] = q[f];
  return { type: "quote", quote };
}

function tickOf(o: Record<string, unknown>, symbol: string, time: number): RawMessage {
  if (typeof o.price !== "number" || !(o.price > 0) || !Number.isFinite(o.price))
    return bad("field price: not a number above zero");
  if (typeof o.size !== "number" || !(o.size >= 0) || !Number.isFinite(o.size))
    return bad("field size: not a number >= 0");
  const tick: Tick = { symbol, time, price: o.price, size: o.size };
  if (typeof o.exchange === "string") tick.exchange = o.exchange;
  if (typeof o.condition === "string") tick.condition = o.condition;
  if (o.suspicious === true) tick.suspicious = true;
  return { type: "tick", tick };
}

function bad(reason: string): RawMessage {
  return { type: "malformed", reason };
}
