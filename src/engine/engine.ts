import { TickBarBuilder } from "../aggregate/index.js";
import { BoundaryManager, type BoundaryEvent as CalendarBoundary, getCalendar } from "../calendar/index.js";
import type { Calendar, Session } from "../calendar/types.js";
import type { Clock } from "../clock/clock.js";
import { LiveClock } from "../clock/live.js";
import { SimulatedClock } from "../clock/simulated.js";
import { type Config, type ConfigInput, configSchema, formatIssues } from "../config/schema.js";
import {
  allocBarColumns,
  type Bar,
  type BarColumns,
  barProblem,
  type QuoteBar,
  type SessionBar,
  type Tick,
} from "../model/bar.js";
import { ConfigError, InvalidArgumentError } from "../model/errors.js";
import { type Interval, parseInterval } from "../model/interval.js";
import type { BarSeries } from "../model/series.js";
import { MINUTE_MS } from "../model/time.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { type BarSource, RepositoryBarSource, Upkeep, type UpkeepHost } from "../upkeep/upkeep.js";
import { StreamCoordinator, type StreamSink } from "./coordinator.js";
import { EventHub, eventIterator, type Listener } from "./events.js";
import { ListFeed, RepositoryFeed, repositoryLoaders, sessionWindow } from "./feeds.js";
import { type ComponentHealth, eventLoopLag, type Health, LatencyRecorder, worst } from "./health.js";
import { loadHistory, type SymbolHistory } from "./history.js";
import { Prefetcher, type PreparedSession } from "./prefetch.js";
import { SessionData, type SymbolState } from "./session-data.js";
import type {
  EngineEvent,
  EngineEventMap,
  Feed,
  FeedBatch,
  LiveFeed,
  LiveSink,
  RunSummary,
} from "./types.js";

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

/** A bar (or quote, tick) the engine refused, with why. */
export interface Rejection {
  symbol: string;
  time: number;
  reason: string;
}

const MAX_KEPT_REJECTIONS = 1000;
const EMPTY = new Float64Array(0);

/**
 * The engine: one clock, the stream coordinator over every feed, each symbol's session data,
 * derived bars, history, prefetch and session boundaries, wired from one configuration.
 */
export class Engine {
  readonly session: SessionData;
  readonly clock: Clock;
  private readonly hub = new EventHub();
  private readonly iterators: { end(): void }[] = [];
  private readonly coordinator: StreamCoordinator | undefined;
  private readonly boundaries: BoundaryManager;
  private readonly prefetcher: Prefetcher;
  /** Periodic gap detection and filling; undefined when `upkeep.enabled` is false. */
  readonly upkeep: Upkeep | undefined;
  private readonly intervals: Interval[];
  private readonly extraFeeds: Feed[] = [];
  private readonly sessions: Session[];
  private readonly activeSymbols: string[];
  private readonly pendingHistory = new Set<string>();
  /** Symbols whose bars are replayed from the repository (which then cannot fill their gaps). */
  private readonly storeFed = new Set<string>();
  /** Symbols given in-memory data with `feed()`. */
  private readonly listFed = new Set<string>();
  private readonly rejected = new Map<string, number>();
  private readonly kept: Rejection[] = [];
  /** Derived bars out, indexed by the interval's minutes (an array: counted per bar). */
  private readonly barsOut = new Float64Array(1441);
  private barsIn = 0;
  private quotesIn = 0;
  private ticksIn = 0;
  /** The replayed window of the current session (regular, or extended). */
  private window = { start: Number.POSITIVE_INFINITY, end: Number.NEGATIVE_INFINITY };
  /** The current session's regular hours, where quality and gaps are counted. */
  private regular = { start: Number.POSITIVE_INFINITY, end: Number.NEGATIVE_INFINITY };
  private runError: unknown;
  /** Sessions started so far (a stopped run's summary reports these). */
  private sessionsStarted = 0;
  private lastState: SymbolState | undefined;
  private state: "idle" | "running" | "paused" | "stopped" | "done" | "live" = "idle";
  /** Durations of the engine's store reads (replay, history, prefetch, fills). */
  private readonly reads = new LatencyRecorder();
  /** The repository's reads, timed for health. */
  private readonly reader: Pick<Repository, "readBars" | "readQuotes" | "readTicks">;
  private liveFeed: LiveFeed | undefined;
  private liveChain: Promise<void> = Promise.resolve();
  private connection: { state: "connected" | "disconnected"; at: number; detail?: string } | undefined;
  /** A reusable one-bar batch for bars that arrive as objects or values (live, built from ticks). */
  private readonly row: BarColumns = allocBarColumns(1);
  /** Session loaders of bars, quote bars and ticks from the repository, for feeds and prefetch. */
  private readonly loaders: ReturnType<typeof repositoryLoaders>;

