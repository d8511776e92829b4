import type { Command } from "commander";
import { calendarNames } from "../calendar/names.js";
import type { TableCalendar } from "../calendar/table.js";
import type { Session } from "../calendar/types.js";
import { InvalidArgumentError } from "../model/errors.js";
import { DAY_MS, isoUtc, parseDate, parseInstant, zoneOffsetMs } from "../model/time.js";
import { out, plural } from "./io.js";
import { type ConfigOptions, checkedFormat, checkedOutPath, commandConfig, configOption } from "./options.js";

/** Options of `tickwright calendar`, as commander hands them over. */
interface CalendarOptions extends ConfigOptions {
  from?: string;
  to?: string;
  at?: string;
  export?: string;
  format: string;
}

const FORMATS = ["csv", "json", "table"];

/**
 * `tickwright calendar NAME --from DATE --to DATE`: one row per session (date, regular and
 * extended bounds in ISO-8601 UTC, regular minute count, early close, break start and end);
 * `tickwright calendar NAME --at INSTANT`: the market state then and the next boundary;
 * `tickwright calendar NAME --export FILE.json`: the calendar as a JSON calendar file.
 * Without NAME, the calendar of --config or TICKWRIGHT_CALENDAR (default XNYS).
 */
export function register(program: Command): void {
  const command = program
    .command("calendar")
    .description("list a calendar's sessions, or tell the market state at an instant")
    .argument(
      "[name]",
      `${calendarNames().join(", ")}, or a .json calendar file; default: calendar of the configuration`,
    )
    .option("--from <date>", "first session date (YYYY-MM-DD)")
    .option("--to <date>", "last session date (YYYY-MM-DD); default: --from")
    .option("--at <instant>", "ISO-8601 instant (e.g. 2024-11-29T15:00:00Z) or epoch ms")
    .option("--format <csv|json|table>", "output format", "table")
    .option(
      "--export <file.json>",
      "write the calendar (or its --from/--to span) as a JSON calendar file, to adjust and load back",
    );
  configOption(command).action(async (name: string | undefined, opts: CalendarOptions) =>
    calendarCommand(name, opts),
  );
}

/**
 * Runs `tickwright calendar`; bad input throws an `InvalidArgumentError` (exit 2). The calendar
 * modules (and zod) load here, not at startup, so `tickwright --help` stays fast.
 */
export async function calendarCommand(name: string | undefined, opts: CalendarOptions): Promise<void> {
  checkedFormat(opts.format, FORMATS);
  if (
    opts.at !== undefined &&
    (opts.from !== undefined || opts.to !== undefined || opts.export !== undefined)
  ) {
    throw new InvalidArgumentError("give either --at, or --from and --to (or --export), not both");
  }
  // The calendar first: an unknown name is told (with the known ones) before any other advice.
  const { getCalendar } = await import("../calendar/registry.js");
  const calendar = getCalendar(name ?? (await commandConfig(opts.config, {})).calendar);
  if (opts.export !== undefined) {
    await exportCalendar(calendar, checkedOutPath(opts.export, "--export"), opts.from, opts.to);
    return;
  }
  if (opts.at === undefined && opts.from === undefined) {
    throw new InvalidArgumentError(
      "give --from DATE [--to DATE] to list sessions, or --at INSTANT for the state",
    );
  }
  if (opts.at !== undefined) {
    const { nextBoundary } = await import("../calendar/boundaries.js");
    printState(calendar, parseInstant(opts.at, "--at"), opts.format, nextBoundary);
    return;
  }
  const from = opts.from as string;
  const to = opts.to ?? from;
  if (parseDate(from, "--from") > parseDate(to, "--to")) {
    throw new InvalidArgumentError(`--from ${from} is after --to ${to}`);
  }
  printSessions(calendar, calendar.sessions(from, to), opts.format);
}

