import type { Calendar } from "../calendar/types.js";
import { DAY_MS, type DateString, parseDate, zonedToUtc } from "../model/time.js";
import type { Repository } from "../store/types.js";
import { dayBefore } from "./dates.js";
import type { SecurityHistory } from "./tickers.js";

/** How far back the close before an ex-date is looked for. */
const LOOKBACK_MS = 14 * DAY_MS;

/**
 * The last close before `date` (a dividend's reference price) from the store: the security's
 * last daily bar in the two weeks before, else its last regular-hours minute bar; under the
 * ticker it traded under the day before. NaN when the store has neither.
 */
export async function closeBefore(
  repository: Pick<Repository, "readBars">,
  calendar: Calendar,
  history: SecurityHistory,
  date: DateString,
): Promise<number> {
  const prev = dayBefore(date);
  const ticker = history.spans.find((s) => s.from <= prev && s.to >= prev)?.ticker ?? history.symbol;
  const to = zonedToUtc(calendar.timeZone, parseDate(date), 0);
  const query = { symbols: [ticker], from: to - LOOKBACK_MS, to };
  const daily = await repository.readBars({ ...query, interval: "1d" });
  if (daily.length > 0) return daily.close[daily.length - 1];
  const minutes = await repository.readBars({ ...query, interval: "1m" });
  for (let i = minutes.length - 1; i >= 0; i--) if (calendar.isOpen(minutes.time[i])) return minutes.close[i];
  return Number.NaN;
}
