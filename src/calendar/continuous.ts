import { DAY_MS } from "../model/time.js";
import { dayOf, SATURDAY, SUNDAY, weekday } from "./rules.js";
import { SessionTableBuilder, TableCalendar } from "./table.js";
import { ZoneOffsets } from "./zone.js";

/**
 * Markets that never (24/7) or only at weekends (24/5) close. Their sessions are cut at a
 * fixed time of day so that daily bars, gap detection and rolls have a session to work on.
 */

/**
 * 24/7 (crypto): every UTC day is a session [00:00, 24:00) UTC, 1970-2099. No pre- or
 * after-hours: preOpen = open and postClose = close.
 */
export function buildAlwaysOpen(): TableCalendar {
  const firstDay = dayOf(1970, 1, 1);
  const lastDay = dayOf(2099, 12, 31);
  const table = new SessionTableBuilder(lastDay - firstDay + 1);
  for (let day = firstDay; day <= lastDay; day++) {
    const open = day * DAY_MS;
    table.push(day, open, open, open + DAY_MS, open + DAY_MS);
  }
  return new TableCalendar("24/7", "UTC", table.build("24/7"), firstDay, lastDay);
}

const FX_ZONE = "America/New_York";
const FX_CUT = 17 * 3_600_000;

/**
 * 24/5 (FX): from Sunday 17:00 to Friday 17:00 New York, as five sessions of 17:00 to 17:00
 * next day, each labelled by the day it ends on (Monday ... Friday), 1990-2050. The cut
 * follows New York time, so it moves in UTC with DST. No holidays; no pre- or after-hours.
 */
export function buildFx(): TableCalendar {
  const firstDay = dayOf(1990, 1, 1);
  const lastDay = dayOf(2050, 12, 31);
  const zone = ZoneOffsets.for(FX_ZONE, (firstDay - 2) * DAY_MS, (lastDay + 2) * DAY_MS);
  const table = new SessionTableBuilder(((lastDay - firstDay + 1) * 5) / 7 + 8);
  for (let day = firstDay; day <= lastDay; day++) {
    const wd = weekday(day);
    if (wd === SATURDAY || wd === SUNDAY) continue;
    const open = zone.toUtc(day - 1, FX_CUT);
    const close = zone.toUtc(day, FX_CUT);
    table.push(day, open, open, close, close);
  }
  return new TableCalendar("24/5", FX_ZONE, table.build("24/5"), firstDay, lastDay);
}

/**
 * exchange_calendars' 24/5: every UTC weekday is a session [00:00, 24:00) UTC, 1990-2050 (its
 * answer file's form; tickwright's own 24/5 cuts the FX week at 17:00 New York instead).
 */
export function buildUtcWeekdays(): TableCalendar {
  const firstDay = dayOf(1990, 1, 1);
  const lastDay = dayOf(2050, 12, 31);
  const table = new SessionTableBuilder(((lastDay - firstDay + 1) * 5) / 7 + 8);
  for (let day = firstDay; day <= lastDay; day++) {
    const wd = weekday(day);
    if (wd === SATURDAY || wd === SUNDAY) continue;
    const open = day * DAY_MS;
    table.push(day, open, open, open + DAY_MS, open + DAY_MS);
  }
  return new TableCalendar("24/5-UTC", "UTC", table.build("24/5-UTC"), firstDay, lastDay);
}
