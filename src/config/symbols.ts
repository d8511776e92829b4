import { InvalidArgumentError } from "../model/errors.js";
import type { Config } from "./schema.js";

/** A `symbols` entry: a symbol, or a symbol with the calendar of its market. */
export type SymbolEntry = Config["symbols"][number];

/** The configured symbols' names, in order. */
export function symbolNames(config: Pick<Config, "symbols">): string[] {
  return config.symbols.map((e) => (typeof e === "string" ? e : e.symbol));
}

/**
 * The calendar of every symbol that names one: the `calendars` map, then `{ symbol, calendar }`
 * entries (which win). Symbols absent from it are on `config.calendar`.
 */
export function symbolCalendars(config: Pick<Config, "symbols" | "calendars">): Map<string, string> {
  const out = new Map(Object.entries(config.calendars));
  for (const e of config.symbols) if (typeof e !== "string") out.set(e.symbol, e.calendar);
  return out;
}

/**
 * Parses a command-line symbol: `SPY`, or `7203@XTKS` (the symbol on that calendar, a built-in
 * name or a JSON file); InvalidArgumentError for an empty symbol or calendar.
 */
export function parseSymbolEntry(text: string): SymbolEntry {
  const at = text.lastIndexOf("@");
  if (at < 0) return text;
  const symbol = text.slice(0, at).trim();
  const calendar = text.slice(at + 1).trim();
  if (!symbol || !calendar) {
    throw new InvalidArgumentError(
      `bad symbol "${text}": expected SYMBOL or SYMBOL@CALENDAR, e.g. 7203@XTKS`,
    );
  }
  return { symbol, calendar };
}
