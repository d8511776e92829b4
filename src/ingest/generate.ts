import { getCalendar } from "../calendar/registry.js";
import type { Calendar, Session } from "../calendar/types.js";
import { allocBarColumns, type BarColumns, setBarRow } from "../model/bar.js";
import { InvalidArgumentError } from "../model/errors.js";
import { formatDay, parseDate } from "../model/time.js";

/** The first session date `generateBars` uses unless told otherwise (fixed, so output is deterministic). */
export const DEFAULT_GENERATE_START = "2024-01-02";

/** Options of `generateBars`. */
export interface GenerateOptions {
  /** How many symbols (named SYM001, SYM002, ...) or their names. */
  symbols: number | readonly string[];
  /** Sessions to generate, from the first session on or after `start`. */
  days: number;
  /** PRNG seed (default 1). The same options give the same bars. */
  seed?: number;
  /** Probability in [0, 1) that a minute bar is missing (default 0). */
  missingRate?: number;
  /** Also pre-market and after-hours minutes (default: regular session only). */
  extended?: boolean;
  /** `YYYY-MM-DD` (default 2024-01-02). */
  start?: string;
  /** Default: XNYS. */
  calendar?: Calendar;
}

/** One session of generated bars: every symbol's one-minute bars, ordered by (time, symbol). */
export interface GeneratedSession {
  session: Session;
  bars: BarColumns;
}

/** mulberry32: a small, fast, seedable 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Symbol names SYM001, SYM002, ... (wider when more than 999). */
export function syntheticSymbols(n: number): string[] {
  const width = Math.max(3, String(n).length);
  return Array.from({ length: n }, (_, i) => `SYM${String(i + 1).padStart(width, "0")}`);
}

/** One symbol's random walk: its own PRNG, so adding symbols leaves the others unchanged. */
class Walk {
  private readonly rand: () => number;
  price: number;
  readonly sigma: number;
  readonly baseVolume: number;
  private spare = Number.NaN;

  constructor(seed: number, index: number) {
    this.rand = mulberry32((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
    this.price = Math.round((20 + this.rand() * 480) * 100) / 100;
    // 15-45 % a year, per one-minute step (252 sessions of 390 minutes)
    this.sigma = (0.15 + this.rand() * 0.3) / Math.sqrt(252 * 390);
    this.baseVolume = Math.round(2_000 + this.rand() * 40_000);
  }

  uniform(): number {
    return this.rand();
  }

  /** A standard normal (Box-Muller, both values used). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = Number.NaN;
      return s;
    }
    const u = 1 - this.rand();
    const v = this.rand();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

const cents = (x: number) => Math.round(x * 100) / 100;

/** The first `days` sessions of a calendar on or after `start`. */
export function sessionsFrom(calendar: Calendar, start: string, days: number): Session[] {
  const first = parseDate(start, "start");
  let span = Math.ceil(days * 1.6) + 10;
  for (;;) {
    let to = formatDay(first + span);
    if (to > calendar.lastDate) to = calendar.lastDate;
    const sessions = calendar.sessions(start, to);
    if (sessions.length >= days || to >= calendar.lastDate) {
      if (sessions.length < days) {
        throw new InvalidArgumentError(
          `${calendar.name} has only ${sessions.length} sessions from ${start} to ${calendar.lastDate}; asked for ${days}`,
        );
      }
      return sessions.slice(0, days);
    }
    span *= 2;
  }
}

/**
 * Realistic synthetic one-minute bars on a calendar (XNYS by default): a geometric random
 * walk per symbol (15-45 % yearly volatility, prices in cents, each bar opening at the
 * previous close), valid OHLC, a U-shaped intraday volume curve (thin outside the regular
 * session), and minutes missing at `missingRate`. Deterministic for a seed.
 */
export function generateBars(opts: GenerateOptions): GeneratedSession[] {
  const names = typeof opts.symbols === "number" ? syntheticSymbols(opts.symbols) : [...opts.symbols].sort();
  if (names.length === 0) throw new InvalidArgumentError("generate needs at least one symbol");
  if (!(Number.isInteger(opts.days) && opts.days >= 1)) {
    throw new InvalidArgumentError(`bad number of days ${opts.days}: expected a whole number >= 1`);
  }
  const missing = opts.missingRate ?? 0;
  if (!(missing >= 0 && missing < 1)) {
    throw new InvalidArgumentError(`bad missing rate ${opts.missingRate}: expected a number in [0, 1)`);
  }
  const seed = opts.seed ?? 1;
  const calendar = opts.calendar ?? getCalendar("XNYS");
  const extended = opts.extended === true;
  const walks = names.map((_, i) => new Walk(seed, i));
  const out: GeneratedSession[] = [];
  for (const session of sessionsFrom(calendar, opts.start ?? DEFAULT_GENERATE_START, opts.days)) {
    const minutes = calendar.expectedMinutes(session, extended);
    const bars = allocBarColumns(minutes.length * names.length);
    const regular = session.close - session.open;
    let n = 0;
    for (let m = 0; m < minutes.length; m++) {
      const t = minutes[m];
      const inRegular = t >= session.open && t < session.close;
      // U shape over the regular session: 3x at the open and close, 1x at midday
      const x = (t - session.open) / regular - 0.5;
      const shape = inRegular ? 1 + 8 * x * x : 0.08;
      for (let s = 0; s < walks.length; s++) {
        const w = walks[s];
        const open = w.price;
        const close = Math.max(0.01, cents(open * Math.exp(w.sigma * w.normal())));
        const wick = Math.abs(w.normal()) * w.sigma * 0.6;
        const high = Math.max(open, close, cents(Math.max(open, close) * (1 + wick)));
        const low = Math.max(0.01, Math.min(open, close, cents(Math.min(open, close) * (1 - wick))));
        const volume = Math.round(w.baseVolume * shape * Math.exp(0.4 * w.normal()));
        w.price = close;
        if (missing > 0 && w.uniform() < missing) continue;
        bars.symbol[n] = names[s];
        setBarRow(bars, n++, t, open, high, low, close, volume, 0);
      }
    }
    bars.length = n;
    out.push({ session, bars });
  }
  return out;
}
