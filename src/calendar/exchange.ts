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

/** What a day of the year being built is, as bits (buildExchange). */
const CLOSED = 1;
const WEEKEND_SESSION = 2;
const SPECIAL = 4;

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
  // Weekdays are about 5/7 of the days; make room for them (and a few weekend sessions) at once.
  const table = new SessionTableBuilder(((lastDay - firstDay + 1) * 5) / 7 + 64);
  // The era's hours, held in locals while it lasts (the loop runs over every day of decades).
  let open = 0;
  let close = 0;
  let breakStart = Number.NaN;
  let breakEnd = Number.NaN;
  let daysBefore = 0;
  const enter = (hours: Hours) => {
    open = hours.open;
    close = hours.close;
    const both = hours.breakStart !== undefined && hours.breakEnd !== undefined;
    breakStart = both ? (hours.breakStart as number) : Number.NaN;
    breakEnd = both ? (hours.breakEnd as number) : Number.NaN;
    daysBefore = hours.openDaysBefore ?? 0;
  };
  enter(eras[0].hours);
  let nextEra = 1;
  // Per year, what each day is: a bit set for a closed day, one for a weekend session and one for
  // special hours, looked up by the day's index in the year (much cheaper than a Set per day).
  const marks = new Uint8Array(366);
  for (let year = firstYear; year <= lastYear; year++) {
    const start = dayOf(year, 1, 1) | 0;
    const end = dayOf(year, 12, 31) | 0;
    marks.fill(0);
    const mark = (days: Iterable<number> | undefined, bit: number) => {
      if (days) for (const d of days) if (d >= start && d <= end) marks[d - start] |= bit;
    };
    mark(rules.holidays(year), CLOSED);
    mark(rules.weekendSessions?.(year), WEEKEND_SESSION);
    const specials = rules.specialHours?.(year);
    mark(specials?.keys(), SPECIAL);
    let wd = weekday(start);
    for (let d = start; d <= end; d++, wd = wd === SATURDAY ? SUNDAY : wd + 1) {
      const m = marks[d - start];
      if (m & CLOSED || ((wd === SATURDAY || wd === SUNDAY) && !(m & WEEKEND_SESSION))) continue;
      while (nextEra < eras.length && eras[nextEra].from <= d) enter(eras[nextEra++].hours);
      const special = m & SPECIAL ? specials?.get(d) : undefined;
      if (special === undefined) {
        const openAt = zone.toUtc(d - daysBefore, open);
        const closeAt = zone.toUtc(d, close);
        const hasBreak = !Number.isNaN(breakStart);
        table.push(
          d,
          openAt,
          openAt,
          closeAt,
          closeAt,
          0,
          hasBreak ? zone.toUtc(d, breakStart) : Number.NaN,
          hasBreak ? zone.toUtc(d, breakEnd) : Number.NaN,
        );
        continue;
      }
      const openMs = special.open ?? open;
      const closeMs = special.close ?? close;
      let breakStartMs = special.breakStart ?? breakStart;
      let breakEndMs = special.breakEnd ?? breakEnd;
      // A close at or before the break's end, or an open at or after its start, drops the break.
      if (
        Number.isNaN(breakStartMs) ||
        Number.isNaN(breakEndMs) ||
        closeMs <= breakEndMs ||
        openMs >= breakStartMs
      ) {
        breakStartMs = Number.NaN;
        breakEndMs = Number.NaN;
      }
      const openAt = zone.toUtc(d - daysBefore, openMs);
      const closeAt = zone.toUtc(d, closeMs);
      const flags = (closeMs < close ? EARLY_CLOSE : 0) | (openMs > open ? LATE_OPEN : 0);
      table.push(
        d,
        openAt,
        openAt,
        closeAt,
        closeAt,
        flags,
        Number.isNaN(breakStartMs) ? Number.NaN : zone.toUtc(d, breakStartMs),
        Number.isNaN(breakEndMs) ? Number.NaN : zone.toUtc(d, breakEndMs),
      );
    }
  }
  return new TableCalendar(name, rules.timeZone, table.build(name), firstDay, lastDay);
}
