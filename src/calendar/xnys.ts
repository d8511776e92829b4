import { InvalidArgumentError } from "../model/errors.js";
import { DAY_MS } from "../model/time.js";
import {
  dayOf,
  easterSunday,
  FRIDAY,
  lastWeekday,
  MONDAY,
  nearestWeekday,
  nthWeekday,
  SATURDAY,
  SUNDAY,
  sundayToMonday,
  THURSDAY,
  weekday,
} from "./rules.js";
import { EARLY_CLOSE, LATE_OPEN, SessionTableBuilder, TableCalendar } from "./table.js";
import { ZoneOffsets } from "./zone.js";

/**
 * The New York Stock Exchange (also used for Nasdaq, whose sessions are the same), built from
 * rules rather than a list. The rules follow exchange_calendars' XNYS calendar
 * (exchange_calendar_xnys.py and us_holidays.py), restricted to 1971 onwards, the first
 * year in which today's Monday holidays (Presidents Day, Memorial Day) apply; plus the
 * unscheduled late opens and early closes since 1990, which it leaves out.
 *
 * Hours (America/New_York): pre-market 04:00, regular 09:30-16:00, after-hours to 20:00.
 * On an early-close day the after-hours session ends four hours after the early close
 * (17:00 after a 13:00 close), as NYSE Arca's late trading session does; a late open keeps
 * the 04:00 pre-market start.
 */

const TIME_ZONE = "America/New_York";
const HOUR = 3_600_000;
const PRE_OPEN = 4 * HOUR;
const OPEN = 9.5 * HOUR;
const CLOSE = 16 * HOUR;
/** After-hours trading runs this long after the (regular or early) close. */
const AFTER_HOURS = 4 * HOUR;
/** The early close since 1993; 14:00 before. */
const EARLY_CLOSE_1993 = 13 * HOUR;
const EARLY_CLOSE_BEFORE_1993 = 14 * HOUR;

/** First and last year the XNYS rules are modelled for. */
export const XNYS_FIRST_YEAR = 1971;
export const XNYS_LAST_YEAR = 2099;

/** Unscheduled full-day closures: days of mourning, weather, blackouts, 9/11 (exchange_calendars' list from 1971). */
const UNSCHEDULED_CLOSURES: ReadonlyArray<readonly [string, string]> = [
  ["1972-12-28", "Day of mourning: Harry S. Truman"],
  ["1973-01-25", "Day of mourning: Lyndon B. Johnson"],
  ["1977-07-14", "New York City blackout"],
  ["1985-09-27", "Hurricane Gloria"],
  ["1994-04-27", "Day of mourning: Richard Nixon"],
  ["2001-09-11", "September 11 attacks"],
  ["2001-09-12", "September 11 attacks"],
  ["2001-09-13", "September 11 attacks"],
  ["2001-09-14", "September 11 attacks"],
  ["2004-06-11", "Day of mourning: Ronald Reagan"],
  ["2007-01-02", "Day of mourning: Gerald Ford"],
  ["2012-10-29", "Hurricane Sandy"],
  ["2012-10-30", "Hurricane Sandy"],
  ["2018-12-05", "Day of mourning: George H. W. Bush"],
  ["2025-01-09", "Day of mourning: Jimmy Carter"],
];

/** One-off 13:00 closes that no yearly rule produces (exchange_calendars). */
const UNSCHEDULED_EARLY_CLOSES = ["1997-12-26", "1999-12-31", "2003-12-26"];

const HH_MM = (h: number, m: number) => (h * 60 + m) * 60_000;

/**
 * Unscheduled late opens and early closes since 1990, which exchange_calendars leaves out;
 * from pandas_market_calendars' NYSE history (after NYSE's own list of closings), checked
 * against press reports for 1996-01-08 and 2002-09-11. Times are New York wall clock.
 */
