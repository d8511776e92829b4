import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { z } from "zod";
import { InputError, InvalidArgumentError, TickwrightError } from "../model/errors.js";
import { DAY_MS, formatDay, parseDate } from "../model/time.js";
import { parseClockTime, weekday } from "./rules.js";
import { EARLY_CLOSE, LATE_OPEN, SessionTableBuilder, TableCalendar } from "./table.js";
import { ZoneOffsets } from "./zone.js";

/**
 * Calendars defined in a JSON file, for markets tickwright has no rules for. Example (a
 * futures market whose sessions run 17:00 to 16:00 next day, Chicago time):
 *
 * ```json
 * { "name": "CME-EQUITY", "timeZone": "America/Chicago", "from": "2024-01-01", "to": "2026-12-31",
 *   "weekly": { "mon": { "open": "17:00", "close": "16:00" }, "tue": ..., "fri": ... },
 *   "holidays": ["2024-12-25"], "earlyCloses": { "2024-11-29": "12:15" },
 *   "lateOpens": { "2024-01-02": { "open": "08:30", "pre": "08:00" } },
 *   "days": { "2024-12-31": { "open": "17:00", "close": "12:00", "earlyClose": true } } }
 * ```
 *
 * A session is labelled by the date it closes on (the weekday key names that day). Times are
 * `HH:MM` local; `close` may be `24:00`. They are placed on the time line backwards from the
 * close: `open` is the latest such wall time before the close (so an open at or after the
 * close time means the session opened the day before: 17:00 -> 16:00 is a futures session),
 * `pre` (default: open) the latest at or before the open, `post` (default: close) the earliest
 * at or after the close. An early close replaces the close of one date (and `post` when it
 * gives one; otherwise the weekly after-hours end stays); it must lie between the regular open
 * and close. A late open replaces the open (and `pre` when given) and must lie after the
 * regular open. Sessions, with their pre- and after-hours, must not overlap.
 *
 * Hours may have a break (`breakStart` and `breakEnd`, both or neither, e.g. Tokyo's
 * 11:30-12:30 lunch): `breakEnd` is the latest such wall time before the close, `breakStart`
 * the latest before `breakEnd`. An early close at or before the break's end drops the
 * break (a morning-only session), and so does a late open at or after its start; a break
 * outside the session's hours is refused.
 * `days` changes the hours of single dates, giving the full hours of that date (and its
 * `earlyClose`/`lateOpen` flags, default false); a date there may have no weekly hours (an
 * extra session) and must not be a holiday, early close or late open as well. Every built-in
 * calendar can be written in this form (`calendarToJson`) and loads back the same.
 */

const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

const clockTime = z.string().refine(
  (s) => {
    try {
      parseClockTime(s);
      return true;
    } catch {
      return false;
    }
  },
  { error: (issue) => `expected HH:MM between 00:00 and 24:00, got ${JSON.stringify(issue.input)}` },
);

function isDate(s: string): boolean {
  try {
    parseDate(s);
    return true;
  } catch {
    return false;
  }
}

const date = z.string().refine(isDate, {
  error: (issue) => `expected a real date YYYY-MM-DD, got ${JSON.stringify(issue.input)}`,
});

function isTimeZone(s: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: s });
    return true;
  } catch {
    return false;
  }
}

const hoursShape = {
  open: clockTime,
  close: clockTime,
  pre: clockTime.optional(),
  post: clockTime.optional(),
  breakStart: clockTime.optional(),
  breakEnd: clockTime.optional(),
};
const bothOrNeither = (h: { breakStart?: string; breakEnd?: string }) =>
  (h.breakStart === undefined) === (h.breakEnd === undefined);
const breakRule = { error: "give breakStart and breakEnd both, or neither", path: ["breakEnd"] };
const hours = z.strictObject(hoursShape).refine(bothOrNeither, breakRule);
const dayHours = z
  .strictObject({ ...hoursShape, earlyClose: z.boolean().optional(), lateOpen: z.boolean().optional() })
  .refine(bothOrNeither, breakRule);
