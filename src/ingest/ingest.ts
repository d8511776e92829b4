import { createReadStream } from "node:fs";
import { access, constants, readdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createGunzip } from "node:zlib";
import { getCalendar } from "../calendar/registry.js";
import type { QuoteBar, Tick } from "../model/bar.js";
import { InputError, InvalidArgumentError } from "../model/errors.js";
import { parseInterval } from "../model/interval.js";
import { ingestActionsCsv, ingestLeanActions, LEAN_CALENDAR, leanActionFiles } from "./actions.js";
import { BarBatcher, DuplicateIndex } from "./batcher.js";
import { importCsvBars } from "./csv.js";
import { classifyLeanPath, importLeanFile, type LeanFile } from "./lean.js";
import { importParquetBars } from "./parquet.js";
import { Rejects } from "./rejects.js";
import { TimeParser } from "./timestamps.js";
import { INGEST_FORMATS, type IngestFormat, type IngestOptions, type IngestSummary } from "./types.js";

/** Rows per write transaction unless told otherwise. */
export const DEFAULT_BATCH_ROWS = 262_144;
const READ_CHUNK_BYTES = 4 << 20;

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

function ioMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "ENOENT") return "no such file or directory";
  if (e?.code === "EACCES") return "permission denied";
  if (e?.code === "Z_DATA_ERROR" || e?.code === "Z_BUF_ERROR") return "not a valid gzip file";
  return e?.message ?? String(err);
}

async function walk(dir: string, exts: readonly string[], out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, exts, out);
    else if (e.isFile() && exts.some((x) => e.name.toLowerCase().endsWith(x))) out.push(p);
  }
}

/**
 * The files an ingest reads: files as given, folders searched (sorted, recursively) for the
 * format's extensions. A path that is missing or unreadable is an InputError before anything
 * is written.
 */
export async function expandPaths(paths: readonly string[], format: IngestFormat): Promise<string[]> {
  if (paths.length === 0) throw new InvalidArgumentError("no input path given");
  const files: string[] = [];
  for (const given of paths) {
    const path = resolve(given);
    try {
      const st = await stat(path);
      if (st.isDirectory()) {
        const found: string[] = [];
        await walk(path, EXTENSIONS[format], found);
        if (found.length === 0) {
          throw new InputError(
            `${given}: no ${format} files (${EXTENSIONS[format].join(", ")}) in this folder`,
          );
        }
        files.push(...found);
      } else {
        await access(path, constants.R_OK);
        files.push(path);
      }
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`cannot read ${given}: ${ioMessage(err)}`);
    }
  }
  return files;
}

/**
 * Imports files into a repository: bars are validated, rejected rows counted by reason and
 * kept (with file, physical line and raw text), good rows written in batches of `batchRows`,
 * each batch one transaction. Re-ingesting the same files changes nothing in the store.
 * Throws InputError for an unreadable file or one not of the format; rows already written by
 * then stay written.
 */
export async function ingest(paths: readonly string[], opts: IngestOptions): Promise<IngestSummary> {
  const format = parseFormat(opts.format);
  const repo = opts.repository;
  const interval = parseInterval(opts.interval ?? "1m").name;
  const batchRows = Math.max(1, Math.floor(opts.batchRows ?? DEFAULT_BATCH_ROWS));
  const time = new TimeParser(format === "polygon" ? "ns" : (opts.timeFormat ?? "auto"), opts.tz);
  const found = await expandPaths(paths, format);
  if (format === "actions") {
    const rejects = new Rejects();
    const done = await ingestActionsCsv(found, repo, getCalendar(LEAN_CALENDAR), rejects);
    return {
      files: found.length,
      rowsRead: done.rows,
      rowsStored: done.stored,
      actions: done.stored,
      rejected: rejects.count,
      byReason: rejects.byReason,
      rejects: rejects.list,
      skipped: [],
    };
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
        throw new InputError(
          `${f}: not a LEAN equity data file (expected equity/<market>/minute|tick/<symbol>/<YYYYMMDD>_trade|quote.zip or equity/<market>/hour|daily/<symbol>.zip)`,
        );
      } else {
        skipped.push(f);
      }
    }
  }

  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  const bytesTotal = sizes.reduce((a, b) => a + b, 0);
  const rejects = new Rejects();
  const duplicates = new Map<string, DuplicateIndex>();
  const batchers = new Map<string, BarBatcher>();
  const batcher = (iv: string): BarBatcher => {
    let b = batchers.get(iv);
    if (!b) {
      let dup = duplicates.get(iv);
      if (!dup) {
        dup = new DuplicateIndex();
        duplicates.set(iv, dup);
      }
      b = new BarBatcher(iv, batchRows, (i, cols) => repo.writeBars(i, cols), dup);
      batchers.set(iv, b);
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
    quotesStored += await repo.writeQuotes(q);
  };
  const leanSink = {
    bars: batcher,
    rejects,
    quoteDuplicates: new DuplicateIndex(),
    quotes: async (q: QuoteBar[]) => {
      for (const x of q) pendingQuotes.push(x);
      if (pendingQuotes.length >= batchRows) await flushQuotes();
    },
    ticks: async (t: Tick[]) => {
      ticksStored += await repo.writeTicks(t);
    },
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
      let rows = 0;
      if (format === "csv" || format === "polygon") {
        const stream = createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
        const source = file.toLowerCase().endsWith(".gz") ? stream.pipe(createGunzip()) : stream;
        stream.on("error", (err) => source.destroy(err));
        try {
          rows = await importCsvBars(source, {
            file,
            symbol: format === "csv" ? opts.symbol : undefined,
            time,
            batcher: batcher(format === "csv" ? interval : "1m"),
            rejects,
            onChunk: (_bytes, r) => report(stream.bytesRead, r),
          });
        } catch (err) {
          if (err instanceof InputError || err instanceof InvalidArgumentError) throw err;
          if ((err as NodeJS.ErrnoException)?.code)
            throw new InputError(`cannot read ${file}: ${ioMessage(err)}`);
          throw err;
        }
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
          batcher: batcher(interval),
          rejects,
          onRows: (r) => report(0, r),
        });
      } else {
        let zip: Buffer;
        try {
          zip = await readFile(file);
        } catch (err) {
          throw new InputError(`cannot read ${file}: ${ioMessage(err)}`);
        }
        rows = await importLeanFile(lean.get(file) as LeanFile, zip, leanSink);
      }
      rowsRead += rows;
      bytesBefore += sizes[k];
      report(0, 0);
    }
    for (const b of batchers.values()) await b.finish();
    await flushQuotes();
    if (format === "lean") {
      const actionFiles = await leanActionFiles(paths, [...lean.values()]);
      actions = await ingestLeanActions(actionFiles, repo, getCalendar(LEAN_CALENDAR), rejects);
    }
  } finally {
    for (const b of batchers.values()) await b.drain(0).catch(() => {});
    duck?.close();
  }
  let barsStored = 0;
  for (const b of batchers.values()) barsStored += b.stored;
  return {
    files: files.length,
    rowsRead,
    rowsStored: barsStored + quotesStored + ticksStored,
    actions: actions.stored,
    rejected: rejects.count,
    byReason: rejects.byReason,
    rejects: rejects.list,
    skipped,
  };
}
