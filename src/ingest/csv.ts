import { InputError } from "../model/errors.js";
import { type BarBatcher, fieldCountReason, REASON, type SymbolEntry } from "./batcher.js";
import { plainDecimal, readNumber, splitQuoted } from "./bytes.js";
import { type Rejects, rawText } from "./rejects.js";
import { TIME_FORM, TIME_FORM_NAMES, type TimeParser } from "./timestamps.js";

/** Longest line read unless told otherwise (16 MiB); a longer one is rejected unread. */
export const DEFAULT_MAX_LINE_BYTES = 16 << 20;

/** The bar fields an importer looks for in a header. */
export type BarField = "time" | "open" | "high" | "low" | "close" | "volume" | "symbol" | "trades" | "vwap";

/**
 * Header names per field, case-insensitive, first match wins. Polygon/Massive flat files
 * (`ticker, volume, open, close, high, low, window_start, transactions`) match these too.
 */
export const COLUMN_NAMES: Record<BarField, readonly string[]> = {
  time: ["time", "timestamp", "datetime", "date", "window_start"],
  open: ["open"],
  high: ["high"],
  low: ["low"],
  close: ["close"],
  volume: ["volume"],
  symbol: ["symbol", "ticker"],
  trades: ["trades", "transactions"],
  vwap: ["vwap"],
};

const REQUIRED: readonly BarField[] = ["time", "open", "high", "low", "close", "volume"];

/** Column index of each field in a file (-1 when absent). */
export type ColumnMap = Record<BarField, number>;

/**
 * Finds the bar columns in a header by name. A missing required column, or a missing symbol
 * column without a `symbol` for the whole file, is an InputError naming the file, what was
 * looked for and what the header has.
 */
export function mapColumns(header: readonly string[], file: string, symbolGiven: boolean): ColumnMap {
  const names = header.map((h) => h.trim().replace(/^"|"$/g, "").trim().toLowerCase());
  const map = {} as ColumnMap;
  for (const field of Object.keys(COLUMN_NAMES) as BarField[]) {
    map[field] = -1;
    for (const alias of COLUMN_NAMES[field]) {
      const at = names.indexOf(alias);
      if (at >= 0) {
        map[field] = at;
        break;
      }
    }
  }
  for (const field of REQUIRED) {
    if (map[field] < 0) {
      throw new InputError(
        `${file}: no ${field} column (looked for ${COLUMN_NAMES[field].join("|")}); the header has: ${header.join(",")}`,
      );
    }
  }
  if (map.symbol < 0 && !symbolGiven) {
    throw new InputError(
      `${file}: no symbol column (symbol|ticker); pass --symbol SYMBOL for the whole file`,
    );
  }
  return map;
}