const earlyClose = z.union([clockTime, z.strictObject({ close: clockTime, post: clockTime.optional() })]);
const lateOpen = z.union([clockTime, z.strictObject({ open: clockTime, pre: clockTime.optional() })]);

/** The JSON calendar schema (zod). */
export const calendarJsonSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    timeZone: z
      .string()
      .refine(isTimeZone, { error: (issue) => `unknown IANA time zone ${JSON.stringify(issue.input)}` }),
    from: date.default("1990-01-01"),
    to: date.default("2050-12-31"),
    weekly: z.strictObject(Object.fromEntries(WEEKDAYS.map((d) => [d, hours.nullable().optional()]))),
    holidays: z.array(date).default([]),
    earlyCloses: z.record(z.string(), earlyClose).default({}),
    lateOpens: z.record(z.string(), lateOpen).default({}),
    days: z.record(z.string(), dayHours).default({}),
  })
  .superRefine((cal, ctx) => {
    if (isDate(cal.from) && isDate(cal.to) && cal.from > cal.to) {
      ctx.addIssue({ code: "custom", path: ["to"], message: `must not be before from (${cal.from})` });
    }
    if (!WEEKDAYS.some((d) => cal.weekly[d])) {
      ctx.addIssue({ code: "custom", path: ["weekly"], message: "at least one weekday needs hours" });
    }
    for (const key of ["earlyCloses", "lateOpens"] as const) {
      for (const d of Object.keys(cal[key])) {
        if (!isDate(d)) {
          ctx.addIssue({ code: "custom", path: [key, d], message: "key must be a real date YYYY-MM-DD" });
        } else if (!cal.weekly[WEEKDAYS[weekday(parseDate(d))]]) {
          ctx.addIssue({ code: "custom", path: [key, d], message: "no weekly hours on that weekday" });
        } else if (cal.holidays.includes(d)) {
          ctx.addIssue({ code: "custom", path: [key, d], message: "that date is also listed as a holiday" });
        }
      }
    }
    for (const d of Object.keys(cal.days)) {
      if (!isDate(d)) {
        ctx.addIssue({ code: "custom", path: ["days", d], message: "key must be a real date YYYY-MM-DD" });
      } else if (cal.holidays.includes(d) || d in cal.earlyCloses || d in cal.lateOpens) {
        ctx.addIssue({
          code: "custom",
          path: ["days", d],
          message: "that date is also a holiday, early close or late open",
        });
      }
    }
  });

/** A JSON calendar definition, as validated (defaults applied). */
export type CalendarJson = z.output<typeof calendarJsonSchema>;

/**
 * Builds a calendar from a parsed JSON definition. Invalid definitions throw an `InputError`
 * listing every problem as `key.path: message`, prefixed by `source` (e.g. the file name).
 */
export function calendarFromJson(obj: unknown, source = "calendar definition"): TableCalendar {
  const parsed = calendarJsonSchema.safeParse(obj);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`,
    );
    throw new InputError(`invalid calendar in ${source}:\n${lines.join("\n")}`);
  }
  try {
    return build(parsed.data);
  } catch (err) {
    if (err instanceof TickwrightError) throw new InputError(`invalid calendar in ${source}: ${err.message}`);
    throw err;
  }
}

/** Reads and builds a JSON calendar file; unreadable or invalid files throw an `InputError`. */
export function loadCalendarFile(path: string): TableCalendar {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new InputError(`cannot read calendar file ${path}: ${(err as Error).message}`);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new InputError(`calendar file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return calendarFromJson(obj, basename(path));
}

/** Latest instant with wall time `ms` at or before (strictly before with `strict`) instant `t`. */
function latestAtOrBefore(zone: ZoneOffsets, day: number, ms: number, t: number, strict: boolean): number {
  for (let d = day; ; d--) {
    const at = zone.toUtc(d, ms);
    if (strict ? at < t : at <= t) return at;
  }
}

/** Earliest instant with wall time `ms` at or after instant `t`, searching from `day`. */
function earliestAtOrAfter(zone: ZoneOffsets, day: number, ms: number, t: number): number {
  for (let d = day - 1; ; d++) {
    const at = zone.toUtc(d, ms);
    if (at >= t) return at;
  }
}

