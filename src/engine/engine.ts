import { currentTickers, SecurityDirectory } from "../actions/index.js";
import { BoundaryManager, getCalendar } from "../calendar/index.js";
import type { Calendar, Session } from "../calendar/types.js";
import type { Clock } from "../clock/clock.js";
import { LiveClock } from "../clock/live.js";
import { SimulatedClock } from "../clock/simulated.js";
import { symbolCalendars, symbolNames } from "../config/index.js";
import { type Config, type ConfigInput, configSchema, formatIssues } from "../config/schema.js";
import type { Bar, QuoteBar, Tick } from "../model/bar.js";
import { sliceColumns } from "../model/columns.js";
import { ConfigError, InvalidArgumentError } from "../model/errors.js";
import { type Interval, parseInterval } from "../model/interval.js";
import { MINUTE_MS } from "../model/time.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { type BarSource, RepositoryBarSource, Upkeep, type UpkeepHost } from "../upkeep/index.js";
import { BacktestDriver } from "./backtest-driver.js";
import { BarPath, type Rejection } from "./bar-path.js";
import { ReplayAdjuster } from "./corporate-actions.js";
import { EventHub, eventIterator, type Listener } from "./events.js";
import { ListFeed, repositoryLoaders, sessionWindow } from "./feeds.js";
import { type Health, LatencyRecorder } from "./health.js";
import { LiveDriver } from "./live-driver.js";
import { earliestStart, groupByCalendar, type Market, marketLoaders } from "./markets.js";
import type { Prefetcher } from "./prefetch.js";
import { SessionCycle } from "./session-cycle.js";
import { SessionData } from "./session-data.js";
import type { Slice } from "./slice.js";
import { type EngineCounters, EngineStats, type RunState } from "./stats.js";
import type { SymbolState } from "./symbol-state.js";
import type { EngineEvent, EngineEventMap, Feed, LiveFeed, RunSummary } from "./types.js";

export type { Rejection };

/** Extra parts a caller may hand `createEngine` instead of having them built from config. */
export interface EngineParts {
  /** An open repository (the engine then does not close it). */
  repository?: Repository;
  /** A calendar object instead of `config.calendar`'s name. */
  calendar?: Calendar;
  /** Replay bars (and quotes/ticks) from the repository; default true in a backtest with symbols. */
  replayStore?: boolean;
  /** Also replay stored quote bars / ticks. */
  quotes?: boolean;
  ticks?: boolean;
  /** Where upkeep fetches missing bars (default: the repository). */
  barSource?: BarSource;
  /** Pull feeds added to a backtest's replay beside the store's (e.g. a message-bus consumer). */
  feeds?: readonly Feed[];
}

/**
 * The engine: one clock, each symbol's session data, derived bars, history, prefetch, session
 * boundaries and upkeep, wired from one configuration. A facade over parts with one job each:
 * the bar path (validate, append, derived bars, events and slices), the session cycle
 * (boundaries, roll, history, prefetch), the stats (health, counters, summary), and one driver
 * per mode (backtest: simulated clock, coordinator, store feeds; live: wall clock, live sink).
 */
export class Engine {
  readonly session: SessionData;
  readonly clock: Clock;
  /** Periodic gap detection and filling; undefined when `upkeep.enabled` is false. */
  readonly upkeep: Upkeep<SymbolState> | undefined;
  private readonly hub = new EventHub();
  private readonly iterators: { end(): void }[] = [];
  private readonly intervals: Interval[];
  private readonly sessions: Session[];
  private readonly activeSymbols: string[];
  private readonly boundaries: BoundaryManager;
  private readonly bars: BarPath;
  private readonly cycle: SessionCycle;
  private readonly stats: EngineStats;
  private readonly backtest: BacktestDriver | undefined;
  private readonly live: LiveDriver | undefined;
  /** Markets of their own (symbols on another calendar than the engine's), each with its cycle. */
  private readonly markets: Market[] = [];
  /** The market of each symbol not on the engine's calendar. */
  private readonly marketOf = new Map<string, Market>();
  /** Durations of the engine's store reads (replay, history, prefetch, fills). */
  private readonly reads = new LatencyRecorder();
  /** The repository's reads, timed for health. */
  private readonly reader: Pick<
    Repository,
    "readBars" | "readQuotes" | "readTicks" | "readCodedBars" | "releaseCodedBars"
  >;
  private runError: unknown;
  private state: RunState = "idle";

