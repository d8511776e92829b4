import { basename, dirname, sep } from "node:path";
import { barProblem, type QuoteBar, type Tick } from "../model/bar.js";
import { InputError } from "../model/errors.js";
import { type BarBatcher, type DuplicateIndex, fieldCountReason, REASON } from "./batcher.js";
import { parseNumber } from "./bytes.js";
import type { Rejects } from "./rejects.js";
import type { TimeRule } from "./time-rule.js";
import { daysFromCivil, LocalToUtc } from "./timestamps.js";
import { readZipEntries } from "./zip.js";

/** LEAN's equity data is in New York time. */
export const LEAN_TIME_ZONE = "America/New_York";
/** LEAN equity prices are integers in 1/10000 dollar. */
export const LEAN_PRICE_SCALE = 10_000;

/** What a LEAN zip holds, from its place in the folder layout. */
export interface LeanFile {
  path: string;
  symbol: string;
  kind: "trade-bars" | "quote-bars" | "trade-ticks";
  /** Bar interval for trade bars: `1m`, `60m` or `1d`. */
  interval: string;
  /** The session day (days since epoch) for minute and tick files; NaN for hour and daily files. */
  day: number;
}

/**
 * Recognizes the LEAN equity layout: `equity/<market>/minute/<sym>/<YYYYMMDD>_trade.zip`
 * (1m bars), `..._quote.zip` (1m quote bars), `equity/<market>/tick/<sym>/<YYYYMMDD>_trade.zip`
 * (trade ticks), `equity/<market>/hour/<sym>.zip` (60m bars) and `.../daily/<sym>.zip` (1d
 * bars). Anything else (other security types, second bars, quote ticks, open interest): null.
 */
export function classifyLeanPath(path: string): LeanFile | null {
  const parts = path.split(sep).filter((p) => p.length > 0);
  const name = basename(path).toLowerCase();
  if (!name.endsWith(".zip") || parts.length < 4) return null;
  const res = parts.length >= 2 ? parts[parts.length - 2].toLowerCase() : "";
  if ((res === "hour" || res === "daily") && parts[parts.length - 4]?.toLowerCase() === "equity") {
    const symbol = name.slice(0, -4).toUpperCase();
    return { path, symbol, kind: "trade-bars", interval: res === "hour" ? "60m" : "1d", day: Number.NaN };
  }
  const dirRes = parts[parts.length - 3]?.toLowerCase();
  if (parts[parts.length - 5]?.toLowerCase() !== "equity") return null;
  const m = /^(\d{4})(\d{2})(\d{2})_(trade|quote)\.zip$/.exec(name);
  if (!m) return null;
  const day = daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
  const symbol = basename(dirname(path)).toUpperCase();
  if (dirRes === "minute") {
    return { path, symbol, kind: m[4] === "trade" ? "trade-bars" : "quote-bars", interval: "1m", day };
  }
  if (dirRes === "tick" && m[4] === "trade")
    return { path, symbol, kind: "trade-ticks", interval: "tick", day };
  return null;
}

/** Where a LEAN file's rows go. */
export interface LeanSink {
  /** Bar batchers by interval (`1m`, `60m`, `1d`). */
  bars(interval: string): BarBatcher;
  quotes(quotes: QuoteBar[]): Promise<void>;
  ticks(ticks: Tick[]): Promise<void>;
  rejects: Rejects;
  quoteDuplicates: DuplicateIndex;
  /** The time rule of one-minute quote bars and of ticks (no interval). */
  quoteTimes: TimeRule;
  tickTimes: TimeRule;
  /** Bytes a zip entry may inflate to. */
  maxEntryBytes: number;
}

/** Fields of a row of each kind of LEAN file. */
const FIELDS = { "trade-bars": 6, "quote-bars": 11, "trade-ticks": 6 } as const;
/** Quote bars and ticks are handed to the sink in lots of this many. */
const LOT_ROWS = 65_536;

/**
 * Calls `fn(b, fs, fe, line, s, e)` for every non-blank line of a headerless CSV arriving in
 * chunks, with the comma-separated fields at fs/fe; `after()` runs after each chunk.
 */
