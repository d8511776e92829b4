import { resolve } from "node:path";
import { InvalidArgumentError } from "../model/errors.js";
import { buildCmes } from "./cmes.js";
import { buildAlwaysOpen, buildFx, buildUtcWeekdays } from "./continuous.js";
import { loadCalendarFile } from "./json.js";
import { BUILT_IN_CALENDARS, calendarNames } from "./names.js";
import type { TableCalendar } from "./table.js";
import { buildXams } from "./xams.js";
import { buildXasx } from "./xasx.js";
import { buildXetr } from "./xetr.js";
import { buildXhkg } from "./xhkg.js";
import { buildXkrx } from "./xkrx.js";
import { buildXlon } from "./xlon.js";
import { buildXnys } from "./xnys.js";
import { buildXpar } from "./xpar.js";
import { buildXswx } from "./xswx.js";
import { buildXtks } from "./xtks.js";
import { buildXtse } from "./xtse.js";

/** How each built-in calendar (names.ts) is built. */
const BUILDERS: Record<string, () => TableCalendar> = {
  XNYS: () => buildXnys(),
  "24/7": buildAlwaysOpen,
  "24/5": buildFx,
  "24/5-UTC": buildUtcWeekdays,
  XTKS: buildXtks,
  XHKG: buildXhkg,
  CMES: buildCmes,
  XLON: buildXlon,
  XETR: buildXetr,
  XPAR: buildXpar,
  XAMS: buildXams,
  XSWX: buildXswx,
  XASX: buildXasx,
  XTSE: buildXtse,
  XKRX: buildXkrx,
};

const built = new Map<string, TableCalendar>();

/**
 * Builds a built-in calendar afresh from its rules, by canonical name (names.ts), bypassing
 * the cache of `getCalendar`: for benchmarks and tests of the builders.
 */
export function buildCalendar(name: string): TableCalendar {
  const build = BUILDERS[name];
  if (!build)
    throw new InvalidArgumentError(`no built-in calendar "${name}": known are ${calendarNames().join(", ")}`);
  return build();
}

/**
 * A calendar by name, case-insensitive: a built-in one by its name or an alias (names.ts:
 * `XNYS`, `XLON`, `XTKS`, `CMES`, `24/7`, ...), or the path of a `.json` calendar file.
 * Tables are built once and cached, so every call with the same name returns the same
 * object. Unknown names throw an `InvalidArgumentError` listing the known ones.
 */
export function getCalendar(name: string): TableCalendar {
  const key = name.trim().toUpperCase();
  const builtIn = BUILT_IN_CALENDARS.find((b) => b.name === key || b.aliases.includes(key));
  if (builtIn) {
    let cal = built.get(builtIn.name);
    if (!cal) {
      cal = BUILDERS[builtIn.name]();
      built.set(builtIn.name, cal);
    }
    return cal;
  }
  if (key.endsWith(".JSON")) {
    const path = resolve(name.trim());
    let cal = built.get(`file:${path}`);
    if (!cal) {
      cal = loadCalendarFile(path);
      built.set(`file:${path}`, cal);
    }
    return cal;
  }
  throw new InvalidArgumentError(
    `unknown calendar "${name}": known calendars are ${calendarNames().join(", ")}, or the path of a .json calendar file`,
  );
}