  constructor(
    readonly config: Config,
    readonly repository: Repository,
    readonly calendar: Calendar,
    private readonly parts: EngineParts,
    symbols: string[],
  ) {
    this.intervals = config.derived.intervals.map(parseInterval).filter((iv) => iv.minutes > 1);
    // Reads by current ticker: a renamed symbol's older bars come from its older tickers.
    const securities = new SecurityDirectory(repository, calendar.timeZone);
    this.reader = {
      ...securities.reader({
        readBars: (q) => this.reads.time(() => repository.readBars(q)),
        readQuotes: (q) => this.reads.time(() => repository.readQuotes(q)),
        readTicks: (q) => this.reads.time(() => repository.readTicks(q)),
        readCodedBars: repository.readCodedBars
          ? (q, codes, fields, placed) =>
              this.reads.time(() => repository.readCodedBars!(q, codes, fields, placed))
          : undefined,
      }),
      releaseCodedBars: repository.releaseCodedBars,
    };
    this.activeSymbols = symbols;
    this.sessions = this.planSessions(calendar);
    // Symbols on other calendars than the engine's: one market each, replayed on the one clock.
    const groups = groupByCalendar(calendar, symbols, symbolCalendars(config), getCalendar).map((g) => ({
      ...g,
      sessions: this.planSessions(g.calendar),
    }));
    const starts = [this.sessions, ...groups.map((g) => g.sessions)]
      .filter((plan) => plan.length > 0)
      .map((plan) => sessionWindow(plan[0], true).start);
    const start = starts.length > 0 ? Math.min(...starts) : 0;
    const simulated = config.mode === "backtest" ? new SimulatedClock(start) : undefined;
    const liveClock = simulated ? undefined : new LiveClock((err) => this.fail(err));
    this.clock = simulated ?? liveClock!;
    this.session = new SessionData(this.clock, calendar, {
      extended: config.extended,
      anchor: config.derived.anchor,
      historySessions: config.history.sessions,
      dailyBars: config.history.dailyBars,
      cacheSize: config.derived.cacheSize,
      intervals: this.intervals,
      activate: (symbol) => this.activate(symbol),
    });
    for (const symbol of symbols) {
      this.session.ensure(symbol, groups.find((g) => g.symbols.includes(symbol))?.calendar);
    }
    this.bars = new BarPath(this.clock, this.session, this.hub, config, (err) => this.handlerError(err));
    this.upkeep = config.upkeep.enabled
      ? new Upkeep(this.upkeepHost(), parts.barSource ?? new RepositoryBarSource(this.reader), config.upkeep)
      : undefined;
    const idOf = (symbol: string) => this.session.find(symbol)?.id ?? -1;
    const several = groups.length > 0;
    const primarySymbols = () => this.activeSymbols.filter((x) => !this.marketOf.has(x));
    const loaders = several
      ? marketLoaders(primarySymbols, repositoryLoaders(this.reader, primarySymbols, config.extended, idOf))
      : repositoryLoaders(this.reader, () => this.activeSymbols, config.extended, idOf);
    // With several markets, each cycle runs its own symbols' sessions, paced replays skip
    // closed time only up to the next session of any market.
    const skipTo = several
      ? (t: number) =>
          this.backtest?.coordinator.skipTo(
            earliestStart(
              [this.sessions, ...this.markets.map((m) => m.sessions)],
              this.clock.now(),
              t,
              (s) => sessionWindow(s, config.extended).start,
            ),
          )
      : (t: number) => this.backtest?.coordinator.skipTo(t);
    // What every market's session cycle shares.
    const shared = {
      config,
      clock: this.clock,
      repository: securities.reader(repository),
      reader: this.reader,
      session: this.session,
      bars: this.bars,
      upkeep: this.upkeep,
      kinds: { quotes: parts.quotes === true, ticks: parts.ticks === true },
      backtest: simulated !== undefined,
      // Reads off the main thread (a DuckDB file): two sessions ahead keep the worker busy.
      readAhead: repository.readCodedBars ? 2 : 1,
      skipTo,
    };
    this.cycle = new SessionCycle({
      ...shared,
      calendar,
      sessions: this.sessions,
      loaders,
      adjuster: new ReplayAdjuster(config.adjust, securities, calendar.timeZone),
      ...(several ? { members: () => this.session.all().filter((s) => !this.marketOf.has(s.symbol)) } : {}),
    });
    for (const g of groups) {
      const states = g.symbols.map((x) => this.session.state(x));
      const marketLoaders = repositoryLoaders(this.reader, () => g.symbols, config.extended, idOf);
      const cycle = new SessionCycle({
        ...shared,
        calendar: g.calendar,
        sessions: g.sessions,
        loaders: marketLoaders,
        adjuster: new ReplayAdjuster(config.adjust, securities, g.calendar.timeZone),
        members: () => states,
        qualityTotals: this.cycle.qualityTotals,
      });
      const boundaries = new BoundaryManager(this.clock, g.calendar, { extended: true });
      boundaries.on((ev) => cycle.onBoundary(ev));
      const market: Market = {
        calendar: g.calendar,
        symbols: g.symbols,
        sessions: cycle.plannedSessions,
        states,
        cycle,
        boundaries,
        loaders: marketLoaders,
      };
      this.markets.push(market);
      for (const x of g.symbols) {
        this.marketOf.set(x, market);
        cycle.pendingHistory.add(x);
      }
    }
    for (const symbol of symbols) if (!this.marketOf.has(symbol)) this.cycle.pendingHistory.add(symbol);
    this.boundaries = new BoundaryManager(this.clock, calendar, { extended: true });
    this.boundaries.on((ev) => this.cycle.onBoundary(ev));
    this.backtest = simulated
      ? new BacktestDriver({
          config,
          calendar,
          clock: simulated,
          sessions: this.sessions,
          symbols: this.activeSymbols,
          bars: this.bars,
          cycle: this.cycle,
          boundaries: this.boundaries,
          upkeep: this.upkeep,
          loaders,
          markets: this.markets,
          replayStore: parts.replayStore !== false,
          quotes: parts.quotes === true,
          ticks: parts.ticks === true,
          feeds: parts.feeds ?? [],
        })
      : undefined;
    this.live = liveClock
      ? new LiveDriver({
          clock: liveClock,
          bars: this.bars,
          boundaries: this.boundaries,
          upkeep: this.upkeep,
          onError: (err) => this.handlerError(err),
        })
      : undefined;
    this.stats = new EngineStats({
      config,
      calendar,
      clock: this.clock,
      repository,
      reads: this.reads,
      session: this.session,
      bars: this.bars,
      cycle: this.cycle,
      upkeep: this.upkeep,
      boundaries: this.boundaries,
      sessions: this.sessions,
      run: () => ({ state: this.state, error: this.runError, connection: this.live?.connection }),
    });
  }