const UNSCHEDULED_HOURS: ReadonlyArray<{ date: string; open?: number; close?: number; why: string }> = [
  { date: "1990-12-27", open: HH_MM(9, 31), why: "Con Edison transformer explosion" },
  { date: "1991-01-17", open: HH_MM(9, 31), why: "moment of silence, troops in the Gulf" },
  { date: "1991-02-25", open: HH_MM(9, 31), why: "moment of silence, troops in the Gulf" },
  { date: "1994-02-11", close: HH_MM(14, 30), why: "snowstorm" },
  { date: "1995-12-18", open: HH_MM(10, 30), why: "computer systems trouble" },
  { date: "1996-01-08", open: HH_MM(11, 0), close: HH_MM(14, 0), why: "blizzard" },
  { date: "1997-10-27", close: HH_MM(15, 30), why: "circuit breaker" },
  { date: "2001-09-17", open: HH_MM(9, 33), why: "moment of silence, September 11" },
  { date: "2001-10-08", open: HH_MM(9, 31), why: "moment of silence, Operation Enduring Freedom" },
  { date: "2002-09-11", open: HH_MM(12, 0), why: "first anniversary of September 11" },
  { date: "2003-03-20", open: HH_MM(9, 32), why: "moment of silence, Operation Iraqi Freedom" },
  { date: "2004-06-07", open: HH_MM(9, 32), why: "moment of silence, Ronald Reagan" },
  { date: "2005-06-01", close: HH_MM(15, 56), why: "systems communication problem" },
  { date: "2006-12-27", open: HH_MM(9, 32), why: "moment of silence, Gerald Ford" },
];

/** A `YYYY-MM-DD` as its year and day since the epoch. */
function yearAndDay(text: string): { year: number; day: number } {
  return { year: Number(text.slice(0, 4)), day: Date.parse(`${text}T00:00:00Z`) / DAY_MS };
}

const CLOSURE_DAYS = UNSCHEDULED_CLOSURES.map(([date, name]) => ({ ...yearAndDay(date), name }));
const EARLY_CLOSE_DAYS = UNSCHEDULED_EARLY_CLOSES.map(yearAndDay);
const HOURS_DAYS = UNSCHEDULED_HOURS.map((h) => ({ ...yearAndDay(h.date), ...h }));

/**
 * Full-day closures of one year, day (since epoch) -> name: the regular holidays with their
 * observance rules, and the unscheduled closures. Weekend dates never appear.
 */
export function xnysHolidays(year: number): Map<number, string> {
  const out = new Map<number, string>();
  const add = (day: number, name: string) => {
    const wd = weekday(day);
    if (wd !== SATURDAY && wd !== SUNDAY) out.set(day, name);
  };
  // New Year's Day: a Sunday moves to Monday; a Saturday is not observed (no Friday closure).
  add(sundayToMonday(dayOf(year, 1, 1)), "New Year's Day");
  if (year >= 1998) add(nthWeekday(year, 1, MONDAY, 3), "Martin Luther King Jr. Day");
  add(nthWeekday(year, 2, MONDAY, 3), "Presidents Day");
  add(easterSunday(year) - 2, "Good Friday");
  add(lastWeekday(year, 5, MONDAY), "Memorial Day");
  if (year >= 2022) add(nearestWeekday(dayOf(year, 6, 19)), "Juneteenth");
  add(nearestWeekday(dayOf(year, 7, 4)), "Independence Day");
  add(nthWeekday(year, 9, MONDAY, 1), "Labor Day");
  // Presidential election days were full holidays until 1980 (every four years from 1968).
  if (year <= 1980 && year % 4 === 0) {
    const nov2 = dayOf(year, 11, 2);
    add(nov2 + ((2 - weekday(nov2) + 7) % 7), "Election Day");
  }
  add(nthWeekday(year, 11, THURSDAY, 4), "Thanksgiving Day");
  add(nearestWeekday(dayOf(year, 12, 25)), "Christmas Day");
  for (const c of CLOSURE_DAYS) if (c.year === year) add(c.day, c.name);
  return out;
}

/**
 * Early closes of one year, day (since epoch) -> close in ms after local midnight (13:00
 * from 1993, 14:00 before, and the odd unscheduled one). Days that are holidays are left out.
 */
