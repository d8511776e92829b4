import { InvalidArgumentError } from "../model/errors.js";
import { DAY_MS, formatDay, parseDate } from "../model/time.js";
import { type CalendarJson, calendarFromJson } from "./json.js";
import { weekday } from "./rules.js";
import type { TableCalendar } from "./table.js";
import type { Session } from "./types.js";
import { ZoneOffsets } from "./zone.js";

const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

/** A session's hours as JSON calendar wall times (`HH:MM`), relative to its date. */
interface WallHours {
  open: string;
  close: string;
  pre?: string;
  post?: string;
  breakStart?: string;
  breakEnd?: string;
}

function hhmm(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/**
 * Writes a calendar as a JSON calendar definition (see json.ts) that builds the same sessions:
 * each weekday's most common hours as `weekly`, the weekdays without a session as `holidays`,
 * and every other session in `days` with its own hours and flags. Restricted to [from, to]
 * when given. The result is checked by building it and comparing every session; a calendar
 * whose times are not whole minutes, or lie further than a day from their date, cannot be
 * written and throws an `InvalidArgumentError`.
 */
export function calendarToJson(calendar: TableCalendar, from?: string, to?: string): CalendarJson {
  const firstDay = parseDate(from ?? calendar.firstDate, "from");
  const lastDay = parseDate(to ?? calendar.lastDate, "to");
  const sessions = calendar.sessions(formatDay(firstDay), formatDay(lastDay));
  const zone = ZoneOffsets.for(calendar.timeZone, (firstDay - 2) * DAY_MS, (lastDay + 2) * DAY_MS);
  const wall = (s: Session): WallHours => {
    const base = parseDate(s.date) * DAY_MS;
    const local = (t: number) => t + zone.offsetAt(t) - base;
    const ofDay = (t: number) => hhmm((((local(t) % DAY_MS) + DAY_MS) % DAY_MS) as number);
    const close = local(s.close);
    if (!(close > 0 && close <= DAY_MS)) {
      throw new InvalidArgumentError(
        `calendar ${calendar.name}: session ${s.date} does not close on its date`,
      );
    }
    const out: WallHours = { open: ofDay(s.open), close: hhmm(close) };
    if (s.preOpen !== s.open) out.pre = ofDay(s.preOpen);
    if (s.postClose !== s.close) out.post = ofDay(s.postClose);
    if (s.breakStart !== undefined && s.breakEnd !== undefined) {
      out.breakStart = ofDay(s.breakStart);
      out.breakEnd = ofDay(s.breakEnd);
    }
    return out;
  };
  const hoursOf = sessions.map(wall);
  // Each weekday's most common hours among its plain sessions.
  const counts = WEEKDAYS.map(() => new Map<string, number>());
  sessions.forEach((s, i) => {
    if (s.earlyClose || s.lateOpen) return;
    const key = JSON.stringify(hoursOf[i]);
    const byKey = counts[weekday(parseDate(s.date))];
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
  });
  const weekly = counts.map((byKey) => [...byKey].sort((a, b) => b[1] - a[1])[0]?.[0]);
  const holidays: string[] = [];
  const days: CalendarJson["days"] = {};
  let k = 0;
  for (let d = firstDay; d <= lastDay; d++) {
    const wd = weekday(d);
    const s = sessions[k];
    if (s && parseDate(s.date) === d) {
      const key = JSON.stringify(hoursOf[k]);
      if (key !== weekly[wd] || s.earlyClose || s.lateOpen) {
        days[s.date] = {
          ...hoursOf[k],
          ...(s.earlyClose ? { earlyClose: true } : {}),
          ...(s.lateOpen ? { lateOpen: true } : {}),
        };
      }
      k++;
    } else if (weekly[wd] !== undefined) {
      holidays.push(formatDay(d));
    }
  }
  const json: CalendarJson = {
    name: calendar.name,
    description: `${calendar.name} as tickwright builds it, ${formatDay(firstDay)} to ${formatDay(lastDay)}`,
    timeZone: calendar.timeZone,
    from: formatDay(firstDay),
    to: formatDay(lastDay),
    weekly: Object.fromEntries(
      WEEKDAYS.map((name, i) => [name, weekly[i] === undefined ? null : JSON.parse(weekly[i] as string)]),
    ),
    holidays,
    earlyCloses: {},
    lateOpens: {},
    days,
  };
  const back = calendarFromJson(json, `the export of ${calendar.name}`).sessions(json.from, json.to);
  const differ = back.findIndex((b, i) => JSON.stringify(b) !== JSON.stringify(sessions[i]));
  if (back.length !== sessions.length || differ >= 0) {
    const date = (sessions[differ] ?? back[differ] ?? sessions[sessions.length - 1]).date;
    throw new InvalidArgumentError(
      `calendar ${calendar.name} cannot be written as JSON exactly: session ${date} differs`,
    );
  }
  return json;
}
