import { buildExchange, datesIn, day, hm, type SpecialHours } from "./exchange.js";
import {
  dayOf,
  easterSunday,
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
import type { TableCalendar } from "./table.js";

/**
 * CME Globex equity index futures, after exchange_calendars' CMES (exchange_calendar_cmes.py):
 * each session opens 17:00 Chicago the evening before its date and closes 17:00 on it, so a
 * week opens Sunday evening. Closed on New Year's Day (a Sunday one on Monday), Good Friday,
 * Christmas (the nearest weekday) and the national days of mourning; the other US holidays
 * (Martin Luther King Jr. Day from 1998, Presidents Day, Memorial Day, Juneteenth from 2022,
 * Independence Day, Labor Day, Thanksgiving) close at 12:00, as do the day after
 * Thanksgiving (from 1993) and Christmas Eve. exchange_calendars models no intraday break:
 * the daily maintenance hour falls between its sessions' 17:00 close and 17:00 open only
 * nominally, and so it does here (see docs/calendars.md).
 */

const TIME_ZONE = "America/Chicago";

/** National days of mourning since 1990 (exchange_calendars' USNationalDaysofMourning). */
const MOURNING = ["1994-04-27", "2004-06-11", "2007-01-02", "2018-12-05", "2025-01-09"].map(day);

/** Days CMES is closed in a year (weekends aside). */
export function cmesHolidays(year: number): Set<number> {
  const out = new Set([
    sundayToMonday(dayOf(year, 1, 1)),
    easterSunday(year) - 2,
    nearestWeekday(dayOf(year, 12, 25)),
    ...datesIn(MOURNING, year),
  ]);
  return out;
}

/** The 12:00 closes of a year. */
function cmesEarlyCloses(year: number): Map<number, SpecialHours> {
  const days = [
    nthWeekday(year, 2, MONDAY, 3),
    lastWeekday(year, 5, MONDAY),
    nearestWeekday(dayOf(year, 7, 4)),
    nthWeekday(year, 9, MONDAY, 1),
    nthWeekday(year, 11, THURSDAY, 4),
    dayOf(year, 12, 24),
  ];
  if (year >= 1998) days.push(nthWeekday(year, 1, MONDAY, 3));
  if (year >= 2022) days.push(nearestWeekday(dayOf(year, 6, 19)));
  if (year >= 1993) days.push(nthWeekday(year, 11, THURSDAY, 4) + 1);
  const out = new Map<number, SpecialHours>();
  for (const d of days) if (weekday(d) !== SATURDAY && weekday(d) !== SUNDAY) out.set(d, { close: hm(12) });
  return out;
}

/** Builds CMES for 1990-2050. */
export function buildCmes(): TableCalendar {
  return buildExchange({
    name: "CMES",
    timeZone: TIME_ZONE,
    firstYear: 1990,
    lastYear: 2050,
    eras: [{ from: day("1990-01-01"), hours: { open: hm(17), close: hm(17), openDaysBefore: 1 } }],
    holidays: cmesHolidays,
    specialHours: cmesEarlyCloses,
  });
}
