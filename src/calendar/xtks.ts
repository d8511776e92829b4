import { buildExchange, day, hm } from "./exchange.js";
import { dayOf, MONDAY, nthWeekday, SUNDAY, weekday } from "./rules.js";
import type { TableCalendar } from "./table.js";

/**
 * The Tokyo Stock Exchange, after exchange_calendars' XTKS (exchange_calendar_xtks.py and
 * xtks_holidays.py), built from Japan's holiday law rather than a list: the national
 * holidays (fixed dates, "Happy Monday" Mondays, the equinoxes by the astronomical formula
 * the Cabinet's announcements follow), a holiday on a Sunday moved to the next day that is not a
 * holiday (the Monday before 2007), a day between two holidays a citizens' holiday; plus the
 * exchange's own New Year closure (December 31 to January 3) and the 2020-10-01 system failure.
 *
 * Hours (Asia/Tokyo): 09:00-11:30 and 12:30-15:00, to 15:30 from 2024-11-05 (arrowhead 4.0).
 */

const TIME_ZONE = "Asia/Tokyo";

/** Days the exchange closed for reasons no rule gives. */
const CLOSURES = [day("2020-10-01")];

/** One-off national holidays: the 2019 accession and enthronement. */
const ONE_OFF = [day("2019-05-01"), day("2019-10-22")];

/**
 * The equinox days (vernal, autumnal) of a year, by the formula valid 1980-2099 that the
 * National Astronomical Observatory's dates follow.
 */
function equinoxes(year: number): [number, number] {
  const k = 0.242194 * (year - 1980) - Math.floor((year - 1980) / 4);
  return [dayOf(year, 3, Math.floor(20.8431 + k)), dayOf(year, 9, Math.floor(23.2488 + k))];
}

/** Japan's national holidays of a year (1997 on), substitute and citizens' holidays included. */
export function japanHolidays(year: number): Set<number> {
  const base: number[] = [dayOf(year, 1, 1), dayOf(year, 2, 11), dayOf(year, 4, 29)];
  base.push(year < 2000 ? dayOf(year, 1, 15) : nthWeekday(year, 1, MONDAY, 2));
  const [vernal, autumnal] = equinoxes(year);
  base.push(vernal, autumnal);
  base.push(dayOf(year, 5, 3), dayOf(year, 5, 5));
  if (year >= 2007) base.push(dayOf(year, 5, 4));
  if (year <= 2002) base.push(dayOf(year, 7, 20));
  else if (year === 2020) base.push(dayOf(2020, 7, 23));
  else if (year === 2021) base.push(dayOf(2021, 7, 22));
  else base.push(nthWeekday(year, 7, MONDAY, 3));
  if (year === 2020) base.push(dayOf(2020, 8, 10));
  else if (year === 2021) base.push(dayOf(2021, 8, 8));
  else if (year >= 2016) base.push(dayOf(year, 8, 11));
  base.push(year <= 2002 ? dayOf(year, 9, 15) : nthWeekday(year, 9, MONDAY, 3));
  if (year < 2000) base.push(dayOf(year, 10, 10));
  else if (year === 2020) base.push(dayOf(2020, 7, 24));
  else if (year === 2021) base.push(dayOf(2021, 7, 23));
  else base.push(nthWeekday(year, 10, MONDAY, 2));
  base.push(dayOf(year, 11, 3), dayOf(year, 11, 23));
  if (year <= 2018) base.push(dayOf(year, 12, 23));
  if (year >= 2020) base.push(dayOf(year, 2, 23));
  for (const d of ONE_OFF) if (d >= dayOf(year, 1, 1) && d <= dayOf(year, 12, 31)) base.push(d);
  const holidays = new Set(base);
  // A holiday on a Sunday: the next day that is no holiday (from 2007), the Monday before.
  for (const d of base) {
    if (weekday(d) !== SUNDAY) continue;
    let sub = d + 1;
    if (year >= 2007) while (holidays.has(sub)) sub++;
    holidays.add(sub);
  }
  // A day between two holidays is itself one (May 4 before 2007, the 2009 and 2015 Silver Weeks).
  for (const d of [...holidays]) {
    if (holidays.has(d + 2) && !holidays.has(d + 1) && weekday(d + 1) !== SUNDAY) holidays.add(d + 1);
  }
  return holidays;
}

/** Days the Tokyo Stock Exchange is closed in a year (weekends aside). */
export function xtksHolidays(year: number): Set<number> {
  const out = japanHolidays(year);
  out.add(dayOf(year, 1, 2));
  out.add(dayOf(year, 1, 3));
  out.add(dayOf(year, 12, 31));
  for (const d of CLOSURES) if (d >= dayOf(year, 1, 1) && d <= dayOf(year, 12, 31)) out.add(d);
  return out;
}

/** Builds XTKS for 1997-2050 (exchange_calendars tracks its holidays from 1997). */
export function buildXtks(): TableCalendar {
  const lunch = { breakStart: hm(11, 30), breakEnd: hm(12, 30) };
  return buildExchange({
    name: "XTKS",
    timeZone: TIME_ZONE,
    firstYear: 1997,
    lastYear: 2050,
    eras: [
      { from: day("1997-01-01"), hours: { open: hm(9), close: hm(15), ...lunch } },
      { from: day("2024-11-05"), hours: { open: hm(9), close: hm(15, 30), ...lunch } },
    ],
    holidays: xtksHolidays,
  });
}
