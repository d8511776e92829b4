import { basename, dirname, extname, join, resolve } from "node:path";
import type { Command } from "commander";
import type { IngestProgress, IngestSummary } from "../ingest/types.js";
import { ExitError, note, out } from "./io.js";

/** Where `ingest`, `bars` and `generate` keep bars unless given `--db`. */
export const DEFAULT_DB = "./data/tickwright.duckdb";

/** Options of `tickwright ingest`, as commander hands them over. */
interface IngestCliOptions {
  format?: string;
  symbol?: string;
  timeFormat?: string;
  tz?: string;
  interval: string;
  db: string;
  rejects?: string;
  batchRows?: string;
}

/** Rejections printed on the terminal; the rejects CSV has all of them. */
const SHOWN_REJECTIONS = 20;
/** Inputs at least this large get a progress bar (TTY) or progress lines (not a TTY). */
const PROGRESS_MIN_BYTES = 8 << 20;

/**
 * `tickwright ingest PATH... --format csv|parquet|lean|polygon|actions --db FILE`: imports files
 * (or folders of them) into the store and prints what it did; `lean` also reads the factor and
 * map files beside the price data, `actions` a CSV of splits, dividends and renames. Exit 0 when anything was stored,
 * 1 when nothing was, 2 for an unreadable file, an unknown format or a bad option.
 */
export function register(program: Command): void {
  program
    .command("ingest")
    .description("import CSV, Parquet, LEAN zip or Polygon flat files, or corporate actions, into the store")
    .argument("<paths...>", "files or folders to import")
    .option("--format <format>", "csv, parquet, lean, polygon or actions (symbol,date,kind,value)")
    .option("--symbol <symbol>", "symbol of every row, for CSV/Parquet files without a symbol column")
    .option("--time-format <format>", "auto, iso, s, ms, us, ns or local", "auto")
    .option("--tz <zone>", "IANA time zone of times written without an offset, e.g. America/New_York")
    .option("--interval <interval>", "interval of CSV/Parquet bars", "1m")
    .option("--db <file>", "DuckDB file, :memory: or postgres:// URL", DEFAULT_DB)
    .option("--rejects <file>", "where to write rejected rows as CSV (default: beside the database)")
    .option("--batch-rows <n>", "rows per write transaction")
    .action(async (paths: string[], opts: IngestCliOptions) => ingestCommand(paths, opts));
}

/** The rejects CSV path: `--rejects`, else `<db>.rejects.csv` beside a file database, else the working folder. */
export function rejectsPath(db: string, given?: string): string {
  if (given) return given;
  if (db === ":memory:" || /^postgres(ql)?:\/\//i.test(db)) return "tickwright-rejects.csv";
  const name = basename(db, extname(db));
  return join(dirname(db), `${name}.rejects.csv`);
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** Runs `tickwright ingest`. */
export async function ingestCommand(paths: string[], opts: IngestCliOptions): Promise<void> {
  const { ingest, parseFormat, parseTimeFormat, writeRejectsCsv } = await import("../ingest/index.js");
  const { openRepository } = await import("../store/index.js");
  const { InvalidArgumentError } = await import("../model/errors.js");
  if (opts.format === undefined) {
    throw new InvalidArgumentError("--format is required: csv, parquet, lean, polygon or actions");
  }
  const format = parseFormat(opts.format);
  const timeFormat = parseTimeFormat(opts.timeFormat);
  let batchRows: number | undefined;
  if (opts.batchRows !== undefined) {
    batchRows = Number(opts.batchRows);
    if (!(Number.isInteger(batchRows) && batchRows >= 1)) {
      throw new InvalidArgumentError(`bad --batch-rows "${opts.batchRows}": expected a whole number >= 1`);
    }
  }
  const repo = await openRepository(opts.db);
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
      onProgress: (p) => progress.update(p),
    });
  } finally {
    progress.stop();
    await repo.close();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  out(
    `ingested ${summary.files} file${summary.files === 1 ? "" : "s"} into ${opts.db} in ${seconds.toFixed(2)} s: ` +
      `${fmt(summary.rowsRead)} rows read, ${fmt(summary.rowsStored)} stored, ${fmt(summary.rejected)} rejected ` +
      `(${fmt(summary.rowsRead / Math.max(seconds, 1e-9))} rows/s)`,
  );
  if (summary.actions > 0 && format !== "actions") out(`stored ${fmt(summary.actions)} corporate actions`);
  if (summary.skipped.length > 0) {
    out(`skipped ${summary.skipped.length} file(s) not in the ${format} layout, e.g. ${summary.skipped[0]}`);
  }
  const reasons = Object.entries(summary.byReason).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (reasons.length > 0) {
    out("rejected by reason:");
    for (const [reason, count] of reasons) out(`  ${reason}: ${fmt(count)}`);
    const shown = summary.rejects.slice(0, SHOWN_REJECTIONS);
    out(`first ${shown.length} rejection${shown.length === 1 ? "" : "s"}:`);
    for (const r of shown) out(`  ${r.file}:${r.line}: ${r.reason}`);
  }
  if (summary.rejected > 0 || opts.rejects) {
    const path = rejectsPath(opts.db, opts.rejects);
    await writeRejectsCsv(path, summary.rejects);
    out(`rejected rows written to ${resolve(path)}`);
  }
  if (summary.rowsStored === 0) throw new ExitError("nothing was stored", 1);
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
