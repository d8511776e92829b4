import type { Calendar, Session } from "../calendar/types.js";
import { BarSeries } from "../model/series.js";
import type { Repository } from "../store/types.js";
import { addDailyBar } from "./daily-bar.js";
import { sessionWindow } from "./feeds.js";
import type { SessionSlice } from "./symbol-state.js";

/** A symbol's trailing data at a session start. */
export interface SymbolHistory {
  slices: SessionSlice[];
  daily: BarSeries;
}

/** The `n` sessions before `session`, oldest first. */
export function sessionsBefore(calendar: Calendar, session: Session, n: number): Session[] {
  const out: Session[] = [];
  let t = session.preOpen;
  for (let i = 0; i < n; i++) {
    const prev = calendar.previousSession(t, true);
    if (!prev) break;
    out.push(prev);
    t = prev.preOpen;
  }
  return out.reverse();
}

/**
 * Loads, for each symbol, the trailing `sessions` sessions of one-minute bars and `dailyBars`
 * daily bars before `session`. Daily bars come from stored `1d` bars; where a symbol has
 * none stored for a past session, its daily bar is built from that session's one-minute
 * bars when they were loaded.
 */
export async function loadHistory(
  repository: Pick<Repository, "readBars">,
  calendar: Calendar,
  symbols: readonly string[],
  session: Session,
  options: { sessions: number; dailyBars: number; extended: boolean },
): Promise<Map<string, SymbolHistory>> {
  const out = new Map<string, SymbolHistory>();
  for (const symbol of symbols) {
    out.set(symbol, { slices: [], daily: new BarSeries(symbol, "1d", Math.max(1, options.dailyBars)) });
  }
  if (symbols.length === 0) return out;
  const past = sessionsBefore(calendar, session, options.sessions);
  if (past.length > 0) {
    const from = sessionWindow(past[0], options.extended).start;
    const to = sessionWindow(past[past.length - 1], options.extended).end;
    const bars = await repository.readBars({ symbols, interval: "1m", from, to });
    const bySymbol = new Map<string, Map<string, BarSeries>>();
    let k = 0;
    for (let i = 0; i < bars.length; i++) {
      const t = bars.time[i];
      while (k < past.length && t >= sessionWindow(past[k], options.extended).end) k++;
      if (k >= past.length) break;
      const w = sessionWindow(past[k], options.extended);
      if (t < w.start) continue;
      const symbol = bars.symbol[i];
      let perSession = bySymbol.get(symbol);
      if (!perSession) bySymbol.set(symbol, (perSession = new Map()));
      let series = perSession.get(past[k].date);
      if (!series) {
        series = new BarSeries(symbol, "1m", calendar.minuteCount(past[k], options.extended));
        perSession.set(past[k].date, series);
      }
      series.push(t, bars.open[i], bars.high[i], bars.low[i], bars.close[i], bars.volume[i], bars.flags[i]);
    }
    for (const [symbol, perSession] of bySymbol) {
      const h = out.get(symbol);
      if (!h) continue;
      for (const s of past) {
        const series = perSession.get(s.date);
        if (series) h.slices.push({ session: s, bars: series });
      }
    }
  }
  if (options.dailyBars > 0) {
    const dailySessions = sessionsBefore(calendar, session, options.dailyBars);
    if (dailySessions.length > 0) {
      const daily = await repository.readBars({
        symbols,
        interval: "1d",
        from: dailySessions[0].preOpen,
        to: session.preOpen,
      });
      for (let i = 0; i < daily.length; i++) {
        const h = out.get(daily.symbol[i]);
        h?.daily.push(
          daily.time[i],
          daily.open[i],
          daily.high[i],
          daily.low[i],
          daily.close[i],
          daily.volume[i],
          daily.flags[i],
        );
      }
    }
    for (const [, h] of out) fillDailyFromSlices(h, calendar);
  }
  return out;
}

/** Adds a daily bar built from one-minute bars for every past session the daily series lacks. */
function fillDailyFromSlices(h: SymbolHistory, calendar: Calendar): void {
  for (const slice of h.slices) addDailyBar(h.daily, slice.bars, slice.session, calendar);
}