async function eachLine(
  chunks: AsyncIterable<Buffer>,
  fn: (b: Buffer, fs: number[], fe: number[], line: number, s: number, e: number) => void,
  after: () => Promise<void>,
): Promise<void> {
  const fs: number[] = [];
  const fe: number[] = [];
  let line = 0;
  let carry: Buffer | null = null;
  const lines = (data: Buffer, final: boolean): number => {
    let pos = 0;
    while (pos < data.length) {
      let nl = data.indexOf(10, pos);
      if (nl < 0) {
        if (!final) return pos;
        nl = data.length;
      }
      let e = nl;
      if (e > pos && data[e - 1] === 13) e--;
      line++;
      if (e > pos) {
        fs.length = 0;
        fe.length = 0;
        let start = pos;
        for (let i = pos; i < e; i++) {
          if (data[i] === 44) {
            fs.push(start);
            fe.push(i);
            start = i + 1;
          }
        }
        fs.push(start);
        fe.push(e);
        fn(data, fs, fe, line, pos, e);
      }
      pos = nl + 1;
    }
    return pos;
  };
  for await (const chunk of chunks) {
    const data: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    const rest = lines(data, false);
    carry = rest < data.length ? data.subarray(rest) : null;
    await after();
  }
  if (carry) lines(carry, true);
  await after();
}

/** `YYYYMMDD HH:MM` at [s, e) as (day, ms of day), or null. */
function leanDateTime(b: Buffer, s: number, e: number): { day: number; ms: number } | null {
  const t = b.toString("latin1", s, e).trim();
  const m = /^(\d{4})(\d{2})(\d{2})(?: (\d{2}):(\d{2}))?$/.exec(t);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const day = daysFromCivil(y, mo, d);
  const check = new Date(day * 86_400_000);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  const hh = m[4] === undefined ? 0 : Number(m[4]);
  const mi = m[5] === undefined ? 0 : Number(m[5]);
  if (hh > 23 || mi > 59) return null;
  return { day, ms: (hh * 60 + mi) * 60_000 };
}

const ny = new LocalToUtc(LEAN_TIME_ZONE);

/**
 * Reads one LEAN zip into the sink, streaming its entry: prices divided by 10,000, New York
 * times converted to UTC. Minute and tick times are ms since New York midnight of the file's
 * date; hour bars are stamped at their New York start; daily bars at the open of their
 * date's session (as LEAN stamps them). Every row must have the kind's field count. An
 * unreadable archive is an InputError before any row is read. Returns the data rows read.
 */
