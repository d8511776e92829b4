import type { Command } from "commander";
import { InvalidArgumentError } from "../model/errors.js";
import { list, out, plural } from "./io.js";
import { type ConfigOptions, commandConfig, configOption, dbOption } from "./options.js";

/** Options of `tickwright generate`, as commander hands them over. */
interface GenerateCliOptions extends ConfigOptions {
  symbols: string;
  days: string;
  db?: string;
  seed: string;
  missingRate: string;
  extended?: boolean;
  start?: string;
  calendar?: string;
}

/** Rows per write transaction when storing generated bars. */
const WRITE_ROWS = 262_144;

/**
 * `tickwright generate --symbols N --days D --db FILE [--calendar NAME]`: synthetic one-minute
 * bars on a calendar's sessions (XNYS by default; breaks left empty; see generateBars),
 * written to the store (created when missing). Deterministic for a seed. db, extended and
 * calendar also come from --config and TICKWRIGHT_*.
 */
export function register(program: Command): void {
  const command = program
    .command("generate")
    .description("write realistic synthetic 1m bars (seeded random walks on a calendar's sessions)")
    .option(
      "--symbols <n|list>",
      "how many symbols (SYM001, ...), or a comma-separated list of names (a numeric ticker alone takes a comma: 7203,)",
      "5",
    )
    .option("--days <n>", "sessions to generate", "5");
  dbOption(command)
    .option("--seed <n>", "random seed", "1")
    .option("--missing-rate <r>", "probability that a minute bar is missing, in [0, 1)", "0")
    .option("--extended", "also pre-market and after-hours minutes")
    .option("--start <date>", "first session on or after this date (YYYY-MM-DD)", "2024-01-02")
    .option("--calendar <name>", "the market whose sessions to fill (XNYS, XTKS, CMES, ...); default: XNYS");
  configOption(command).action(async (opts: GenerateCliOptions) => generateCommand(opts));
}

function wholeNumber(text: string, what: string, min: number): number {
  const n = Number(text);
  if (!(Number.isInteger(n) && n >= min)) throw badNumber(text, what, `a whole number >= ${min}`);
  return n;
}

function badNumber(text: string, what: string, expected: string): Error {
  return new InvalidArgumentError(`bad ${what} "${text}": expected ${expected}`);
}

/** Runs `tickwright generate`. */
export async function generateCommand(opts: GenerateCliOptions): Promise<void> {
  // A number alone is a count; anything with a comma is a list, so `7203,` names ticker 7203.
  const symbols = /^\d+$/.test(opts.symbols.trim())
    ? wholeNumber(opts.symbols, "--symbols", 1)
    : list(opts.symbols);
  const days = wholeNumber(opts.days, "--days", 1);
  const seed = wholeNumber(opts.seed, "--seed", 0);
  const missingRate = Number(opts.missingRate);
  if (!(missingRate >= 0 && missingRate < 1))
    throw badNumber(opts.missingRate, "--missing-rate", "a number in [0, 1)");
  const config = await commandConfig(opts.config, {
    db: opts.db,
    extended: opts.extended,
    calendar: opts.calendar,
  });
  const { getCalendar } = await import("../calendar/registry.js");
  const calendar = getCalendar(config.calendar);
  const { generateBars } = await import("../ingest/generate.js");
  const { concatBarColumns, openRepository } = await import("../store/index.js");
  const started = process.hrtime.bigint();
  const sessions = generateBars({
    symbols,
    days,
    seed,
    missingRate,
    extended: config.extended,
    start: opts.start,
    calendar,
  });
  const repo = await openRepository(config.db);
  let rows = 0;
  try {
    let pending: (typeof sessions)[number]["bars"][] = [];
    let pendingRows = 0;
    const flush = async () => {
      if (pendingRows === 0) return;
      rows += await repo.writeBars("1m", pending.length === 1 ? pending[0] : concatBarColumns(pending));
      pending = [];
      pendingRows = 0;
    };
    for (const s of sessions) {
      pending.push(s.bars);
      pendingRows += s.bars.length;
      if (pendingRows >= WRITE_ROWS) await flush();
    }
    await flush();
  } finally {
    await repo.close();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const names = typeof symbols === "number" ? plural(symbols, "symbol") : symbols.join(", ");
  out(
    `generated ${plural(rows, "one-minute bar")} of ${names} over ${plural(sessions.length, "session")} ` +
      `(${calendar.name} ${sessions[0].session.date} to ${sessions[sessions.length - 1].session.date}, seed ${seed}) into ${config.db} in ${seconds.toFixed(2)} s`,
  );
}
