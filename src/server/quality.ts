import { LRUCache } from "lru-cache";
import type { Calendar, Session } from "../calendar/types.js";
import { detectGaps } from "../gaps/index.js";
import type { DateString } from "../model/time.js";
import type { Repository } from "../store/types.js";
import { groupByCode, pauser, readCoded } from "./coded-read.js";
import type { ReadLimiter } from "./read-limit.js";

/** Bar quality of symbols x sessions, as the dashboard's heatmap draws it. */
export interface QualityGrid {
  dates: DateString[];
  symbols: string[];
  /** quality[s][d]: percent of expected regular-session minutes present; null when none expected yet. */
  quality: (number | null)[][];
  /** gaps[s][d]: missing ranges in that session. */
  gaps: number[][];
  /** True when symbols were left out to keep the answer within MAX_QUALITY_CELLS. */
  truncated: boolean;
}

/** One symbol's figures in one session. */
export interface QualityCell {
  present: number;
  expected: number;
  gaps: number;
}

/** Cells known without reading the store (the sessions the engine played), or undefined. */
export type KnownCells = (symbol: string, date: DateString) => QualityCell | undefined;

/** The most symbols x sessions one quality request covers; past it the request is refused. */
export const MAX_QUALITY_CELLS = 10_000;
/** Rows per chunk of a quality read: the main thread converts one chunk at a time. */
const CHUNK_ROWS = 8192;
const cellKey = (symbol: string, date: string, extended: boolean) =>
  `${symbol}\t${date}\t${extended ? 1 : 0}`;

/** Percent present, to two decimals; null when nothing is expected yet. */
export function cellQuality(c: QualityCell): number | null {
  return c.expected > 0 ? Math.round((c.present / c.expected) * 10_000) / 100 : null;
}

/** The grid of cells[symbol][session]. */
export function toGrid(
  symbols: readonly string[],
  sessions: readonly Session[],
  cells: readonly (readonly QualityCell[])[],
): QualityGrid {
  return {
    dates: sessions.map((s) => s.date),
    symbols: [...symbols],
    quality: cells.map((row) => row.map(cellQuality)),
    gaps: cells.map((row) => row.map((c) => c.gaps)),
    truncated: false,
  };
}

/** A symbol's one-minute times of a session from memory (a kept whole session), or undefined. */
export type MemoryMinutes = (
  symbol: string,
  session: Session,
) => { time: Float64Array; length: number } | undefined;

/**
 * Audits of the stored one-minute bars per symbol and session, for `/api/quality`. A cell is
 * answered by `known` (the sessions the engine played), else from the kept figures, else from
 * `memory` (sessions kept whole for other reads), else by one range read of only the asked
 * symbols over the sessions still missing (through the limiter, converted chunk by chunk with
 * yields to the event loop), so a cold request costs its own rows, not whole sessions. The
 * figures of sessions that had ended by the clock are kept (`ttlMs`, since another process may
 * write the store), so a dashboard or poller asking again costs lookups only.
 */
export class QualityReader {
  private readonly cells: LRUCache<string, QualityCell>;

  constructor(
    private readonly repository: Repository,
    private readonly calendar: Calendar,
    private readonly limiter: ReadLimiter,
    ttlMs = 60_000,
    private readonly memory: MemoryMinutes = () => undefined,
  ) {
    this.cells = new LRUCache({ ttl: ttlMs, maxSize: 8 << 20 });
  }