export async function importLeanFile(file: LeanFile, sink: LeanSink): Promise<number> {
  const { rejects } = sink;
  const path = file.path;
  const sym = file.symbol;
  const fields = FIELDS[file.kind];
  let rows = 0;
  const priceAt = (b: Buffer, fs: number[], fe: number[], k: number) =>
    parseNumber(b, fs[k], fe[k]) / LEAN_PRICE_SCALE;
  const reject = (line: number, reason: string, b: Buffer, s: number, e: number) =>
    rejects.addBytes(path, line, reason, b, s, e);
  /** The UTC time of a minute or tick row's ms-of-day field, NaN when out of the day. */
  const dayTime = (b: Buffer, fs: number[], fe: number[]) => {
    const ms = parseNumber(b, fs[0], fe[0]);
    return ms >= 0 && ms < 86_400_000 ? ny.toUtc(file.day, ms) : Number.NaN;
  };
  /** Counts a quote or tick row and checks its field count and time: the time, or NaN once rejected. */
  const dayRow = (
    rule: TimeRule,
    b: Buffer,
    fs: number[],
    fe: number[],
    line: number,
    s: number,
    e: number,
  ) => {
    rows++;
    if (fs.length !== fields) {
      reject(line, fieldCountReason(fs.length, fields), b, s, e);
      return Number.NaN;
    }
    const time = dayTime(b, fs, fe);
    const problem = rule.problem(time);
    if (problem === null) return time;
    reject(line, problem, b, s, e);
    return Number.NaN;
  };
  const entries = await readZipEntries(
    path,
    async (entry) => {
      if (file.kind === "trade-bars") {
        const batcher = sink.bars(file.interval);
        const daily = file.interval === "1d";
        const minute = file.interval === "1m";
        await eachLine(
          entry.chunks(),
          (b, fs, fe, line, s, e) => {
            rows++;
            if (fs.length !== fields) return reject(line, fieldCountReason(fs.length, fields), b, s, e);
            let time: number;
            if (minute) time = dayTime(b, fs, fe);
            else {
              const dt = leanDateTime(b, fs[0], fe[0]);
              time = dt === null ? Number.NaN : daily ? batcher.openOn(dt.day) : ny.toUtc(dt.day, dt.ms);
            }
            const problem = batcher.add(
              sym,
              time,
              priceAt(b, fs, fe, 1),
              priceAt(b, fs, fe, 2),
              priceAt(b, fs, fe, 3),
              priceAt(b, fs, fe, 4),
              parseNumber(b, fs[5], fe[5]),
              Number.NaN,
              Number.NaN,
            );
            if (problem !== null) reject(line, problem, b, s, e);
          },
          () => batcher.drain(1),
        );
      } else if (file.kind === "quote-bars") {
        let quotes: QuoteBar[] = [];
        await eachLine(
          entry.chunks(),
          (b, fs, fe, line, s, e) => {
            const time = dayRow(sink.quoteTimes, b, fs, fe, line, s, e);
            if (Number.isNaN(time)) return;
            const p = (k: number) => priceAt(b, fs, fe, k);
            const q: QuoteBar = {
              symbol: sym,
              time,
              bidOpen: p(1),
              bidHigh: p(2),
              bidLow: p(3),
              bidClose: p(4),
              bidSize: parseNumber(b, fs[5], fe[5]),
              askOpen: p(6),
              askHigh: p(7),
              askLow: p(8),
              askClose: p(9),
              askSize: parseNumber(b, fs[10], fe[10]),
            };
            const bid = barProblem(q.bidOpen, q.bidHigh, q.bidLow, q.bidClose, q.bidSize);
            if (bid !== null) return reject(line, `bid ${bid}`, b, s, e);
            const ask = barProblem(q.askOpen, q.askHigh, q.askLow, q.askClose, q.askSize);
            if (ask !== null) return reject(line, `ask ${ask}`, b, s, e);
            if (sink.quoteDuplicates.seen(sym, q.time)) return reject(line, REASON.duplicate, b, s, e);
            quotes.push(q);
          },
          async () => {
            if (quotes.length === 0) return;
            const lot = quotes;
            quotes = [];
            await sink.quotes(lot);
          },
        );
      } else {
        let ticks: Tick[] = [];
        await eachLine(
          entry.chunks(),
          (b, fs, fe, line, s, e) => {
            const time = dayRow(sink.tickTimes, b, fs, fe, line, s, e);
            if (Number.isNaN(time)) return;
            const price = priceAt(b, fs, fe, 1);
            const size = parseNumber(b, fs[2], fe[2]);
            if (!Number.isFinite(price)) return reject(line, "price is not a number", b, s, e);
            if (!Number.isFinite(size)) return reject(line, "size is not a number", b, s, e);
            if (price < 0) return reject(line, "negative price", b, s, e);
            if (size < 0) return reject(line, "negative size", b, s, e);
            const tick: Tick = { symbol: sym, time, price, size };
            if (fe[3] > fs[3]) tick.exchange = b.toString("utf8", fs[3], fe[3]).trim();
            if (fe[4] > fs[4]) tick.condition = b.toString("utf8", fs[4], fe[4]).trim();
            tick.suspicious = parseNumber(b, fs[5], fe[5]) === 1;
            ticks.push(tick);
          },
          async () => {
            if (ticks.length < LOT_ROWS) return;
            // a lot never splits one instant: the store numbers and replaces ticks per time range
            let cut = ticks.length - 1;
            const last = ticks[cut].time;
            while (cut > 0 && ticks[cut - 1].time === last) cut--;
            if (cut === 0) return;
            const lot = ticks.slice(0, cut);
            ticks = ticks.slice(cut);
            await sink.ticks(lot);
          },
        );
        if (ticks.length > 0) await sink.ticks(ticks);
      }
    },
    sink.maxEntryBytes,
  );
  if (entries === 0) throw new InputError(`${path}: the zip archive is empty`);
  return rows;
}
