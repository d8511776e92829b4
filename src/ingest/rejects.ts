import { closeSync, openSync, writeSync } from "node:fs";

/** A row the importer refused: where it was, why, and the row as written. */
export interface Rejection {
  file: string;
  /** Physical line number in the file (a header is line 1); for Parquet, the 1-based row number. */
  line: number;
  reason: string;
  raw: string;
}

/** Bytes of a rejected row's text kept (in memory and in the rejects file); the rest is cut. */
export const RAW_LIMIT_BYTES = 1024;
/** Rejections kept in memory for the summary; every one goes to the rejects file. */
export const SAMPLE_REJECTIONS = 100;
/** The rejects file is written in pieces of about this many bytes. */
const FLUSH_BYTES = 1 << 20;

/** `raw` cut to RAW_LIMIT_BYTES bytes, marked with how many bytes were dropped. */
export function capRaw(raw: string): string {
  if (raw.length <= RAW_LIMIT_BYTES / 4) return raw;
  const bytes = Buffer.from(raw, "utf8");
  return bytes.length <= RAW_LIMIT_BYTES ? raw : cutBytes(bytes, 0, bytes.length);
}

/** Bytes [s, e) of `b` as text, cut to RAW_LIMIT_BYTES (only the kept part is decoded). */
export function rawText(b: Uint8Array, s: number, e: number): string {
  if (e - s > RAW_LIMIT_BYTES) return cutBytes(b, s, e);
  return Buffer.from(b.buffer, b.byteOffset + s, e - s).toString("utf8");
}

function cutBytes(b: Uint8Array, s: number, e: number): string {
  const kept = Buffer.from(b.buffer, b.byteOffset + s, RAW_LIMIT_BYTES).toString("utf8");
  return `${kept}... [${e - s - RAW_LIMIT_BYTES} more bytes]`;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const REJECTS_HEADER = "file,line,reason,raw\n";

/** One rejection as a line of the rejects CSV. */
export function rejectionCsvLine(r: Rejection): string {
  return `${csvField(r.file)},${r.line},${csvField(r.reason)},${csvField(r.raw)}\n`;
}

/** The rejects as CSV: a `file,line,reason,raw` header, then one row per rejection. */
export function rejectsCsv(rejects: readonly Rejection[]): string {
  return REJECTS_HEADER + rejects.map(rejectionCsvLine).join("");
}

/** Where rejections go as they occur: the rejects file, or a thread's hand-over to the main thread. */
export interface RejectionSink {
  write(r: Rejection): void;
  /** Lines of the rejects CSV already encoded (`count` rejections), as the parsing thread hands them over. */
  writeLines(lines: Uint8Array, count: number): void;
}

/** What a batch of rejections adds up to, besides its lines: counts by reason and the first few. */
export interface RejectsTally {
  count: number;
  byReason: Record<string, number>;
  /** The first rejections of the batch, while fewer than SAMPLE_REJECTIONS were sampled before. */
  samples: Rejection[];
}

/**
 * Rejections gathered as bytes of rejects-CSV lines, for a thread to hand over in one moved
 * buffer with a tally: the receiving thread writes the bytes as they are and never holds a
 * string per rejection. The buffer grows to the largest hand-over and is reused when given back.
 */
export class RejectsBuffer implements RejectionSink {
  private buf: Buffer;
  private used = 0;
  private tally: RejectsTally = { count: 0, byReason: {}, samples: [] };
  private sampled = 0;
  private readonly spare: ArrayBuffer[] = [];

  constructor(private readonly keep = SAMPLE_REJECTIONS) {
    this.buf = Buffer.from(new ArrayBuffer(FLUSH_BYTES));
  }

  write(r: Rejection): void {
    const line = rejectionCsvLine(r);
    this.reserve(line.length * 3);
    this.used += this.buf.write(line, this.used, "utf8");
    this.count(r);
  }

  writeLines(lines: Uint8Array, count: number): void {
    this.reserve(lines.length);
    this.buf.set(lines, this.used);
    this.used += lines.length;
    this.tally.count += count;
  }

  private count(r: Rejection): void {
    const t = this.tally;
    t.count++;
    t.byReason[r.reason] = (t.byReason[r.reason] ?? 0) + 1;
    if (this.sampled < this.keep) {
      this.sampled++;
      t.samples.push(r);
    }
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buf.length) return;
    const grown = Buffer.from(new ArrayBuffer(Math.max(2 * this.buf.length, this.used + bytes)));
    grown.set(this.buf.subarray(0, this.used));
    this.buf = grown;
  }

  /** Rejections gathered since the last take (null when none): their tally, and their lines in a buffer to move. */
  take(): { tally: RejectsTally; lines: ArrayBuffer; length: number } | null {
    if (this.tally.count === 0) return null;
    const out = { tally: this.tally, lines: this.buf.buffer as ArrayBuffer, length: this.used };
    const size = this.buf.length;
    let next = this.spare.pop();
    while (next !== undefined && next.byteLength < size) next = this.spare.pop();
    this.buf = Buffer.from(next ?? new ArrayBuffer(size));
    this.used = 0;
    this.tally = { count: 0, byReason: {}, samples: [] };
    return out;
  }

  /** A buffer handed over by `take`, given back once written. */
  giveBack(lines: ArrayBuffer): void {
    if (this.spare.length < 2) this.spare.push(lines);
  }
}

