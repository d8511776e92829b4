import { buildExchange, datesIn, day, hm, type SpecialHours } from "./exchange.js";
import { lunarFestival } from "./lunisolar.js";
import { dayOf, SATURDAY, SUNDAY, weekday } from "./rules.js";
import type { TableCalendar } from "./table.js";

/**
 * The Korea Exchange, after exchange_calendars' XKRX (exchange_calendar_xkrx.py and
 * xkrx_holidays.py): Korea's public holidays by rule (the solar ones, Seollal and Chuseok by
 * the Korean lunar calendar with their eve and morrow, Buddha's Birthday, Constitution Day until 2007 and again from 2026, and the
 * substitute holidays: for Seollal and Chuseok and Children's Day from 2014, for the national
 * days from August 2021, for Labor Day and Constitution Day from 2026), the exchange's year-end
 * closure on the last trading day of December, and the closures no rule gives (elections, temporary holidays, the old year-end
 * days), which exchange_calendars keeps as a list. Saturdays traded until 1998-12-05. The first
 * session of each year opens an hour late; on the college entrance exam (CSAT) day every time
 * of the session moves 30 minutes later (to 1998-11-17), an hour later from 1998-11-18.
 *
 * Hours (Asia/Seoul, no DST since 1988), with the lunch break until 2000-05-19:
 * 10:00-12:00/13:30-15:30, 09:40-12:00/13:20-15:20 from 1986-04-01, 09:40-11:40/13:20-15:20
 * from 1987-03-01, 09:30-11:30/13:00-15:00 from 1995-01-01, 09:00-12:00/13:00-15:00 from
 * 1998-12-07, 09:00-15:00 from 2000-05-22, 09:00-15:30 from 2016-08-01.
 */

const TIME_ZONE = "Asia/Seoul";
const LAST_SATURDAY_SESSION = day("1998-12-05");
const SUBSTITUTES_FROM = day("2014-01-01");
const NATIONAL_DAY_SUBSTITUTES_FROM = day("2021-08-04");

/**
 * Closures no rule below gives: exchange_calendars' precomputed KRX holidays (its original and
 * dumped lists and the ones copied from the exchange's site) less what the rules produce.
 */
const CLOSURES = [
  "1986-12-29",
  "1986-12-30",
  "1987-10-27",
  "1987-12-16",
  "1987-12-28",
  "1987-12-29",
  "1987-12-30",
  "1988-02-25",
  "1988-04-26",
  "1988-12-27",
  "1988-12-28",
  "1988-12-29",
  "1988-12-30",
  "1989-10-02",
  "1989-10-12",
  "1989-12-27",
  "1989-12-28",
  "1989-12-29",
  "1990-12-27",
  "1990-12-28",
  "1991-03-26",
  "1991-06-20",
  "1991-12-27",
  "1991-12-30",
  "1992-03-24",
  "1992-12-18",
  "1992-12-28",
  "1992-12-29",
  "1992-12-30",
  "1993-07-07",
  "1993-12-29",
  "1993-12-30",
  "1994-01-03",
  "1994-02-14",
  "1994-05-20",
  "1994-12-29",
  "1994-12-30",
  "1995-12-29",
  "1996-12-30",
  "1997-12-18",
  "1997-12-29",
  "1997-12-30",
  "1998-12-29",
  "1998-12-30",
  "1999-12-29",
  "1999-12-30",
  "2000-01-03",
  "2000-04-13",
  "2000-12-27",
  "2000-12-28",
  "2002-06-13",
  "2002-07-01",
  "2002-12-19",
  "2004-04-15",
  "2006-05-31",
  "2007-12-19",
  "2008-04-09",
  "2010-06-02",
  "2012-04-11",
  "2012-12-19",
  "2014-06-04",
  "2015-08-14",
  "2016-04-13",
  "2016-05-06",
  "2017-05-09",
  "2017-10-02",
  "2018-06-13",
  "2020-04-15",
  "2020-08-17",
  "2022-03-09",
  "2022-06-01",
  "2023-05-29",
  "2023-10-02",
  "2024-04-10",
  "2024-10-01",
  "2025-01-27",
  "2025-06-03",
  "2026-05-25",
  "2026-06-03",
  "2027-12-27",
  "2029-05-21",
].map(day);

