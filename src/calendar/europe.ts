import { buildExchange, day, type Hours, hm, type SpecialHours } from "./exchange.js";
import { dayOf, easterSunday, SATURDAY, SUNDAY, weekday } from "./rules.js";
import type { TableCalendar } from "./table.js";

/**
 * What the European exchanges (XETR, XPAR, XAMS, XSWX) share in exchange_calendars: the
 * holidays New Year's Day, Good Friday, Easter Monday, Labour Day, Christmas and Boxing Day;
 * Euronext's 14:05 closes; one era of hours, 1990-2050.
 */

/** New Year's Day, Good Friday, Easter Monday, May 1, December 25 and 26 of a year. */
export function europeanHolidays(year: number): Set<number> {
  const easter = easterSunday(year);
  return new Set([
    dayOf(year, 1, 1),
    easter - 2,
    easter + 1,
    dayOf(year, 5, 1),
    dayOf(year, 12, 25),
    dayOf(year, 12, 26),
  ]);
}

/**
 * Euronext Paris and Amsterdam: 14:05 closes on Christmas Eve and (from 2002) New Year's Eve
 * when they fall on a weekday; before 2002 New Year's Eve was a holiday.
 */
export function euronextEarlyCloses(year: number): Map<number, SpecialHours> {
  const out = new Map<number, SpecialHours>();
  const days = year >= 2002 ? [dayOf(year, 12, 24), dayOf(year, 12, 31)] : [dayOf(year, 12, 24)];
  for (const d of days)
    if (weekday(d) !== SATURDAY && weekday(d) !== SUNDAY) out.set(d, { close: hm(14, 5) });
  return out;
}

/** A European exchange's table, 1990-2050, with one era of hours. */
export function buildEuropean(
  name: string,
  timeZone: string,
  hours: Hours,
  holidays: (year: number) => ReadonlySet<number>,
  specialHours?: (year: number) => ReadonlyMap<number, SpecialHours>,
): TableCalendar {
  return buildExchange({
    name,
    timeZone,
    firstYear: 1990,
    lastYear: 2050,
    eras: [{ from: day("1990-01-01"), hours }],
    holidays,
    specialHours,
  });
}
