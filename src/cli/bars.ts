import type { Command } from "commander";
import { isoUtc } from "../model/time.js";
import { note, out } from "./io.js";
import {
  checkedDate,
  checkedFormat,
  configOption,
  dbOption,
  openExistingStore,
  type SymbolRangeOptions,
  symbolRange,
} from "./options.js";

/** Options of `tickwright bars`, as commander hands them over. */
interface BarsOptions extends SymbolRangeOptions {
  interval: string;
  format: string;
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
 * Output: CSV (`time,open,high,low,close,volume`, time ISO-8601 UTC), JSON or a table (prices
 * with the same decimals in every row). db, calendar, extended, from and to also come from
 * --config and TICKWRIGHT_*.
 */
export function register(program: Command): void {
  const command = program
    .command("bars")
    .description("print a symbol's bars over a range of session dates")
    .argument("<symbol>", "symbol, e.g. SPY")
    .option("--interval <interval>", "1m, 5m, 15m, 60m, 1d, ...", "1m")
    .option("--from <date>", "first session date (YYYY-MM-DD)")
    .option("--to <date>", "last session date (YYYY-MM-DD); default: --from");
  dbOption(command)
    .option("--format <csv|json|table>", "output format", "csv")
    .option("--extended", "include pre-market and after-hours bars")
    .option("--calendar <name>", "the symbol's exchange calendar (default XNYS)")
    .option("--adjust <mode>", "raw, split (split-adjusted) or adjusted (splits and dividends)", "raw")
    .option("--as-of <date>", "adjust for the actions known on this date (default: every stored action)");
  configOption(command).action(async (symbol: string, opts: BarsOptions) =>
    barsCommand(symbol.toUpperCase(), opts),
  );
}

/** Runs `tickwright bars`. Bad options throw InvalidArgumentError (exit 2). */
export async function barsCommand(symbol: string, opts: BarsOptions): Promise<void> {
  const { InputError, InvalidArgumentError } = await import("../model/errors.js");
  const { parseInterval } = await import("../model/interval.js");
  checkedFormat(opts.format, FORMATS);
  const interval = parseInterval(opts.interval);
  const { parseAdjustMode } = await import("../actions/index.js");
  const mode = parseAdjustMode(opts.adjust);
  if (opts.asOf !== undefined) {
    checkedDate(opts.asOf, "--as-of");
    if (mode === "raw") throw new InvalidArgumentError("--as-of needs --adjust split or adjusted");
  }
  const { config, from, to, calendar } = await symbolRange(opts);
  const extended = config.extended;
  const sessions = calendar.sessions(from, to);
  const range = `${symbol} ${interval.name} bars in ${from}..${to}`;
  const repo = await openExistingStore(config.db);
  let bars: PrintedBars;
  try {
    if ((await repo.coverage(symbol)).length === 0) {
      throw new InputError(`unknown symbol ${symbol}: no bars stored for it in ${config.db}`);
    }
    if (sessions.length === 0) {
      note(`no ${calendar.name} sessions in ${from}..${to}: no bars`);
      print(opts.format, { length: 0, time: [], open: [], high: [], low: [], close: [], volume: [] });
      return;
    }
    const { readStoredBars } = await import("../aggregate/index.js");
    const adjustment = { mode, asOf: opts.asOf };
    bars = (await readStoredBars(repo, calendar, symbol, interval, from, to, extended, adjustment)).bars;
  } finally {
    await repo.close();
  }
  if (bars.length === 0) note(`no ${range}${extended ? "" : " (regular hours)"} in ${config.db}`);
  print(opts.format, bars);
}

const COLUMNS = ["time", "open", "high", "low", "close", "volume"] as const;

/** Decimals every price of a table is printed with: as many as the most precise price needs (2 to 8). */
function priceDecimals(bars: PrintedBars): number {
  let decimals = 2;
  for (const column of [bars.open, bars.high, bars.low, bars.close]) {
    for (let i = 0; i < bars.length; i++) {
      while (decimals < 8 && Number(column[i].toFixed(decimals)) !== column[i]) decimals++;
    }
  }
  return decimals;
}

function rowOf(bars: PrintedBars, i: number, decimals?: number): string[] {
  const price = (x: number) => (decimals === undefined ? String(x) : x.toFixed(decimals));
  return [
    isoUtc(bars.time[i]),
    price(bars.open[i]),
    price(bars.high[i]),
    price(bars.low[i]),
    price(bars.close[i]),
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
  const decimals = format === "table" ? priceDecimals(bars) : undefined;
  const lines: string[][] = [];
  for (let i = 0; i < bars.length; i++) lines.push(rowOf(bars, i, decimals));
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
