import { endedMinutes, MINUTE_MS } from "../model/time.js";

/** A run of missing one-minute bars: [start, end) (end exclusive), `count` minutes. */
export interface GapRange {
  start: number;
  end: number;
  count: number;
}

/** What a gap check found. */
export interface GapReport {
  /** Expected minutes whose bar had ended by `upTo`. */
  expected: number;
  /** Of those, how many have a bar. */
  present: number;
  /** present / expected x 100 (100 when nothing is expected yet). */
  quality: number;
  /** Missing minutes grouped into runs of consecutive expected minutes, in time order. */
  gaps: GapRange[];
}

/**
 * Finds the expected one-minute bars that are missing. `times` holds the start times of the
 * bars present (sorted, first `length` used; times that are not expected are ignored);
 * `expected` the start times the calendar expects (`calendar.expectedMinutes(session,
 * extended)`, sorted). A minute is only expected once the clock has passed its END: a bar
 * starting at t counts when t + 1m <= upTo, since before that it cannot have arrived.
 * One sorted merge walk, O(length + expected), allocating only the report and its ranges.
 */
export function detectGaps(
  times: ArrayLike<number>,
  length: number,
  expected: ArrayLike<number>,
  upTo: number,
): GapReport {
  const due = endedMinutes(expected, upTo);
  const gaps: GapRange[] = [];
  let present = 0;
  let i = 0;
  let runStart = 0;
  let runLast = Number.NaN;
  let runCount = 0;
  for (let k = 0; k < due; k++) {
    const e = expected[k];
    while (i < length && times[i] < e) i++;
    if (i < length && times[i] === e) {
      present++;
      i++;
      continue;
    }
    if (runCount > 0 && e !== runLast + MINUTE_MS) {
      gaps.push({ start: runStart, end: runLast + MINUTE_MS, count: runCount });
      runCount = 0;
    }
    if (runCount === 0) runStart = e;
    runLast = e;
    runCount++;
  }
  if (runCount > 0) gaps.push({ start: runStart, end: runLast + MINUTE_MS, count: runCount });
  return { expected: due, present, quality: due === 0 ? 100 : (present / due) * 100, gaps };
}
