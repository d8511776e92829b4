import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import type { Calendar } from "../calendar/types.js";
import { parseSymbolEntry } from "../config/index.js";
import type { Config } from "../config/schema.js";
import { InputError, InvalidArgumentError } from "../model/errors.js";
import { parseDate } from "../model/time.js";
import type { Repository } from "../store/types.js";
import { list } from "./io.js";

/** Options every command reading the configuration takes. */
export interface ConfigOptions {
  config?: string;
}

/** `--config FILE`, with the precedence every command shares. */
export function configOption(command: Command): Command {
  return command.option(
    "--config <file>",
    "configuration file (JSON or YAML); TICKWRIGHT_* variables override it, flags override both",
  );
}

/** `--db FILE|URL`, defaulted the same way by every command that takes it. */
export function dbOption(command: Command): Command {
  return command.option(
    "--db <file|url>",
    "DuckDB file or postgres:// URL (default: TICKWRIGHT_DB, else db of --config, else ./data/tickwright.duckdb)",
  );
}

/**
 * The configuration a command runs with: the defaults, then the --config file, then the
 * TICKWRIGHT_* environment, then the command's own flags (undefined flags are not given).
 * Throws ConfigError (exit 2) naming every bad key.
 */
export async function commandConfig(
  file: string | undefined,
  flags: Record<string, unknown>,
): Promise<Config> {
  const { loadConfig } = await import("../config/load.js");
  return loadConfig({ file, flags });
}

/**
 * Opens an existing store for reading. A DuckDB file that does not exist is an InputError
 * (exit 2) naming its full path; nothing is created. PostgreSQL URLs open as they are.
 */
export async function openExistingStore(db: string): Promise<Repository> {
  const { openRepository } = await import("../store/index.js");
  return openRepository(db, { create: false });
}

/**
 * A file a command is to write, checked before any work: its folder must exist and be
 * writable, and the path must not be a folder. Otherwise an InputError (exit 2), one line.
 */
export function checkedOutPath(path: string, what: string): string {
  const full = resolve(path);
  if (existsSync(full) && statSync(full).isDirectory()) {
    throw new InputError(`cannot write ${what} ${path}: it is a folder`);
  }
  const folder = dirname(full);
  if (!existsSync(folder)) throw new InputError(`cannot write ${what} ${path}: no folder ${folder}`);
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    throw new InputError(`cannot write ${what} ${path}: the folder ${folder} is not writable`);
  }
  return path;
}

/** A checked date option; `what` names where it came from in an error. */
export function checkedDate(text: string, what: string): string {
  parseDate(text, what);
  return text;
}

/** A session range, checked: both dates valid and `from` not after `to`. */
export function checkedRange(from: string, to: string): { from: string; to: string } {
  if (checkedDate(from, "--from") > checkedDate(to, "--to")) {
    throw new InvalidArgumentError(`--from ${from} is after --to ${to}`);
  }
  return { from, to };
}

/** `--speed`: `max` or a positive multiple of real time. */
export function parseSpeed(text: string): number | "max" {
  if (text === "max") return "max";
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n))
    throw new InvalidArgumentError(`bad --speed "${text}": max or a positive number`);
  return n;
}

/** `--format`, checked against the formats a command prints. */
export function checkedFormat(format: string, formats: readonly string[]): string {
  if (!formats.includes(format)) {
    throw new InvalidArgumentError(`bad --format "${format}": expected one of ${formats.join(", ")}`);
  }
  return format;
}

/** Options of a command reading one symbol's stored bars over a range of session dates. */
export interface SymbolRangeOptions extends ConfigOptions {
  from?: string;
  to?: string;
  db?: string;
  extended?: boolean;
  calendar?: string;
}

/**
 * The configuration, checked range and calendar of a symbol-range command (`bars`, `gaps`):
 * `--to` defaults to `--from`; without flags both come from the configuration (`to` then
 * defaulting to `from`).
 */
export async function symbolRange(
  opts: SymbolRangeOptions,
): Promise<{ config: Config; from: string; to: string; calendar: Calendar }> {
  const config = await commandConfig(opts.config, {
    db: opts.db,
    calendar: opts.calendar,
    extended: opts.extended,
    from: opts.from,
    to: opts.to ?? opts.from,
  });
  if (config.from === undefined) throw new InvalidArgumentError("--from DATE is required (YYYY-MM-DD)");
  const { from, to } = checkedRange(config.from, config.to ?? config.from);
  const { getCalendar } = await import("../calendar/registry.js");
  return { config, from, to, calendar: getCalendar(config.calendar) };
}

/** The options of a replay, shared by `replay` and `serve`. */
export interface ReplayFlagOptions extends ConfigOptions {
  db?: string;
  symbols?: string;
  all?: boolean;
  from?: string;
  to?: string;
  derived?: string;
  extended?: boolean;
  speed?: string;
  paceClosed?: boolean;
  calendar?: string;
  /** A second store (DuckDB file or postgres:// URL), `alpaca` or `none` to fill gaps from. */
  fillFrom?: string;
}

/**
 * The replay flags shaped as configuration. `--symbols` overrides `allSymbols` of the file or
 * environment, and `--all` overrides their `symbols`.
 */
export function replayFlags(opts: ReplayFlagOptions): Record<string, unknown> {
  const flags: Record<string, unknown> = {
    db: opts.db,
    calendar: opts.calendar,
    extended: opts.extended,
    paceClosed: opts.paceClosed,
  };
  // `SPY,7203@XTKS`: a symbol may name its market's calendar.
  const symbols = list(opts.symbols).map(parseSymbolEntry);
  if (symbols.length > 0) {
    flags.symbols = symbols;
    flags.allSymbols = false;
  }
  if (opts.all) {
    flags.allSymbols = true;
    flags.symbols = [];
  }
  if (opts.from !== undefined) flags.from = checkedDate(opts.from, "--from");
  if (opts.to !== undefined) flags.to = checkedDate(opts.to, "--to");
  if (opts.derived !== undefined) flags.derived = { intervals: list(opts.derived) };
  if (opts.speed !== undefined) flags.speed = parseSpeed(opts.speed);
  if (opts.fillFrom !== undefined) flags.upkeep = { source: opts.fillFrom };
  return flags;
}
