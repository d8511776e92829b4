import { buildEuropean, europeanHolidays } from "./europe.js";
import { datesIn, day, hm, type SpecialHours } from "./exchange.js";
import { dayOf, easterSunday, previousWeekday } from "./rules.js";
import type { TableCalendar } from "./table.js";

/**
 * Xetra (Deutsche Börse, Frankfurt), after exchange_calendars' XETR
 * (exchange_calendar_xetr.py): New Year's Day, Good Friday, Easter Monday, Labour Day,
 * Whit Monday (2015-2021, and 2007), the Day of German Unity (2014-2021), Christmas Eve,
 * Christmas, Boxing Day, New Year's Eve and Reformation Day 2017; the weekday before
 * New Year's Eve closes at 14:00 from 2010.
 *
 * Hours (Europe/Berlin): 09:00-17:30.
 */

/** One-off closures: Whit Monday 2007, the 500th Reformation Day. */
const ONE_OFF = ["2007-05-28", "2017-10-31"].map(day);

/** Days Xetra is closed in a year (weekends aside). */
export function xetrHolidays(year: number): Set<number> {
  const out = europeanHolidays(year);
  for (const d of [dayOf(year, 12, 24), dayOf(year, 12, 31), ...datesIn(ONE_OFF, year)]) out.add(d);
  if (year >= 2015 && year <= 2021) out.add(easterSunday(year) + 50);
  if (year >= 2014 && year <= 2021) out.add(dayOf(year, 10, 3));
  return out;
}

/** The 14:00 close of the last weekday before New Year's Eve, from 2010. */
function xetrEarlyCloses(year: number): Map<number, SpecialHours> {
  return new Map(year >= 2010 ? [[previousWeekday(dayOf(year, 12, 31)), { close: hm(14) }]] : []);
}

/** Builds XETR for 1990-2050. */
export function buildXetr(): TableCalendar {
  return buildEuropean(
    "XETR",
    "Europe/Berlin",
    { open: hm(9), close: hm(17, 30) },
    xetrHolidays,
    xetrEarlyCloses,
  );
}
