import { InvalidArgumentError } from "../model/errors.js";
import { DAY_MS } from "../model/time.js";
import { dayOf, SATURDAY, SUNDAY, weekday } from "./rules.js";
import { EARLY_CLOSE, LATE_OPEN, SessionTableBuilder, TableCalendar } from "./table.js";
import { ZoneOffsets } from "./zone.js";

/**
 * Regular hours of an exchange's sessions, in ms after local midnight of the session's date
 * (an `open` with `openDaysBefore: 1` is on the evening before, as CME Globex opens at 17:00).
 */
export interface Hours {
  readonly open: number;
  readonly close: number;
  readonly breakStart?: number;
  readonly breakEnd?: number;
  /** The open lies this many days before the session's date (default 0). */
  readonly openDaysBefore?: number;
}

/** Hours in force from day `from` (days since the epoch) until the next era's `from`. */
export interface Era {
  readonly from: number;
  readonly hours: Hours;
}

/**
 * One session's hours that differ from the era's: an early close, a late open, or both.
 * A close at or before the break's end drops the break (exchange_calendars keeps such a
 * close, e.g. Hong Kong's 12:30 half days with a 12:00-13:00 lunch), and so does an open at
 * or after its start; `breakStart`/`breakEnd` replace the break (e.g. a shortened lunch).
 */
export interface SpecialHours {
  readonly open?: number;
  readonly close?: number;
  readonly breakStart?: number;
  readonly breakEnd?: number;
}

/** An exchange's calendar as rules: hours by era, holidays and special hours by year. */
export interface ExchangeRules {
  readonly name: string;
  readonly timeZone: string;
  /** Years the table is built for, inclusive. */
  readonly firstYear: number;
  readonly lastYear: number;
  /** Regular hours, by first day, in order; the first era applies from firstYear. */
  readonly eras: readonly Era[];
  /** Full-day closures of a year (days since the epoch; weekend days are ignored). */
  holidays(year: number): ReadonlySet<number>;
  /** Sessions of a year with other hours (early closes, late opens), by day; holidays win. */
  specialHours?(year: number): ReadonlyMap<number, SpecialHours>;
  /** Days that trade although they fall on a weekend (make-up days), by year. */
  weekendSessions?(year: number): ReadonlySet<number>;
}

/** `HH:MM` local as ms after midnight, for writing rules. */
export function hm(hours: number, minutes = 0): number {
  return (hours * 60 + minutes) * 60_000;
}

/** A `YYYY-MM-DD` as days since the epoch (for rules written as dates). */
export function day(text: string): number {
  return Date.parse(`${text}T00:00:00Z`) / DAY_MS;
}

/** Days of a list of `YYYY-MM-DD` dates that fall in `year`. */
export function datesIn(dates: readonly number[], year: number): number[] {
  const from = dayOf(year, 1, 1);
  const to = dayOf(year + 1, 1, 1);
  return dates.filter((d) => d >= from && d < to);
}

/**
 * Builds an exchange's session table from its rules: every weekday (and make-up weekend
 * day) of [firstYear, lastYear] that is not a holiday is a session with its era's hours,
 * changed by its special hours; times are placed in the exchange's zone (DST included).
 * No pre- or after-hours: preOpen = open and postClose = close.
 */
export function buildExchange(rules: ExchangeRules): TableCalendar {
  const { name, firstYear, lastYear, eras } = rules;
  if (eras.length === 0 || firstYear > lastYear) {
    throw new InvalidArgumentError(`calendar ${name}: needs an era and firstYear <= lastYear`);
  }
  const firstDay = dayOf(firstYear, 1, 1);
  const lastDay = dayOf(lastYear, 12, 31);
  const zone = ZoneOffsets.for(rules.timeZone, (firstDay - 2) * DAY_MS, (lastDay + 2) * DAY_MS);
  const table = new SessionTableBuilder();
  let era = 0;
  for (let year = firstYear; year <= lastYear; year++) {
    const holidays = rules.holidays(year);
    const specials = rules.specialHours?.(year);
    const extra = rules.weekendSessions?.(year);
    const end = dayOf(year, 12, 31);
    for (let d = dayOf(year, 1, 1); d <= end; d++) {
      const wd = weekday(d);
      if (((wd === SATURDAY || wd === SUNDAY) && !extra?.has(d)) || holidays.has(d)) continue;
      while (era + 1 < eras.length && eras[era + 1].from <= d) era++;
      const hours = eras[era].hours;
      const special = specials?.get(d);
      const openMs = special?.open ?? hours.open;
      const closeMs = special?.close ?? hours.close;
      let breakStartMs = special?.breakStart ?? hours.breakStart;
      let breakEndMs = special?.breakEnd ?? hours.breakEnd;
      if (
        breakStartMs === undefined ||
        breakEndMs === undefined ||
        (special !== undefined && (closeMs <= breakEndMs || openMs >= breakStartMs))
      ) {
        breakStartMs = undefined;
        breakEndMs = undefined;
      }
      const open = zone.toUtc(d - (hours.openDaysBefore ?? 0), openMs);
      const close = zone.toUtc(d, closeMs);
      const flags = (closeMs < hours.close ? EARLY_CLOSE : 0) | (openMs > hours.open ? LATE_OPEN : 0);
      table.push(
        d,
        open,
        open,
        close,
        close,
        flags,
        breakStartMs === undefined ? Number.NaN : zone.toUtc(d, breakStartMs),
        breakEndMs === undefined ? Number.NaN : zone.toUtc(d, breakEndMs),
      );
    }
  }
  return new TableCalendar(name, rules.timeZone, table.build(name), firstDay, lastDay);
}