/** CSAT (college entrance exam) days: the session moves later (exchange_calendars' precomputed_csat_days). */
const CSAT_DAYS = [
  "1993-08-20",
  "1993-11-16",
  "1994-11-23",
  "1995-11-22",
  "1996-11-13",
  "1997-11-19",
  "1998-11-18",
  "1999-11-17",
  "2000-11-15",
  "2001-11-07",
  "2002-11-06",
  "2003-11-05",
  "2004-11-17",
  "2005-11-23",
  "2006-11-16",
  "2007-11-15",
  "2008-11-13",
  "2009-11-12",
  "2010-11-18",
  "2011-11-10",
  "2012-11-08",
  "2013-11-07",
  "2014-11-13",
  "2015-11-12",
  "2016-11-17",
  "2017-11-16",
  "2017-11-23",
  "2018-11-15",
  "2019-11-14",
  "2020-12-03",
  "2021-11-18",
  "2022-11-17",
  "2023-11-16",
  "2024-11-14",
  "2025-11-13",
].map(day);
const CSAT_HOUR_FROM = day("1998-11-18");

/** Korea's public holidays of a year by rule, the substitute holidays included. */
export function koreanHolidays(year: number): Set<number> {
  const out = new Set<number>();
  const solar = (month: number, d: number) => out.add(dayOf(year, month, d));
  solar(1, 1);
  if (year <= 1998) solar(1, 2);
  if (year <= 1989) solar(1, 3);
  solar(3, 1);
  if (year <= 2005) solar(4, 5);
  if (year <= 1993) solar(3, 10);
  if (year >= 1994) solar(5, 1);
  solar(5, 5);
  solar(6, 6);
  if (year <= 2007 || year >= 2026) solar(7, 17);
  solar(8, 15);
  if (year <= 1990) solar(10, 1);
  solar(10, 3);
  if (year <= 1990 || year >= 2013) solar(10, 9);
  solar(12, 25);
  const buddha = lunarFestival("korean", "buddhasBirthday", year);
  if (buddha !== undefined) out.add(buddha);
  const seollal = lunarFestival("korean", "newYear", year);
  const chuseok = lunarFestival("korean", "midAutumn", year);
  // Seollal and Chuseok: three days (Seollal alone until 1988; Chuseok and its morrow from 1986).
  const spans: number[][] = [];
  if (seollal !== undefined) spans.push(year >= 1989 ? [seollal - 1, seollal, seollal + 1] : [seollal]);
  if (chuseok !== undefined)
    spans.push(year >= 1989 ? [chuseok - 1, chuseok, chuseok + 1] : [chuseok, chuseok + 1]);
  const national = new Set(out);
  for (const span of spans) for (const d of span) out.add(d);
  const free = (d: number) => !out.has(d) && weekday(d) !== SATURDAY && weekday(d) !== SUNDAY;
  const substitute = (after: number) => {
    let d = after + 1;
    while (!free(d)) d++;
    out.add(d);
  };
  // Seollal and Chuseok: a day of the span on a Sunday or on another holiday adds the next free day.
  for (const span of spans) {
    if (span[0] < SUBSTITUTES_FROM) continue;
    const clashes = span.filter((d) => weekday(d) === SUNDAY || national.has(d)).length;
    for (let i = 0; i < clashes; i++) substitute(span[span.length - 1]);
  }
  // Children's Day on a weekend or on another holiday (Buddha's Birthday).
  const children = dayOf(year, 5, 5);
  const weekend = (d: number) => weekday(d) === SATURDAY || weekday(d) === SUNDAY;
  if (children >= SUBSTITUTES_FROM && (weekend(children) || children === buddha)) substitute(children);
  // The national days (and Labor Day from 2026) on a weekend; one on Seollal or Chuseok is
  // covered by their substitute.
  const nationalDays = [dayOf(year, 3, 1), dayOf(year, 8, 15), dayOf(year, 10, 3), dayOf(year, 10, 9)];
  if (year >= 2026) nationalDays.push(dayOf(year, 5, 1), dayOf(year, 7, 17));
  for (const d of nationalDays) {
    if (d < NATIONAL_DAY_SUBSTITUTES_FROM) continue;
    if (weekend(d)) substitute(d);
  }
  return out;
}

