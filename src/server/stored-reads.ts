import { LRUCache } from "lru-cache";
import { type Adjustment, type SecurityHistory, securityHistory, spansWithin } from "../actions/index.js";
import { deriveBars, readStoredBars, type StoredBars } from "../aggregate/index.js";
import type { Calendar, Session } from "../calendar/types.js";
import { parseInterval } from "../model/interval.js";
import { BarSeries } from "../model/series.js";
import type { DateString } from "../model/time.js";
import type { CorporateAction, Repository } from "../store/types.js";
import { pauser } from "./coded-read.js";
import { type KnownCells, type QualityGrid, QualityReader } from "./quality.js";
import { ReadLimiter } from "./read-limit.js";
import { SessionBlocks, type SymbolMinutes, symbolBars } from "./session-blocks.js";

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
 * The API's reads of the store, bounded and cached: stored-range bars of a few sessions come
 * from whole-session blocks kept in memory (`SessionBlocks`); longer spans, bars stored at the
 * asked interval and very wide stores go to the store per request, through a limiter (4 bar
 * reads at once, a bounded queue, then 503); so do renamed symbols and adjusted prices (the
 * histories of every stored symbol are read at once and kept like the answers). Quality
 * audits read the asked symbols only (`QualityReader`, 2 at once), cut from kept blocks when
 * there are some.
 */
export class StoredReads {
  private readonly blocks: SessionBlocks;
  private readonly quality: QualityReader;
  private readonly barReads = new ReadLimiter(4, 256);
  private index: StoredIndex | undefined;
  private indexing: Promise<StoredIndex> | undefined;
  private readonly indexTtlMs: number;
  private readonly histories: LRUCache<string, SecurityHistory>;
  private historiesLoading: Promise<void> | undefined;

  constructor(
    private readonly repository: Repository,
    private readonly calendar: Calendar,
    opts: StoredReadsOptions = {},
  ) {
    const ttl = opts.ttlMs ?? 60_000;
    this.indexTtlMs = opts.indexTtlMs ?? 5000;
    this.histories = new LRUCache({ ttl, maxSize: 4 << 20 });
    this.blocks = new SessionBlocks(
      repository,
      async () => [...(await this.stored()).symbols].sort(),
      new ReadLimiter(2, 256),
      ttl,
      opts.blockBytes,
    );
    this.quality = new QualityReader(repository, calendar, new ReadLimiter(2, 32), ttl, (symbol, session) => {
      const block = this.blocks.kept(session.date);
      return block ? symbolBars(block, symbol) : undefined;
    });
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
   * cells from elsewhere first (the sessions the engine played), then kept figures and kept
   * whole sessions; the rest is one read of the asked symbols alone.
   */
  grid(
    symbols: readonly string[],
    sessions: readonly Session[],
    upTo: number,
    extended: boolean,
    known: KnownCells = () => undefined,
  ): Promise<QualityGrid> {
    return this.quality.grid(symbols, sessions, upTo, extended, known);
  }

  /** Whether a symbol's stored bars over from..to are its answer as they are: one ticker, nothing to adjust. */
  private async plain(
    symbol: string,
    from: DateString,
    to: DateString,
    adjustment: Adjustment,
  ): Promise<boolean> {
    const history = await this.history(symbol);
    const spans = spansWithin(history, from, to);
    const oneTicker = spans.length === 1 && spans[0].ticker === symbol;
    return oneTicker && (adjustment.mode === "raw" || history.actions.length === 0);
  }

  /**
   * A symbol's history of tickers and actions. Not kept, the histories of every stored symbol
   * are read at once (one read of their actions; a ticker renamed from outside the stored ones
   * is read on its own), so a dashboard or client touching many symbols costs one store read.
   */
  private async history(symbol: string): Promise<SecurityHistory> {
    const kept = this.histories.get(symbol);
    if (kept) return kept;
    this.historiesLoading ??= this.loadHistories().finally(() => {
      this.historiesLoading = undefined;
    });
    await this.historiesLoading;
    const loaded = this.histories.get(symbol);
    if (loaded) return loaded;
    const own = await this.barReads.run(() => securityHistory(this.repository, symbol));
    this.histories.set(symbol, own, { size: 256 });
    return own;
  }

  private async loadHistories(): Promise<void> {
    const stored = [...(await this.stored()).symbols];
    if (stored.length > BLOCK_SYMBOLS) return;
    const actions = await this.barReads.run(() => this.repository.readActions({ symbols: stored }));
    const bySymbol = new Map<string, CorporateAction[]>(stored.map((symbol) => [symbol, []]));
    for (const a of actions) bySymbol.get(a.symbol)?.push(a);
    const batch: Pick<Repository, "readActions"> = {
      readActions: (q) => {
        const own = q.symbols.length === 1 ? bySymbol.get(q.symbols[0]) : undefined;
        if (!own) return this.barReads.run(() => this.repository.readActions(q));
        return Promise.resolve(
          own.filter(
            (a) => (q.from === undefined || a.date >= q.from) && (q.to === undefined || a.date <= q.to),
          ),
        );
      },
    };
    const pause = pauser();
    for (const symbol of stored) {
      this.histories.set(symbol, await securityHistory(batch, symbol), { size: 256 });
      await pause();
    }
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