  /**
   * Listens to one kind of event; returns a function that stops listening. The listener may
   * return anything; only a returned promise is awaited (backpressure). `slice` listeners get
   * every bar completed at one clock instant, as columns (see `Slice`).
   */
  on<K extends keyof EngineEventMap>(type: K, fn: Listener<EngineEventMap[K]>): () => void {
    return this.hub.on(type, fn);
  }

  /** Listens to every event but slices (a returned promise is awaited before the next event). */
  onAny(fn: Listener<EngineEvent>): () => void {
    return this.hub.onAny(fn);
  }

  /**
   * Every event as an async iterator, with backpressure (the replay waits for a slow consumer);
   * with `{ slices: true }` slices too (copies, safe to keep).
   */
  events(): AsyncIterableIterator<EngineEvent>;
  events(options: { slices: true }): AsyncIterableIterator<EngineEvent | Slice>;
  events(options: { slices?: boolean } = {}): AsyncIterableIterator<EngineEvent | Slice> {
    const it = eventIterator(this.hub, 1024, options.slices === true);
    this.iterators.push(it);
    return it;
  }

  /** Adds in-memory data: one symbol's bars, quote bars or ticks, in time order. */
  feed(symbol: string, kind: "bar" | "quote" | "tick", items: readonly (Bar | QuoteBar | Tick)[]): void {
    if (this.state !== "idle") throw new InvalidArgumentError("feeds must be added before run()");
    if (!this.backtest) throw new InvalidArgumentError("feed() adds data to a backtest");
    if (!this.session.has(symbol)) {
      this.session.ensure(symbol);
      this.activeSymbols.push(symbol);
    }
    this.backtest.addListFeed(symbol, ListFeed.of(symbol, kind, items));
  }

