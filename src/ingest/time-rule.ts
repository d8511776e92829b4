import type { Calendar, Session } from "../calendar/index.js";
import type { Interval } from "../model/interval.js";
import { formatDay } from "../model/time.js";

/** The span of times a row may carry: [1970-01-01, 2100-01-01) UTC. */
export const FIRST_TIME_MS = 0;
export const END_TIME_MS = Date.UTC(2100, 0, 1);

/** Reasons a time is refused. */
export const TIME_REASON = {
  unparseable: "unparseable time",
  range: "time outside 1970-2100",
  noSession: "time in no session of the calendar (not even extended hours)",
} as const;

/**
 * The one rule for a row's time, applied before any store sees it: readable, within
 * 1970-2100, on a start boundary of the row's interval, and inside a session of the calendar
 * (extended hours included). Intraday bars start on a whole minute that is a multiple of the
 * interval on the clock or from the session's open; a daily bar starts at its session's open.
 * Ticks (no interval) need only the session. Sessions are looked up once per session, not
 * per row.
 */
export class TimeRule {
  private session: Session | undefined;
  private readonly ms: number;

  constructor(
    private readonly calendar: Calendar,
    readonly interval: Interval | null,
  ) {
    this.ms = interval?.ms ?? 0;
  }

  /** Why `t` cannot be the time of a row, or null. */
  problem(t: number): string | null {
    if (!(t >= FIRST_TIME_MS && t < END_TIME_MS)) {
      return Number.isNaN(t) ? TIME_REASON.unparseable : TIME_REASON.range;
    }
    let s = this.session;
    if (s === undefined || t < s.preOpen || t >= s.postClose) {
      s = this.calendar.sessionAt(t, true);
      if (s === undefined) return TIME_REASON.noSession;
      this.session = s;
    }
    const iv = this.interval;
    if (iv === null) return null;
    if (iv.daily) return t === s.open ? null : `time of a 1d bar is not its session's open`;
    if (t % 60_000 !== 0 || (t % this.ms !== 0 && (t - s.open) % this.ms !== 0)) {
      return `time not on a ${iv.name} boundary`;
    }
    return null;
  }

  /** The regular open of the session dated `day` (days since epoch), or NaN when there is none. */
  openOn(day: number): number {
    const s = this.calendar.sessionOn(formatDay(day));
    return s === undefined ? Number.NaN : s.open;
  }
}
