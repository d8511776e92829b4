import { buildExchange, datesIn, day, hm, type SpecialHours } from "./exchange.js";
import { LUNAR_LAST_YEAR, lunarFestival } from "./lunisolar.js";
import {
  dayOf,
  easterSunday,
  lastWeekday,
  MONDAY,
  nthWeekday,
  SATURDAY,
  SUNDAY,
  sundayToMonday,
  weekday,
} from "./rules.js";
import type { TableCalendar } from "./table.js";

/**
 * The Hong Kong Stock Exchange, after exchange_calendars' XHKG (exchange_calendar_xhkg.py):
 * Western and lunar holidays with Hong Kong's observance rules, the colonial holidays until
 * 1997, typhoon and other closures, and half days on Christmas Eve, New Year's Eve and (from
 * 2013) Lunar New Year's Eve. Lunar dates come from the tables in lunisolar.ts; the Ching
 * Ming festival (a solar term) from the usual formula.
 *
 * Hours (Asia/Hong_Kong): 10:00-16:00 with a 12:00-13:00 lunch, 09:30 from 2011-03-07 (as
 * exchange_calendars has them); half days close at 12:30, 12:00 from 2011-03-07.
 */

const TIME_ZONE = "Asia/Hong_Kong";
const NEW_HOURS = day("2011-03-07");

/** Closures no rule gives (typhoons, mourning, the day after a holiday), from 1990. */
const CLOSURES = [
  "1991-06-18",
  "1992-07-22",
  "1993-09-17",
  "1994-06-14",
  "1997-06-30",
  "1997-07-02",
  "1997-08-18",
  "1997-10-02",
  "1998-08-17",
  "1998-10-02",
  "1999-04-06",
  "1999-09-16",
  "1999-12-31",
  "2001-07-06",
  "2001-07-25",
  "2008-08-06",
  "2008-08-22",
  "2010-04-06",
  "2011-09-29",
  "2012-10-02",
  "2013-08-14",
  "2015-04-07",
  "2015-09-03",
  "2016-08-02",
  "2016-10-21",
  "2017-08-23",
  "2020-10-13",
  "2021-10-13",
  "2022-09-12",
  "2023-07-17",
  "2024-09-06",
].map(day);

/** The Ching Ming festival: the solar term at 15 degrees, April 4 or 5 (or 6). */
export function qingming(year: number): number {
  const y = year % 100;
  const c = year < 2000 ? 5.59 : 4.81;
  return dayOf(year, 4, Math.floor(y * 0.2422 + c) - Math.floor(y / 4));
}

/** The Queen's Birthday holiday, 1990-1996: the third Monday of June, the second in some years. */
function queensBirthday(year: number): number {
  if (year === 1993 || year === 1994) return nthWeekday(year, 6, MONDAY, 2);
  return nthWeekday(year, 6, MONDAY, 3);
}

/** Days the exchange is closed in a year (weekends aside). */
export function xhkgHolidays(year: number): Set<number> {
  const out = new Set<number>();
  const add = (d: number | undefined) => {
    if (d !== undefined) out.add(d);
  };
  add(sundayToMonday(dayOf(year, 1, 1)));
  const easter = easterSunday(year);
  add(easter - 2);
  add(easter + 1);
  if (year >= 1999) add(sundayToMonday(dayOf(year, 5, 1)));
  if (year >= 1997) add(sundayToMonday(dayOf(year, 7, 1)));
  if (year >= 1997) add(sundayToMonday(dayOf(year, 10, 1)));
  if (year <= 1996) {
    add(queensBirthday(year));
    add(lastWeekday(year, 8, MONDAY));
  }
  add(dayOf(year, 12, 25));
  add(dayOf(year, 12, 26));
  const dec27 = dayOf(year, 12, 27);
  if (weekday(dec27) === MONDAY || weekday(dec27) === 2) add(dec27);
  const newYear = lunarFestival("chinese", "newYear", year);
  if (newYear !== undefined) {
    add(newYear);
    add(newYear + 1);
    add(newYear + 2);
    if (year < 2013 && weekday(newYear) === SATURDAY) add(newYear - 1);
    if (year >= 2013 && [newYear, newYear + 1, newYear + 2].some((d) => weekday(d) === SUNDAY)) {
      add(newYear + 3);
    }
  }
  // Ching Ming: a Sunday moves to Monday, and a day taken by Easter Monday to the day after.
  const chingMing = sundayToMonday(qingming(year));
  add(chingMing === easter + 1 ? chingMing + 1 : chingMing);
  const buddha = lunarFestival("chinese", "buddhasBirthday", year);
  if (buddha !== undefined) add(sundayToMonday(buddha));
  const dragonBoat = lunarFestival("chinese", "dragonBoat", year);
  if (dragonBoat !== undefined) add(sundayToMonday(dragonBoat));
  const midAutumn = lunarFestival("chinese", "midAutumn", year);
  if (midAutumn !== undefined) {
    // The day after; when that is National Day, the day after that.
    add(midAutumn + 1 === dayOf(year, 10, 1) ? midAutumn + 2 : midAutumn + 1);
  }
  const chungYeung = lunarFestival("chinese", "doubleNinth", year);
  if (chungYeung !== undefined) add(sundayToMonday(chungYeung));
  for (const d of datesIn(CLOSURES, year)) out.add(d);
  return out;
}

/** Half days of a year: Christmas Eve, New Year's Eve, and Lunar New Year's Eve from 2013. */
function xhkgHalfDays(year: number): Map<number, SpecialHours> {
  const out = new Map<number, SpecialHours>();
  const add = (d: number) => {
    const wd = weekday(d);
    if (wd !== SATURDAY && wd !== SUNDAY) out.set(d, { close: d >= NEW_HOURS ? hm(12) : hm(12, 30) });
  };
  add(dayOf(year, 12, 24));
  if (year !== 1999) add(dayOf(year, 12, 31));
  const newYear = lunarFestival("chinese", "newYear", year);
  if (year >= 2013 && newYear !== undefined) add(newYear - 1);
  return out;
}

/** Builds XHKG for 1990 to the end of the lunar tables. */
export function buildXhkg(): TableCalendar {
  const lunch = { breakStart: hm(12), breakEnd: hm(13) };
  return buildExchange({
    name: "XHKG",
    timeZone: TIME_ZONE,
    firstYear: 1990,
    lastYear: LUNAR_LAST_YEAR,
    eras: [
      { from: day("1990-01-01"), hours: { open: hm(10), close: hm(16), ...lunch } },
      { from: NEW_HOURS, hours: { open: hm(9, 30), close: hm(16), ...lunch } },
    ],
    holidays: xhkgHolidays,
    specialHours: xhkgHalfDays,
  });
}