  constructor(
    readonly config: Config,
    readonly repository: Repository,
    readonly calendar: Calendar,
    private readonly parts: EngineParts,
    symbols: string[],
  ) {
    this.intervals = config.derived.intervals.map(parseInterval).filter((iv) => iv.minutes > 1);
    this.reader = {
      readBars: (q) => this.reads.time(() => repository.readBars(q)),
      readQuotes: (q) => this.reads.time(() => repository.readQuotes(q)),
      readTicks: (q) => this.reads.time(() => repository.readTicks(q)),
    };
    this.activeSymbols = symbols;
    this.loaders = repositoryLoaders(this.reader, () => this.activeSymbols, config.extended);
    this.sessions = this.planSessions();
    const start = this.sessions[0] ? sessionWindow(this.sessions[0], true).start : 0;
    const simulated = config.mode === "backtest" ? new SimulatedClock(start) : undefined;
    this.clock = simulated ?? new LiveClock((err) => this.fail(err));
    this.session = new SessionData(this.clock, calendar, {
      extended: config.extended,
      anchor: config.derived.anchor,
      historySessions: config.history.sessions,
      dailyBars: config.history.dailyBars,
      cacheSize: config.derived.cacheSize,
      activate: (symbol) => this.activate(symbol),
    });
    for (const symbol of symbols) this.session.ensure(symbol, this.intervals);
    for (const symbol of symbols) this.pendingHistory.add(symbol);
    this.prefetcher = new Prefetcher(
      (session) => this.prepare(session),
      () => this.clock.now(),
    );
    this.boundaries = new BoundaryManager(this.clock, calendar, { extended: true });
    this.upkeep = config.upkeep.enabled
      ? new Upkeep(this.upkeepHost(), parts.barSource ?? new RepositoryBarSource(this.reader), config.upkeep)
      : undefined;
    this.boundaries.on((ev) => this.onBoundary(ev));
    if (simulated) this.coordinator = new StreamCoordinator(simulated, this.sink, config.speed);
  }

  /**
   * Listens to one kind of event; returns a function that stops listening. The listener may
   * return anything; only a returned promise is awaited (backpressure).
   */
  on<K extends keyof EngineEventMap>(type: K, fn: Listener<EngineEventMap[K]>): () => void {
    return this.hub.on(type, fn);
  }

  /** Listens to every event (a returned promise is awaited before the next event). */
  onAny(fn: Listener<EngineEvent>): () => void {
    return this.hub.onAny(fn);
  }

  /** Every event as an async iterator, with backpressure (the replay waits for a slow consumer). */
  events(): AsyncIterableIterator<EngineEvent> {
    const it = eventIterator(this.hub);
    this.iterators.push(it);
    return it;
  }

  /** Adds in-memory data: one symbol's bars, quote bars or ticks, in time order. */
  feed(symbol: string, kind: "bar" | "quote" | "tick", items: readonly (Bar | QuoteBar | Tick)[]): void {
    if (this.state !== "idle") throw new InvalidArgumentError("feeds must be added before run()");
    if (!this.session.has(symbol)) {
      this.session.ensure(symbol, this.intervals);
      this.activeSymbols.push(symbol);
    }
    this.extraFeeds.push(ListFeed.of(symbol, kind, items));
    this.listFed.add(symbol);
  }

