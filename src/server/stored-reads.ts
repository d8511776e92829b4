import { type Adjustment, type SecurityHistory, securityHistory, spansWithin } from "../actions/index.js";
import { deriveBars, readStoredBars, type StoredBars } from "../aggregate/index.js";
import type { Calendar, Session } from "../calendar/types.js";
import { detectGaps } from "../gaps/index.js";
import { parseInterval } from "../model/interval.js";
import { BarSeries } from "../model/series.js";
import type { DateString } from "../model/time.js";
import type { Repository } from "../store/types.js";
import { type KnownCells, type QualityCell, type QualityGrid, QualityReader, toGrid } from "./quality.js";
import { ReadLimiter } from "./read-limit.js";
import { SessionBlocks, type SymbolMinutes, symbolBars } from "./session-blocks.js";
import { TtlCache } from "./ttl-cache.js";

/** What the store holds, as far as the API checks it: symbols, and intervals stored per symbol. */
interface StoredIndex {
  at: number;
  symbols: Set<string>;
  /** `symbol\tinterval` of every stored series. */
  series: Set<string>;
}

/** Options of StoredReads. */
export interface StoredReadsOptions {
  /** Wall ms answers read from the store are kept (another process may write it). Default 60 s. */
  ttlMs?: number;
  /** Wall ms what the store holds (its symbols) is kept. Default 5 s. */
  indexTtlMs?: number;
  /** Bytes of whole sessions kept in memory. Default 256 MiB. */
  blockBytes?: number;
}

/** Requests spanning at most this many sessions are served from whole-session blocks. */
const BLOCK_SESSIONS = 25;
/** Stores with more symbols than this are read per request (a session block would be too big). */
const BLOCK_SYMBOLS = 2000;

/**
 * The API's reads of the store, bounded and cached: stored-range bars and quality audits of
 * a few sessions come from whole-session blocks kept in memory (`SessionBlocks`); longer
 * spans, bars stored at the asked interval and very wide stores go to the store per request,
 * through a limiter (4 bar reads and 2 quality reads at once, a bounded queue, then 503);
 * so do renamed symbols and adjusted prices (a symbol's history is kept like the answers).
 */
export class StoredReads {
  private readonly blocks: SessionBlocks;
  private readonly quality: QualityReader;
  private readonly barReads = new ReadLimiter(4, 256);
  private index: StoredIndex | undefined;
  private indexing: Promise<StoredIndex> | undefined;
  private readonly indexTtlMs: number;
  private readonly histories: TtlCache<SecurityHistory>;

  constructor(
    private readonly repository: Repository,
    private readonly calendar: Calendar,
    opts: StoredReadsOptions = {},
  ) {
    const ttl = opts.ttlMs ?? 60_000;
    this.indexTtlMs = opts.indexTtlMs ?? 5000;
    this.histories = new TtlCache(ttl, 4 << 20);
    this.blocks = new SessionBlocks(repository, new ReadLimiter(2, 256), ttl, opts.blockBytes);
    this.quality = new QualityReader(repository, calendar, new ReadLimiter(2, 32), ttl);
  }

  /** Symbols with stored bars (any interval). */
  async symbols(): Promise<Set<string>> {
    return (await this.stored()).symbols;
  }

  /**
   * Stored bars of one symbol as `readStoredBars` returns them. From the session blocks when
   * they hold exactly that answer: the symbol traded under its own ticker throughout, and no
   * stored action changes its prices in the asked adjustment.
   */
  async bars(
    symbol: string,
    interval: string,
    from: DateString,
    to: DateString,
    extended: boolean,
    adjustment: Adjustment = { mode: "raw" },
  ): Promise<StoredBars> {
    const iv = parseInterval(interval);
    const sessions = this.calendar.sessions(from, to);
    const index = await this.stored();
    const direct =
      sessions.length === 0 ||
      sessions.length > BLOCK_SESSIONS ||
      index.symbols.size > BLOCK_SYMBOLS ||
      (iv.minutes > 1 && index.series.has(`${symbol}\t${iv.name}`)) ||
      !(await this.plain(symbol, from, to, adjustment));
    if (direct) {
      return this.barReads.run(() =>
        readStoredBars(this.repository, this.calendar, symbol, iv, from, to, extended, adjustment),
      );
    }
    const minutes = await this.minutes(symbol, sessions);
    if (iv.minutes > 1) {
      return { bars: deriveBars(minutes, iv, this.calendar, { extended, symbol }), source: "derived" };
    }
    const out = new BarSeries(symbol, "1m", Math.max(1, minutes.length));
    for (let i = 0; i < minutes.length; i++) {
      const t = minutes.time[i];
      if (this.calendar.isOpen(t, extended)) {
        out.push(
          t,
          minutes.open[i],
          minutes.high[i],
          minutes.low[i],
          minutes.close[i],
          minutes.volume[i],
          minutes.flags[i],
        );
      }
    }
    return { bars: out, source: "stored" };
  }

