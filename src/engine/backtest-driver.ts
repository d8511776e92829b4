import type { BoundaryManager } from "../calendar/index.js";
import type { Calendar, Session } from "../calendar/types.js";
import type { SimulatedClock } from "../clock/simulated.js";
import type { Config } from "../config/schema.js";
import type { Upkeep } from "../upkeep/index.js";
import type { BarPath } from "./bar-path.js";
import { StreamCoordinator } from "./coordinator.js";
import { ListFeed, RepositoryFeed, type SessionLoader, sessionWindow } from "./feeds.js";
import type { Market } from "./markets.js";
import type { SessionCycle } from "./session-cycle.js";
import type { SymbolState } from "./symbol-state.js";
import type { Feed } from "./types.js";

/** What the backtest driver works with. */
export interface BacktestParts {
  config: Config;
  calendar: Calendar;
  clock: SimulatedClock;
  sessions: Session[];
  /** Active symbols, in activation order (grows as symbols are activated). */
  symbols: readonly string[];
  bars: BarPath;
  cycle: SessionCycle;
  boundaries: BoundaryManager;
  upkeep: Upkeep<SymbolState> | undefined;
  loaders: Record<"bar" | "quote" | "tick", SessionLoader>;
  /** Markets of their own (symbols on other calendars): their sessions replay beside these. */
  markets?: readonly Pick<Market, "calendar" | "sessions" | "loaders" | "cycle" | "boundaries">[];
  /** Replay the store's bars (and quote bars / ticks). */
  replayStore: boolean;
  quotes: boolean;
  ticks: boolean;
  /** Pull feeds from outside (a message-bus consumer), added beside the store's. */
  feeds: readonly Feed[];
}

/**
 * The backtest driver: a simulated clock moved by the stream coordinator over the store's
 * session feeds and in-memory feeds, boundaries and upkeep on that clock.
 */
export class BacktestDriver {
  readonly coordinator: StreamCoordinator;
  /** Symbols whose bars are replayed from the repository (which then cannot fill their gaps). */
  readonly storeFed = new Set<string>();
  /** Symbols given in-memory data with `feed()`. */
  readonly listFed = new Set<string>();
  private readonly extraFeeds: Feed[] = [];

  constructor(private readonly p: BacktestParts) {
    this.coordinator = new StreamCoordinator(p.clock, p.bars.sink, p.config.speed);
  }

  /** Adds in-memory data before the run. */
  addListFeed(symbol: string, feed: ListFeed): void {
    this.extraFeeds.push(feed);
    this.listFed.add(symbol);
  }

  /** Replays every planned session (of every market); resolves when done or stopped. */
  async run(): Promise<void> {
    const { config, coordinator } = { ...this.p, coordinator: this.coordinator };
    this.planFromFeeds();
    const markets = [
      {
        name: "",
        sessions: this.p.sessions,
        loaders: this.p.loaders,
        cycle: this.p.cycle,
        boundaries: this.p.boundaries,
      },
      ...(this.p.markets ?? []).map((m) => ({ ...m, name: `:${m.calendar.name}` })),
    ];
    if (this.p.replayStore && this.p.symbols.length > 0) {
      for (const symbol of this.p.symbols) if (!this.listFed.has(symbol)) this.storeFed.add(symbol);
    }
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const { name, sessions, loaders, cycle } of markets) {
      if (sessions.length === 0) continue;
      first = Math.min(first, sessionWindow(sessions[0], config.extended).start);
      last = Math.max(last, sessionWindow(sessions[sessions.length - 1], true).end);
      if (config.prefetch.enabled) cycle.prefetcher.start(sessions[0]);
      const source = config.prefetch.enabled ? cycle.prefetcher : undefined;
      if (this.p.replayStore && this.p.symbols.length > 0) {
        const kinds: ("bar" | "quote" | "tick")[] = ["bar"];
        if (this.p.quotes) kinds.push("quote");
        if (this.p.ticks) kinds.push("tick");
        const names = { bar: "store:bars", quote: "store:quotes", tick: "store:ticks" };
        for (const kind of kinds) {
          coordinator.addFeed(
            new RepositoryFeed(
              `${names[kind]}${name}`,
              kind,
              sessions,
              config.extended,
              loaders[kind],
              source,
            ),
          );
        }
      }
    }
    for (const f of this.extraFeeds) coordinator.addFeed(f);
    for (const f of this.p.feeds) coordinator.addFeed(f);
    if (Number.isFinite(first) && !config.paceClosed) coordinator.skipTo(first);
    for (const m of markets) await m.boundaries.start(this.p.clock.now());
    this.p.upkeep?.start();
    try {
      await coordinator.run(Number.isFinite(last) ? last : this.p.clock.now());
      if (coordinator.isStopped) for (const m of markets) m.cycle.endStopped();
    } finally {
      for (const m of markets) m.boundaries.stop();
      this.p.upkeep?.stop();
    }
  }

  /** Sessions covering the in-memory feeds' data, when no from/to was configured. */
  private planFromFeeds(): void {
    const { sessions, calendar, clock } = this.p;
    if (sessions.length > 0 || this.extraFeeds.length === 0) return;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const f of this.extraFeeds) {
      if (!(f instanceof ListFeed)) continue;
      const r = f.timeRange();
      lo = Math.min(lo, r.min);
      hi = Math.max(hi, r.max);
    }
    if (!Number.isFinite(lo)) return;
    const first = calendar.sessionAt(lo, true) ?? calendar.nextSession(lo, true);
    const last = calendar.sessionAt(hi, true) ?? calendar.previousSession(hi, true);
    if (!first || !last || first.date > last.date) return;
    sessions.push(...calendar.sessions(first.date, last.date));
    clock.set(Math.max(clock.now(), sessionWindow(first, true).start));
  }
}
