import type { BoundaryEvent as CalendarBoundary } from "../calendar/index.js";
import type { Calendar, Session } from "../calendar/types.js";
import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/schema.js";
import { MINUTE_MS } from "../model/time.js";
import type { Repository } from "../store/types.js";
import type { Upkeep } from "../upkeep/index.js";
import { type BarPath, closedWindows, type SessionWindows } from "./bar-path.js";
import type { ReplayAdjuster } from "./corporate-actions.js";
import { type SessionLoader, sessionWindow } from "./feeds.js";
import { loadHistory, type SymbolHistory } from "./history.js";
import { Prefetcher, type PreparedSession } from "./prefetch.js";
import type { SessionData } from "./session-data.js";
import type { SymbolState } from "./symbol-state.js";
import type { FeedBatch } from "./types.js";

/** What the session cycle works with. */
export interface SessionCycleParts {
  config: Config;
  calendar: Calendar;
  clock: Clock;
  repository: Pick<Repository, "readBars">;
  /** The repository's reads, timed for health (prefetch). */
  reader: Pick<Repository, "readBars">;
  session: SessionData;
  bars: BarPath;
  upkeep: Upkeep<SymbolState> | undefined;
  /** The sessions a backtest covers (empty live). */
  sessions: Session[];
  loaders: Record<"bar" | "quote" | "tick", SessionLoader>;
  /** Which stored kinds are replayed besides bars. */
  kinds: { quotes: boolean; ticks: boolean };
  /** True in a backtest (a simulated clock: the next session prefetches at once). */
  backtest: boolean;
  /**
   * Sessions a backtest loads ahead of the one starting (default 1). Reads that run off the
   * main thread one at a time gain from more: the next read then starts as soon as one is
   * done, not at a session start; reads on the main thread would only compete with the replay.
   */
  readAhead?: number;
  /** Paced replays: closed time up to a session's start is skipped. */
  skipTo(t: number): void;
  /** Corporate actions at session starts: rename events, and point-in-time adjustment (config `adjust`). */
  adjuster?: ReplayAdjuster;
  /**
   * The symbols whose sessions this cycle runs, when the replay holds several markets (one
   * cycle per calendar); absent, every symbol's.
   */
  members?: () => readonly SymbolState[];
  /** Where ended sessions' quality is added up (shared by the cycles of several markets). */
  qualityTotals?: Map<string, { present: number; expected: number }>;
}

/**
 * The session cycle: boundaries in, session start (history, metrics reset, next prefetch) and
 * end (last upkeep cycle, forming bars completed, roll into history, `roll` event).
 */
export class SessionCycle {
  /** Symbols whose trailing history is still to be loaded. */
  readonly pendingHistory = new Set<string>();
  readonly prefetcher: Prefetcher;
  /** Sessions started so far (a stopped run's summary reports these). */
  started = 0;
  /** Present and expected regular minutes of ended sessions, per symbol. */
  readonly qualityTotals: Map<string, { present: number; expected: number }>;
  /** The session this cycle started last and has not ended. */
  private active: Session | undefined;

  constructor(private readonly p: SessionCycleParts) {
    this.qualityTotals = p.qualityTotals ?? new Map();
    this.prefetcher = new Prefetcher(
      (session) => this.prepare(session),
      () => p.clock.now(),
    );
  }

  /**
   * Handles one calendar boundary. A backtest's market plays only its planned sessions: with
   * several markets the clock runs over all of them, past the last planned session of some.
   */
  async onBoundary(ev: CalendarBoundary): Promise<void> {
    const { config, calendar, session: data, bars } = this.p;
    const session = ev.session;
    if (
      this.p.backtest &&
      this.p.sessions.length > 0 &&
      !this.p.sessions.some((s) => s.date === session.date)
    )
      return;
    const extended = config.extended;
    if (ev.type === (extended ? "preOpen" : "open")) await this.startSession(session);
    const ends = extended ? "postClose" : "close";
    await bars.emit({ type: ev.type, at: ev.at, calendar: calendar.name, date: session.date });
    if (ev.type === ends && this.active?.date === session.date) {
      this.active = undefined;
      const members = this.p.members?.();
      await this.p.upkeep?.cycle();
      await bars.flushDerived(members ?? data.all());
      this.accumulateQuality(members ?? data.all());
      data.roll(members);
      this.setWindows(members, closedWindows());
      await bars.emit({ type: "roll", at: ev.at, calendar: calendar.name, date: session.date });
      this.prefetcher.forget(session.date);
      const next = this.nextPlanned(session);
      if (next && !config.paceClosed) this.p.skipTo(sessionWindow(next, extended).start);
    }
  }

  /** The sessions this cycle plans to run (a backtest's; empty live). */
  get plannedSessions(): Session[] {
    return this.p.sessions;
  }

  /** The planned session after `session`, if any. */
  nextPlanned(session: Session): Session | undefined {
    return this.p.sessions.find((s) => s.date > session.date);
  }

