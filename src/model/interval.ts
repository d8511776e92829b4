import { InvalidArgumentError } from "./errors.js";

/** A bar interval in its canonical spelling: `1m`, `5m`, `60m`, `1d`, ... (`1h` parses to `60m`). */
export type IntervalName = string;

/** A parsed bar interval. `ms` is the nominal length; a daily bar's true length is its session's. */
export interface Interval {
  readonly name: IntervalName;
  readonly minutes: number;
  readonly ms: number;
  readonly daily: boolean;
}

/** The intervals the engine derives from one-minute bars when asked for them by name. */
export const STANDARD_INTERVALS: readonly IntervalName[] = [
  "1m",
  "2m",
  "3m",
  "5m",
  "10m",
  "15m",
  "30m",
  "60m",
  "1d",
];

const MINUTES_PER_DAY = 1440;
const cache = new Map<string, Interval>();

/**
 * Parses `Nm` (N dividing 1440), `Nh` (N dividing 24) or `1d`. Anything else throws an
 * InvalidArgumentError naming the value and what is accepted.
 */
export function parseInterval(text: string): Interval {
  const hit = cache.get(text);
  if (hit) return hit;
  if (typeof text !== "string")
    throw new InvalidArgumentError(`bad interval ${String(text)}: expected a string`);
  const m = /^(\d{1,4})([mhd])$/.exec(text.trim());
  let minutes = Number.NaN;
  if (m) {
    const n = Number(m[1]);
    minutes = m[2] === "m" ? n : m[2] === "h" ? n * 60 : n === 1 ? MINUTES_PER_DAY : Number.NaN;
  }
  if (!(minutes >= 1 && minutes <= MINUTES_PER_DAY && MINUTES_PER_DAY % minutes === 0)) {
    throw new InvalidArgumentError(
      `bad interval "${text}": expected Nm with N dividing 1440 (1m 2m 3m 5m 10m 15m 30m 60m ...), Nh, or 1d`,
    );
  }
  const daily = minutes === MINUTES_PER_DAY;
  const interval: Interval = Object.freeze({
    name: daily ? "1d" : `${minutes}m`,
    minutes,
    ms: minutes * 60_000,
    daily,
  });
  cache.set(text, interval);
  return interval;
}

/** Parses a comma-separated list of intervals, e.g. `5m,15m,1d`. */
export function parseIntervals(text: string): Interval[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(parseInterval);
}
