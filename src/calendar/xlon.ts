import { buildExchange, datesIn, day, hm, type SpecialHours } from "./exchange.js";
import {
  dayOf,
  easterSunday,
  lastWeekday,
  MONDAY,
  nthWeekday,
  previousFriday,
  weekday,
  weekendToMonday,
} from "./rules.js";
import type { TableCalendar } from "./table.js";

/**
 * The London Stock Exchange, after exchange_calendars' XLON (exchange_calendar_xlon.py):
 * England's bank holidays (New Year's Day on the first weekday on or after it, Good Friday,
 * Easter Monday, the early May, spring and summer bank holidays, Christmas and Boxing Day
 * with their weekday substitutes), the jubilees, royal weddings and funerals that moved or
 * added one, and 12:30 closes on Christmas Eve and New Year's Eve (the Friday before when
 * they fall on a weekend).
 *
 * Hours (Europe/London): 08:00-16:30.
 */

const TIME_ZONE = "Europe/London";

/** One-off closures: VE Day anniversaries, jubilees, royal weddings, the Queen's funeral, the coronation. */
const ONE_OFF = [
  "1995-05-08",
  "1999-12-31",
  "2002-06-03",
  "2002-06-04",
  "2011-04-29",
  "2012-06-04",
  "2012-06-05",
  "2020-05-08",
  "2022-06-02",
  "2022-06-03",
  "2022-09-19",
  "2023-05-08",
].map(day);

/** Years whose early May bank holiday moved to VE Day, and whose spring one moved to a jubilee. */
const NO_EARLY_MAY = [1995, 2020];
const NO_SPRING = [2002, 2012, 2022];

/** Days the exchange is closed in a year (weekends aside). */
export function xlonHolidays(year: number): Set<number> {
  const easter = easterSunday(year);
  const out = new Set([
    weekendToMonday(dayOf(year, 1, 1)),
    easter - 2,
    easter + 1,
    lastWeekday(year, 8, MONDAY),
    dayOf(year, 12, 25),
    dayOf(year, 12, 26),
    ...datesIn(ONE_OFF, year),
  ]);
  if (!NO_EARLY_MAY.includes(year)) out.add(nthWeekday(year, 5, MONDAY, 1));
  if (!NO_SPRING.includes(year)) out.add(lastWeekday(year, 5, MONDAY));
  // Christmas or Boxing Day on a weekend: the 27th and 28th when they are a Monday or Tuesday.
  for (const d of [dayOf(year, 12, 27), dayOf(year, 12, 28)]) {
    if (weekday(d) === MONDAY || weekday(d) === 2) out.add(d);
  }
  return out;
}

/** The 12:30 closes of a year. */
function xlonEarlyCloses(year: number): Map<number, SpecialHours> {
  const out = new Map<number, SpecialHours>([[previousFriday(dayOf(year, 12, 24)), { close: hm(12, 30) }]]);
  if (year !== 1999) out.set(previousFriday(dayOf(year, 12, 31)), { close: hm(12, 30) });
  return out;
}

/** Builds XLON for 1990-2050. */
export function buildXlon(): TableCalendar {
  return buildExchange({
    name: "XLON",
    timeZone: TIME_ZONE,
    firstYear: 1990,
    lastYear: 2050,
    eras: [{ from: day("1990-01-01"), hours: { open: hm(8), close: hm(16, 30) } }],
    holidays: xlonHolidays,
    specialHours: xlonEarlyCloses,
  });
}
