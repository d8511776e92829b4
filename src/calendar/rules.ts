import { InvalidArgumentError } from "../model/errors.js";
import { DAY_MS } from "../model/time.js";

/**
 * Date arithmetic for holiday rules. Days are whole days since 1970-01-01 (UTC calendar), the
 * unit every calendar table is built in; weekdays are 0 = Sunday ... 6 = Saturday.
 */

export const SUNDAY = 0;
export const MONDAY = 1;
export const THURSDAY = 4;
export const FRIDAY = 5;
export const SATURDAY = 6;

/** Days since the epoch of a calendar date (month 1-12). */
export function dayOf(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

/** Weekday of a day since the epoch (1970-01-01 was a Thursday). */
export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** The calendar year of a day since the epoch. */
export function yearOf(day: number): number {
  return new Date(day * DAY_MS).getUTCFullYear();
}

/** The n-th (1-based) given weekday of a month, e.g. the third Monday of January. */
export function nthWeekday(year: number, month: number, wd: number, n: number): number {
  const first = dayOf(year, month, 1);
  return first + ((wd - weekday(first) + 7) % 7) + (n - 1) * 7;
}

/** The last given weekday of a month, e.g. the last Monday of May. */
export function lastWeekday(year: number, month: number, wd: number): number {
  const last = dayOf(year, month + 1, 0);
  return last - ((weekday(last) - wd + 7) % 7);
}

/** Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm, "Meeus/Jones/Butcher"). */
export function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return dayOf(year, month, day);
}

/** A holiday on a Saturday is observed the Friday before, on a Sunday the Monday after. */
export function nearestWeekday(day: number): number {
  const wd = weekday(day);
  if (wd === SATURDAY) return day - 1;
  if (wd === SUNDAY) return day + 1;
  return day;
}

/** A holiday on a Sunday is observed the Monday after; on a Saturday it is not moved. */
export function sundayToMonday(day: number): number {
  return weekday(day) === SUNDAY ? day + 1 : day;
}

/** A holiday on a Saturday or Sunday is observed the Monday after. */
export function weekendToMonday(day: number): number {
  const wd = weekday(day);
  return wd === SATURDAY ? day + 2 : wd === SUNDAY ? day + 1 : day;
}

/** A day on a Saturday or Sunday moves back to the Friday before. */
export function previousFriday(day: number): number {
  const wd = weekday(day);
  return wd === SATURDAY ? day - 1 : wd === SUNDAY ? day - 2 : day;
}

/** The weekday before `day` (Friday for a Monday, or for a weekend day). */
export function previousWeekday(day: number): number {
  return previousFriday(day - 1);
}

/** Parses a wall-clock `HH:MM` (00:00-24:00) into ms since local midnight. */
export function parseClockTime(text: string, what = "time"): number {
  const m = /^(\d{2}):(\d{2})$/.exec(text);
  const hours = m ? Number(m[1]) : Number.NaN;
  const minutes = m ? Number(m[2]) : Number.NaN;
  if (!m || hours > 24 || minutes > 59 || (hours === 24 && minutes !== 0)) {
    throw new InvalidArgumentError(`bad ${what} "${text}": expected HH:MM between 00:00 and 24:00`);
  }
  return (hours * 60 + minutes) * 60_000;
}