/** Writes the calendar (or its [from, to] span) to `file` as a JSON calendar. */
async function exportCalendar(
  calendar: TableCalendar,
  file: string,
  from?: string,
  to?: string,
): Promise<void> {
  const { calendarToJson } = await import("../calendar/export.js");
  const { writeFileSync } = await import("node:fs");
  const json = calendarToJson(calendar, from, to ?? (from === undefined ? undefined : calendar.lastDate));
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  const days = Object.keys(json.days).length;
  out(
    `wrote ${calendar.name} ${json.from} to ${json.to} to ${file}: ${json.holidays.length} holidays, ${days} days of other hours`,
  );
}

function printSessions(calendar: TableCalendar, sessions: Session[], format: string): void {
  const rows = sessions.map((s) => ({
    date: s.date,
    open: isoUtc(s.open),
    close: isoUtc(s.close),
    preOpen: isoUtc(s.preOpen),
    postClose: isoUtc(s.postClose),
    minutes: calendar.minuteCount(s),
    earlyClose: s.earlyClose,
    lateOpen: s.lateOpen,
    breakStart: s.breakStart === undefined ? null : isoUtc(s.breakStart),
    breakEnd: s.breakEnd === undefined ? null : isoUtc(s.breakEnd),
  }));
  if (format === "json") {
    out(JSON.stringify(rows, null, 2));
  } else if (format === "csv") {
    out("date,open,close,pre_open,post_close,minutes,early_close,break_start,break_end");
    for (const r of rows) {
      const breakCells = [r.breakStart ?? "", r.breakEnd ?? ""];
      out(
        [r.date, r.open, r.close, r.preOpen, r.postClose, r.minutes, r.earlyClose, ...breakCells].join(","),
      );
    }
  } else {
    const tz = calendar.timeZone;
    const table = [
      ["date", `local (${tz})`, "open (UTC)", "close (UTC)", "minutes", "note"],
      ...sessions.map((s) => [
        s.date,
        `${localTime(tz, s.preOpen)} ${localHours(tz, s)} ${localTime(tz, s.postClose)}`,
        isoUtc(s.open),
        isoUtc(s.close),
        String(calendar.minuteCount(s)),
        [s.earlyClose ? "early close" : "", s.lateOpen ? "late open" : ""].filter(Boolean).join(", "),
      ]),
    ];
    const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
    for (const row of table)
      out(
        row
          .map((cell, c) => cell.padEnd(widths[c]))
          .join("  ")
          .trimEnd(),
      );
    out(plural(sessions.length, "session"));
  }
}

function printState(
  calendar: TableCalendar,
  t: number,
  format: string,
  nextBoundary: typeof import("../calendar/boundaries.js").nextBoundary,
): void {
  const state = calendar.state(t);
  const session = calendar.sessionAt(t, true);
  const next = nextBoundary(calendar, t);
  const result = {
    calendar: calendar.name,
    at: isoUtc(t),
    state,
    session: session?.date ?? null,
    next: next ? { type: next.type, at: isoUtc(next.at), session: next.session.date } : null,
  };
  if (format === "json") {
    out(JSON.stringify(result, null, 2));
  } else if (format === "csv") {
    out("at,state,session,next,next_at,next_session");
    out(
      [
        result.at,
        state,
        result.session ?? "",
        next?.type ?? "",
        result.next?.at ?? "",
        result.next?.session ?? "",
      ].join(","),
    );
  } else {
    out(`${calendar.name} at ${result.at}: ${state}${session ? ` (session ${session.date})` : ""}`);
    out(
      next
        ? `next: ${next.type} of ${next.session.date} at ${result.next?.at}`
        : "next: none within the calendar",
    );
  }
}

/** `HH:MM-HH:MM` of a session's regular hours in a zone, or its two parts around a break. */
function localHours(timeZone: string, s: Session): string {
  const part = (from: number, to: number) => `${localTime(timeZone, from)}-${localTime(timeZone, to)}`;
  if (s.breakStart === undefined || s.breakEnd === undefined) return part(s.open, s.close);
  return `${part(s.open, s.breakStart)} ${part(s.breakEnd, s.close)}`;
}

/** `HH:MM` wall time of instant t in a zone. */
function localTime(timeZone: string, t: number): string {
  const local = t + zoneOffsetMs(timeZone, t);
  const minutes = Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / 60_000);
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}
