import type { Command } from "commander";
import type { CorporateAction } from "../store/types.js";
import { note, out } from "./io.js";
import {
  type ConfigOptions,
  checkedFormat,
  commandConfig,
  configOption,
  dbOption,
  openExistingStore,
} from "./options.js";

/** Options of `tickwright actions`, as commander hands them over. */
interface ActionsOptions extends ConfigOptions {
  from?: string;
  to?: string;
  db?: string;
  format: string;
}

const FORMATS = ["csv", "json", "table"];
const COLUMNS = ["date", "kind", "value", "factor", "price_factor", "split_factor"] as const;

/** One listed action: what it was and the cumulative factors of prices dated before it. */
type ActionRow = Record<(typeof COLUMNS)[number], string | number>;

/**
 * `tickwright actions SYMBOL [--from D --to D]`: a security's splits, dividends and renames
 * (those that led to its current ticker), by ex-date: the split ratio, the dividend's cash or
 * the rename; the action's factor; and the cumulative price factor (splits and dividends)
 * and split factor of prices dated before the ex-date, as of every stored action.
 */
export function register(program: Command): void {
  const command = program
    .command("actions")
    .description("list a symbol's splits, dividends and renames with their factors")
    .argument("<symbol>", "symbol under its current ticker, e.g. AAPL")
    .option("--from <date>", "first ex-date (YYYY-MM-DD)")
    .option("--to <date>", "last ex-date (YYYY-MM-DD)");
  dbOption(command).option("--format <csv|json|table>", "output format", "csv");
  configOption(command).action(async (symbol: string, opts: ActionsOptions) =>
    actionsCommand(symbol.toUpperCase(), opts),
  );
}

/** Significant digits factors are printed with (LEAN's files carry seven). */
const FACTOR_DIGITS = 10;

const round = (x: number, digits: number) => Number(x.toPrecision(digits));

/** Runs `tickwright actions`. Bad options throw InvalidArgumentError (exit 2). */
export async function actionsCommand(symbol: string, opts: ActionsOptions): Promise<void> {
  const { InvalidArgumentError } = await import("../model/errors.js");
  const { parseDate } = await import("../model/time.js");
  checkedFormat(opts.format, FORMATS);
  if (opts.from !== undefined) parseDate(opts.from, "--from");
  if (opts.to !== undefined) parseDate(opts.to, "--to");
  if (opts.from !== undefined && opts.to !== undefined && opts.from > opts.to) {
    throw new InvalidArgumentError(`--from ${opts.from} is after --to ${opts.to}`);
  }
  const { db } = await commandConfig(opts.config, { db: opts.db });
  const { FactorTimeline, securityHistory } = await import("../actions/index.js");
  const { formatDay } = await import("../model/time.js");
  const repo = await openExistingStore(db);
  let history: Awaited<ReturnType<typeof securityHistory>>;
  try {
    history = await securityHistory(repo, symbol);
  } finally {
    await repo.close();
  }
  // Time zone UTC: the timeline is only asked by date here.
  const timeline = FactorTimeline.of(history.actions, { mode: "adjusted" }, "UTC");
  const listed = [...history.actions, ...history.renames]
    .filter(
      (a) => (opts.from === undefined || a.date >= opts.from) && (opts.to === undefined || a.date <= opts.to),
    )
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.kind < b.kind ? -1 : 1));
  const rows = listed.map((a): ActionRow => {
    const before = formatDay(parseDate(a.date) - 1);
    return {
      date: a.date,
      kind: a.kind,
      value: shownValue(a),
      factor: round(a.factor, FACTOR_DIGITS),
      price_factor: round(timeline.priceFactorOn(before), FACTOR_DIGITS),
      split_factor: round(timeline.splitFactorOn(before), FACTOR_DIGITS),
    };
  });
  if (rows.length === 0) note(`no corporate actions of ${symbol} in ${db}`);
  print(opts.format, rows);
}

/** A split's ratio or a dividend's cash, to 1/10000 (LEAN's factors carry about seven digits); a rename's `OLD->NEW`. */
function shownValue(a: CorporateAction): string | number {
  if (a.kind === "rename") return `${a.previous}->${a.symbol}`;
  return Number.isNaN(a.value) ? "" : Number(a.value.toFixed(4));
}

function print(format: string, rows: readonly ActionRow[]): void {
  if (format === "json") {
    out(JSON.stringify(rows, null, 2));
    return;
  }
  const lines = rows.map((r) => COLUMNS.map((c) => String(r[c])));
  if (format === "csv") {
    out([COLUMNS.join(","), ...lines.map((l) => l.join(","))].join("\n"));
    return;
  }
  const widths = COLUMNS.map((c, j) => Math.max(c.length, ...lines.map((l) => l[j].length)));
  for (const l of [[...COLUMNS], ...lines])
    out(l.map((v, j) => (j < 2 ? v.padEnd(widths[j]) : v.padStart(widths[j]))).join("  "));
}