/**
 * The rejects CSV, written as rejections occur (a `file,line,reason,raw` header, then one row
 * each): memory holds at most one piece of about 1 MB, whatever the number of rejections.
 * The file is created at the first rejection; with `always`, by `close` when there was none.
 */
export class RejectsFile implements RejectionSink {
  private fd: number | null = null;
  private pending: string[] = [];
  private pendingBytes = 0;
  /** Rejections written. */
  count = 0;

  constructor(
    readonly path: string,
    private readonly always = false,
  ) {}

  write(r: Rejection): void {
    const line = rejectionCsvLine(r);
    this.count++;
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  writeLines(lines: Uint8Array, count: number): void {
    this.count += count;
    this.flush();
    const fd = this.fd as number;
    for (let at = 0; at < lines.length; ) at += writeSync(fd, lines, at, lines.length - at);
  }

  private flush(): void {
    if (this.fd === null) {
      this.fd = openSync(this.path, "w");
      writeSync(this.fd, REJECTS_HEADER);
    }
    if (this.pending.length > 0) writeSync(this.fd, this.pending.join(""));
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Writes what is pending and closes the file. */
  close(): void {
    if (this.fd === null && this.count === 0 && !this.always) return;
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * Rejected rows: counted by reason, the first SAMPLE_REJECTIONS kept, every one handed to
 * the rejects file (when there is one) as it occurs. Raw text is cut to RAW_LIMIT_BYTES.
 */
export class Rejects {
  /** The first rejections, in the order they occurred. */
  readonly list: Rejection[] = [];
  readonly byReason: Record<string, number> = {};
  count = 0;

  constructor(
    private readonly file: RejectionSink | null = null,
    private readonly keep = SAMPLE_REJECTIONS,
  ) {}

  add(file: string, line: number, reason: string, raw: string): void {
    this.record({ file, line, reason, raw: capRaw(raw) });
  }

  /** A rejection whose raw text is already cut (one handed over from the parsing thread). */
  record(r: Rejection): void {
    const reason = r.reason;
    this.count++;
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
    if (this.list.length < this.keep) this.list.push(r);
    this.file?.write(r);
  }

  /** Rejections handed over as a tally and their rejects-CSV lines (see RejectsBuffer). */
  merge(tally: RejectsTally, lines: Uint8Array): void {
    this.count += tally.count;
    for (const reason in tally.byReason)
      this.byReason[reason] = (this.byReason[reason] ?? 0) + tally.byReason[reason];
    for (const r of tally.samples) if (this.list.length < this.keep) this.list.push(r);
    this.file?.writeLines(lines, tally.count);
  }

  /** `add` with the raw text taken from bytes [s, e) of `b`, cut before it is decoded. */
  addBytes(file: string, line: number, reason: string, b: Uint8Array, s: number, e: number): void {
    this.record({ file, line, reason, raw: rawText(b, s, e) });
  }
}
