import { basename, dirname, extname, join, resolve } from "node:path";
import type { Command } from "commander";
import type { IngestProgress, IngestSummary } from "../ingest/types.js";
import { InvalidArgumentError, StoreError } from "../model/errors.js";
import { ExitError, note, out } from "./io.js";
import { type ConfigOptions, checkedOutPath, commandConfig, configOption, dbOption } from "./options.js";

/** Options of `tickwright ingest`, as commander hands them over. */
interface IngestCliOptions extends ConfigOptions {
  format?: string;
  symbol?: string;
  timeFormat?: string;
  tz?: string;
  interval: string;
  db?: string;
  rejects?: string;
  batchRows?: string;
  calendar?: string;
  maxUnzippedBytes?: string;
}

/** Rejections printed on the terminal; the rejects CSV has all of them. */
const SHOWN_REJECTIONS = 20;
/** Inputs at least this large get a progress bar (TTY) or progress lines (not a TTY). */
const PROGRESS_MIN_BYTES = 8 << 20;

/**
 * `tickwright ingest PATH... --format csv|parquet|lean|polygon|actions --db FILE`: imports files
 * (or folders of them) into the store and prints what it did; `lean` also reads the factor and
 * map files beside the price data, `actions` a CSV of splits, dividends and renames. Exit 0
 * when every file was read (rejected rows are reported, not failures), 1 when some files
 * could not be read or the store failed, 2 for bad usage or when no file could be read. The
 * database (created when missing) and the calendar come from `--db`/`--calendar`, else
 * TICKWRIGHT_DB/TICKWRIGHT_CALENDAR, else `--config`, as for every command.
 */
export function register(program: Command): void {
  const command = program
    .command("ingest")
    .description("import CSV, Parquet, LEAN zip or Polygon flat files, or corporate actions, into the store")
    .argument("<paths...>", "files or folders to import")
    .option("--format <format>", "csv, parquet, lean, polygon or actions (symbol,date,kind,value)")
    .option("--symbol <symbol>", "symbol of every row, for CSV/Parquet files without a symbol column")
    .option("--time-format <format>", "auto, iso, s, ms, us, ns or local", "auto")
    .option("--tz <zone>", "IANA time zone of times written without an offset, e.g. America/New_York")
    .option("--interval <interval>", "interval of CSV/Parquet bars", "1m");
  dbOption(command)
    .option("--rejects <file>", "where to write rejected rows as CSV (default: beside the database)")
    .option(
      "--batch-rows <n>",
      "rows per write transaction (default: 491,520 into DuckDB, 262,144 into PostgreSQL)",
    )
    .option(
      "--calendar <name>",
      "calendar whose sessions (extended hours included) rows must lie in (default: XNYS)",
    )
    .option("--max-unzipped-bytes <n>", "bytes one zip entry may inflate to (default 1 GiB)");
  configOption(command).action(async (paths: string[], opts: IngestCliOptions) => ingestCommand(paths, opts));
}

