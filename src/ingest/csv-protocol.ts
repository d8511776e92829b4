import type { SessionColumns } from "../calendar/index.js";
import type { BarColumns } from "../model/bar.js";
import type { RejectsTally } from "./rejects.js";
import type { TimeFormat } from "./timestamps.js";

/** What the parsing thread is given for one ingest (cloned into it by `start`). */
export interface CsvThreadSettings {
  timeFormat: TimeFormat;
  tz?: string;
  /** Interval of the bars read (`1m`, `1d`, ...). */
  interval: string;
  batchRows: number;
  maxLineBytes?: number;
  /** The calendar's session table, rebuilt as a TableCalendar in the thread. */
  calendar: { name: string; timeZone: string; columns: SessionColumns; coverFrom: number; coverTo: number };
}

/** Main thread to parsing thread. */
export type ToCsvThread =
  /** An ingest begins: the thread drops whatever the one before left. */
  | { type: "start"; settings: CsvThreadSettings }
  | { type: "file"; file: string; symbol?: string }
  | { type: "finish" }
  /** A batch is stored: its arrays given back (moved) for the next batches. */
  | { type: "written"; id: number; stored: number; arrays: BatchArrays }
  /** The rejections of a `rejects` message are in the rejects file: its buffer given back. */
  | { type: "rejectsTaken"; lines: ArrayBuffer; ack: boolean }
  | { type: "writeFailed"; id: number };

/** One batch of validated bars (no flags), symbols as codes into every name sent so far; arrays of the batch's capacity. */
export interface BatchMessage extends Omit<BarColumns, "symbol" | "flags"> {
  type: "batch";
  id: number;
  /** Names first seen in this batch; their codes follow the ones sent before. */
  names: string[];
  codes: Int32Array;
}

/** The typed arrays of a batch, moved to the main thread and back. */
export type BatchArrays = Pick<
  BatchMessage,
  "codes" | "time" | "open" | "high" | "low" | "close" | "volume" | "trades" | "vwap"
>;

/** The arrays of a batch in the order they are listed for a move. */
export const batchArrays = (a: BatchArrays): ArrayBuffer[] =>
  [a.codes, a.time, a.open, a.high, a.low, a.close, a.volume, a.trades, a.vwap].map(
    (x) => x.buffer as ArrayBuffer,
  );

/** Parsing thread to main thread. */
export type FromCsvThread =
  | BatchMessage
  /**
   * Rejections: their tally, and their lines of the rejects CSV in the first `length` bytes
   * of `lines` (moved). With `ack`, the thread waits for `rejectsTaken` before reading on.
   */
  | { type: "rejects"; tally: RejectsTally; lines: ArrayBuffer; length: number; ack: boolean }
  | { type: "progress"; bytesRead: number; rows: number }
  /** A file is read: its data rows, and why it failed when it did (`storeFailed`: a write failed). */
  | { type: "fileDone"; rows: number; failure?: string; storeFailed?: boolean }
  | { type: "finished" }
  | { type: "fatal"; message: string };
