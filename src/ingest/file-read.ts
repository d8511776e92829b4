import { createReadStream, type ReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { InputError, TickwrightError } from "../model/errors.js";

/** Bytes read from disk at a time. */
const READ_CHUNK_BYTES = 4 << 20;

/** An I/O error as the reason a file failed. */
export function ioMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "ENOENT") return "no such file or directory";
  if (e?.code === "EACCES") return "permission denied";
  if (e?.code === "Z_DATA_ERROR" || e?.code === "Z_BUF_ERROR") return "not a valid gzip file";
  return e?.message ?? String(err);
}

/** An error reading a file, as the reason it failed; null for errors that are not about the file. */
export function fileFailure(err: unknown): string | null {
  if (err instanceof InputError) return err.message;
  if ((err as NodeJS.ErrnoException)?.code && !(err instanceof TickwrightError)) return ioMessage(err);
  return null;
}

/** A CSV file's bytes (inflated when it ends in `.gz`), and the stream counting what was read from disk. */
export function openCsvFile(file: string): { source: Readable; disk: ReadStream } {
  const disk = createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  const source = file.toLowerCase().endsWith(".gz") ? disk.pipe(createGunzip()) : disk;
  disk.on("error", (err) => source.destroy(err));
  return { source, disk };
}
