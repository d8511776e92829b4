import { DerivedBarBuilder, DerivedCache, deriveBars, FormingBars } from "../aggregate/index.js";
import type { Calendar, Session } from "../calendar/types.js";
import type { Clock } from "../clock/clock.js";
import type { QuoteBar, SessionBar, Tick } from "../model/bar.js";
import { InvalidArgumentError, UnknownSymbolError } from "../model/errors.js";
import { type Interval, parseInterval } from "../model/interval.js";
import { BarSeries } from "../model/series.js";
import { endedMinutes } from "../model/time.js";
import type { GapCounts } from "../upkeep/index.js";
import { BarView } from "./bar-view.js";
import { addDailyBar } from "./daily-bar.js";
import { type SessionSlice, SymbolRows, SymbolState } from "./symbol-state.js";

const EMPTY_MINUTES = new Float64Array(0);

/** What `metrics(symbol)` returns: the current session so far. */
export interface SymbolMetrics {
  symbol: string;
  session: string | null;
  open: number | null;
  high: number | null;
  low: number | null;
  last: number | null;
  volume: number;
  /** Volume-weighted typical price ((high + low + close) / 3) of the session's bars. */
  vwap: number | null;
  barCount: number;
  /** Regular-session minutes present whose end the clock has passed. */
  present: number;
  /** Regular-session minutes whose end the clock has passed. */
  expected: number;
  /** present / expected x 100 over regular-session minutes (100 when nothing is expected yet). */
  barQuality: number;
  gaps: GapCounts;
  rejected: number;
  lastUpdate: number | null;
}

/** Options SessionData needs from the engine configuration. */
export interface SessionDataOptions {
  extended: boolean;
  anchor: "session" | "clock";
  historySessions: number;
  dailyBars: number;
  cacheSize: number;
  /** The configured derived intervals (built in place as bars land). */
  intervals: readonly Interval[];
  /** Activates a symbol that is not active yet (loads history, subscribes its feed). */
  activate: (symbol: string) => Promise<void>;
}

/**
 * The in-memory state of every active symbol and the strategy's read API. Reads are
 * synchronous and see only whole updates (the engine applies each event before the next
 * callback runs), and nothing returned ends after the clock: one-minute bars are appended
 * at their end, derived bars only when complete (a forming bar only through `partial`,
 * flagged), history holds earlier sessions only.
 */
export class SessionData {
  private readonly states = new Map<string, SymbolState>();
  /** The same states as an array, in activation order, for loops over every symbol. */
  private readonly list: SymbolState[] = [];
  /** What every bar changes, of every state, by id (the bar path's side of the states). */
  readonly rows = new SymbolRows();
  private readonly cache: DerivedCache;
  /** Forming and completed bars of the configured derived intervals, of every symbol. */
  readonly forming: FormingBars;
  private current: Session | undefined;
  private expectedCache: { session: Session | undefined; minutes: Float64Array } = {
    session: undefined,
    minutes: new Float64Array(0),
  };
  /**
   * The calendar of each symbol id (a symbol on a market of its own; the engine's calendar
   * otherwise), and the expected minutes of the sessions of symbols not on it, by session.
   */
  private readonly calendarById: Calendar[] = [];
  /** Symbols on a calendar other than the engine's. */
  private otherMarkets = 0;
  private readonly otherExpected = new Map<Session, Float64Array>();

  constructor(
    private readonly clock: Clock,
    private readonly calendar: Calendar,
    private readonly options: SessionDataOptions,
  ) {
    this.cache = new DerivedCache(Math.max(1, options.cacheSize));
    this.forming = new FormingBars(options.intervals, calendar, {
      anchor: options.anchor,
      extended: options.extended,
    });
  }

  /** The session in progress (or last started), if any. */
  get session(): Session | undefined {
    return this.current;
  }

  /** Active symbols, sorted. */
  symbols(): string[] {
    return [...this.states.keys()].sort();
  }

  /** True when the symbol is active (its stream and history are loaded). */
  has(symbol: string): boolean {
    return this.states.has(symbol);
  }