/** The rejects CSV path: `--rejects`, else `<db>.rejects.csv` beside a file database, else the working folder. */
export function rejectsPath(db: string, given?: string): string {
  if (given) return checkedOutPath(given, "--rejects");
  if (db === ":memory:" || /^postgres(ql)?:\/\//i.test(db)) return "tickwright-rejects.csv";
  const name = basename(db, extname(db));
  return join(dirname(db), `${name}.rejects.csv`);
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

function positiveInteger(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(Number.isInteger(n) && n >= 1))
    throw new InvalidArgumentError(`bad ${flag} "${text}": expected a whole number >= 1`);
  return n;
}

/** Runs `tickwright ingest`. */
export async function ingestCommand(paths: string[], opts: IngestCliOptions): Promise<void> {
  const { ingest, parseFormat, parseTimeFormat, RejectsFile } = await import("../ingest/index.js");
  const { isPostgresUrl, openRepository } = await import("../store/index.js");
  const { getCalendar } = await import("../calendar/index.js");
  if (opts.format === undefined) {
    throw new InvalidArgumentError("--format is required: csv, parquet, lean, polygon or actions");
  }
  const format = parseFormat(opts.format);
  const timeFormat = parseTimeFormat(opts.timeFormat);
  const batchRows = positiveInteger(opts.batchRows, "--batch-rows");
  const maxEntryBytes = positiveInteger(opts.maxUnzippedBytes, "--max-unzipped-bytes");
  const config = await commandConfig(opts.config, { db: opts.db, calendar: opts.calendar });
  const db = config.db;
  const calendar = getCalendar(config.calendar);
  const rejectsFile = new RejectsFile(rejectsPath(db, opts.rejects), opts.rejects !== undefined);
  const repo = await openRepository(db).catch((err: unknown) => {
    const store = isPostgresUrl(db) ? "postgres" : "duckdb";
    throw err instanceof StoreError ? new StoreError(`${store} store: ${err.message}`, err.cause) : err;
  });
  const progress = new ProgressReporter(process.stderr.isTTY ? (await import("cli-progress")).default : null);
  const started = process.hrtime.bigint();
  let summary: IngestSummary;
  try {
    summary = await ingest(paths, {
      format,
      repository: repo,
      symbol: opts.symbol,
      timeFormat,
      tz: opts.tz,
      interval: opts.interval,
      batchRows,
      calendar,
      maxEntryBytes,
      rejectsFile,
      onProgress: (p) => progress.update(p),
    });
  } finally {
    progress.stop();
    await repo.close();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const plural = (n: number, word: string) => `${fmt(n)} ${word}${n === 1 ? "" : "s"}`;
  out(
    `ingested ${plural(summary.filesRead, "file")} of ${summary.files} into ${db} in ${seconds.toFixed(2)} s` +
      ` (${summary.failed.length} failed): ` +
      `${fmt(summary.rowsRead)} rows read, ${fmt(summary.rowsStored)} stored, ${fmt(summary.rejected)} rejected ` +
      `(${fmt(summary.rowsRead / Math.max(seconds, 1e-9))} rows/s)`,
  );
  for (const [kind, c] of Object.entries(summary.byKind)) {
    out(`  ${kind}: ${fmt(c.read)} read, ${fmt(c.stored)} stored, ${fmt(c.rejected)} rejected`);
  }
  if (summary.actions > 0 && format !== "actions") out(`stored ${fmt(summary.actions)} corporate actions`);
  if (summary.skipped.length > 0) {
    out(`skipped ${summary.skipped.length} file(s) not in the ${format} layout, e.g. ${summary.skipped[0]}`);
  }
  if (summary.failed.length > 0) {
    out(`${plural(summary.failed.length, "file")} could not be read:`);
    for (const f of summary.failed)
      out(`  ${f.file}${f.line === undefined ? "" : `:${f.line}`}: ${f.reason}`);
  }
  const reasons = Object.entries(summary.byReason).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (reasons.length > 0) {
    out("rejected by reason:");
    for (const [reason, count] of reasons) out(`  ${reason}: ${fmt(count)}`);
    const shown = summary.rejects.slice(0, SHOWN_REJECTIONS);
    out(`first ${shown.length} rejection${shown.length === 1 ? "" : "s"}:`);
    for (const r of shown) out(`  ${r.file}:${r.line}: ${r.reason}`);
  }
  if (summary.rejected > 0 || opts.rejects) out(`rejected rows written to ${resolve(rejectsFile.path)}`);
  if (summary.filesRead === 0) throw new ExitError("no file could be read", 2);
  if (summary.failed.length > 0) {
    throw new ExitError(`${plural(summary.failed.length, "file")} could not be read`, 1);
  }
}

type CliProgress = typeof import("cli-progress");

/**
 * Progress for large inputs on stderr: a cli-progress bar on a terminal (when given the
 * module), a plain line every 10 % otherwise.
 */
class ProgressReporter {
  private bar: import("cli-progress").SingleBar | null = null;
  private lastTenth = 0;

  constructor(private readonly cliProgress: CliProgress | null) {}

  update(p: IngestProgress): void {
    if (p.bytesTotal < PROGRESS_MIN_BYTES) return;
    const cp = this.cliProgress;
    if (cp) {
      if (!this.bar) {
        this.bar = new cp.SingleBar(
          {
            format: "ingest [{bar}] {percentage}% | {rows} rows | {eta_formatted} left",
            stream: process.stderr,
          },
          cp.Presets.shades_classic,
        );
        this.bar.start(p.bytesTotal, 0, { rows: "0" });
      }
      this.bar.update(p.bytesDone, { rows: fmt(p.rowsRead) });
      return;
    }
    const tenth = Math.floor((p.bytesDone / p.bytesTotal) * 10);
    if (tenth > this.lastTenth) {
      this.lastTenth = tenth;
      note(`ingest: ${tenth * 10}% (${fmt(p.rowsRead)} rows, file ${p.fileIndex + 1} of ${p.files})`);
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
