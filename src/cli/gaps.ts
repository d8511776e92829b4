import type { Command } from "commander";
import type { SessionGaps } from "../gaps/audit.js";
import { InputError } from "../model/errors.js";
import { isoUtc } from "../model/time.js";
import { note, out, plural } from "./io.js";
import {
  checkedFormat,
  configOption,
  dbOption,
  openExistingStore,
  type SymbolRangeOptions,
  symbolRange,
} from "./options.js";

/** Options of `tickwright gaps`, as commander hands them over. */
interface GapsOptions extends SymbolRangeOptions {
  format: string;
}

const FORMATS = ["json", "table"];

/**
 * `tickwright gaps SYMBOL --from DATE [--to DATE]`: audits the stored one-minute bars per
 * session (expected and present minutes, quality, missing ranges with ISO-8601 UTC start and
 * exclusive end). db, calendar, extended, from and to also come from --config and TICKWRIGHT_*.
 */
export function register(program: Command): void {
  const command = program
    .command("gaps")
    .description("audit stored one-minute bars for missing minutes, per session")
    .argument("<symbol>", "symbol to audit, e.g. SPY")
    .option("--from <date>", "first session date (YYYY-MM-DD)")
    .option("--to <date>", "last session date (YYYY-MM-DD); default: --from");
  dbOption(command)
    .option("--format <json|table>", "output format", "table")
    .option("--extended", "expect pre-market and after-hours minutes too")
    .option("--calendar <name>", "calendar of the symbol's exchange (default XNYS)");
  configOption(command).action(async (symbol: string, opts: GapsOptions) =>
    gapsCommand(symbol.toUpperCase(), opts),
  );
}

/** Runs `tickwright gaps`; bad input throws an InvalidArgumentError (exit 2). */
export async function gapsCommand(symbol: string, opts: GapsOptions): Promise<void> {
  checkedFormat(opts.format, FORMATS);
  const { config, from, to, calendar } = await symbolRange(opts);
  const { auditGaps } = await import("../gaps/audit.js");
  const repository = await openExistingStore(config.db);
  try {
    const coverage = await repository.coverage(symbol);
    if (!coverage.some((c) => c.interval === "1m")) {
      throw new InputError(`unknown symbol ${symbol}: no one-minute bars stored for it in ${config.db}`);
    }
    const report = await auditGaps(repository, symbol, from, to, calendar, { extended: config.extended });
    if (report.length === 0) note(`no ${calendar.name} sessions in ${from}..${to}: nothing to audit`);
    if (opts.format === "json") printJson(report);
    else printTable(symbol, report);
  } finally {
    await repository.close();
  }
}

function printJson(report: SessionGaps[]): void {
  const rows = report.map((s) => ({
    date: s.date,
    expected: s.expected,
    present: s.present,
    quality: s.quality,
    gaps: s.gaps.map((g) => ({ start: isoUtc(g.start), end: isoUtc(g.end), count: g.count })),
  }));
  out(JSON.stringify(rows, null, 2));
}

function printTable(symbol: string, report: SessionGaps[]): void {
  const table = [
    ["date", "expected", "present", "quality", "gaps"],
    ...report.map((s) => [
      s.date,
      String(s.expected),
      String(s.present),
      `${s.quality.toFixed(2)}%`,
      s.gaps.length === 0
        ? "-"
        : s.gaps.map((g) => `${isoUtc(g.start)}..${isoUtc(g.end)} (${g.count})`).join(", "),
    ]),
  ];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  for (const row of table) {
    out(
      row
        .map((cell, c) => (c >= 1 && c <= 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
        .join("  ")
        .trimEnd(),
    );
  }
  if (report.length === 0) {
    out(`${symbol}: no sessions in range`);
    return;
  }
  const expected = report.reduce((a, s) => a + s.expected, 0);
  const present = report.reduce((a, s) => a + s.present, 0);
  const quality = (present / expected) * 100;
  out(
    `${symbol}: ${plural(report.length, "session")}, ${expected - present} of ${plural(expected, "minute")} missing, quality ${quality.toFixed(2)}%`,
  );
}
