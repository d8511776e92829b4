import type { Command } from "commander";
import type { SessionGaps } from "../gaps/audit.js";
import { InvalidArgumentError, UnknownSymbolError } from "../model/errors.js";
import { isoUtc, parseDate } from "../model/time.js";
import { out } from "./io.js";

/** Options of `tickwright gaps`, as commander hands them over. */
interface GapsOptions {
  from: string;
  to: string;
  db: string;
  format: string;
  extended?: boolean;
  calendar: string;
}

const FORMATS = ["json", "table"];

/**
 * `tickwright gaps SYMBOL --from DATE --to DATE --db FILE`: audits the stored one-minute bars
 * per session (expected and present minutes, quality, missing ranges with ISO-8601 UTC
 * start and exclusive end).
 */
export function register(program: Command): void {
  program
    .command("gaps")
    .description("audit stored one-minute bars for missing minutes, per session")
    .argument("<symbol>", "symbol to audit, e.g. SPY")
    .requiredOption("--from <date>", "first session date (YYYY-MM-DD)")
    .requiredOption("--to <date>", "last session date (YYYY-MM-DD)")
    .requiredOption("--db <file>", "DuckDB file (or postgres:// URL) holding the bars")
    .option("--format <json|table>", "output format", "table")
    .option("--extended", "expect pre-market and after-hours minutes too")
    .option("--calendar <name>", "calendar of the symbol's exchange", "XNYS")
    .action(async (symbol: string, opts: GapsOptions) => gapsCommand(symbol, opts));
}

/** Runs `tickwright gaps`; bad input throws an InvalidArgumentError (exit 2). */
export async function gapsCommand(symbol: string, opts: GapsOptions): Promise<void> {
  if (!FORMATS.includes(opts.format)) {
    throw new InvalidArgumentError(`bad --format "${opts.format}": expected one of ${FORMATS.join(", ")}`);
  }
  if (parseDate(opts.from, "--from") > parseDate(opts.to, "--to")) {
    throw new InvalidArgumentError(`--from ${opts.from} is after --to ${opts.to}`);
  }
  const { getCalendar } = await import("../calendar/registry.js");
  const calendar = getCalendar(opts.calendar);
  const { openRepository } = await import("../store/index.js");
  const { auditGaps } = await import("../gaps/audit.js");
  const repository = await openRepository(opts.db, { create: false });
  try {
    const coverage = await repository.coverage(symbol);
    if (!coverage.some((c) => c.interval === "1m")) throw new UnknownSymbolError(symbol);
    const report = await auditGaps(repository, symbol, opts.from, opts.to, calendar, {
      extended: opts.extended === true,
    });
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
  const expected = report.reduce((a, s) => a + s.expected, 0);
  const present = report.reduce((a, s) => a + s.present, 0);
  const quality = expected === 0 ? 100 : (present / expected) * 100;
  out(
    `${symbol}: ${report.length} sessions, ${expected - present} of ${expected} minutes missing, quality ${quality.toFixed(2)}%`,
  );
}