  /** Makes a symbol active: loads its history and adds its stored data from now on. */
  async activate(symbol: string): Promise<void> {
    if (this.session.has(symbol)) return;
    this.session.ensure(symbol);
    this.activeSymbols.push(symbol);
    const current = this.session.session;
    if (!current) return;
    await this.cycle.loadPending([symbol], current);
    const { start, end } = sessionWindow(current, this.config.extended);
    const now = this.clock.now();
    const bars = await this.reader.readBars({ symbols: [symbol], interval: "1m", from: start, to: end });
    const prefetcher = this.cycle.prefetcher;
    prefetcher.discardAfter(current.date);
    const next = this.calendar.nextSession(current.postClose, true);
    const backtest = this.backtest;
    if (next && backtest && this.config.prefetch.enabled && this.sessions.some((x) => x.date === next.date)) {
      prefetcher.start(next);
    }
    const s = this.session.state(symbol);
    let i = 0;
    for (; i < bars.length && bars.time[i] + MINUTE_MS <= now; i++) this.bars.applyBar(s.id, bars, i, false);
    if (backtest && this.parts.replayStore !== false) backtest.storeFed.add(symbol);
    if (i < bars.length && backtest) {
      backtest.coordinator.addFeed(
        new ListFeed(`activate:${symbol}`, { kind: "bar", bars: sliceColumns(bars, i) }),
      );
    }
  }

  /**
   * Replays to the end (backtest) and resolves with the summary; deterministic: the same
   * inputs give the same events in the same order.
   */
  async run(): Promise<RunSummary> {
    if (this.state !== "idle") throw new InvalidArgumentError(`run() called twice (state ${this.state})`);
    if (!this.backtest) throw new InvalidArgumentError("run() replays a backtest; live mode uses start()");
    this.state = "running";
    const t0 = performance.now();
    try {
      await this.backtest.run();
    } finally {
      for (const it of this.iterators) it.end();
    }
    if (this.runError) throw this.runError;
    this.state = this.backtest.coordinator.isStopped ? "stopped" : "done";
    return this.stats.summary(performance.now() - t0);
  }

  pause(): void {
    this.backtest?.coordinator.pause();
    if (this.state === "running") this.state = "paused";
  }

  resume(): void {
    this.backtest?.coordinator.resume();
    if (this.state === "paused") this.state = "running";
  }

  /**
   * Stops a replay at once, a paced wait included (run() then resolves with what it did), or
   * live mode; the returned promise resolves once a live feed has closed its connection.
   */
  async stop(): Promise<void> {
    this.backtest?.coordinator.stop();
    this.state = "stopped";
    await this.live?.stop();
  }

  get isPaused(): boolean {
    return this.state === "paused";
  }

  /**
   * Running totals, cheap to read at any time (for metrics): one-minute bars in, bars out by
   * interval (`1m` included), quotes and ticks in, gaps found/filled/abandoned, rejections.
   */
  counters(): EngineCounters {
    return this.stats.counters();
  }

  /** Rejected events so far: counts by reason and the first rejections kept. */
  rejections(): { byReason: Record<string, number>; kept: Rejection[] } {
    return this.stats.rejections();
  }

  /** Prefetch records of recent sessions. */
  prefetchStatus(): ReturnType<Prefetcher["status"]> {
    return this.cycle.prefetcher.status();
  }

