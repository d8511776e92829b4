import { INHERITED_FLAGS } from "../aggregate/index.js";
import type { Calendar, Session } from "../calendar/types.js";
import type { BarSeries } from "../model/series.js";

/**
 * Adds the daily bar of one session's one-minute bars (the regular session [open, close),
 * early closes respected) to a daily series, unless that day is already there. The same
 * aggregation as `deriveBars(bars1m, "1d", calendar)`, written out because it runs for
 * every symbol at every roll.
 */
export function addDailyBar(daily: BarSeries, bars1m: BarSeries, session: Session, calendar: Calendar): void {
  const from = bars1m.lowerBound(session.open);
  const to = bars1m.lowerBound(session.close);
  if (to <= from) return;
  let high = bars1m.high[from];
  let low = bars1m.low[from];
  let volume = 0;
  let flags = 0;
  for (let i = from; i < to; i++) {
    if (bars1m.high[i] > high) high = bars1m.high[i];
    if (bars1m.low[i] < low) low = bars1m.low[i];
    volume += bars1m.volume[i];
    flags |= bars1m.flags[i] & INHERITED_FLAGS;
  }
  const expected = calendar.minuteCount(session, false);
  daily.insert(
    session.open,
    bars1m.open[from],
    high,
    low,
    bars1m.close[to - 1],
    volume,
    flags,
    to - from,
    expected,
  );
}
