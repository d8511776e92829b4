import type { Calendar } from "../calendar/index.js";
import type { Repository } from "../store/types.js";
import type { Rejection, RejectsFile } from "./rejects.js";
import type { TimeFormat } from "./timestamps.js";

/** The input formats `ingest` reads. */
export type IngestFormat = "csv" | "parquet" | "lean" | "polygon" | "actions";

export const INGEST_FORMATS: readonly IngestFormat[] = ["csv", "parquet", "lean", "polygon", "actions"];

export type { Rejection };

/** Progress of an ingest, reported after every chunk read. */
export interface IngestProgress {
  file: string;
  /** Index of the file among all files (0-based) and how many there are. */
  fileIndex: number;
  files: number;
  /** Bytes read of all files so far and in total (on disk; compressed for zip and gz). */
  bytesDone: number;
  bytesTotal: number;
  rowsRead: number;
}

/** Options of `ingest`. */
export interface IngestOptions {
  format: IngestFormat;
  repository: Repository;
  /** Symbol of every row of a CSV/Parquet file without a symbol column. */
  symbol?: string;
  /** How CSV/Parquet time fields are written (default `auto`). */
  timeFormat?: TimeFormat;
  /** IANA zone of times written without an offset. */
  tz?: string;
  /** Interval of CSV/Parquet bars (default `1m`); LEAN and Polygon files carry their own. */
  interval?: string;
  /** Rows per write transaction (default: the store's `writeBatchRows`, else 262,144). */
  batchRows?: number;
  /** Sessions rows must lie in (extended hours included) and daily bars open at. Default XNYS. */
  calendar?: Calendar;
  /** Write every rejected row to this CSV as it occurs (created at the first one). */
  rejectsFile?: string | RejectsFile;
  /** Bytes one zip entry may inflate to (default 1 GiB); a larger entry fails its file. */
  maxEntryBytes?: number;
  /** Longest CSV line read (default 16 MiB); a longer one is rejected without being kept. */
  maxLineBytes?: number;
  onProgress?: (progress: IngestProgress) => void;
}

/** A file the ingest could not read, and why; the other files were read. */
export interface FileFailure {
  file: string;
  /** The line the file failed at, when it failed at one (a naive time without --tz). */
  line?: number;
  reason: string;
}

/** Rows of one kind: `minute`, `daily`, `hour` or `Nm` bars, `quote` bars, `tick`s. */
export interface KindCounts {
  read: number;
  stored: number;
  rejected: number;
}

/** What an ingest did. */
export interface IngestSummary {
  /** Files tried: read plus failed. */
  files: number;
  filesRead: number;
  /** Files that could not be read (missing, not of the format, corrupt), in the order tried. */
  failed: FileFailure[];
  /** Data rows seen (headers and blank lines not counted). */
  rowsRead: number;
  /** Rows written to the store: bars, quote bars and ticks; for the `actions` format, actions. */
  rowsStored: number;
  /** Corporate actions written, from LEAN factor and map files or an actions CSV (their rows are not in `rowsRead`, except for the `actions` format). */
  actions: number;
  rejected: number;
  byReason: Record<string, number>;
  /** Rows read, stored and rejected per kind. */
  byKind: Record<string, KindCounts>;
  /** The first 100 rejections; `rejectsFile` has every one. */
  rejects: Rejection[];
  /** Files found in a folder that are not of the format (e.g. LEAN second bars), left alone. */
  skipped: string[];
}
