import { existsSync } from "node:fs";
import type { Command } from "commander";
import { isoUtc } from "../model/time.js";
import { DEFAULT_DB } from "./ingest.js";
import { note, out } from "./io.js";

/** Options of `tickwright bars`, as commander hands them over. */
interface BarsOptions {
  interval: string;
  from?: string;
  to?: string;
  db: string;
  format: string;
  extended?: boolean;
  calendar: string;
  adjust: string;
  asOf?: string;
}

const FORMATS = ["csv", "json", "table"];

/** Bars as printed: one row per bar, `time` its start. */
export interface PrintedBars {
  length: number;
  time: ArrayLike<number>;
  open: ArrayLike<number>;
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  close: ArrayLike<number>;
  volume: ArrayLike<number>;
}

/**
 * `tickwright bars SYMBOL --interval 1m --from DATE --to DATE`: a symbol's bars over the
 * sessions dated --from..--to (inclusive) of the calendar, regular hours only unless
 * `--extended`. Stored intervals are read as stored; others are derived from stored 1m bars.
 * `--adjust split|adjusted` adjusts for the stored splits (and dividends), as of `--as-of`
 * when given; under a current ticker, the bars of earlier tickers are included.
 * Output: CSV (`time,open,high,low,close,volume`, time ISO-8601 UTC), JSON or a table.
 */
export function register(program: Command): void {
  program
    .command("bars")
    .description("print a symbol's bars over a range of session dates")
    .argument("<symbol>", "symbol, e.g. SPY")
    .option("--interval <interval>", "1m, 5m, 15m, 60m, 1d, ...", "1m")
    .option("--from <date>", "first session date (YYYY-MM-DD)")
    .option("--to <date>", "last session date (YYYY-MM-DD); default: --from")
    .option("--db <file>", "DuckDB file, :memory: or postgres:// URL", DEFAULT_DB)
    .option("--format <csv|json|table>", "output format", "csv")
    .option("--extended", "include pre-market and after-hours bars")
    .option("--calendar <name>", "the symbol's exchange calendar", "XNYS")
    .option("--adjust <mode>", "raw, split (split-adjusted) or adjusted (splits and dividends)", "raw")
    .option("--as-of <date>", "adjust for the actions known on this date (default: every stored action)")
    .action(async (symbol: string, opts: BarsOptions) => barsCommand(symbol, opts));
}

/** Runs `tickwright bars`. Bad options throw InvalidArgumentError (exit 2). */
export async function barsCommand(symbol: string, opts: BarsOptions): Promise<void> {
  const { InvalidArgumentError, InputError } = await import("../model/errors.js");
  const { parseInterval } = await import("../model/interval.js");
  const { parseDate } = await import("../model/time.js");
  if (!FORMATS.includes(opts.format)) {
    throw new InvalidArgumentError(`bad --format "${opts.format}": expected one of ${FORMATS.join(", ")}`);
  }
  const interval = parseInterval(opts.interval);
  const { parseAdjustMode } = await import("../actions/index.js");
  const mode = parseAdjustMode(opts.adjust);
  if (opts.asOf !== undefined) {
    parseDate(opts.asOf, "--as-of");
    if (mode === "raw") throw new InvalidArgumentError("--as-of needs --adjust split or adjusted");
  }
  if (opts.from === undefined) throw new InvalidArgumentError("--from DATE is required (YYYY-MM-DD)");
  const from = opts.from;
  const to = opts.to ?? from;
  if (parseDate(from, "--from") > parseDate(to, "--to")) {
    throw new InvalidArgumentError(`--from ${from} is after --to ${to}`);
  }
  const { getCalendar } = await import("../calendar/registry.js");
  const calendar = getCalendar(opts.calendar);
  const extended = opts.extended === true;
  const sessions = calendar.sessions(from, to);
  const range = `${symbol} ${interval.name} bars in ${from}..${to}`;
  if (sessions.length === 0) {
    note(`no ${calendar.name} sessions in ${from}..${to}: no bars`);
    print(opts.format, { length: 0, time: [], open: [], high: [], low: [], close: [], volume: [] });
    return;
  }
  const isFile = opts.db !== ":memory:" && !/^postgres(ql)?:\/\//i.test(opts.db);
  if (isFile && !existsSync(opts.db)) {
    throw new InputError(`no database at ${opts.db} (ingest or generate data first, or pass --db)`);
  }
  const { openRepository } = await import("../store/index.js");
  const { readStoredBars } = await import("../aggregate/index.js");
  const repo = await openRepository(opts.db);
  let bars: PrintedBars;
  try {
    const adjustment = { mode, asOf: opts.asOf };
    bars = (await readStoredBars(repo, calendar, symbol, interval, from, to, extended, adjustment)).bars;
  } finally {
    await repo.close();
  }
  if (bars.length === 0) note(`no ${range}${extended ? "" : " (regular hours)"} in ${opts.db}`);
  print(opts.format, bars);
}

const COLUMNS = ["time", "open", "high", "low", "close", "volume"] as const;

function rowOf(bars: PrintedBars, i: number): string[] {
  return [
    isoUtc(bars.time[i]),
    String(bars.open[i]),
    String(bars.high[i]),
    String(bars.low[i]),
    String(bars.close[i]),
    String(bars.volume[i]),
  ];
}

function print(format: string, bars: PrintedBars): void {
  if (format === "json") {
    const rows = [];
    for (let i = 0; i < bars.length; i++) {
      rows.push({
        time: isoUtc(bars.time[i]),
        open: bars.open[i],
        high: bars.high[i],
        low: bars.low[i],
        close: bars.close[i],
        volume: bars.volume[i],
      });
    }
    out(JSON.stringify(rows, null, 2));
    return;
  }
  const lines: string[][] = [];
  for (let i = 0; i < bars.length; i++) lines.push(rowOf(bars, i));
  if (format === "csv") {
    const text = [COLUMNS.join(","), ...lines.map((r) => r.join(","))].join("\n");
    out(text);
    return;
  }
  const widths = COLUMNS.map((c, j) => Math.max(c.length, ...lines.map((r) => r[j].length)));
  const fmtRow = (r: readonly string[]) =>
    r.map((v, j) => (j === 0 ? v.padEnd(widths[j]) : v.padStart(widths[j]))).join("  ");
  out(fmtRow(COLUMNS));
  for (const r of lines) out(fmtRow(r));
}
