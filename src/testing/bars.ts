import type { Calendar, Session } from "../calendar/types.js";
import { allocBarColumns, type Bar, type BarColumns } from "../model/bar.js";

/**
 * Deterministic one-minute bars of a session for tests: a price walk seeded by the symbol and
 * date, every expected minute except those in `skip` (indexes into the session's minutes).
 */
export function sessionBars(
  calendar: Calendar,
  session: Session,
  symbol: string,
  opts: { extended?: boolean; skip?: ReadonlySet<number>; base?: number } = {},
): Bar[] {
  const minutes = calendar.expectedMinutes(session, opts.extended ?? false);
  let seed = hash(`${symbol}:${session.date}`);
  let price = opts.base ?? 100 + (seed % 50);
  const out: Bar[] = [];
  for (let i = 0; i < minutes.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const step = ((seed % 21) - 10) / 100;
    const open = round(price);
    const close = round(Math.max(1, price + step));
    const high = round(Math.max(open, close) + (seed % 7) / 100);
    const low = round(Math.min(open, close) - (seed % 5) / 100);
    price = close;
    if (opts.skip?.has(i)) continue;
    out.push({ symbol, time: minutes[i], open, high, low, close, volume: 100 + (seed % 1000) });
  }
  return out;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** Rows of bar columns as comparable tuples (every column, flags included). */
export function tuples(c: BarColumns): unknown[][] {
  const out: unknown[][] = [];
  for (let i = 0; i < c.length; i++) {
    out.push([
      c.symbol[i],
      c.time[i],
      c.open[i],
      c.high[i],
      c.low[i],
      c.close[i],
      c.volume[i],
      c.trades[i],
      c.vwap[i],
      c.flags[i],
    ]);
  }
  return out;
}

/** Regular-hours minutes of `symbol` on the session dates, every price `price`, volume 100. */
export function flatBars(
  calendar: Calendar,
  symbol: string,
  dates: readonly string[],
  price: number,
): BarColumns {
  const times = dates.flatMap((d) => [...calendar.expectedMinutes(calendar.sessionOn(d)!)]);
  const c = allocBarColumns(times.length);
  times.forEach((t, i) => {
    c.symbol[i] = symbol;
    c.time[i] = t;
    c.open[i] = c.high[i] = c.low[i] = c.close[i] = price;
    c.volume[i] = 100;
  });
  c.length = times.length;
  return c;
}
