import { InvalidArgumentError } from "./errors.js";

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** A calendar date as `YYYY-MM-DD`. */
export type DateString = string;

/**
 * Parses a strict `YYYY-MM-DD` (a real date: 2024-02-30 is refused) into days since the epoch.
 * `what` names the parameter in the error.
 */
export function parseDate(text: string, what = "date"): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) throw new InvalidArgumentError(`bad ${what} "${text}": expected YYYY-MM-DD`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new InvalidArgumentError(`bad ${what} "${text}": no such date`);
  }
  return ms / DAY_MS;
}

/** Days since the epoch -> `YYYY-MM-DD`. */
export function formatDay(day: number): DateString {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Epoch ms -> ISO-8601 UTC without milliseconds when they are zero (`2013-10-07T13:30:00Z`). */
export function isoUtc(ms: number): string {
  const s = new Date(ms).toISOString();
  return s.endsWith(".000Z") ? `${s.slice(0, 19)}Z` : s;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * A cached en-US, 24-hour formatter of a zone's wall-clock date and time (to the second);
 * an unknown zone is an InvalidArgumentError.
 */
export function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      });
    } catch {
      throw new InvalidArgumentError(`unknown time zone "${timeZone}"`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's offset from UTC in ms at instant `utcMs` (New York in summer: -4h). */
export function zoneOffsetMs(timeZone: string, utcMs: number): number {
  if (timeZone === "UTC") return 0;
  const parts = zoneFormatter(timeZone).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/**
 * The UTC instant of a wall-clock time in a zone: `day` (days since epoch) plus `msOfDay`
 * local. In a DST gap the later offset wins; in an overlap the earlier instant.
 */
export function zonedToUtc(timeZone: string, day: number, msOfDay: number): number {
  const local = day * DAY_MS + msOfDay;
  const first = local - zoneOffsetMs(timeZone, local);
  const second = local - zoneOffsetMs(timeZone, first);
  if (first === second) return first;
  const third = local - zoneOffsetMs(timeZone, second);
  return Math.min(second, third);
}

/** The local calendar day (days since epoch) of instant `utcMs` in a zone. */
export function zonedDay(timeZone: string, utcMs: number): number {
  return Math.floor((utcMs + zoneOffsetMs(timeZone, utcMs)) / DAY_MS);
}

/**
 * Parses an instant: ISO-8601 with offset or Z, or a bare `YYYY-MM-DD` (midnight UTC),
 * or epoch ms digits.
 */
export function parseInstant(text: string, what = "instant"): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return parseDate(text, what) * DAY_MS;
  if (/^\d+$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) {
    throw new InvalidArgumentError(
      `bad ${what} "${text}": expected ISO-8601 with an offset, e.g. 2024-03-08T14:30:00Z`,
    );
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`bad ${what} "${text}": no such time`);
  return ms;
}

/**
 * How many of the sorted minute starts have ended by `now` (start + 1 minute <= now): the
 * minutes the clock has passed, by binary search.
 */
export function endedMinutes(starts: ArrayLike<number>, now: number): number {
  const limit = now - MINUTE_MS;
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid] <= limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
