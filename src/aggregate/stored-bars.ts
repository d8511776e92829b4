import {
  type Adjustment,
  adjustBars,
  FactorTimeline,
  readSecurityBars,
  securityHistory,
  spansWithin,
} from "../actions/index.js";
import type { Calendar } from "../calendar/types.js";
import type { BarColumns } from "../model/bar.js";
import { type Interval, parseInterval } from "../model/interval.js";
import { BarSeries } from "../model/series.js";
import { DAY_MS, type DateString, formatDay, zonedDay } from "../model/time.js";
import type { Repository } from "../store/types.js";
import { deriveBars } from "./derive.js";

/** Stored bars of one symbol and interval over a span of sessions, and where they came from. */
export interface StoredBars {
  bars: BarSeries;
  /** `stored`: read as stored at that interval; `derived`: built from stored one-minute bars. */
  source: "stored" | "derived";
}

/**
 * The bars of `symbol` at `interval` over the sessions dated [fromDate, toDate] (inclusive,
 * session dates of `calendar`), as the store holds them: one-minute bars inside the
 * sessions (regular hours, or extended with `extended`); other intervals as stored when the
 * store has bars of that interval for the symbol, else derived from the one-minute bars
 * (session-anchored, with count/expected per bar). Across renames, each date's bars are those
 * stored under the ticker of that date. With an `adjustment`, prices are adjusted for the
 * symbol's stored splits (and dividends) as of its date, before anything is derived. Used by
 * `tickwright bars` and `GET /api/bars?from&to`.
 */
export async function readStoredBars(
  repository: Repository,
  calendar: Calendar,
  symbol: string,
  interval: string | Interval,
  fromDate: DateString,
  toDate: DateString,
  extended = false,
  adjustment: Adjustment = { mode: "raw" },
): Promise<StoredBars> {
  const iv = typeof interval === "string" ? parseInterval(interval) : interval;
  const sessions = calendar.sessions(fromDate, toDate);
  if (sessions.length === 0) return { bars: new BarSeries(symbol, iv.name, 0), source: "derived" };
  const from = sessions[0].preOpen;
  const to = sessions[sessions.length - 1].postClose;
  const history = await securityHistory(repository, symbol);
  const spans = spansWithin(history, fromDate, toDate);
  const timeline = FactorTimeline.of(history.actions, adjustment, calendar.timeZone);
  const read = async (query: { interval: string; from: number; to: number }) => {
    const bars = await readSecurityBars(repository, symbol, spans, query, calendar.timeZone);
    adjustBars(bars, timeline);
    return bars;
  };
  if (iv.minutes > 1) {
    // A vendor's daily bar may be stamped at midnight before the session: read from a day earlier.
    const stored = await read({ interval: iv.name, from: iv.daily ? from - DAY_MS : from, to });
    if (stored.length > 0) {
      const keep = iv.daily
        ? (t: number) => {
            const date = formatDay(zonedDay(calendar.timeZone, t));
            return date >= fromDate && date <= toDate;
          }
        : (t: number) => calendar.isOpen(t, extended);
      return { bars: storedSeries(stored, symbol, iv.name, keep, 0), source: "stored" };
    }
  }
  const minutes = await read({ interval: "1m", from, to });
  if (iv.minutes === 1) {
    const keep = (t: number) => calendar.isOpen(t, extended);
    return { bars: storedSeries(minutes, symbol, "1m", keep, 1), source: "stored" };
  }
  return { bars: deriveBars(minutes, iv, calendar, { extended, symbol }), source: "derived" };
}

/**
 * The stored rows `keep` accepts, as a series. `count` is 1 for one-minute bars and 0
 * (unknown) for bars stored at a longer interval, whose source bars the store does not know.
 */
function storedSeries(
  c: BarColumns,
  symbol: string,
  interval: string,
  keep: (t: number) => boolean,
  count: number,
): BarSeries {
  const out = new BarSeries(symbol, interval, Math.max(1, c.length));
  for (let i = 0; i < c.length; i++) {
    const t = c.time[i];
    if (keep(t))
      out.push(t, c.open[i], c.high[i], c.low[i], c.close[i], c.volume[i], c.flags[i], count, count);
  }
  return out;
}
