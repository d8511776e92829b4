import { InputError } from "../model/errors.js";
import { type BarBatcher, REASON } from "./batcher.js";
import { parseNumber, splitQuoted, text } from "./bytes.js";
import type { Rejects } from "./rejects.js";
import { NaiveTimeError, type TimeParser } from "./timestamps.js";

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
  /** Called after each chunk with the bytes of that chunk and the data rows read so far. */
  onChunk?: (bytes: number, rowsRead: number) => void;
}

const NL = 10;
const CR = 13;
const QUOTE = 34;

/**
 * Reads bars from CSV bytes (a header row, then one bar per line) into the batcher. Lines are
 * split and numbers parsed in place on the byte chunks; only symbols (when they change) and
 * rejected lines become strings. Returns the data rows read.
 */
export async function importCsvBars(
  source: AsyncIterable<Uint8Array>,
  opts: CsvImportOptions,
): Promise<number> {
  const { file, batcher, rejects } = opts;
  const time = opts.time;
  let cols: ColumnMap | null = null;
  let delim = 44;
  let need = 0;
  let fs = new Int32Array(0);
  let fe = new Int32Array(0);
  let line = 0;
  let rows = 0;
  let carry: Buffer | null = null;
  const symbols = new SymbolInterner();
  let lastTimeBytes: Uint8Array = new Uint8Array(0);
  let lastTime = Number.NaN;
  let symbol = opts.symbol ?? "";

  const rawLine = (b: Uint8Array, s: number, e: number) =>
    Buffer.from(b.buffer, b.byteOffset + s, e - s).toString("utf8");

  const readHeader = (b: Uint8Array, s: number, e: number) => {
    let h = rawLine(b, s, e);
    if (h.charCodeAt(0) === 0xfeff) h = h.slice(1);
    const d = detectDelimiter(h);
    delim = d.charCodeAt(0);
    cols = mapColumns(h.includes('"') ? splitQuoted(h, d) : h.split(d), file, opts.symbol !== undefined);
    need = Math.max(...Object.values(cols)) + 1;
    fs = new Int32Array(need);
    fe = new Int32Array(need);
  };

  /** Parses one data row whose needed fields are at fs/fe in `b`. */
  const row = (b: Uint8Array, m: ColumnMap, s: number, e: number) => {
    rows++;
    const ts = fs[m.time];
    const te = fe[m.time];
    // files of many symbols repeat each time once per symbol: parse it once
    let t = lastTime;
    if (!sameBytes(b, ts, te, lastTimeBytes)) {
      t = time.parseBytes(b, ts, te);
      lastTime = t;
      lastTimeBytes = b.slice(ts, te);
    }
    const open = parseNumber(b, fs[m.open], fe[m.open]);
    const high = parseNumber(b, fs[m.high], fe[m.high]);
    const low = parseNumber(b, fs[m.low], fe[m.low]);
    const close = parseNumber(b, fs[m.close], fe[m.close]);
    const volume = parseNumber(b, fs[m.volume], fe[m.volume]);
    let trades = Number.NaN;
    let vwap = Number.NaN;
    if (m.trades >= 0 && fe[m.trades] > fs[m.trades]) {
      trades = parseNumber(b, fs[m.trades], fe[m.trades]);
      if (!(trades >= 0) || !Number.isFinite(trades)) {
        rejects.add(file, line, "trades is not a number", rawLine(b, s, e));
        return;
      }
    }
    if (m.vwap >= 0 && fe[m.vwap] > fs[m.vwap]) {
      vwap = parseNumber(b, fs[m.vwap], fe[m.vwap]);
      if (!(vwap >= 0) || !Number.isFinite(vwap)) {
        rejects.add(file, line, "vwap is not a number", rawLine(b, s, e));
        return;
      }
    }
    if (m.symbol >= 0) symbol = symbols.get(b, fs[m.symbol], fe[m.symbol]);
    const problem = batcher.add(symbol, t, open, high, low, close, volume, trades, vwap);
    if (problem !== null) rejects.add(file, line, problem, rawLine(b, s, e));
  };

  /** A line with quotes: split properly, then parse from a scratch buffer of its fields. */
  const quotedRow = (b: Uint8Array, m: ColumnMap, s: number, e: number) => {
    const fields = splitQuoted(rawLine(b, s, e), String.fromCharCode(delim));
    if (fields.length < need) {
      rows++;
      rejects.add(file, line, REASON.fields, rawLine(b, s, e));
      return;
    }
    const parts: Buffer[] = [];
    let at = 0;
    for (let f = 0; f < need; f++) {
      const part = Buffer.from(fields[f], "utf8");
      fs[f] = at;
      at += part.length;
      fe[f] = at;
      parts.push(part);
    }
    const scratch = Buffer.concat(parts);
    const raw = rawLine(b, s, e);
    const before = rejects.count;
    row(scratch, m, 0, 0);
    if (rejects.count > before) rejects.list[rejects.list.length - 1].raw = raw;
  };

  /** Parses lines of `b` from `pos`; returns where the first incomplete line starts. */
  const lines = (b: Uint8Array, pos: number, final: boolean): number => {
    const n = b.length;
    while (pos < n) {
      const s = pos;
      let i = pos;
      let f = 0;
      let start = pos;
      let quoted = false;
      for (; i < n; i++) {
        const c = b[i];
        if (c === delim) {
          if (f < need) {
            fs[f] = start;
            fe[f] = i;
          }
          f++;
          start = i + 1;
        } else if (c === NL) {
          break;
        } else if (c === QUOTE) {
          quoted = true;
        }
      }
      if (i === n && !final) return s;
      let e = i;
      if (e > s && b[e - 1] === CR) e--;
      line++;
      pos = i + 1;
      if (cols === null) {
        readHeader(b, s, e);
        continue;
      }
      if (e === s) continue;
      if (f < need) {
        fs[f] = start;
        fe[f] = e;
      }
      f++;
      if (quoted) quotedRow(b, cols, s, e);
      else if (f < need) {
        rows++;
        rejects.add(file, line, REASON.fields, rawLine(b, s, e));
      } else row(b, cols, s, e);
    }
    return pos;
  };

  try {
    for await (const chunk of source) {
      const b: Buffer = carry
        ? Buffer.concat([carry, chunk])
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      const rest = lines(b, 0, false);
      carry = rest < b.length ? b.subarray(rest) : null;
      opts.onChunk?.(chunk.length, rows);
      await batcher.drain(1);
    }
    if (carry) lines(carry, 0, true);
  } catch (err) {
    if (err instanceof NaiveTimeError) {
      throw new InputError(
        `${file}:${line}: ${err.message}; pass --tz ZONE for local times (e.g. --tz America/New_York, or --tz UTC)`,
      );
    }
    throw err;
  }
  if (cols === null) throw new InputError(`${file}: empty file, expected a header row`);
  return rows;
}

/**
 * Symbol strings by their bytes: a row's symbol field is hashed (FNV-1a) and compared in
 * place, so a file interleaving many symbols makes one string per symbol, not per row.
 */
class SymbolInterner {
  private readonly byHash = new Map<number, string>();

  get(b: Uint8Array, s: number, e: number): string {
    while (s < e && b[s] === 32) s++;
    while (e > s && b[e - 1] === 32) e--;
    let h = 0x811c9dc5;
    for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], 0x01000193);
    const key = h & 0x3fffffff;
    const hit = this.byHash.get(key);
    if (hit !== undefined && hit.length === e - s) {
      let same = true;
      for (let k = 0; k < hit.length && same; k++) same = hit.charCodeAt(k) === b[s + k];
      if (same) return hit;
    }
    const str = text(b, s, e);
    if (hit === undefined && str.length === e - s) this.byHash.set(key, str);
    return str;
  }
}

function sameBytes(b: Uint8Array, s: number, e: number, prev: Uint8Array): boolean {
  if (e - s !== prev.length) return false;
  for (let k = 0; k < prev.length; k++) if (b[s + k] !== prev[k]) return false;
  return true;
}