  /** Makes a symbol active: loads its history and adds its stored data from now on. */
  async activate(symbol: string): Promise<void> {
    if (this.session.has(symbol)) return;
    this.session.ensure(symbol, this.intervals);
    this.activeSymbols.push(symbol);
    const current = this.session.session;
    if (!current) return;
    const history = await loadHistory(
      this.repository,
      this.calendar,
      [symbol],
      current,
      this.historyOptions(),
    );
    this.applyHistory(history);
    const { start, end } = sessionWindow(current, this.config.extended);
    const now = this.clock.now();
    const bars = await this.reader.readBars({ symbols: [symbol], interval: "1m", from: start, to: end });
    this.prefetcher.discardAfter(current.date);
    const next = this.calendar.nextSession(current.postClose, true);
    if (
      next &&
      this.coordinator &&
      this.config.prefetch.enabled &&
      this.sessions.some((x) => x.date === next.date)
    ) {
      this.prefetcher.start(next);
    }
    const s = this.session.state(symbol);
    let i = 0;
    for (; i < bars.length && bars.time[i] + MINUTE_MS <= now; i++) this.applyBar(s, bars, i, false);
    if (this.coordinator && this.parts.replayStore !== false) this.storeFed.add(symbol);
    if (i < bars.length && this.coordinator) {
      this.coordinator.addFeed(
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
    if (!this.coordinator) throw new InvalidArgumentError("run() replays a backtest; live mode uses start()");
    this.state = "running";
    const t0 = performance.now();
    this.planFromFeeds();
    const coordinator = this.coordinator;
    if (this.sessions.length > 0) {
      if (this.config.prefetch.enabled) this.prefetcher.start(this.sessions[0]);
      const loaders = this.loaders;
      const source = this.config.prefetch.enabled ? this.prefetcher : undefined;
      if (this.parts.replayStore !== false && this.activeSymbols.length > 0) {
        for (const symbol of this.activeSymbols) if (!this.listFed.has(symbol)) this.storeFed.add(symbol);
        coordinator.addFeed(
          new RepositoryFeed("store:bars", "bar", this.sessions, this.config.extended, loaders.bar, source),
        );
        if (this.parts.quotes) {
          coordinator.addFeed(
            new RepositoryFeed(
              "store:quotes",
              "quote",
              this.sessions,
              this.config.extended,
              loaders.quote,
              source,
            ),
          );
        }
        if (this.parts.ticks) {
          coordinator.addFeed(
            new RepositoryFeed(
              "store:ticks",
              "tick",
              this.sessions,
              this.config.extended,
              loaders.tick,
              source,
            ),
          );
        }
      }
    }
    for (const f of this.extraFeeds) coordinator.addFeed(f);
    for (const f of this.parts.feeds ?? []) coordinator.addFeed(f);
    const first = this.sessions[0];
    if (first && !this.config.paceClosed)
      coordinator.skipTo(sessionWindow(first, this.config.extended).start);
    await this.boundaries.start(this.clock.now());
    this.upkeep?.start();
    const last = this.sessions[this.sessions.length - 1];
    try {
      await coordinator.run(last ? sessionWindow(last, true).end : this.clock.now());
    } finally {
      this.boundaries.stop();
      this.upkeep?.stop();
      for (const it of this.iterators) it.end();
    }
    if (this.runError) throw this.runError;
    this.state = coordinator.isStopped ? "stopped" : "done";
    return this.summary(performance.now() - t0);
  }

  pause(): void {
    this.coordinator?.pause();
    if (this.state === "running") this.state = "paused";
  }

  resume(): void {
    this.coordinator?.resume();
    if (this.state === "paused") this.state = "running";
  }

  /**
   * Stops a replay (run() then resolves with what it did) or live mode; the returned promise
   * resolves once a live feed has closed its connection.
   */
  async stop(): Promise<void> {
    this.coordinator?.stop();
    this.state = "stopped";
    const feed = this.liveFeed;
    if (feed) {
      this.liveFeed = undefined;
      this.boundaries.stop();
      this.upkeep?.stop();
      if (this.clock instanceof LiveClock) this.clock.cancelAll();
      await feed.stop();
    }
  }

  get isPaused(): boolean {
    return this.state === "paused";
  }

  /**
   * Running totals, cheap to read at any time (for metrics): one-minute bars in, bars out by
   * interval (`1m` included), quotes and ticks in, gaps found/filled/abandoned, rejections.
   */
  counters(): {
    barsIn: number;
    barsOut: Record<string, number>;
    quotesIn: number;
    ticksIn: number;
    gapsFound: number;
    gapsFilled: number;
    gapsAbandoned: number;
    rejected: number;
  } {
    const gaps = this.upkeep?.status();
    const barsOut: Record<string, number> = { "1m": this.barsIn };
    for (let m = 2; m <= 1440; m++)
      if (this.barsOut[m] > 0) barsOut[m === 1440 ? "1d" : `${m}m`] = this.barsOut[m];
    let rejected = 0;
    for (const n of this.rejected.values()) rejected += n;
    return {
      barsIn: this.barsIn,
      barsOut,
      quotesIn: this.quotesIn,
      ticksIn: this.ticksIn,
      gapsFound: gaps?.gapsFound ?? 0,
      gapsFilled: gaps?.gapsFilled ?? 0,
      gapsAbandoned: gaps?.gapsAbandoned ?? 0,
      rejected,
    };
  }

  /** Rejected events so far: counts by reason and the first rejections kept. */
  rejections(): { byReason: Record<string, number>; kept: Rejection[] } {
    return { byReason: Object.fromEntries(this.rejected), kept: [...this.kept] };
  }

  /** Prefetch records of recent sessions. */
  prefetchStatus(): ReturnType<Prefetcher["status"]> {
    return this.prefetcher.status();
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
    if (this.config.mode !== "live") throw new InvalidArgumentError('startLive() needs mode "live"');
    if (this.state !== "idle") throw new InvalidArgumentError(`startLive() called in state ${this.state}`);
    this.state = "live";
    this.liveFeed = feed;
    await this.boundaries.start();
    this.upkeep?.start();
    await feed.start(this.liveSink, this.activeSymbols);
  }

  private readonly liveSink: LiveSink = {
    bar: (bar) =>
      this.live(() =>
        this.sink.bar(
          this.oneRow(bar.symbol, bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume, 0),
          0,
        ),
      ),
    quote: (q) => this.live(() => this.sink.quote(q)),
    tick: (t) => this.live(() => this.sink.tick(t)),
    connection: (state, at, detail) => {
      this.connection = { state, at, detail };
    },
  };

  /** Applies pushed live events one after another, in arrival order, awaiting async handlers. */
  private live(apply: () => void | Promise<void>): void {
    this.liveChain = this.liveChain.then(apply).catch((err) => this.handlerError(err));
  }

  /** Each component's condition; `status` is the worst. */
  health(): Health {
    const now = this.clock.now();
    const failed = this.runError !== undefined;
    const between = this.betweenSessions();
    const engine: ComponentHealth = {
      status: failed ? "down" : "ok",
      details: {
        mode: this.config.mode,
        state: this.state,
        clock: now,
        barsIn: this.barsIn,
        rejected: Object.fromEntries(this.rejected),
        eventLoopLagMs: eventLoopLag(),
        ...(failed ? { error: String((this.runError as Error)?.message ?? this.runError) } : {}),
        ...(this.connection ? { connection: this.connection } : {}),
        ...(between ? { note: between } : {}),
      },
    };
    const store: ComponentHealth = {
      status:
        this.reads.failures > 0 && this.reads.lastError !== null && this.reads.count === 0 ? "down" : "ok",
      details: {
        kind: this.repository.kind,
        reads: this.reads.count,
        failures: this.reads.failures,
        lastError: this.reads.lastError,
        readLatencyMs: this.reads.percentiles(),
      },
    };
    const u = this.upkeep?.status();
    const upkeep: ComponentHealth = u
      ? { status: u.degraded ? "degraded" : "ok", details: { ...u } }
      : { status: "ok", details: { enabled: false } };
    const records = this.prefetcher.status();
    const lastPrefetch = records[records.length - 1];
    const prefetch: ComponentHealth = {
      status: lastPrefetch?.state === "failed" ? "degraded" : "ok",
      details: {
        enabled: this.config.prefetch.enabled,
        fallbacks: this.prefetcher.fallbacks,
        sessions: records,
      },
    };
    const b = this.boundaries.status();
    const boundaries: ComponentHealth = {
      status: "ok",
      details: {
        calendar: b.calendar,
        state: b.state,
        last: b.last && brief(b.last),
        next: b.next && brief(b.next),
      },
    };
    const st = this.session.status();
    const limit = this.config.limits.memoryPerSymbolMB * 1024 * 1024;
    const quality: Record<string, number> = {};
    for (const symbol of this.session.symbols()) quality[symbol] = this.session.metrics(symbol).barQuality;
    const sessionHealth: ComponentHealth = {
      status: st.memoryPerSymbolBytes > limit ? "degraded" : "ok",
      details: { ...st, quality },
    };
    const components = { engine, store, upkeep, prefetch, boundaries, session: sessionHealth };
    return { status: worst(Object.values(components).map((c) => c.status)), at: now, components };
  }

  /** Closes the repository when the engine opened it. */
  async close(): Promise<void> {
    await this.stop();
    if (!this.parts.repository) await this.repository.close();
  }

  // ---- internals ----

  private upkeepHost(): UpkeepHost {
    return {
      clock: this.clock,
      states: () => this.session.all(),
      state: (symbol) => this.session.find(symbol),
      expectedMinutes: () => (this.session.session ? this.session.expectedMinutes() : EMPTY),
      seriesFor: (state, time) => {
        const current = this.session.session;
        if (current && time >= current.preOpen && time < current.postClose) return state.bars;
        return state.history.find((h) => time >= h.session.preOpen && time < h.session.postClose)?.bars;
      },
      changed: (state, time) => this.barsChanged(state, time),
      flushDerived: (states) => this.flushDerived(states),
      emit: (event) => this.emit(event),
      isPaused: () => this.coordinator?.isPaused ?? false,
      canFill: (symbol) => this.parts.barSource !== undefined || !this.storeFed.has(symbol),
    };
  }

  /**
   * After bars were inserted (a gap fill): rebuilds the symbol's derived bars (emitting any
   * bucket the fill completed) and metrics, or drops the cached history of a past session.
   */
  private barsChanged(s: SymbolState, time: number): void | Promise<void> {
    const current = this.session.session;
    if (current && time >= current.preOpen && time < current.postClose) {
      const now = this.clock.now();
      const completed: EngineEvent[] = [];
      for (const b of s.builders) {
        const before = b.series.length;
        b.rebuild(s.bars, now);
        const n = b.series.length - before;
        if (n <= 0) continue;
        this.barsOut[b.interval.minutes] += n;
        for (let k = before; k < b.series.length; k++) completed.push(barEvent(b.series, k, now));
      }
      this.session.recomputeMetrics(s);
      if (completed.length > 0 && this.hub.has("bar")) return this.emitInOrder(completed, 0);
    } else {
      const slice = s.history.find((h) => time >= h.session.preOpen && time < h.session.postClose);
      this.session.invalidate(s.symbol, slice?.session.date);
    }
  }

  /**
   * Completes one-minute bars built from ticks and derived bars whose minute or bucket has
   * ended (with minutes missing, or at the close), and emits them; upkeep calls this each cycle.
   */
  private flushDerived(states: readonly SymbolState[] = this.session.all()): void | Promise<void> {
    const now = this.clock.now();
    let events: EngineEvent[] | undefined;
    const listening = this.hub.has("bar");
    let built: Promise<void> | undefined;
    for (let i = 0; i < states.length; i++) {
      const tb = states[i].tickBars;
      const n = tb ? tb.flushUpTo(now) : 0;
      if (n > 0) {
        const r = this.applyBuilt(states[i], tb!.series, n);
        if (r) built = built ? built.then(() => r) : r;
      }
    }
    if (built) return built.then(() => this.flushDerived(states));
    for (let i = 0; i < states.length; i++) {
      const builders = states[i].builders;
      for (let k = 0; k < builders.length; k++) {
        const b = builders[k];
        const n = b.flushUpTo(now);
        if (n === 0) continue;
        this.barsOut[b.interval.minutes] += n;
        if (listening) {
          events ??= [];
          for (let j = b.series.length - n; j < b.series.length; j++) events.push(barEvent(b.series, j, now));
        }
      }
    }
    if (events) return this.emitInOrder(events, 0);
  }

  private readonly sink: StreamSink = {
    bar: (bars, i) => {
      const symbol = bars.symbol[i];
      let s = this.lastState;
      if (!s || s.symbol !== symbol) {
        s = this.session.find(symbol);
        if (!s) return this.reject(symbol, bars.time[i], "inactive symbol");
        this.lastState = s;
      }
      return this.applyBar(s, bars, i, true);
    },
    quote: (q) => {
      const s = this.session.find(q.symbol);
      if (!s) return this.reject(q.symbol, q.time, "inactive symbol");
      s.quote = q;
      this.quotesIn++;
      if (this.hub.has("quote")) return this.emit({ ...q, type: "quote", at: this.clock.now() });
    },
    tick: (t) => {
      const s = this.session.find(t.symbol);
      if (!s) return this.reject(t.symbol, t.time, "inactive symbol");
      s.trade = t;
      this.ticksIn++;
      const built = this.config.ticks.buildBars ? this.barsFromTick(s, t) : undefined;
      const shown = this.hub.has("tick")
        ? this.emit({ ...t, type: "tick", at: this.clock.now() })
        : undefined;
      if (built && shown) return shown.then(() => built);
      return shown ?? built;
    },
  };

  /** Feeds a tick to the symbol's tick-bar builder and applies the one-minute bars it completes. */
  private barsFromTick(s: SymbolState, t: Tick): void | Promise<void> {
    s.tickBars ??= new TickBarBuilder(s.symbol, { dropSuspicious: this.config.ticks.dropSuspicious });
    const n = s.tickBars.add(t.time, t.price, t.size, t.suspicious === true);
    return n > 0 ? this.applyBuilt(s, s.tickBars.series, n) : undefined;
  }

  /** One bar in the reusable one-row batch (filled right before it is applied). */
  private oneRow(
    symbol: string,
    time: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    flags: number,
  ): BarColumns {
    const row = this.row;
    row.symbol[0] = symbol;
    row.time[0] = time;
    row.open[0] = open;
    row.high[0] = high;
    row.low[0] = low;
    row.close[0] = close;
    row.volume[0] = volume;
    row.flags[0] = flags;
    row.length = 1;
    return row;
  }

  /** Applies the last `n` bars of a series built from ticks as one-minute bars. */
  private applyBuilt(s: SymbolState, series: BarSeries, n: number): void | Promise<void> {
    let chain: Promise<void> | undefined;
    for (let k = series.length - n; k < series.length; k++) {
      const apply = () =>
        this.applyBar(
          s,
          this.oneRow(
            s.symbol,
            series.time[k],
            series.open[k],
            series.high[k],
            series.low[k],
            series.close[k],
            series.volume[k],
            series.flags[k],
          ),
          0,
          true,
        );
      chain = chain ? chain.then(apply) : (apply() ?? undefined);
    }
    return chain;
  }

  /** Applies one one-minute bar to a symbol's session; emits it and any derived bar it completes. */
  private applyBar(s: SymbolState, bars: BarColumns, i: number, emit: boolean): void | Promise<void> {
    const t = bars.time[i];
    const open = bars.open[i];
    const high = bars.high[i];
    const low = bars.low[i];
    const close = bars.close[i];
    const volume = bars.volume[i];
    const problem = barProblem(open, high, low, close, volume);
    if (problem) return this.reject(s.symbol, t, problem, s);
    if (t < this.window.start || t >= this.window.end) return this.reject(s.symbol, t, "outside session", s);
    const series = s.bars;
    if (series.length > 0 && t <= series.time[series.length - 1]) {
      return this.reject(
        s.symbol,
        t,
        t === series.time[series.length - 1] ? "duplicate time" : "out-of-order time",
        s,
      );
    }
    const flags = bars.flags[i];
    series.push(t, open, high, low, close, volume, flags);
    if (Number.isNaN(s.open)) s.open = open;
    if (high > s.high) s.high = high;
    if (low < s.low) s.low = low;
    s.last = close;
    s.volume += volume;
    s.pv += volume * ((high + low + close) / 3);
    s.lastUpdate = this.clock.now();
    if (t >= this.regular.start && t < this.regular.end) s.present++;
    this.barsIn++;
    const events =
      emit && this.hub.has("bar") ? [barEvent(series, series.length - 1, this.clock.now())] : undefined;
    const builders = s.builders;
    for (let k = 0; k < builders.length; k++) {
      const b = builders[k];
      const n = b.add(t, open, high, low, close, volume, flags);
      if (n > 0) {
        this.barsOut[b.interval.minutes] += n;
        if (events)
          for (let k = b.series.length - n; k < b.series.length; k++)
            events.push(barEvent(b.series, k, this.clock.now()));
      }
    }
    if (events) return this.emitInOrder(events, 0);
  }

  /** Emits events one after another, awaiting a listener's promise before the next event. */
  private emitInOrder(events: EngineEvent[], from: number): void | Promise<void> {
    for (let i = from; i < events.length; i++) {
      const r = this.emit(events[i]);
      if (r) return r.then(() => this.emitInOrder(events, i + 1));
    }
  }

  private reject(symbol: string, time: number, reason: string, s?: SymbolState): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
    if (this.kept.length < MAX_KEPT_REJECTIONS) this.kept.push({ symbol, time, reason });
    if (s) s.rejected++;
  }

  private emit(event: EngineEvent): void | Promise<void> {
    return this.hub.emit(event, (err) => this.handlerError(err));
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
    this.coordinator?.stop();
  }

  private async onBoundary(ev: CalendarBoundary): Promise<void> {
    const session = ev.session;
    const extended = this.config.extended;
    if (ev.type === (extended ? "preOpen" : "open")) await this.startSession(session);
    const ends = extended ? "postClose" : "close";
    await this.emit({ type: ev.type, at: ev.at, calendar: this.calendar.name, date: session.date });
    if (ev.type === ends && this.session.session?.date === session.date) {
      await this.upkeep?.cycle();
      await this.flushDerived();
      this.accumulateQuality();
      this.session.roll();
      this.window = { start: Number.POSITIVE_INFINITY, end: Number.NEGATIVE_INFINITY };
      this.regular = this.window;
      await this.emit({ type: "roll", at: ev.at, calendar: this.calendar.name, date: session.date });
      this.prefetcher.forget(session.date);
      const next = this.nextPlanned(session);
      if (next && !this.config.paceClosed)
        this.coordinator?.skipTo(sessionWindow(next, this.config.extended).start);
    }
  }

  /**
   * Starts a session: history for symbols that need it, then the next session's prefetch. Live,
   * that prefetch is a timer `prefetch.windowMinutes` before the next open; in a backtest the
   * simulated clock jumps over any such window in no time, so the next session loads at once,
   * while this one replays.
   */
  private async startSession(session: Session): Promise<void> {
    this.session.startSession(session);
    this.sessionsStarted++;
    this.upkeep?.newSession();
    this.window = sessionWindow(session, this.config.extended);
    this.regular = sessionWindow(session, false);
    const prepared = await this.prefetcher.result(session);
    if (this.pendingHistory.size > 0) {
      const history =
        prepared?.history ??
        (await loadHistory(
          this.repository,
          this.calendar,
          [...this.pendingHistory],
          session,
          this.historyOptions(),
        ));
      this.applyHistory(history);
    }
    const next = this.calendar.nextSession(session.postClose, true);
    if (next && this.config.prefetch.enabled && this.sessions.some((s) => s.date === next.date)) {
      if (this.coordinator) {
        this.prefetcher.start(next);
      } else {
        const at =
          sessionWindow(next, this.config.extended).start - this.config.prefetch.windowMinutes * MINUTE_MS;
        this.clock.at(Math.max(at, this.clock.now()), () => this.prefetcher.start(next));
      }
    }
  }

  /** The planned session after `session`, if any. */
  private nextPlanned(session: Session): Session | undefined {
    return this.sessions.find((s) => s.date > session.date);
  }

  /** "between sessions, next open at ..." while a run waits for its next session, else undefined. */
  private betweenSessions(): string | undefined {
    if (
      this.session.session ||
      (this.state !== "running" && this.state !== "paused" && this.state !== "live")
    )
      return undefined;
    const now = this.clock.now();
    const next =
      this.config.mode === "live"
        ? this.calendar.nextSession(now, true)
        : this.sessions.find((s) => sessionWindow(s, this.config.extended).start >= now);
    return next ? `between sessions, next open at ${new Date(next.open).toISOString()}` : undefined;
  }

  private applyHistory(history: Map<string, SymbolHistory>): void {
    for (const [symbol, h] of history) {
      if (!this.session.has(symbol)) continue;
      this.session.setHistory(symbol, h.slices, h.daily);
      this.pendingHistory.delete(symbol);
    }
  }

  /** Loads a session's feed data and the history of symbols that need it. */
  private async prepare(session: Session): Promise<PreparedSession> {
    const loaders = this.loaders;
    const out: PreparedSession = { batches: new Map<string, FeedBatch>() };
    const kinds: ("bar" | "quote" | "tick")[] = ["bar"];
    if (this.parts.quotes) kinds.push("quote");
    if (this.parts.ticks) kinds.push("tick");
    const needHistory = [...this.pendingHistory];
    const [batches, history] = await Promise.all([
      Promise.all(kinds.map((k) => loaders[k](session))),
      needHistory.length > 0
        ? loadHistory(this.reader, this.calendar, needHistory, session, this.historyOptions())
        : Promise.resolve(undefined),
    ]);
    for (let i = 0; i < kinds.length; i++) out.batches.set(kinds[i], batches[i]);
    if (history) out.history = history;
    return out;
  }

  private historyOptions() {
    return {
      sessions: this.config.history.sessions,
      dailyBars: this.config.history.dailyBars,
      extended: this.config.extended,
    };
  }

  private planSessions(): Session[] {
    const { from, to } = this.config;
    if (from && to) {
      if (from > to) throw new InvalidArgumentError(`from ${from} is after to ${to}`);
      return this.calendar.sessions(from, to);
    }
    if (from || to) throw new InvalidArgumentError("give both from and to, or neither");
    return [];
  }

  /** Sessions covering the extra feeds' data, when no from/to was configured. */
  private planFromFeeds(): void {
    if (this.sessions.length > 0 || this.extraFeeds.length === 0) return;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const f of this.extraFeeds) {
      if (!(f instanceof ListFeed)) continue;
      const r = f.timeRange();
      lo = Math.min(lo, r.min);
      hi = Math.max(hi, r.max);
    }
    if (!Number.isFinite(lo)) return;
    const first = this.calendar.sessionAt(lo, true) ?? this.calendar.nextSession(lo, true);
    const last = this.calendar.sessionAt(hi, true) ?? this.calendar.previousSession(hi, true);
    if (!first || !last || first.date > last.date) return;
    this.sessions.push(...this.calendar.sessions(first.date, last.date));
    (this.clock as SimulatedClock).set(Math.max(this.clock.now(), sessionWindow(first, true).start));
  }