/** Days the exchange is closed in a year (weekdays, and Saturdays while it traded them). */
export function xkrxHolidays(year: number): Set<number> {
  const out = koreanHolidays(year);
  // The year-end closure: December 31, or the last trading day before it (a Saturday while
  // Saturdays traded).
  let yearEnd = dayOf(year, 12, 31);
  while (weekday(yearEnd) === SUNDAY || (weekday(yearEnd) === SATURDAY && yearEnd > LAST_SATURDAY_SESSION))
    yearEnd--;
  out.add(yearEnd);
  for (const d of datesIn(CLOSURES, year)) out.add(d);
  return out;
}

/** Saturdays the exchange traded (until 1998-12-05). */
function saturdaySessions(year: number): Set<number> {
  const out = new Set<number>();
  for (let d = dayOf(year, 1, 1); d <= dayOf(year, 12, 31) && d <= LAST_SATURDAY_SESSION; d++) {
    if (weekday(d) === SATURDAY) out.add(d);
  }
  return out;
}

/** Regular hours of each era, as local times. */
const ERAS = [
  ["1986-01-01", hm(10), hm(12), hm(13, 30), hm(15, 30)],
  ["1986-04-01", hm(9, 40), hm(12), hm(13, 20), hm(15, 20)],
  ["1987-03-01", hm(9, 40), hm(11, 40), hm(13, 20), hm(15, 20)],
  ["1995-01-01", hm(9, 30), hm(11, 30), hm(13), hm(15)],
  ["1998-12-07", hm(9), hm(12), hm(13), hm(15)],
  ["2000-05-22", hm(9), undefined, undefined, hm(15)],
  ["2016-08-01", hm(9), undefined, undefined, hm(15, 30)],
] as const;

const eras = ERAS.map(([from, open, breakStart, breakEnd, close]) => ({
  from: day(from),
  hours: { open, close, breakStart, breakEnd },
}));

/** The era's hours of a day. */
function hoursOn(d: number) {
  let i = 0;
  while (i + 1 < eras.length && eras[i + 1].from <= d) i++;
  return eras[i].hours;
}

/** The first session of a year opens an hour late; a CSAT day's whole session moves later. */
function xkrxSpecialHours(year: number): Map<number, SpecialHours> {
  const out = new Map<number, SpecialHours>();
  const holidays = xkrxHolidays(year);
  const saturdays = saturdaySessions(year);
  let first = dayOf(year, 1, 1);
  while (
    holidays.has(first) ||
    weekday(first) === SUNDAY ||
    (weekday(first) === SATURDAY && !saturdays.has(first))
  ) {
    first++;
  }
  out.set(first, { open: hoursOn(first).open + hm(1) });
  for (const d of datesIn(CSAT_DAYS, year)) {
    const shift = d >= CSAT_HOUR_FROM ? hm(1) : hm(0, 30);
    const h = hoursOn(d);
    out.set(d, {
      open: h.open + shift,
      close: h.close + shift,
      breakStart: h.breakStart === undefined ? undefined : h.breakStart + shift,
      breakEnd: h.breakEnd === undefined ? undefined : h.breakEnd + shift,
    });
  }
  return out;
}

/** Builds XKRX for 1986-2050. */
export function buildXkrx(): TableCalendar {
  return buildExchange({
    name: "XKRX",
    timeZone: TIME_ZONE,
    firstYear: 1986,
    lastYear: 2050,
    eras,
    holidays: xkrxHolidays,
    specialHours: xkrxSpecialHours,
    weekendSessions: saturdaySessions,
  });
}
