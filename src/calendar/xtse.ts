import { buildExchange, datesIn, day, hm, type SpecialHours } from "./exchange.js";
import {
  dayOf,
  easterSunday,
  MONDAY,
  nthWeekday,
  SATURDAY,
  SUNDAY,
  weekday,
  weekendToMonday,
} from "./rules.js";
import type { TableCalendar } from "./table.js";

/**
 * The Toronto Stock Exchange, after exchange_calendars' XTSE (exchange_calendar_xtse.py):
 * New Year's Day and Canada Day (a weekend one on the Monday after), Family Day (third
 * Monday of February, from 2008), Good Friday, Victoria Day (the Monday before May 25), the
 * Civic Holiday, Labour Day, Thanksgiving, Christmas and Boxing Day with their weekday
 * substitutes, and 2001-09-11/12; Christmas Eve closes at 13:00 from 2010.
 *
 * Hours (America/Toronto): 09:30-16:00.
 */

const SEPTEMBER_11 = ["2001-09-11", "2001-09-12"].map(day);

export function xtseHolidays(year: number): Set<number> {
  const may24 = dayOf(year, 5, 24);
  const out = new Set([
    weekendToMonday(dayOf(year, 1, 1)),
    easterSunday(year) - 2,
    may24 - ((weekday(may24) - MONDAY + 7) % 7),
    weekendToMonday(dayOf(year, 7, 1)),
    nthWeekday(year, 8, MONDAY, 1),
    nthWeekday(year, 9, MONDAY, 1),
    nthWeekday(year, 10, MONDAY, 2),
    dayOf(year, 12, 25),
    dayOf(year, 12, 26),
    ...datesIn(SEPTEMBER_11, year),
  ]);
  if (year >= 2008) out.add(nthWeekday(year, 2, MONDAY, 3));
  for (const d of [dayOf(year, 12, 27), dayOf(year, 12, 28)]) {
    if (weekday(d) === MONDAY || weekday(d) === 2) out.add(d);
  }
  return out;
}

/** The 13:00 close of a weekday Christmas Eve, from 2010. */
function xtseEarlyCloses(year: number): Map<number, SpecialHours> {
  const eve = dayOf(year, 12, 24);
  const weekdayEve = weekday(eve) !== SATURDAY && weekday(eve) !== SUNDAY;
  return new Map(year >= 2010 && weekdayEve ? [[eve, { close: hm(13) }]] : []);
}

/** Builds XTSE for 1990-2050. */
export function buildXtse(): TableCalendar {
  return buildExchange({
    name: "XTSE",
    timeZone: "America/Toronto",
    firstYear: 1990,
    lastYear: 2050,
    eras: [{ from: day("1990-01-01"), hours: { open: hm(9, 30), close: hm(16) } }],
    holidays: xtseHolidays,
    specialHours: xtseEarlyCloses,
  });
}