  /** Adds the ending session's present and expected minutes to each symbol's run totals. */
  private accumulateQuality(): void {
    for (const symbol of this.session.symbols()) {
      const m = this.session.metrics(symbol);
      const acc = this.qualityTotals.get(symbol) ?? { present: 0, expected: 0 };
      acc.present += m.present;
      acc.expected += m.expected;
      this.qualityTotals.set(symbol, acc);
    }
  }

  private summary(wallMs: number): RunSummary {
    const quality: Record<string, number> = {};
    for (const symbol of this.session.symbols()) {
      const acc = this.qualityTotals.get(symbol);
      quality[symbol] = acc && acc.expected > 0 ? (acc.present / acc.expected) * 100 : 100;
    }
    const c = this.counters();
    return {
      sessions: this.state === "stopped" ? this.sessionsStarted : this.sessions.length,
      symbols: this.session.symbols().length,
      barsIn: c.barsIn,
      barsOut: c.barsOut,
      quotesIn: c.quotesIn,
      ticksIn: c.ticksIn,
      gapsFound: c.gapsFound,
      gapsFilled: c.gapsFilled,
      gapsAbandoned: c.gapsAbandoned,
      quality,
      wallMs,
      barsPerSecond: wallMs > 0 ? (c.barsIn / wallMs) * 1000 : 0,
      stopped: this.state === "stopped",
    };
  }

