import type { Calendar } from "../calendar/types.js";
import type { DateString } from "../model/time.js";
import type { Repository } from "../store/types.js";
import { detectGaps, type GapRange } from "./detect.js";

/** One session's gap audit. */
export interface SessionGaps {
  date: DateString;
  expected: number;
  present: number;
  quality: number;
  gaps: GapRange[];
}

/** Options of auditGaps. */
export interface AuditOptions {
  /** Expect pre-market and after-hours minutes too. */
  extended?: boolean;
  /** The clock: minutes not ended by then are not expected yet. Default Infinity. */
  upTo?: number;
}

/**
 * Audits the stored one-minute bars of `symbol` over the sessions dated [from, to]
 * (inclusive): per session, expected and present minutes, quality and the missing ranges.
 * One range read for the whole span, then a merge walk per session.
 */
export async function auditGaps(
  repository: Repository,
  symbol: string,
  from: DateString,
  to: DateString,
  calendar: Calendar,
  opts: AuditOptions = {},
): Promise<SessionGaps[]> {
  const extended = opts.extended ?? false;
  const upTo = opts.upTo ?? Number.POSITIVE_INFINITY;
  const sessions = calendar.sessions(from, to);
  if (sessions.length === 0) return [];
  const startOf = (s: (typeof sessions)[number]) => (extended ? s.preOpen : s.open);
  const endOf = (s: (typeof sessions)[number]) => (extended ? s.postClose : s.close);
  const bars = await repository.readBars({
    symbols: [symbol],
    interval: "1m",
    from: startOf(sessions[0]),
    to: endOf(sessions[sessions.length - 1]),
  });
  const time = bars.time;
  const out: SessionGaps[] = [];
  let i = 0;
  for (const session of sessions) {
    const start = startOf(session);
    const end = endOf(session);
    while (i < bars.length && time[i] < start) i++;
    let j = i;
    while (j < bars.length && time[j] < end) j++;
    const report = detectGaps(time.subarray(i, j), j - i, calendar.expectedMinutes(session, extended), upTo);
    out.push({ date: session.date, ...report });
    i = j;
  }
  return out;
}
