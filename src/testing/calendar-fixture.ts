import type { Calendar, MarketState, Session } from "../calendar/types.js";
import { MINUTE_MS, parseDate, zonedToUtc } from "../model/time.js";

/** Hours of a fixed test calendar, as `HH:MM` local times. */
export interface FixtureHours {
  timeZone?: string;
  preOpen?: string;
  open?: string;
  close?: string;
  postClose?: string;
  /** Dates that close early, with their close (post-market then ends 4 hours later). */
  earlyCloses?: Record<string, string>;
}

function hm(text: string): number {
  const [h, m] = text.split(":").map(Number);
  return (h * 60 + m) * MINUTE_MS;
}

/**
 * A tiny fixed Calendar for tests: exactly the given dates are sessions, with fixed hours
 * (New York 04:00 / 09:30 / 16:00 / 20:00 by default). Lookups are linear: tests only.
 */
export function fixtureCalendar(dates: readonly string[], hours: FixtureHours = {}): Calendar {
  const tz = hours.timeZone ?? "America/New_York";
  const sessions: Session[] = [...dates].sort().map((date) => {
    const day = parseDate(date);
    const early = hours.earlyCloses?.[date];
    const close = zonedToUtc(tz, day, hm(early ?? hours.close ?? "16:00"));
    const regularPost = hm(hours.postClose ?? "20:00") - hm(hours.close ?? "16:00");
    return {
      date,
      preOpen: zonedToUtc(tz, day, hm(hours.preOpen ?? "04:00")),
      open: zonedToUtc(tz, day, hm(hours.open ?? "09:30")),
      close,
      postClose: close + regularPost,
      earlyClose: early !== undefined,
      lateOpen: false,
    };
  });
  const start = (s: Session, ext?: boolean) => (ext ? s.preOpen : s.open);
  const end = (s: Session, ext?: boolean) => (ext ? s.postClose : s.close);
  const minutes = (s: Session, ext?: boolean): Float64Array => {
    const a = start(s, ext);
    const n = (end(s, ext) - a) / MINUTE_MS;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = a + i * MINUTE_MS;
    return out;
  };
  const cal: Calendar = {
    name: "FIXTURE",
    timeZone: tz,
    firstDate: sessions[0]?.date ?? "1970-01-01",
    lastDate: sessions[sessions.length - 1]?.date ?? "1970-01-01",
    sessions: (from, to) => sessions.filter((s) => s.date >= from && s.date <= to),
    sessionOn: (date) => sessions.find((s) => s.date === date),
    sessionAt: (t, ext) => sessions.find((s) => t >= start(s, ext) && t < end(s, ext)),
    nextSession: (t, ext) => sessions.find((s) => start(s, ext) > t),
    previousSession: (t, ext) => sessions.filter((s) => end(s, ext) <= t).pop(),
    isOpen: (t, ext) => cal.sessionAt(t, ext) !== undefined,
    state: (t): MarketState => {
      const s = cal.sessionAt(t, true);
      if (!s) return "closed";
      return t < s.open ? "pre" : t < s.close ? "open" : "post";
    },
    nextOpen: (t) => sessions.find((s) => s.open > t)?.open,
    nextClose: (t) => sessions.find((s) => s.close > t)?.close,
    expectedMinutes: minutes,
    minuteCount: (s, ext) => (end(s, ext) - start(s, ext)) / MINUTE_MS,
  };
  return cal;
}