  private readonly qualityTotals = new Map<string, { present: number; expected: number }>();
}

function brief(e: { type: string; at: number; session: Session }): {
  type: string;
  at: number;
  date: string;
} {
  return { type: e.type, at: e.at, date: e.session.date };
}

/** A bar event from row `i` of a series. */
function barEvent(series: BarSeries, i: number, at: number): EngineEvent {
  return {
    type: "bar",
    at,
    symbol: series.symbol,
    interval: series.interval,
    time: series.time[i],
    open: series.open[i],
    high: series.high[i],
    low: series.low[i],
    close: series.close[i],
    volume: series.volume[i],
    flags: series.flags[i],
    count: series.count[i],
    expected: series.expected[i],
  } satisfies SessionBar & { type: "bar"; at: number };
}

function sliceColumns(c: BarColumns, from: number): BarColumns {
  return {
    length: c.length - from,
    symbol: c.symbol.slice(from),
    time: c.time.subarray(from),
    open: c.open.subarray(from),
    high: c.high.subarray(from),
    low: c.low.subarray(from),
    close: c.close.subarray(from),
    volume: c.volume.subarray(from),
    trades: c.trades.subarray(from),
    vwap: c.vwap.subarray(from),
    flags: c.flags.subarray(from),
  };
}

/**
 * Builds an engine from configuration (any subset of keys; defaults filled in, validated):
 * opens the store, resolves the calendar and symbols (`allSymbols` takes every stored one).
 * `parts` hands over ready-made pieces instead (an open repository, a calendar object).
 */
export async function createEngine(options: ConfigInput = {}, parts: EngineParts = {}): Promise<Engine> {
  const parsed = configSchema.safeParse(options);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error));
  const config = parsed.data;
  const calendar = parts.calendar ?? getCalendar(config.calendar);
  const repository = parts.repository ?? (await openRepository(config.db));
  const symbols = config.allSymbols ? await repository.symbols("1m") : [...config.symbols];
  return new Engine(config, repository, calendar, parts, symbols);
}