  /**
   * The last `n` completed bars of an interval, oldest first, reaching into history when
   * needed: a view over the series (no copy; `toArray()` for objects to keep).
   */
  lastBars(symbol: string, n: number, interval = "1m"): BarView {
    const s = this.state(symbol);
    const iv = parseInterval(interval);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`n must be a whole number >= 0, got ${n}`);
    const today = this.seriesOf(s, iv);
    const parts: BarSeries[] = [today];
    const from: number[] = [Math.max(0, today.length - n)];
    const to: number[] = [today.length];
    let have = today.length;
    if (have < n) {
      if (iv.daily) {
        parts.push(s.daily);
        from.push(Math.max(0, s.daily.length - (n - have)));
        to.push(s.daily.length);
      } else {
        for (let h = s.history.length - 1; h >= 0 && have < n; h--) {
          const past = this.historySeries(s, s.history[h], iv);
          parts.push(past);
          from.push(Math.max(0, past.length - (n - have)));
          to.push(past.length);
          have += past.length;
        }
      }
    }
    return BarView.of(parts.reverse(), from.reverse(), to.reverse());
  }

  /**
   * Completed bars of an interval starting at or after `time`, oldest first (history
   * included): a view over the series (no copy; `toArray()` for objects to keep).
   */
  barsSince(symbol: string, time: number, interval = "1m"): BarView {
    const s = this.state(symbol);
    const iv = parseInterval(interval);
    if (typeof time !== "number" || Number.isNaN(time))
      throw new InvalidArgumentError(`time must be epoch milliseconds, got ${time}`);
    const parts: BarSeries[] = [];
    const from: number[] = [];
    const to: number[] = [];
    const add = (series: BarSeries) => {
      parts.push(series);
      from.push(series.lowerBound(time));
      to.push(series.length);
    };
    if (iv.daily) {
      add(s.daily);
    } else {
      for (const slice of s.history) {
        if (slice.session.postClose <= time) continue;
        add(this.historySeries(s, slice, iv));
      }
    }
    add(this.seriesOf(s, iv));
    return BarView.of(parts, from, to);
  }

  /**
   * The current session's completed bars of an interval. A symbol that is not active is
   * activated first (history loaded, stream subscribed), so the caller gets data, not an error.
   */
  async bars(symbol: string, interval = "1m"): Promise<SessionBar[]> {
    const iv = parseInterval(interval);
    if (!this.states.has(symbol)) await this.options.activate(symbol);
    return this.seriesOf(this.state(symbol), iv).toBars();
  }

  /** The forming bar of a derived interval, flagged partial, or undefined. */
  partial(symbol: string, interval: string): SessionBar | undefined {
    const iv = parseInterval(interval);
    if (iv.minutes === 1) return undefined;
    const s = this.state(symbol);
    const k = this.configured(iv);
    return k >= 0 ? this.forming.partial(s.id * this.forming.width + k) : this.onDemand(s, iv).partial();
  }

  /** Latest one-minute bar, quote and trade of a symbol. */
  latest(symbol: string): { bar?: SessionBar; quote?: QuoteBar; trade?: Tick } {
    const s = this.state(symbol);
    const out: { bar?: SessionBar; quote?: QuoteBar; trade?: Tick } = {};
    if (s.bars.length > 0) out.bar = s.bars.at(s.bars.length - 1);
    else if (s.history.length > 0) {
      const h = s.history[s.history.length - 1].bars;
      if (h.length > 0) out.bar = h.at(h.length - 1);
    }
    if (s.quote) out.quote = s.quote;
    if (s.trade) out.trade = s.trade;
    return out;
  }

  /** The current session's figures for a symbol (its own market's session). */
  metrics(symbol: string): SymbolMetrics {
    const s = this.state(symbol);
    const expected = this.expectedSoFarOf(s);
    const present = s.present;
    const num = (v: number) => (Number.isFinite(v) ? v : null);
    return {
      symbol,
      session: (this.calendarById[s.id] === this.calendar ? this.current : s.session)?.date ?? null,
      open: num(s.open),
      high: num(s.high),
      low: num(s.low),
      last: num(s.last),
      volume: s.volume,
      vwap: s.volume > 0 ? s.pv / s.volume : null,
      barCount: s.bars.length,
      present: Math.min(present, expected),
      expected,
      barQuality: expected > 0 ? (Math.min(present, expected) / expected) * 100 : 100,
      gaps: { ...s.gaps },
      rejected: s.rejected,
      lastUpdate: num(s.lastUpdate),
    };
  }

  /** The last `sessions` past sessions' bars of an interval, oldest first. */
  history(symbol: string, sessions: number, interval = "1m"): { date: string; bars: SessionBar[] }[] {
    const s = this.state(symbol);
    const iv = parseInterval(interval);
    const slices = s.history.slice(Math.max(0, s.history.length - sessions));
    return slices.map((slice) => ({
      date: slice.session.date,
      bars: this.historySeries(s, slice, iv).toBars(),
    }));
  }

  /** Session, clock and memory figures. */
  status(): {
    session: string | null;
    now: number;
    symbols: number;
    memoryBytes: number;
    memoryPerSymbolBytes: number;
  } {
    let bytes = 0;
    for (const s of this.states.values()) bytes += s.byteSize() + this.forming.bytesPerSymbol();
    return {
      session: this.current?.date ?? null,
      now: this.clock.now(),
      symbols: this.states.size,
      memoryBytes: bytes,
      memoryPerSymbolBytes: this.states.size > 0 ? Math.round(bytes / this.states.size) : 0,
    };
  }

  // ---- engine side ----

  /**
   * The state of an active symbol, created when missing (with its derived series), on
   * `calendar` (its market's; default the engine's) from then on.
   */
  ensure(symbol: string, calendar: Calendar = this.calendar): SymbolState {
    let s = this.states.get(symbol);
    if (!s) {
      s = new SymbolState(symbol, this.forming.addSymbol(symbol, calendar), this.rows);
      this.calendarById[s.id] = calendar;
      if (calendar !== this.calendar) this.otherMarkets++;
      s.session = calendar === this.calendar ? this.current : undefined;
      const K = this.forming.width;
      for (let k = 0; k < K; k++) s.derived.push(this.forming.series[s.id * K + k]);
      this.states.set(symbol, s);
      this.list.push(s);
    }
    return s;
  }

  /** The state of an active symbol; InvalidArgumentError for a non-string, UnknownSymbolError otherwise. */
  state(symbol: string): SymbolState {
    const s = this.states.get(symbol);
    if (s) return s;
    if (typeof symbol !== "string" || symbol.length === 0)
      throw new InvalidArgumentError(`symbol must be a non-empty string, got ${String(symbol)}`);
    throw new UnknownSymbolError(symbol);
  }

  /** Regular bars present of every state, by id (`all()[id]`): a live view, do not change. */
  presentCounts(): Int32Array {
    return this.rows.present;
  }

  /** The sum of `presentCounts()`. */
  presentTotal(): number {
    return this.rows.presentTotal;
  }

  /** All active states. */
  all(): readonly SymbolState[] {
    return this.list;
  }

  /** The state of an active symbol, or undefined (one map lookup: the per-bar path). */
  find(symbol: string): SymbolState | undefined {
    return this.states.get(symbol);
  }

  /** The calendar a symbol's sessions follow. */
  calendarOf(s: SymbolState): Calendar {
    return this.calendarById[s.id] ?? this.calendar;
  }

  /**
   * Starts a session: empties current bars and metrics, resets builders; of every symbol, or
   * of `members` only (the symbols of one market, whose calendar `session` is of). The session
   * in progress (`session`) is the engine calendar's: a market of its own leaves it alone.
   */
  startSession(session: Session, members?: readonly SymbolState[]): void {
    const calendar = members?.[0] ? this.calendarOf(members[0]) : this.calendar;
    if (calendar === this.calendar) this.current = session;
    const minutes = calendar.minuteCount(session, this.options.extended);
    const states = members ?? [...this.states.values()];
    for (const s of states) s.bars.clear();
    BarSeries.reserveAll(
      states.map((s) => s.bars),
      minutes,
    );
    for (const s of states) {
      s.session = session;
      s.resetMetrics();
      this.resetDerived(s);
    }
  }

  /**
   * Ends the current session: moves its one-minute bars into history (dropping the oldest
   * beyond the configured count, whose buffer then holds the next session: no allocation in
   * steady state), appends its daily bar, and empties the current session.
   */
  roll(members?: readonly SymbolState[]): void {
    const calendar = members?.[0] ? this.calendarOf(members[0]) : this.calendar;
    const states = members ?? [...this.states.values()];
    const keep = this.options.historySessions;
    // the symbols whose history is not full yet get new series, all in one buffer
    const growing = states.filter(
      (s) => s.session && keep > 0 && s.history.length < keep && s.bars.length > 0,
    );
    const fresh = BarSeries.sharingBuffer(
      growing.map((s) => s.symbol),
      "1m",
      growing.map((s) => s.bars.capacity),
    );
    let next = 0;
    for (const s of states) {
      const session = s.session;
      if (!session) continue;
      if (s.bars.length > 0) {
        addDailyBar(s.daily, s.bars, session, calendar);
        this.trimDaily(s);
        if (keep > 0) {
          s.history.push({ session, bars: s.bars });
          let recycled: BarSeries | undefined;
          while (s.history.length > keep) {
            const dropped = s.history.shift()!;
            this.cache.invalidate(s.symbol, dropped.session.date);
            recycled = dropped.bars;
          }
          s.bars = recycled ?? fresh[next++];
        }
      } else if (s.bars.sharesBuffer) {
        // a symbol without bars this session lets go of the buffer its empty series is a piece of
        s.bars.unshare();
      }
      s.bars.clear();
      s.session = undefined;
      s.resetMetrics();
      this.resetDerived(s);
    }
    if (calendar === this.calendar) this.current = undefined;
  }

  /** Replaces a symbol's history (loaded from the store at activation or session start). */
  setHistory(symbol: string, slices: SessionSlice[], daily: BarSeries): void {
    const s = this.state(symbol);
    s.history = slices.slice(Math.max(0, slices.length - this.options.historySessions));
    s.daily = daily;
    this.trimDaily(s);
    this.cache.invalidate(symbol);
  }

  /** Drops cached derived history of a symbol (after a fill changed a past session). */
  invalidate(symbol: string, date?: string): void {
    this.cache.invalidate(symbol, date);
  }

  /** Regular-session minutes of the current session whose end the clock has passed. */
  expectedSoFar(): number {
    return endedMinutes(this.expectedMinutes(), this.clock.now());
  }

  /** Regular-session minutes of a symbol's session in progress whose end the clock has passed. */
  expectedSoFarOf(s: SymbolState): number {
    return endedMinutes(this.expectedMinutesOf(s), this.clock.now());
  }

  /**
   * The expected regular-session minute starts of a symbol's session in progress (its own
   * market's; empty between its sessions), cached per session.
   */
  expectedMinutesOf(s: SymbolState): Float64Array {
    const session = s.session;
    if (session === this.current) return this.expectedMinutes();
    if (!session) return EMPTY_MINUTES;
    let minutes = this.otherExpected.get(session);
    if (!minutes) {
      if (this.otherExpected.size >= 64) this.otherExpected.clear();
      minutes = this.calendarOf(s).expectedMinutes(session, false);
      this.otherExpected.set(session, minutes);
    }
    return minutes;
  }

  /**
   * The expected minutes of every symbol's session in progress when all follow the engine's
   * calendar (then they are `expectedMinutes()`); undefined when some follow another.
   */
  sharedExpectedMinutes(): Float64Array | undefined {
    return this.otherMarkets === 0 ? this.expectedMinutes() : undefined;
  }

  /** The current session's expected regular-session minute starts (cached per session). */
  expectedMinutes(): Float64Array {
    if (this.expectedCache.session !== this.current) {
      this.expectedCache = {
        session: this.current,
        minutes: this.current ? this.calendar.expectedMinutes(this.current, false) : new Float64Array(0),
      };
    }
    return this.expectedCache.minutes;
  }

  private resetDerived(s: SymbolState): void {
    const K = this.forming.width;
    for (let k = 0; k < K; k++) this.forming.reset(s.id * K + k);
  }

  /** Index of a configured derived interval, or -1. */
  private configured(iv: Interval): number {
    const intervals = this.forming.intervals;
    for (let k = 0; k < intervals.length; k++) if (intervals[k].name === iv.name) return k;
    return -1;
  }

  /**
   * The builder of a derived interval that is not configured, computed on demand from the
   * session's bars (rebuilt when they or the clock moved); it emits no events.
   */
  private onDemand(s: SymbolState, iv: Interval): DerivedBarBuilder {
    const now = this.clock.now();
    let entry = s.onDemand.get(iv.name);
    if (!entry) {
      entry = { builder: this.newBuilder(s, iv), length: -1, at: Number.NaN };
      s.onDemand.set(iv.name, entry);
    }
    if (entry.length !== s.bars.length || entry.at !== now) {
      entry.builder.rebuild(s.bars, now);
      entry.length = s.bars.length;
      entry.at = now;
    }
    return entry.builder;
  }

  private newBuilder(s: SymbolState, iv: Interval): DerivedBarBuilder {
    return new DerivedBarBuilder(s.symbol, iv, this.calendarOf(s), {
      anchor: this.options.anchor,
      extended: this.options.extended,
    });
  }

  private seriesOf(s: SymbolState, iv: Interval): BarSeries {
    if (iv.minutes === 1) return s.bars;
    const k = this.configured(iv);
    return k >= 0 ? s.derived[k] : this.onDemand(s, iv).series;
  }

  private historySeries(s: SymbolState, slice: SessionSlice, iv: Interval): BarSeries {
    if (iv.minutes === 1) return slice.bars;
    const hit = this.cache.get(s.symbol, iv.name, slice.session.date);
    if (hit) return hit;
    const series = deriveBars(slice.bars, iv, this.calendarOf(s), {
      anchor: this.options.anchor,
      extended: this.options.extended,
    });
    this.cache.set(s.symbol, iv.name, slice.session.date, series);
    return series;
  }

  private trimDaily(s: SymbolState): void {
    const extra = s.daily.length - this.options.dailyBars;
    if (extra > 0) s.daily.dropFirst(extra);
  }
}