/** Hours of a day in ms after local midnight. */
interface Hours {
  open: number;
  close: number;
  pre?: number;
  post?: number;
  breakStart?: number;
  breakEnd?: number;
}

function parseHours(h: z.output<typeof hours>): Hours {
  const at = (t: string | undefined) => (t === undefined ? undefined : parseClockTime(t));
  return {
    open: parseClockTime(h.open),
    close: parseClockTime(h.close),
    pre: at(h.pre),
    post: at(h.post),
    breakStart: at(h.breakStart),
    breakEnd: at(h.breakEnd),
  };
}

function build(cal: CalendarJson): TableCalendar {
  const firstDay = parseDate(cal.from);
  const lastDay = parseDate(cal.to);
  const zone = ZoneOffsets.for(cal.timeZone, (firstDay - 3) * DAY_MS, (lastDay + 3) * DAY_MS);
  const holidays = new Set(cal.holidays.map((d) => parseDate(d)));
  const early = new Map(Object.entries(cal.earlyCloses).map(([d, v]) => [parseDate(d), v]));
  const late = new Map(Object.entries(cal.lateOpens).map(([d, v]) => [parseDate(d), v]));
  const days = new Map(Object.entries(cal.days).map(([d, v]) => [parseDate(d), v]));
  const weekly = WEEKDAYS.map((d) => {
    const h = cal.weekly[d];
    return h ? parseHours(h) : undefined;
  });
  const table = new SessionTableBuilder();
  for (let day = firstDay; day <= lastDay; day++) {
    const special = days.get(day);
    const regular = special ? parseHours(special) : weekly[weekday(day)];
    if (!regular || holidays.has(day)) continue;
    const regularClose = zone.toUtc(day, regular.close);
    const regularOpen = latestAtOrBefore(zone, day, regular.open, regularClose, true);
    let { pre: preMs, post: postMs } = regular;
    let open = regularOpen;
    let close = regularClose;
    let flags = special ? (special.earlyClose ? EARLY_CLOSE : 0) | (special.lateOpen ? LATE_OPEN : 0) : 0;
    const e = early.get(day);
    if (e !== undefined) {
      close = zone.toUtc(day, parseClockTime(typeof e === "string" ? e : e.close));
      if (typeof e !== "string" && e.post !== undefined) postMs = parseClockTime(e.post);
      if (!(close > regularOpen && close < regularClose)) {
        throw new InvalidArgumentError(
          `earlyCloses.${formatDay(day)}: must lie between the regular open and the regular close`,
        );
      }
      flags |= EARLY_CLOSE;
    }
    const l = late.get(day);
    if (l !== undefined) {
      open = latestAtOrBefore(zone, day, parseClockTime(typeof l === "string" ? l : l.open), close, true);
      if (typeof l !== "string" && l.pre !== undefined) preMs = parseClockTime(l.pre);
      if (!(open > regularOpen)) {
        throw new InvalidArgumentError(
          `lateOpens.${formatDay(day)}: must lie between the regular open and the close`,
        );
      }
      flags |= LATE_OPEN;
    }
    let breakStart = Number.NaN;
    let breakEnd = Number.NaN;
    if (regular.breakStart !== undefined && regular.breakEnd !== undefined) {
      breakEnd = latestAtOrBefore(zone, day, regular.breakEnd, regularClose, true);
      breakStart = latestAtOrBefore(zone, day, regular.breakStart, breakEnd, true);
      if ((e !== undefined || l !== undefined) && (close <= breakEnd || open >= breakStart)) {
        breakStart = Number.NaN;
        breakEnd = Number.NaN;
      }
    }
    const preOpen = preMs === undefined ? open : latestAtOrBefore(zone, day, preMs, open, false);
    const postClose = postMs === undefined ? close : earliestAtOrAfter(zone, day, postMs, close);
    table.push(day, preOpen, open, close, postClose, flags, breakStart, breakEnd);
  }
  return new TableCalendar(cal.name, cal.timeZone, table.build(cal.name), firstDay, lastDay);
}
