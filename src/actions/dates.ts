import type { Calendar } from "../calendar/types.js";
import { type DateString, formatDay, parseDate } from "../model/time.js";

/** Days an ex-date is looked for after a LEAN row's date (holidays and weekends). */
const LOOKAHEAD_DAYS = 14;

/** A compact `YYYYMMDD` (a real date) as `YYYY-MM-DD`, or null. */
export function compactDate(text: string): DateString | null {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(text.trim());
  if (!m) return null;
  return isoDate(`${m[1]}-${m[2]}-${m[3]}`);
}

/** A real `YYYY-MM-DD` as is, or null. */
export function isoDate(text: string): DateString | null {
  try {
    parseDate(text);
    return text;
  } catch {
    return null;
  }
}

/**
 * The ex-date of an action LEAN records on `date` (the last date of the old factors or
 * ticker): the first session of `calendar` after it; the next day where the calendar has
 * none within two weeks (beyond its table).
 */
export function exDateAfter(calendar: Calendar, date: DateString): DateString {
  const day = parseDate(date);
  for (let k = 1; k <= LOOKAHEAD_DAYS; k++) {
    const d = formatDay(day + k);
    if (calendar.sessionOn(d)) return d;
  }
  return formatDay(day + 1);
}

/** The day before a date. */
export function dayBefore(date: DateString): DateString {
  return formatDay(parseDate(date) - 1);
}
