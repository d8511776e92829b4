import { buildEuropean, euronextEarlyCloses, europeanHolidays } from "./europe.js";
import { hm } from "./exchange.js";
import { dayOf, easterSunday } from "./rules.js";
import type { TableCalendar } from "./table.js";

/**
 * Euronext Paris, after exchange_calendars' XPAR (exchange_calendar_xpar.py): New Year's
 * Day, Good Friday, Easter Monday, Labour Day, Christmas, Boxing Day; until 2001 also Whit
 * Monday, Bastille Day and New Year's Eve. 14:05 closes on Christmas Eve and New Year's Eve.
 *
 * Hours (Europe/Paris): 09:00-17:30.
 */
export function xparHolidays(year: number): Set<number> {
  const out = europeanHolidays(year);
  if (year <= 2001)
    for (const d of [easterSunday(year) + 50, dayOf(year, 7, 14), dayOf(year, 12, 31)]) out.add(d);
  return out;
}

/** Builds XPAR for 1990-2050. */
export function buildXpar(): TableCalendar {
  return buildEuropean(
    "XPAR",
    "Europe/Paris",
    { open: hm(9), close: hm(17, 30) },
    xparHolidays,
    euronextEarlyCloses,
  );
}