/** Picks the delimiter of a header line: the most frequent of comma, tab and semicolon. */
export function detectDelimiter(header: string): string {
  let best = ",";
  let bestCount = -1;
  for (const d of [",", "\t", ";"]) {
    const count = header.split(d).length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/** Options of `importCsvBars`. */
export interface CsvImportOptions {
  /** The file's name as rejections report it. */
  file: string;
  /** Symbol for every row when the file has no symbol column. */
  symbol?: string;
  time: TimeParser;
  batcher: BarBatcher;
  rejects: Rejects;
  /**
   * Called after each chunk with the bytes of that chunk and the data rows read so far; the
   * next chunk is read when what it returns has settled.
   */
  onChunk?: (bytes: number, rowsRead: number) => void | Promise<void>;
  /** Longest line kept (default DEFAULT_MAX_LINE_BYTES). */
  maxLineBytes?: number;
}

const NL = 10;
const CR = 13;
const QUOTE = 34;

/**
 * Reads bars from CSV bytes (a header row, then one bar per line) into the batcher. Lines are
 * split and numbers parsed in place on the byte chunks; only symbols (when they change) and
 * rejected lines become strings. A line longer than `maxLineBytes` is rejected without being
 * kept whole. Returns the data rows read.
 */
export async function importCsvBars(
  source: AsyncIterable<Uint8Array>,
  opts: CsvImportOptions,
): Promise<number> {
  const reader = new CsvBarReader(opts);
  const maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let carry: Buffer | null = null;
  let skipping = false;
  for await (const chunk of source) {
    let c = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (skipping) {
      const nl = c.indexOf(10);
      if (nl < 0) continue;
      skipping = false;
      c = c.subarray(nl + 1);
    }
    if (carry !== null) {
      // only the line cut by the chunk boundary is copied; the chunk is parsed where it is
      const nl = c.indexOf(10);
      if (nl < 0) {
        carry = Buffer.concat([carry, c]);
        c = c.subarray(c.length);
      } else {
        reader.feed(Buffer.concat([carry, c.subarray(0, nl + 1)]), false);
        carry = null;
        c = c.subarray(nl + 1);
      }
    }
    if (carry === null) {
      const rest = reader.feed(c, false);
      carry = rest < c.length ? c.subarray(rest) : null;
    }
    if (carry !== null && carry.length > maxLine) {
      reader.tooLong(carry, maxLine);
      carry = null;
      skipping = true;
    }
    await opts.onChunk?.(chunk.length, reader.rows);
    await opts.batcher.drain(1);
  }
  if (carry) reader.feed(carry, true);
  if (!reader.hasHeader) throw new InputError(`${opts.file}: empty file, expected a header row`);
  return reader.rows;
}

const NO_SESSION_ON_DATE = "no session of the calendar on this date";
/** A wall-clock time while no zone was given: the row is refused, and the reason says what to pass. */
export const NAIVE_WITHOUT_ZONE =
  "time has no UTC offset; pass --tz ZONE for local times (e.g. --tz America/New_York, or --tz UTC)";

const rawLine = (b: Uint8Array, s: number, e: number) =>
  Buffer.from(b.buffer, b.byteOffset + s, e - s).toString("utf8");

/** Odd number of double quotes in [s, e). */
function unbalanced(b: Uint8Array, s: number, e: number): boolean {
  let n = 0;
  for (let i = s; i < e; i++) if (b[i] === QUOTE) n++;
  return (n & 1) === 1;
}

/**
 * The CSV state machine. All state lives in fields of one shape (column indexes as plain
 * numbers), so the per-byte and per-row loops run on fast property loads instead of closure
 * context slots.
 */
class CsvBarReader {
  line = 0;
  rows = 0;
  hasHeader = false;
  private delim = 44;
  private need = 0;
  /** Fields of the header: every row must have as many. */
  private width = 0;
  private fileForm: number = TIME_FORM.none;
  private quotedRaw: string | null = null;
  private readonly daily: boolean;
  private readonly maxLine: number;
  private lastForm: number = TIME_FORM.none;
  private fs = new Int32Array(0);
  private fe = new Int32Array(0);
  /** The number fields by index (1), and each one's value when `feed` could read it (see `scanNumber`). */
  private numeric = new Uint8Array(0);
  private num = new Float64Array(0);
  private parsed = new Uint8Array(0);
  private iTime = -1;
  private iOpen = -1;
  private iHigh = -1;
  private iLow = -1;
  private iClose = -1;
  private iVolume = -1;
  private iSymbol = -1;
  private iTrades = -1;
  private iVwap = -1;
  /** The symbol of the file, or of the last row read. */
  private symbol: SymbolEntry | string;
  private lastTimeBytes: Uint8Array = new Uint8Array(0);
  /** The row being read starts with `lastTimeBytes` as its first field, the time (see `feed`). */
  private sameTime = false;
  /** `lastTimeBytes` are a field of a line without quotes (no delimiter, quote or newline in them). */
  private timeFromRaw = false;
  private lastTime = Number.NaN;
  private readonly values = new Float64Array(8);
  private readonly symbols: SymbolInterner;
  private readonly file: string;
  private readonly time: TimeParser;
  private readonly batcher: BarBatcher;
  private readonly rejects: Rejects;

  constructor(private readonly opts: CsvImportOptions) {
    this.file = opts.file;
    this.time = opts.time;
    this.batcher = opts.batcher;
    this.rejects = opts.rejects;
    this.symbol = opts.batcher.symbolEntry((opts.symbol ?? "").trim().toUpperCase());
    this.symbols = new SymbolInterner(opts.batcher);
    this.daily = opts.batcher.interval === "1d";
    this.maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /** Parses the complete lines of `b` (all of it when `final`); returns where the rest starts. */
  feed(b: Uint8Array, final: boolean): number {
    const n = b.length;
    const delim = this.delim;
    const top = Math.max(delim, QUOTE, NL);
    let pos = 0;
    while (pos < n) {
      const s = pos;
      const need = this.need;
      const fs = this.fs;
      const fe = this.fe;
      let i = pos;
      let f = 0;
      let start = pos;
      let quoted = false;
      const numeric = this.numeric;
      // rows of many symbols repeat the time of the row before: when the time is the first
      // field and the row starts with the last time read and a delimiter, that field is
      // found (and known to be that time) without scanning it
      const same = this.lastTimeBytes;
      const len = same.length;
      this.sameTime = false;
      if (
        this.timeFromRaw &&
        this.iTime === 0 &&
        len > 0 &&
        pos + len < n &&
        b[pos + len] === delim &&
        sameBytes(b, pos, pos + len, same)
      ) {
        fs[0] = pos;
        fe[0] = pos + len;
        f = 1;
        start = pos + len + 1;
        i = start;
        this.sameTime = true;
        if (f < need && numeric[f] === 1) i = this.scanNumber(b, i, n, f);
      } else if (numeric[0] === 1) {
        i = this.scanNumber(b, i, n, 0);
      }
      for (; i < n; i++) {
        const c = b[i];
        // digits and letters, most of the bytes, are above every byte looked for
        if (c > top) continue;
        if (c === delim) {
          if (f < need) {
            fs[f] = start;
            fe[f] = i;
          }
          f++;
          start = i + 1;
          // a number field is read as it is scanned; `i` goes on from where the number ends
          if (f < need && numeric[f] === 1) i = this.scanNumber(b, start, n, f) - 1;
        } else if (c === NL) {
          break;
        } else if (c === QUOTE) {
          quoted = true;
        }
      }
      if (i === n && !final) return s;
      let e = i;
      if (e > s && b[e - 1] === CR) e--;
      this.line++;
      pos = i + 1;
      if (!this.hasHeader) {
        this.readHeader(b, s, e);
        return this.feed(b.subarray(pos), final) + pos;
      }
      if (e === s) continue;
      if (f < need) {
        fs[f] = start;
        fe[f] = e;
      }
      f++;
      if (e - s > this.maxLine) this.tooLong(b.subarray(s, e), this.maxLine, false);
      else if (quoted) this.quotedRow(b, s, e);
      else if (f !== this.width) {
        this.rows++;
        this.rejects.addBytes(this.file, this.line, fieldCountReason(f, this.width), b, s, e);
      } else this.row(b, s, e);
    }
    return pos;
  }

  /**
   * Reads a plain decimal (`[+-]digits[.digits]`, 1 to 15 digits, what `readNumber` computes
   * exactly) from `at`, the start of field `f`, into `num[f]` when a delimiter or newline
   * ends it right after; `parsed[f]` says whether it did (else `row` asks `readNumber`).
   * Returns where the scan goes on: the first byte that is not part of such a number.
   */
  private scanNumber(b: Uint8Array, at: number, n: number, f: number): number {
    const end = plainDecimal(b, at, n, this.num, f);
    const c = b[end];
    this.parsed[f] = end < n && (c === this.delim || c === NL) && !Number.isNaN(this.num[f]) ? 1 : 0;
    return end;
  }

  private readHeader(b: Uint8Array, s: number, e: number): void {
    let h = rawLine(b, s, e);
    if (h.charCodeAt(0) === 0xfeff) h = h.slice(1);
    const d = detectDelimiter(h);
    this.delim = d.charCodeAt(0);
    const names = h.includes('"') ? splitQuoted(h, d) : h.split(d);
    this.width = names.length;
    const m = mapColumns(names, this.file, this.opts.symbol !== undefined);
    this.iTime = m.time;
    this.iOpen = m.open;
    this.iHigh = m.high;
    this.iLow = m.low;
    this.iClose = m.close;
    this.iVolume = m.volume;
    this.iSymbol = m.symbol;
    this.iTrades = m.trades;
    this.iVwap = m.vwap;
    this.need = Math.max(...Object.values(m)) + 1;
    this.fs = new Int32Array(this.need);
    this.fe = new Int32Array(this.need);
    this.num = new Float64Array(this.need);
    this.parsed = new Uint8Array(this.need);
    this.numeric = new Uint8Array(this.need);
    for (const k of [m.open, m.high, m.low, m.close, m.volume, m.trades, m.vwap])
      if (k >= 0) this.numeric[k] = 1;
    this.hasHeader = true;
  }

  /** One data row whose needed fields are at fs/fe in `b`. */
  private row(b: Uint8Array, s: number, e: number): void {
    this.rows++;
    const fs = this.fs;
    const fe = this.fe;
    const ts = fs[this.iTime];
    const te = fe[this.iTime];
    // files of many symbols repeat each time once per symbol: parse it once
    let t = this.lastTime;
    let form = this.lastForm;
    if (!this.sameTime && !sameBytes(b, ts, te, this.lastTimeBytes)) {
      const time = this.time;
      t = time.parseBytes(b, ts, te);
      form = time.form;
      if (form === TIME_FORM.date && this.daily) t = this.batcher.openOn(time.day);
      this.lastTime = t;
      this.lastForm = form;
      this.lastTimeBytes = b.slice(ts, te);
      this.timeFromRaw = this.quotedRaw === null;
    }
    if (form !== this.fileForm && form !== TIME_FORM.none) {
      if (this.fileForm !== TIME_FORM.none) {
        const reason = `time written as ${TIME_FORM_NAMES[form]}, the file's as ${TIME_FORM_NAMES[this.fileForm]}`;
        this.reject(reason, b, s, e);
        return;
      }
      if (form === TIME_FORM.naive && this.time.timeZone === undefined) {
        this.reject(NAIVE_WITHOUT_ZONE, b, s, e);
        return;
      }
      this.fileForm = form;
    }
    if (form === TIME_FORM.date && this.daily && Number.isNaN(t)) {
      this.reject(NO_SESSION_ON_DATE, b, s, e);
      return;
    }
    // the row's numbers go to `values` (time, open, high, low, close, volume, trades, vwap)
    const v = this.values;
    v[0] = t;
    this.number(b, this.iOpen, 1);
    this.number(b, this.iHigh, 2);
    this.number(b, this.iLow, 3);
    this.number(b, this.iClose, 4);
    this.number(b, this.iVolume, 5);
    v[6] = Number.NaN;
    v[7] = Number.NaN;
    const it = this.iTrades;
    if (it >= 0 && fe[it] > fs[it]) {
      this.number(b, it, 6);
      if (!(v[6] >= 0) || !Number.isFinite(v[6])) {
        this.reject("trades is not a number", b, s, e);
        return;
      }
    }
    const iv = this.iVwap;
    if (iv >= 0 && fe[iv] > fs[iv]) {
      this.number(b, iv, 7);
      if (!(v[7] >= 0) || !Number.isFinite(v[7])) {
        this.reject("vwap is not a number", b, s, e);
        return;
      }
    }
    if (this.iSymbol >= 0) this.symbol = this.symbols.get(b, fs[this.iSymbol], fe[this.iSymbol]);
    const problem = this.batcher.addRow(this.symbol, v);
    if (problem !== null) this.reject(problem, b, s, e);
  }

  /** Field `f`'s number into `values[k]`: as `feed` read it, else by `readNumber`. */
  private number(b: Uint8Array, f: number, k: number): void {
    if (this.parsed[f] === 1) this.values[k] = this.num[f];
    else readNumber(b, this.fs[f], this.fe[f], this.values, k);
  }

  private reject(reason: string, b: Uint8Array, s: number, e: number): void {
    if (this.quotedRaw !== null) this.rejects.add(this.file, this.line, reason, this.quotedRaw);
    else this.rejects.addBytes(this.file, this.line, reason, b, s, e);
  }

  /** Rejects the line starting `b`, longer than `limit` bytes, keeping only its start. */
  tooLong(b: Uint8Array, limit: number, nextLine = true): void {
    if (nextLine) this.line++;
    this.rows++;
    this.rejects.addBytes(this.file, this.line, `${REASON.longLine} (${limit} bytes)`, b, 0, b.length);
  }

  /** A line with quotes: split properly, then parse from a scratch buffer of its fields. */
  private quotedRow(b: Uint8Array, s: number, e: number): void {
    if (unbalanced(b, s, e)) {
      this.rows++;
      this.rejects.addBytes(this.file, this.line, REASON.unbalancedQuote, b, s, e);
      return;
    }
    const raw = rawText(b, s, e);
    const fields = splitQuoted(rawLine(b, s, e), String.fromCharCode(this.delim));
    if (fields.length !== this.width) {
      this.rows++;
      this.rejects.add(this.file, this.line, fieldCountReason(fields.length, this.width), raw);
      return;
    }
    const parts: Buffer[] = [];
    let at = 0;
    for (let f = 0; f < this.need; f++) {
      const part = Buffer.from(fields[f], "utf8");
      this.fs[f] = at;
      at += part.length;
      this.fe[f] = at;
      parts.push(part);
    }
    this.quotedRaw = raw;
    this.sameTime = false;
    this.parsed.fill(0);
    this.row(Buffer.concat(parts), 0, 0);
    this.quotedRaw = null;
  }
}

/** A symbol's bytes as first seen, its batcher entry, and the symbol read after it last time. */
interface Interned {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly entry: SymbolEntry | string;
  next: Interned | null;
}

/**
 * Upper-cased symbols by their bytes, each with the batcher's entry for it, so a file
 * interleaving many symbols makes one string, and one lookup, per symbol, not per row. Files
 * of many symbols repeat them in the same order every minute: each symbol remembers the one
 * read after it, and a row is first compared with that guess; otherwise its symbol field is
 * hashed (FNV-1a, ASCII letters folded to upper case) and compared in place.
 */
class SymbolInterner {
  private readonly byHash = new Map<number, Interned>();
  private last: Interned | null = null;

  constructor(private readonly batcher: BarBatcher) {}

  /** The batcher's entry of the symbol in bytes [s, e) of `b` (see BarBatcher.symbolEntry). */
  get(b: Uint8Array, s: number, e: number): SymbolEntry | string {
    while (s < e && b[s] === 32) s++;
    while (e > s && b[e - 1] === 32) e--;
    const guess = this.last?.next;
    if (guess != null && sameBytes(b, s, e, guess.bytes)) {
      this.last = guess;
      return guess.entry;
    }
    const found = this.lookUp(b, s, e);
    if (this.last !== null) this.last.next = found;
    this.last = found;
    return found.entry;
  }

  private lookUp(b: Uint8Array, s: number, e: number): Interned {
    let h = 0x811c9dc5;
    for (let i = s; i < e; i++) h = Math.imul(h ^ upper(b[i]), 0x01000193);
    const key = h & 0x3fffffff;
    const hit = this.byHash.get(key);
    if (hit !== undefined && hit.name.length === e - s) {
      const name = hit.name;
      let same = true;
      for (let k = 0; k < name.length && same; k++) same = name.charCodeAt(k) === upper(b[s + k]);
      if (same) return hit;
    }
    const name = Buffer.from(b.buffer, b.byteOffset + s, e - s)
      .toString("utf8")
      .toUpperCase();
    const found = { name, bytes: b.slice(s, e), entry: this.batcher.symbolEntry(name), next: null };
    if (hit === undefined && name.length === e - s) this.byHash.set(key, found);
    return found;
  }
}

/** An ASCII byte with a-z folded to A-Z. */
const upper = (c: number) => (c >= 97 && c <= 122 ? c - 32 : c);

function sameBytes(b: Uint8Array, s: number, e: number, prev: Uint8Array): boolean {
  if (e - s !== prev.length) return false;
  for (let k = 0; k < prev.length; k++) if (b[s + k] !== prev[k]) return false;
  return true;
}