  /** Sessions this run covers. */
  plannedSessions(): readonly Session[] {
    return this.sessions;
  }

  /**
   * Live mode: runs on the wall clock, takes what `feed` pushes, emits boundaries as they come,
   * and keeps upkeep filling gaps (a disconnect's missing minutes included). Resolves once the
   * feed has started; `stop()` ends it.
   */
  async startLive(feed: LiveFeed): Promise<void> {
    if (!this.live) throw new InvalidArgumentError('startLive() needs mode "live"');
    if (this.state !== "idle") throw new InvalidArgumentError(`startLive() called in state ${this.state}`);
    this.state = "live";
    await this.live.start(feed, this.activeSymbols);
  }

  /** Each component's condition; `status` is the worst. */
  health(): Health {
    return this.stats.health();
  }

  /** Closes the repository when the engine opened it. */
  async close(): Promise<void> {
    await this.stop();
    if (!this.parts.repository) await this.repository.close();
  }

  // ---- internals ----

  private upkeepHost(): UpkeepHost<SymbolState> {
    return {
      clock: this.clock,
      symbols: () => this.session.all(),
      symbol: (symbol) => this.session.find(symbol),
      expectedMinutes: (state) => this.session.expectedMinutesOf(state),
      sharedExpectedMinutes: () => this.session.sharedExpectedMinutes(),
      ...(this.config.ticks.buildBars
        ? {}
        : {
            presentCounts: () => this.session.presentCounts(),
            // a live feed's bar can land before the engine's clock ends its minute
            presentTotal: () => (this.backtest ? this.session.presentTotal() : undefined),
          }),
      changed: (state, time) => this.barsChanged(state, time),
      flushDerived: (states) => this.bars.flushDerived(states),
      emit: (event) => this.bars.emit(event),
      isPaused: () => this.backtest?.coordinator.isPaused ?? false,
      canFill: (symbol) => this.parts.barSource !== undefined || !this.backtest?.storeFed.has(symbol),
    };
  }

  /**
   * After bars were inserted (a gap fill): rebuilds the symbol's derived bars and metrics, or
   * drops the cached history of a past session.
   */
  private barsChanged(s: SymbolState, time: number): void | Promise<void> {
    const current = this.session.session;
    if (current && time >= current.preOpen && time < current.postClose) return this.bars.rebuilt(s);
    this.session.invalidate(s.symbol, s.historyAt(time)?.session.date);
  }

  private handlerError(err: unknown): void {
    if (this.config.onHandlerError === "log") {
      process.stderr.write(
        `tickwright: event handler failed: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      return;
    }
    this.fail(err);
  }

  private fail(err: unknown): void {
    this.runError ??= err;
    this.backtest?.coordinator.stop();
  }

  private planSessions(calendar: Calendar): Session[] {
    const { from, to } = this.config;
    if (from && to) {
      if (from > to) throw new InvalidArgumentError(`from ${from} is after to ${to}`);
      return calendar.sessions(from, to);
    }
    if (from || to) throw new InvalidArgumentError("give both from and to, or neither");
    return [];
  }
}

/**
 * Builds an engine from configuration (any subset of keys; defaults filled in, validated):
 * opens the store (an existing one: a DuckDB file that does not exist is an InputError naming
 * its path, nothing is created), resolves the calendar and symbols (`allSymbols` takes every
 * stored security, by its current ticker: not an earlier name of one for the dates replayed).
 * `parts` hands over ready-made pieces instead (an open repository, a calendar object).
 */
export async function createEngine(options: ConfigInput = {}, parts: EngineParts = {}): Promise<Engine> {
  const parsed = configSchema.safeParse(options);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error));
  const config = parsed.data;
  const calendar = parts.calendar ?? getCalendar(config.calendar);
  const repository = parts.repository ?? (await openRepository(config.db, { create: false }));
  const symbols = config.allSymbols
    ? await currentTickers(
        repository,
        await repository.symbols("1m"),
        calendar.timeZone,
        config.from,
        config.to,
      )
    : symbolNames(config);
  return new Engine(config, repository, calendar, parts, symbols);
}