export function xnysEarlyCloses(year: number, holidays = xnysHolidays(year)): Map<number, number> {
  const early = year >= 1993 ? EARLY_CLOSE_1993 : EARLY_CLOSE_BEFORE_1993;
  const out = new Map<number, number>();
  const add = (day: number, close: number) => {
    const wd = weekday(day);
    if (wd !== SATURDAY && wd !== SUNDAY && !holidays.has(day)) out.set(day, close);
  };
  // Around Independence Day (from 1995): July 3 when it is a Monday, Tuesday or Thursday;
  // a Wednesday July 3 from 2013; before 2013 the Friday July 5 after a Thursday July 4.
  if (year >= 1995) {
    const july3 = dayOf(year, 7, 3);
    const wd = weekday(july3);
    if (wd === MONDAY || wd === 2 || wd === THURSDAY || (wd === 3 && year >= 2013)) add(july3, early);
    const july5 = dayOf(year, 7, 5);
    if (year < 2013 && weekday(july5) === FRIDAY) add(july5, early);
  }
  // The day after Thanksgiving, from 1992.
  if (year >= 1992) add(nthWeekday(year, 11, THURSDAY, 4) + 1, early);
  // Christmas Eve, Monday to Thursday (a Friday Christmas Eve is the observed Christmas).
  const christmasEve = dayOf(year, 12, 24);
  if (weekday(christmasEve) >= MONDAY && weekday(christmasEve) <= THURSDAY) add(christmasEve, early);
  for (const c of EARLY_CLOSE_DAYS) if (c.year === year) add(c.day, EARLY_CLOSE_1993);
  for (const h of HOURS_DAYS) if (h.year === year && h.close !== undefined) add(h.day, h.close);
  return out;
}

/** Late opens of one year (all unscheduled), day (since epoch) -> open in ms after local midnight. */
export function xnysLateOpens(year: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const h of HOURS_DAYS) if (h.year === year && h.open !== undefined) out.set(h.day, h.open);
  return out;
}

/** Options for building XNYS. */
export interface XnysOptions {
  /** First year of the table (default 1990, at least 1971). */
  firstYear?: number;
  /** Last year of the table (default 2050, at most 2099). */
  lastYear?: number;
}

/**
 * Builds the XNYS calendar table for [firstYear, lastYear]. 1990-2050 by default:
 * some 15,000 sessions in a few milliseconds.
 */
export function buildXnys(options: XnysOptions = {}): TableCalendar {
  const firstYear = options.firstYear ?? 1990;
  const lastYear = options.lastYear ?? 2050;
  if (
    !Number.isInteger(firstYear) ||
    !Number.isInteger(lastYear) ||
    firstYear < XNYS_FIRST_YEAR ||
    lastYear > XNYS_LAST_YEAR ||
    firstYear > lastYear
  ) {
    throw new InvalidArgumentError(
      `XNYS years must be whole years within ${XNYS_FIRST_YEAR}-${XNYS_LAST_YEAR}, first <= last; got ${firstYear}-${lastYear}`,
    );
  }
  const firstDay = dayOf(firstYear, 1, 1);
  const lastDay = dayOf(lastYear, 12, 31);
  const zone = ZoneOffsets.for(TIME_ZONE, (firstDay - 1) * DAY_MS, (lastDay + 2) * DAY_MS);
  const table = new SessionTableBuilder(((lastDay - firstDay + 1) * 5) / 7 + 8);
  for (let year = firstYear; year <= lastYear; year++) {
    const holidays = xnysHolidays(year);
    const earlyCloses = xnysEarlyCloses(year, holidays);
    const lateOpens = xnysLateOpens(year);
    const end = dayOf(year, 12, 31);
    for (let day = dayOf(year, 1, 1); day <= end; day++) {
      const wd = weekday(day);
      if (wd === SATURDAY || wd === SUNDAY || holidays.has(day)) continue;
      const early = earlyCloses.get(day);
      const late = lateOpens.get(day);
      const close = early ?? CLOSE;
      table.push(
        day,
        zone.toUtc(day, PRE_OPEN),
        zone.toUtc(day, late ?? OPEN),
        zone.toUtc(day, close),
        zone.toUtc(day, close + AFTER_HOURS),
        (early === undefined ? 0 : EARLY_CLOSE) | (late === undefined ? 0 : LATE_OPEN),
      );
    }
  }
  return new TableCalendar("XNYS", TIME_ZONE, table.build("XNYS"), firstDay, lastDay);
}
