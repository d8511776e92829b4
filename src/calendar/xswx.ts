import { buildEuropean, europeanHolidays } from "./europe.js";
import { day, hm } from "./exchange.js";
import { dayOf, easterSunday } from "./rules.js";
import type { TableCalendar } from "./table.js";

/**
 * SIX Swiss Exchange, after exchange_calendars' XSWX (exchange_calendar_xswx.py, with its
 * sourced 1996-2006 holiday regime): New Year's Day, Berchtold's Day (not 2002), Good Friday,
 * Easter Monday, Labour Day, Ascension Day and Whit Monday (not 2002), Swiss National Day
 * (not 2001-2005), Christmas Eve and New Year's Eve (not 1996-1997), Christmas, Boxing Day,
 * and 2000-01-03 (the year 2000 changeover).
 *
 * Hours (Europe/Zurich): 09:00-17:30.
 */
export function xswxHolidays(year: number): Set<number> {
  const easter = easterSunday(year);
  const out = europeanHolidays(year);
  if (year !== 2002) for (const d of [dayOf(year, 1, 2), easter + 39, easter + 50]) out.add(d);
  if (year <= 2000 || year >= 2006) out.add(dayOf(year, 8, 1));
  if (year <= 1995 || year >= 1998) for (const d of [dayOf(year, 12, 24), dayOf(year, 12, 31)]) out.add(d);
  if (year === 2000) out.add(day("2000-01-03"));
  return out;
}

/** Builds XSWX for 1990-2050. */
export function buildXswx(): TableCalendar {
  return buildEuropean("XSWX", "Europe/Zurich", { open: hm(9), close: hm(17, 30) }, xswxHolidays);
}