  /**
   * The quality grid of `symbols` over `sessions` up to the clock `upTo`; `known` answers
   * cells from elsewhere first (the sessions the engine played).
   */
  async grid(
    symbols: readonly string[],
    sessions: readonly Session[],
    upTo: number,
    extended: boolean,
    known: KnownCells = () => undefined,
  ): Promise<QualityGrid> {
    const index = await this.stored();
    if (sessions.length > BLOCK_SESSIONS || index.symbols.size > BLOCK_SYMBOLS) {
      return this.quality.grid(symbols, sessions, upTo, extended, known);
    }
    const blocks = new Map<string, Awaited<ReturnType<SessionBlocks["get"]>>>();
    for (const s of sessions) {
      if (symbols.some((symbol) => !known(symbol, s.date))) blocks.set(s.date, await this.blocks.get(s));
    }
    const expected = sessions.map((s) => this.calendar.expectedMinutes(s, extended));
    const cells = symbols.map((symbol) =>
      sessions.map((s, d): QualityCell => {
        const own = known(symbol, s.date);
        if (own) return own;
        const bars = symbolBars(blocks.get(s.date)!, symbol);
        const r = detectGaps(bars.time, bars.length, expected[d], upTo);
        return { present: r.present, expected: r.expected, gaps: r.gaps.length };
      }),
    );
    return toGrid(symbols, sessions, cells);
  }

  /** Whether a symbol's stored bars over from..to are its answer as they are: one ticker, nothing to adjust. */
  private async plain(
    symbol: string,
    from: DateString,
    to: DateString,
    adjustment: Adjustment,
  ): Promise<boolean> {
    let history = this.histories.get(symbol);
    if (!history) {
      history = await this.barReads.run(() => securityHistory(this.repository, symbol));
      this.histories.set(symbol, history, 256);
    }
    const spans = spansWithin(history, from, to);
    const oneTicker = spans.length === 1 && spans[0].ticker === symbol;
    return oneTicker && (adjustment.mode === "raw" || history.actions.length === 0);
  }

  /** One symbol's stored one-minute bars over sessions, from their blocks (one copy when several). */
  private async minutes(symbol: string, sessions: readonly Session[]): Promise<SymbolMinutes> {
    const parts: SymbolMinutes[] = [];
    for (const s of sessions) parts.push(symbolBars(await this.blocks.get(s), symbol));
    if (parts.length === 1) return parts[0];
    const n = parts.reduce((a, p) => a + p.length, 0);
    const cat = <T extends Float64Array | Uint8Array>(pick: (p: SymbolMinutes) => T, out: T): T => {
      let at = 0;
      for (const p of parts) {
        out.set(pick(p), at);
        at += p.length;
      }
      return out;
    };
    const f64 = () => new Float64Array(n);
    return {
      symbol,
      length: n,
      time: cat((p) => p.time, f64()),
      open: cat((p) => p.open, f64()),
      high: cat((p) => p.high, f64()),
      low: cat((p) => p.low, f64()),
      close: cat((p) => p.close, f64()),
      volume: cat((p) => p.volume, f64()),
      flags: cat((p) => p.flags, new Uint8Array(n)),
    };
  }

  /**
   * What the store holds. Once known, an expired index is refreshed in the background while
   * the last one answers (a coverage query scans the whole table; requests must not wait on it).
   */
  private async stored(): Promise<StoredIndex> {
    const kept = this.index;
    if (kept && Date.now() - kept.at <= this.indexTtlMs) return kept;
    this.indexing ??= this.repository
      .coverage()
      .then((coverage) => {
        const index: StoredIndex = {
          at: Date.now(),
          symbols: new Set(coverage.map((c) => c.symbol)),
          series: new Set(coverage.map((c) => `${c.symbol}\t${c.interval}`)),
        };
        this.index = index;
        return index;
      })
      .finally(() => {
        this.indexing = undefined;
      });
    if (kept) {
      this.indexing.catch(() => {});
      return kept;
    }
    return this.indexing;
  }
}