  /**
   * The grid of `symbols` over `sessions` up to the clock `upTo` (minutes not ended by then
   * are not expected). `known(symbol, date)` answers cells from elsewhere (the sessions the
   * engine played, as its own figures) before the store is read.
   */
  async grid(
    symbols: readonly string[],
    sessions: readonly Session[],
    upTo: number,
    extended: boolean,
    known: KnownCells = () => undefined,
  ): Promise<QualityGrid> {
    const expected = new Map<string, Float64Array>();
    const fromMemory = (symbol: string, session: Session): QualityCell | undefined => {
      const bars = this.memory(symbol, session);
      if (!bars) return undefined;
      let minutes = expected.get(session.date);
      if (!minutes) {
        minutes = this.calendar.expectedMinutes(session, extended);
        expected.set(session.date, minutes);
      }
      return this.keep(symbol, session, upTo, extended, detectGaps(bars.time, bars.length, minutes, upTo));
    };
    const cells: (QualityCell | undefined)[][] = [];
    const pause = pauser();
    for (const symbol of symbols) {
      cells.push(
        sessions.map(
          (s) =>
            known(symbol, s.date) ??
            this.cells.get(cellKey(symbol, s.date, extended)) ??
            fromMemory(symbol, s),
        ),
      );
      await pause();
    }
    const wanted: number[] = [];
    let lo = sessions.length;
    let hi = -1;
    cells.forEach((row, i) => {
      const first = row.indexOf(undefined);
      if (first < 0) return;
      wanted.push(i);
      lo = Math.min(lo, first);
      hi = Math.max(hi, row.lastIndexOf(undefined));
    });
    if (wanted.length > 0) {
      const span = sessions.slice(lo, hi + 1);
      const audits = await this.limiter.run(() =>
        this.audit(
          wanted.map((i) => symbols[i]),
          span,
          upTo,
          extended,
        ),
      );
      wanted.forEach((i, k) => {
        for (let d = lo; d <= hi; d++) cells[i][d] ??= audits[k][d - lo];
      });
    }
    return toGrid(symbols, sessions, cells as QualityCell[][]);
  }

  /** One read of `symbols` over `sessions`; per symbol, per session, the stored figures. */
  private async audit(
    symbols: readonly string[],
    sessions: readonly Session[],
    upTo: number,
    extended: boolean,
  ): Promise<QualityCell[][]> {
    const startOf = (s: Session) => (extended ? s.preOpen : s.open);
    const endOf = (s: Session) => (extended ? s.postClose : s.close);
    const query = {
      symbols,
      interval: "1m",
      from: startOf(sessions[0]),
      to: endOf(sessions[sessions.length - 1]),
    };
    const chunks = await readCoded(this.repository, query, CHUNK_ROWS);
    // Each symbol's times together, in time order.
    const { start, count, rows } = groupByCode(chunks, symbols.length);
    const all = new Float64Array(rows);
    const at = start.slice();
    const pause = pauser();
    for (const c of chunks) {
      for (let from = 0; from < c.length; from += CHUNK_ROWS) {
        const end = Math.min(c.length, from + CHUNK_ROWS);
        for (let i = from; i < end; i++) all[at[c.code[i]]++] = c.time[i];
        await pause();
      }
    }
    const expected = sessions.map((session) => this.calendar.expectedMinutes(session, extended));
    const cells: QualityCell[][] = [];
    for (let k = 0; k < symbols.length; k++) {
      const time = all.subarray(start[k], start[k] + count[k]);
      const row: QualityCell[] = [];
      let i = 0;
      for (let d = 0; d < sessions.length; d++) {
        const end = endOf(sessions[d]);
        while (i < time.length && time[i] < startOf(sessions[d])) i++;
        let j = i;
        while (j < time.length && time[j] < end) j++;
        const r = detectGaps(time.subarray(i, j), j - i, expected[d], upTo);
        row.push(this.keep(symbols[k], sessions[d], upTo, extended, r));
        i = j;
      }
      cells.push(row);
      await pause();
    }
    return cells;
  }

  /** A cell from an audit, kept when its session had ended by the clock. */
  private keep(
    symbol: string,
    session: Session,
    upTo: number,
    extended: boolean,
    r: { present: number; expected: number; gaps: readonly unknown[] },
  ): QualityCell {
    const cell = { present: r.present, expected: r.expected, gaps: r.gaps.length };
    if ((extended ? session.postClose : session.close) <= upTo)
      this.cells.set(cellKey(symbol, session.date, extended), cell, { size: 64 + symbol.length * 2 });
    return cell;
  }
}

/** The last `n` sessions of a calendar whose start is at or before `t`, oldest first. */
export function recentSessions(calendar: Calendar, t: number, n: number): Session[] {
  const out: Session[] = [];
  let s = calendar.sessionAt(t, true) ?? calendar.previousSession(t, true);
  while (s && out.length < n) {
    out.push(s);
    s = calendar.previousSession(s.preOpen, true);
  }
  return out.reverse();
}
