import { buildExchange, datesIn, day, hm, type SpecialHours } from "./exchange.js";
import {
  dayOf,
  easterSunday,
  MONDAY,
  nthWeekday,
  previousFriday,
  SUNDAY,
  weekday,
  weekendToMonday,
} from "./rules.js";
import type { TableCalendar } from "./table.js";

/**
 * The Australian Securities Exchange, after exchange_calendars' XASX
 * (exchange_calendar_xasx.py): New Year's Day, Australia Day (the Monday on or after it
 * 1989-1992, none in 1993, a weekend one on the Monday after from 1994), Good Friday, Easter
 * Monday, Anzac Day (moved to Monday only in 2010), the Queen's and King's Birthday (second
 * Monday of June), Christmas and Boxing Day with their weekday substitutes, and the odd
 * closure; from 2010 the last trading days before Christmas and of the year close at 14:10
 * (not in 2022).
 *
 * Hours (Australia/Sydney): 10:00-16:00.
 */

const ONE_OFF = ["1990-12-31", "1999-12-31", "2011-04-26", "2022-09-22"].map(day);

export function xasxHolidays(year: number): Set<number> {
  const easter = easterSunday(year);
  const anzac = dayOf(year, 4, 25);
  const out = new Set([
    weekendToMonday(dayOf(year, 1, 1)),
    easter - 2,
    easter + 1,
    year === 2010 && weekday(anzac) === SUNDAY ? anzac + 1 : anzac,
    nthWeekday(year, 6, MONDAY, 2),
    dayOf(year, 12, 25),
    dayOf(year, 12, 26),
    ...datesIn(ONE_OFF, year),
  ]);
  const australiaDay = dayOf(year, 1, 26);
  if (year >= 1994) out.add(weekendToMonday(australiaDay));
  else if (year <= 1992) out.add(australiaDay + ((MONDAY - weekday(australiaDay) + 7) % 7));
  for (const d of [dayOf(year, 12, 27), dayOf(year, 12, 28)]) {
    if (weekday(d) === MONDAY || weekday(d) === 2) out.add(d);
  }
  return out;
}

/** The 14:10 closes before Christmas and on the year's last day, 2010 on (none in 2022). */
function xasxEarlyCloses(year: number): Map<number, SpecialHours> {
  if (year < 2010 || year === 2022) return new Map();
  return new Map(
    [dayOf(year, 12, 24), dayOf(year, 12, 31)].map((d) => [previousFriday(d), { close: hm(14, 10) }]),
  );
}

/** Builds XASX for 1990-2050. */
export function buildXasx(): TableCalendar {
  return buildExchange({
    name: "XASX",
    timeZone: "Australia/Sydney",
    firstYear: 1990,
    lastYear: 2050,
    eras: [{ from: day("1990-01-01"), hours: { open: hm(10), close: hm(16) } }],
    holidays: xasxHolidays,
    specialHours: xasxEarlyCloses,
  });
}
