import { access, constants, readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { getCalendar } from "../calendar/index.js";
import type { BarColumns, QuoteBar, Tick } from "../model/bar.js";
import { InvalidArgumentError, StoreError } from "../model/errors.js";
import { parseInterval } from "../model/interval.js";
import type { CodedBarColumns, Repository } from "../store/types.js";
import { ingestActionsCsv, ingestLeanActions, LEAN_CALENDAR, leanActionFiles } from "./actions.js";
import { BarBatcher, type BarWriter, DuplicateIndex } from "./batcher.js";
import { importCsvBars } from "./csv.js";
import { type CodedBarWriter, CsvThread, csvThreadSettings } from "./csv-thread.js";
import { fileFailure, ioMessage, openCsvFile } from "./file-read.js";
import { classifyLeanPath, importLeanFile, type LeanFile, type LeanSink } from "./lean.js";
import { importParquetBars } from "./parquet.js";
import { Rejects, RejectsFile } from "./rejects.js";
import { TimeRule } from "./time-rule.js";
import { TimeParser } from "./timestamps.js";
import {
  type FileFailure,
  INGEST_FORMATS,
  type IngestFormat,
  type IngestOptions,
  type IngestSummary,
  type KindCounts,
} from "./types.js";
import { DEFAULT_MAX_ENTRY_BYTES } from "./zip.js";

/** Rows per write transaction unless told otherwise or the store names its own (`writeBatchRows`). */
export const DEFAULT_BATCH_ROWS = 262_144;

/** Parses a `--format` value, refusing anything else by name. */
export function parseFormat(text: string | undefined): IngestFormat {
  const f = (text ?? "").trim().toLowerCase();
  if ((INGEST_FORMATS as readonly string[]).includes(f)) return f as IngestFormat;
  throw new InvalidArgumentError(
    `unknown format "${text ?? ""}": expected one of ${INGEST_FORMATS.join(", ")}`,
  );
}

const EXTENSIONS: Record<IngestFormat, readonly string[]> = {
  csv: [".csv", ".csv.gz", ".txt"],
  parquet: [".parquet"],
  lean: [".zip"],
  polygon: [".csv", ".csv.gz"],
  actions: [".csv"],
};

async function walk(dir: string, exts: readonly string[], out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, exts, out);
    else if (e.isFile() && exts.some((x) => e.name.toLowerCase().endsWith(x))) out.push(p);
  }
}

/** The files an ingest reads, and the paths given that cannot be read. */
export interface FoundFiles {
  files: string[];
  failed: FileFailure[];
}

/**
 * The files an ingest reads: files as given, folders searched (sorted, recursively) for the
 * format's extensions. A path that is missing or unreadable, or a folder with no file of the
 * format, is a failure of its own; the other paths are still read.
 */
export async function expandPaths(paths: readonly string[], format: IngestFormat): Promise<FoundFiles> {
  if (paths.length === 0) throw new InvalidArgumentError("no input path given");
  const files: string[] = [];
  const failed: FileFailure[] = [];
  for (const given of paths) {
    const path = resolve(given);
    try {
      const st = await stat(path);
      if (st.isDirectory()) {
        const found: string[] = [];
        await walk(path, EXTENSIONS[format], found);
        if (found.length === 0) {
          failed.push({
            file: path,
            reason: `no ${format} files (${EXTENSIONS[format].join(", ")}) in this folder`,
          });
        }
        files.push(...found);
      } else {
        await access(path, constants.R_OK);
        files.push(path);
      }
    } catch (err) {
      failed.push({ file: path, reason: `cannot read: ${ioMessage(err)}` });
    }
  }
  return { files, failed };
}

/** The kind name of bars of an interval: `minute`, `hour`, `daily`, else the interval's name. */
export function barKind(interval: string): string {
  return interval === "1m" ? "minute" : interval === "60m" ? "hour" : interval === "1d" ? "daily" : interval;
}

/** A store call that failed, as a StoreError naming the store and the cause. */
function storeError(repo: Repository, err: unknown): StoreError {
  const message = err instanceof Error ? err.message : String(err);
  return new StoreError(`${repo.kind} store: ${message}`, err);
}

/** `repo.writeBars`, its failures as StoreErrors. */
function storeWriter(repo: Repository): BarWriter {
  return (interval: string, cols: BarColumns) =>
    repo.writeBars(interval, cols).catch((err: unknown) => {
      throw storeError(repo, err);
    });
}

/**
 * Batches of coded symbols into the repository: through `writeCodedBars` when it has one,
 * else as `writeBars` of the symbols spelled out. Failures as StoreErrors.
 */
function codedStoreWriter(repo: Repository): CodedBarWriter {
  const write = (interval: string, bars: CodedBarColumns, names: readonly string[]) => {
    if (repo.writeCodedBars) return repo.writeCodedBars(interval, bars, names);
    const { code, ...rest } = bars;
    return repo.writeBars(interval, { ...rest, symbol: Array.from(code, (c) => names[c]) });
  };
  return (interval, bars, names) =>
    write(interval, bars, names).catch((err: unknown) => {
      throw storeError(repo, err);
    });
}

