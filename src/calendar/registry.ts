import { resolve } from "node:path";
import { InvalidArgumentError } from "../model/errors.js";
import { buildAlwaysOpen, buildFx } from "./continuous.js";
import { loadCalendarFile } from "./json.js";
import type { TableCalendar } from "./table.js";
import { buildXnys } from "./xnys.js";

interface BuiltIn {
  name: string;
  aliases: string[];
  build: () => TableCalendar;
}

const BUILT_INS: BuiltIn[] = [
  { name: "XNYS", aliases: ["NYSE", "XNAS", "NASDAQ"], build: () => buildXnys() },
  { name: "24/7", aliases: ["ALWAYS"], build: buildAlwaysOpen },
  { name: "24/5", aliases: ["FX"], build: buildFx },
];

const built = new Map<string, TableCalendar>();

/** The names `getCalendar` knows, each with its aliases, e.g. `XNYS (NYSE, XNAS, NASDAQ)`. */
export function calendarNames(): string[] {
  return BUILT_INS.map((b) => `${b.name} (${b.aliases.join(", ")})`);
}

/**
 * A calendar by name, case-insensitive: `XNYS` (aliases `NYSE`, `XNAS`, `NASDAQ`), `24/7`
 * (`ALWAYS`), `24/5` (`FX`), or the path of a `.json` calendar file. Tables are built once
 * and cached, so every call with the same name returns the same object. Unknown names throw
 * an `InvalidArgumentError` listing the known ones.
 */
export function getCalendar(name: string): TableCalendar {
  const key = name.trim().toUpperCase();
  const builtIn = BUILT_INS.find((b) => b.name === key || b.aliases.includes(key));
  if (builtIn) {
    let cal = built.get(builtIn.name);
    if (!cal) {
      cal = builtIn.build();
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
