import { buildEuropean, euronextEarlyCloses, europeanHolidays } from "./europe.js";
import { hm } from "./exchange.js";
import { dayOf, easterSunday } from "./rules.js";
import type { TableCalendar } from "./table.js";

/**
 * Euronext Amsterdam, after exchange_calendars' XAMS (exchange_calendar_xams.py): New
 * Year's Day, Good Friday, Easter Monday, Labour Day, Christmas, Boxing Day; Ascension Day
 * until 2000; Whit Monday, Queen's Day and New Year's Eve until 2001. 14:05 closes on
 * Christmas Eve and New Year's Eve.
 *
 * Hours (Europe/Amsterdam): 09:00-17:30.
 */
export function xamsHolidays(year: number): Set<number> {
  const out = europeanHolidays(year);
  const easter = easterSunday(year);
  if (year <= 2000) out.add(easter + 39);
  if (year <= 2001) for (const d of [easter + 50, dayOf(year, 4, 30), dayOf(year, 12, 31)]) out.add(d);
  return out;
}

/** Builds XAMS for 1990-2050. */
export function buildXams(): TableCalendar {
  return buildEuropean(
    "XAMS",
    "Europe/Amsterdam",
    { open: hm(9), close: hm(17, 30) },
    xamsHolidays,
    euronextEarlyCloses,
  );
}