/** A failure message `FILE: reason` or `FILE:LINE: reason` as a FileFailure. */
function failureAt(file: string, message: string): FileFailure {
  if (!message.startsWith(`${file}:`)) return { file, reason: message };
  const rest = message.slice(file.length + 1);
  const m = /^(\d+): /.exec(rest);
  if (m) return { file, line: Number(m[1]), reason: rest.slice(m[0].length) };
  return { file, reason: rest.trimStart() };
}

/**
 * Imports files into a repository: rows are validated (see `TimeRule`, `barProblem`, the
 * symbol rule), rejected rows counted by reason and streamed to `rejectsFile` (with file,
 * physical line and raw text), good rows written in batches of `batchRows`, each batch one
 * transaction, in input order. Re-ingesting the same files changes nothing in the store.
 * A file that cannot be read (missing, corrupt, not of the format) is reported in `failed`
 * and the others are still read; a store failure ends the ingest with a StoreError naming
 * the store and the cause.
 */
export async function ingest(paths: readonly string[], opts: IngestOptions): Promise<IngestSummary> {
  const format = parseFormat(opts.format);
  const repo = opts.repository;
  const interval = parseInterval(opts.interval ?? "1m");
  const batchRows = Math.max(1, Math.floor(opts.batchRows ?? repo.writeBatchRows ?? DEFAULT_BATCH_ROWS));
  const time = new TimeParser(format === "polygon" ? "ns" : (opts.timeFormat ?? "auto"), opts.tz);
  const calendar = opts.calendar ?? getCalendar("XNYS");
  const maxEntryBytes = opts.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
  const { files: found, failed } = await expandPaths(paths, format);
  const given = opts.rejectsFile;
  const rejectsFile = given === undefined ? null : typeof given === "string" ? new RejectsFile(given) : given;
  if (format === "actions") {
    const rejects = new Rejects(rejectsFile);
    try {
      const done = await ingestActionsCsv(found, repo, getCalendar(LEAN_CALENDAR), rejects);
      return {
        files: found.length + failed.length,
        filesRead: found.length,
        failed,
        rowsRead: done.rows,
        rowsStored: done.stored,
        actions: done.stored,
        rejected: rejects.count,
        byReason: rejects.byReason,
        byKind: { action: { read: done.rows, stored: done.stored, rejected: rejects.count } },
        rejects: rejects.list,
        skipped: [],
      };
    } finally {
      rejectsFile?.close();
    }
  }

  const skipped: string[] = [];
  let files = found;
  const lean = new Map<string, LeanFile>();
  if (format === "lean") {
    const explicit = new Set(paths.map((p) => resolve(p)));
    files = [];
    for (const f of found) {
      const kind = classifyLeanPath(f);
      if (kind) {
        lean.set(f, kind);
        files.push(f);
      } else if (explicit.has(f)) {
        failed.push({
          file: f,
          reason:
            "not a LEAN equity data file (expected equity/<market>/minute|tick/<symbol>/<YYYYMMDD>_trade|quote.zip or equity/<market>/hour|daily/<symbol>.zip)",
        });
      } else {
        skipped.push(f);
      }
    }
  }

  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  const bytesTotal = sizes.reduce((a, b) => a + b, 0);
  const rejects = new Rejects(rejectsFile);
  const byKind: Record<string, KindCounts> = {};
  const kindCounts = (kind: string): KindCounts => {
    byKind[kind] ??= { read: 0, stored: 0, rejected: 0 };
    return byKind[kind];
  };
  const duplicates = new Map<string, DuplicateIndex>();
  const batchers = new Map<string, BarBatcher>();
  const batcher = (name: string): BarBatcher => {
    let b = batchers.get(name);
    if (!b) {
      let dup = duplicates.get(name);
      if (!dup) {
        dup = new DuplicateIndex();
        duplicates.set(name, dup);
      }
      b = new BarBatcher(new TimeRule(calendar, parseInterval(name)), batchRows, storeWriter(repo), dup);
      batchers.set(name, b);
    }
    return b;
  };
  let quotesStored = 0;
  let ticksStored = 0;
  let pendingQuotes: QuoteBar[] = [];
  const flushQuotes = async () => {
    if (pendingQuotes.length === 0) return;
    const q = pendingQuotes;
    pendingQuotes = [];
    quotesStored += await repo.writeQuotes(q).catch((err: unknown) => {
      throw storeError(repo, err);
    });
  };
  const leanSink: LeanSink = {
    bars: batcher,
    rejects,
    quoteDuplicates: new DuplicateIndex(),
    quoteTimes: new TimeRule(calendar, parseInterval("1m")),
    tickTimes: new TimeRule(calendar, null),
    maxEntryBytes,
    quotes: async (q: QuoteBar[]) => {
      for (const x of q) pendingQuotes.push(x);
      if (pendingQuotes.length >= batchRows) await flushQuotes();
    },
    ticks: async (t: Tick[]) => {
      ticksStored += await repo.writeTicks(t).catch((err: unknown) => {
        throw storeError(repo, err);
      });
    },
  };
  const leanKind = (f: LeanFile) =>
    f.kind === "quote-bars" ? "quote" : f.kind === "trade-ticks" ? "tick" : barKind(f.interval);

  // CSV rows are parsed and validated in a worker thread while this one writes, when the
  // calendar is a session table it can be handed over as
  const csvInterval = format === "csv" ? interval.name : "1m";
  const threadSettings =
    format === "csv" || format === "polygon"
      ? csvThreadSettings(calendar, {
          timeFormat: time.format,
          tz: time.timeZone,
          interval: csvInterval,
          batchRows,
          maxLineBytes: opts.maxLineBytes,
        })
      : null;
  let thread: CsvThread | null = null;
  const csvThread = (): CsvThread => {
    thread ??= new CsvThread(
      threadSettings as NonNullable<typeof threadSettings>,
      codedStoreWriter(repo),
      rejects,
    );
    return thread;
  };

  let rowsRead = 0;
  let bytesBefore = 0;
  let actions = { stored: 0 };
  let duck: { close(): void; con: import("@duckdb/node-api").DuckDBConnection } | null = null;
  try {
    for (let k = 0; k < files.length; k++) {
      const file = files[k];
      const report = (bytesInFile: number, rowsInFile: number) =>
        opts.onProgress?.({
          file,
          fileIndex: k,
          files: files.length,
          bytesDone: bytesBefore + Math.min(bytesInFile, sizes[k]),
          bytesTotal,
          rowsRead: rowsRead + rowsInFile,
        });
      const kind =
        format === "lean"
          ? leanKind(lean.get(file) as LeanFile)
          : barKind(format === "csv" ? interval.name : "1m");
      const rejectedBefore = rejects.count;
      let rows = 0;
      try {
        const symbol = format === "csv" ? opts.symbol : undefined;
        if (threadSettings !== null) {
          rows = await csvThread().importFile(file, symbol, (bytesRead, r) => {
            rows = r;
            report(bytesRead, r);
          });
        } else if (format === "csv" || format === "polygon") {
          const { source, disk } = openCsvFile(file);
          rows = await importCsvBars(source, {
            file,
            symbol,
            time,
            batcher: batcher(csvInterval),
            rejects,
            maxLineBytes: opts.maxLineBytes,
            onChunk: (_bytes, r) => {
              rows = r;
              report(disk.bytesRead, r);
            },
          });
        } else if (format === "parquet") {
          if (!duck) {
            const { DuckDBInstance } = await import("@duckdb/node-api");
            const instance = await DuckDBInstance.create(":memory:");
            const con = await instance.connect();
            duck = {
              con,
              close: () => {
                con.closeSync();
                instance.closeSync();
              },
            };
          }
          rows = await importParquetBars(duck.con, {
            file,
            symbol: opts.symbol,
            time,
            batcher: batcher(interval.name),
            rejects,
            onRows: (r) => {
              rows = r;
              report(0, r);
            },
          });
        } else {
          rows = await importLeanFile(lean.get(file) as LeanFile, leanSink);
        }
      } catch (err) {
        const reason = fileFailure(err);
        if (reason === null) throw err;
        failed.push(failureAt(file, reason));
      }
      const counts = kindCounts(kind);
      counts.read += rows;
      counts.rejected += rejects.count - rejectedBefore;
      rowsRead += rows;
      bytesBefore += sizes[k];
      report(0, 0);
    }
    await (thread as CsvThread | null)?.finish();
    for (const b of batchers.values()) await b.finish();
    await flushQuotes();
    if (format === "lean") {
      const actionFiles = await leanActionFiles(paths, [...lean.values()]);
      actions = await ingestLeanActions(actionFiles, repo, getCalendar(LEAN_CALENDAR), rejects);
    }
  } finally {
    await (thread as CsvThread | null)?.close();
    for (const b of batchers.values()) await b.drain(0).catch(() => {});
    duck?.close();
    rejectsFile?.close();
  }
  let barsStored = 0;
  const threadStored = (thread as CsvThread | null)?.stored ?? 0;
  if (threadStored > 0) {
    barsStored += threadStored;
    kindCounts(barKind(csvInterval)).stored += threadStored;
  }
  for (const b of batchers.values()) {
    barsStored += b.stored;
    kindCounts(barKind(b.interval)).stored += b.stored;
  }
  if (quotesStored > 0) kindCounts("quote").stored += quotesStored;
  if (ticksStored > 0) kindCounts("tick").stored += ticksStored;
  const failedSet = new Set(failed.map((f) => f.file));
  return {
    files: files.length + failed.filter((f) => !files.includes(f.file)).length,
    filesRead: files.filter((f) => !failedSet.has(f)).length,
    failed,
    rowsRead,
    rowsStored: barsStored + quotesStored + ticksStored,
    actions: actions.stored,
    rejected: rejects.count,
    byReason: rejects.byReason,
    byKind,
    rejects: rejects.list,
    skipped,
  };
}
