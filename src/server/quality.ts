import type { Calendar, Session } from "../calendar/types.js";
import { auditGaps } from "../gaps/index.js";
import type { DateString } from "../model/time.js";
import type { Repository } from "../store/types.js";

/** Bar quality of symbols x sessions, as the dashboard's heatmap draws it. */
export interface QualityGrid {
  dates: DateString[];
  symbols: string[];
  /** quality[s][d]: percent of expected regular-session minutes present; null when none expected yet. */
  quality: (number | null)[][];
  /** gaps[s][d]: missing ranges in that session. */
  gaps: number[][];
  /** True when symbols were left out to keep the answer small. */
  truncated: boolean;
}

/** The most symbols one quality grid covers. */
export const MAX_GRID_SYMBOLS = 200;

/**
 * Audits the stored one-minute bars of each symbol over the sessions dated [from, to] up to
 * the clock `upTo` (minutes not ended by then are not expected: a replay's future sessions
 * come back null), one range read per symbol.
 */
export async function qualityGrid(
  repository: Repository,
  calendar: Calendar,
  symbols: readonly string[],
  from: DateString,
  to: DateString,
  upTo: number,
  extended = false,
): Promise<QualityGrid> {
  const dates = calendar.sessions(from, to).map((s) => s.date);
  const shown = symbols.slice(0, MAX_GRID_SYMBOLS);
  const audits = await Promise.all(
    shown.map((symbol) => auditGaps(repository, symbol, from, to, calendar, { upTo, extended })),
  );
  return {
    dates,
    symbols: shown,
    quality: audits.map((rows) =>
      rows.map((r) => (r.expected > 0 ? Math.round((r.present / r.expected) * 10_000) / 100 : null)),
    ),
    gaps: audits.map((rows) => rows.map((r) => r.gaps.length)),
    truncated: symbols.length > shown.length,
  };
}

/** The last `n` sessions of a calendar whose start is at or before `t`, oldest first. */
export function recentSessions(calendar: Calendar, t: number, n: number): Session[] {
  const out: Session[] = [];
  let s = calendar.sessionAt(t, true) ?? calendar.previousSession(t, true);
  while (s && out.length < n) {
    out.push(s);
    s = calendar.previousSession(s.preOpen, true);
  }
  return out.reverse();
}
