import { eventLine } from "../engine/index.js";
import { type Bar, barProblem } from "../model/bar.js";
import { MINUTE_MS } from "../model/time.js";

/**
 * What a raw subject carries, decoded: a one-minute bar, a publisher watermark (`clock`:
 * everything due up to `at` has been published), the end of a finite feed (`end`), or a
 * message that cannot be used, with the reason.
 */
export type RawMessage =
  | { type: "bar"; bar: Bar }
  | { type: "clock"; at: number }
  | { type: "end"; at: number }
  | { type: "malformed"; reason: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A raw one-minute bar as a `--out` line (`{"type":"bar","at":<end>,"symbol":...,"interval":"1m",
 * "time":<start>,"open":...,"volume":...}`), UTF-8. Raw bars carry no flags.
 */
export function encodeRawBar(bar: Bar): Uint8Array {
  return encoder.encode(
    eventLine({
      type: "bar",
      at: bar.time + MINUTE_MS,
      symbol: bar.symbol,
      interval: "1m",
      time: bar.time,
      open: bar.open,
      high: bar.high,
      low: bar.low,
      close: bar.close,
      volume: bar.volume,
      flags: 0,
      count: 1,
      expected: 1,
    }),
  );
}

/** A watermark or the end of the feed, as `{"type":"clock","at":<ms>}` / `{"type":"end",...}`. */
export function encodeControl(type: "clock" | "end", at: number): Uint8Array {
  return encoder.encode(`{"type":"${type}","at":${at}}`);
}

/** Text of a payload (for dead letters and tails). */
export function payloadText(data: Uint8Array): string {
  return decoder.decode(data);
}

/**
 * Decodes one raw message; `symbol` is the symbol its subject names (undefined on the clock
 * subject). Anything unusable comes back as `malformed` with the first problem found: not
 * JSON, an unknown type, a field missing or of the wrong type, a bar time off the minute grid,
 * prices that are not a bar (see `barProblem`), or a symbol other than the subject's.
 */
export function decodeRaw(data: Uint8Array, symbol: string | undefined): RawMessage {
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(data));
  } catch {
    return { type: "malformed", reason: "not JSON" };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return bad("not a JSON object");
  const o = v as Record<string, unknown>;
  if (o.type === "clock" || o.type === "end") {
    if (symbol !== undefined) return bad(`a ${o.type} message on a symbol's subject`);
    return typeof o.at === "number" && Number.isFinite(o.at)
      ? { type: o.type, at: o.at }
      : bad("field at: not a finite number");
  }
  if (o.type !== "bar") return bad(`field type: ${JSON.stringify(o.type)} is not bar, clock or end`);
  if (symbol === undefined) return bad("a bar on the clock subject");
  if (typeof o.symbol !== "string") return bad("field symbol: not a string");
  if (o.symbol !== symbol) return bad(`field symbol: ${o.symbol} on the subject of ${symbol}`);
  if (o.interval !== undefined && o.interval !== "1m")
    return bad(`field interval: ${String(o.interval)} is not 1m`);
  for (const f of ["time", "open", "high", "low", "close", "volume"] as const) {
    if (typeof o[f] !== "number" || !Number.isFinite(o[f])) return bad(`field ${f}: not a finite number`);
  }
  const time = o.time as number;
  if (time % MINUTE_MS !== 0) return bad("field time: not on a minute boundary");
  const open = o.open as number;
  const high = o.high as number;
  const low = o.low as number;
  const close = o.close as number;
  const volume = o.volume as number;
  const problem = barProblem(open, high, low, close, volume);
  if (problem) return bad(problem);
  return { type: "bar", bar: { symbol, time, open, high, low, close, volume } };
}

function bad(reason: string): RawMessage {
  return { type: "malformed", reason };
}