  /** Loads and applies the history of symbols that need it, as of the session in progress. */
  async loadPending(symbols: readonly string[], session: Session): Promise<void> {
    this.apply(
      await loadHistory(this.p.repository, this.p.calendar, symbols, session, this.historyOptions()),
    );
    await this.p.adjuster?.adjustLoaded(symbols, session, this.p.session);
  }

  /**
   * Starts a session: history for symbols that need it, then the next session's prefetch. Live,
   * that prefetch is a timer `prefetch.windowMinutes` before the next open; in a backtest the
   * simulated clock jumps over any such window in no time, so the next sessions (`readAhead`)
   * load at once, while this one replays.
   */
  private async startSession(session: Session): Promise<void> {
    const { config, calendar, clock } = this.p;
    const members = this.p.members?.();
    this.p.session.startSession(session, members);
    this.active = session;
    this.started++;
    this.p.upkeep?.newSession(members);
    this.setWindows(members, {
      window: sessionWindow(session, config.extended),
      regular: sessionWindow(session, false),
    });
    const prepared = await this.prefetcher.result(session);
    // Symbols whose prefetched history (raw, as stored) is applied now; loadPending adjusts its own.
    const fresh = new Set<string>();
    if (this.pendingHistory.size > 0) {
      if (prepared?.history) {
        for (const symbol of this.pendingHistory) fresh.add(symbol);
        this.apply(prepared.history);
      } else await this.loadPending([...this.pendingHistory], session);
    }
    if (this.p.adjuster) {
      const events = await this.p.adjuster.startSession(session, this.p.session, fresh, clock.now());
      for (const e of events) await this.p.bars.emit(e);
    }
    const next = calendar.nextSession(session.postClose, true);
    if (next && config.prefetch.enabled && this.p.sessions.some((s) => s.date === next.date)) {
      if (this.p.backtest) {
        const at = this.p.sessions.findIndex((s) => s.date === next.date);
        for (const s of this.p.sessions.slice(at, at + (this.p.readAhead ?? 1))) this.prefetcher.start(s);
      } else {
        const at = sessionWindow(next, config.extended).start - config.prefetch.windowMinutes * MINUTE_MS;
        clock.at(Math.max(at, clock.now()), () => this.prefetcher.start(next));
      }
    }
  }

  private apply(history: Map<string, SymbolHistory>): void {
    for (const [symbol, h] of history) {
      if (!this.p.session.has(symbol)) continue;
      this.p.session.setHistory(symbol, h.slices, h.daily);
      this.pendingHistory.delete(symbol);
    }
  }

  /** Loads a session's feed data and the history of symbols that need it. */
  private async prepare(session: Session): Promise<PreparedSession> {
    const { loaders, kinds: which } = this.p;
    const out: PreparedSession = { batches: new Map<string, FeedBatch>() };
    const kinds: ("bar" | "quote" | "tick")[] = ["bar"];
    if (which.quotes) kinds.push("quote");
    if (which.ticks) kinds.push("tick");
    const needHistory = [...this.pendingHistory];
    const [batches, history] = await Promise.all([
      Promise.all(kinds.map((k) => loaders[k](session))),
      needHistory.length > 0
        ? loadHistory(this.p.reader, this.p.calendar, needHistory, session, this.historyOptions())
        : Promise.resolve(undefined),
    ]);
    for (let i = 0; i < kinds.length; i++) out.batches.set(kinds[i], batches[i]);
    if (history) out.history = history;
    return out;
  }

  private historyOptions() {
    const { config } = this.p;
    return {
      sessions: config.history.sessions,
      dailyBars: config.history.dailyBars,
      extended: config.extended,
    };
  }

  /** The bar path's windows of every symbol, or of one market's. */
  private setWindows(members: readonly SymbolState[] | undefined, windows: SessionWindows): void {
    if (!members) this.p.bars.setWindows(windows);
    else for (const s of members) this.p.bars.setSymbolWindows(s.id, windows);
  }

  /**
   * A stopped run: the session in progress counts in the run's totals as far as it was played
   * (its expected minutes ended by the clock), so the summary's quality is the part replayed.
   */
  endStopped(): void {
    if (this.active === undefined) return;
    this.active = undefined;
    this.accumulateQuality(this.p.members?.() ?? this.p.session.all());
  }

  /** Adds the ending session's present and expected minutes to each symbol's run totals. */
  private accumulateQuality(states: readonly SymbolState[]): void {
    const data = this.p.session;
    for (let i = 0; i < states.length; i++) {
      const s = states[i];
      const expected = data.expectedSoFarOf(s);
      let acc = this.qualityTotals.get(s.symbol);
      if (!acc) this.qualityTotals.set(s.symbol, (acc = { present: 0, expected: 0 }));
      acc.present += Math.min(s.present, expected);
      acc.expected += expected;
    }
  }
}
