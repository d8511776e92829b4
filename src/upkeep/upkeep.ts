import type { Clock, TimerHandle } from "../clock/clock.js";
import { type Bar, BarFlag, barProblem, columnsToBars } from "../model/bar.js";
import type { BarSeries } from "../model/series.js";
import { endedMinutes, MINUTE_MS } from "../model/time.js";
import type { Repository } from "../store/types.js";

/** A gap's life: found, filled from a bar source, or given up on. */
export interface GapEvent {
  type: "gap" | "gapFilled" | "gapAbandoned";
  at: number;
  symbol: string;
  /** First missing bar's start, epoch ms. */
  start: number;
  /** Exclusive end. */
  end: number;
  count: number;
  retries: number;
}

/** Gap counters a symbol's metrics carry (kept current by upkeep). */
export interface GapCounts {
  /** Gaps found and not yet filled or abandoned. */
  open: number;
  filled: number;
  abandoned: number;
  /** Minutes missing right now in the current session. */
  missingMinutes: number;
}

/** What upkeep reads and changes of one active symbol. */
export interface UpkeepSymbol {
  readonly symbol: string;
  /** Small dense number of the symbol, for per-symbol arrays. */
  readonly id: number;
  /** The current session's one-minute bars. */
  readonly bars: BarSeries;
  /** Bars of the current session inside its regular hours. */
  readonly present: number;
  /** True when its minutes are built from ticks (they complete by flushing, not by arriving). */
  readonly buildsFromTicks: boolean;
  readonly gaps: Readonly<GapCounts>;
  /** The series holding a minute (current session or a past session kept in history). */
  seriesAt(time: number): BarSeries | undefined;
  /** Inserts a bar at its place; false when that minute is held already or not kept. */
  insert(
    time: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    flags: number,
  ): boolean;
  setGaps(counts: GapCounts): void;
}

/** Where missing bars are fetched from: the repository, or a provider's REST endpoint. */
export interface BarSource {
  /** One-minute bars of a symbol whose start lies in [from, to). */
  fetchBars(symbol: string, from: number, to: number): Promise<Bar[]>;
}

/** A BarSource reading one-minute bars from a repository. */
export class RepositoryBarSource implements BarSource {
  constructor(private readonly repository: Pick<Repository, "readBars">) {}

  async fetchBars(symbol: string, from: number, to: number): Promise<Bar[]> {
    return columnsToBars(await this.repository.readBars({ symbols: [symbol], interval: "1m", from, to }));
  }
}

/** A gap's life. */
export type GapState = "open" | "retrying" | "filled" | "abandoned";

/** One tracked gap: a range of missing one-minute bars of one symbol. */
export interface TrackedGap {
  symbol: string;
  /** First missing bar's start. */
  start: number;
  /** Exclusive end. */
  end: number;
  count: number;
  state: GapState;
  retries: number;
  foundAt: number;
  resolvedAt?: number;
  lastError?: string;
}

/** Upkeep settings (config `upkeep.*`). */
export interface UpkeepOptions {
  intervalSeconds: number;
  fillGaps: boolean;
  maxRetries: number;
  backoffSeconds: number;
  timeoutSeconds: number;
  synthesizeAbandoned: boolean;
}

/** What upkeep needs from the engine. */
export interface UpkeepHost<S extends UpkeepSymbol = UpkeepSymbol> {
  readonly clock: Clock;
  /** Active symbols. */
  symbols(): readonly S[];
  /** One active symbol. */
  symbol(name: string): S | undefined;
  /**
   * Expected minute starts of a symbol's session in progress (empty between its sessions):
   * symbols of several markets have sessions of their own.
   */
  expectedMinutes(state: S): Float64Array;
  /**
   * The expected minutes every symbol's session has, when all symbols follow one calendar
   * (asked once per cycle instead of `expectedMinutes` per symbol); undefined otherwise.
   */
  sharedExpectedMinutes?(): Float64Array | undefined;
  /**
   * Regular bars present of every symbol by id, where `symbols()[id].id === id` and no symbol
   * builds its bars from ticks: a cycle then reads these counts instead of each state (one
   * array, not one object a symbol, each minute). Optional.
   */
  presentCounts?(): Int32Array;
  /**
   * The sum of `presentCounts()`, kept as bars land, where no bar lands before the clock has
   * ended its minute (a replay), so that no count is above the minutes ended; undefined where
   * one can (a live feed). When it is the minutes ended times the symbols, every symbol is
   * complete and a cycle has nothing to look at. Optional, with `presentCounts`.
   */
  presentTotal?(): number | undefined;
  /** Called after bars were inserted into a symbol's data (rebuild derived, drop caches). */
  changed(state: S, time: number): void | Promise<void>;
  /**
   * Completes derived bars (and bars built from ticks) of these symbols whose end the clock
   * passed; returns a promise when listeners are async.
   */
  flushDerived(states: readonly S[]): void | Promise<void>;
  emit(event: GapEvent): void | Promise<void>;
  isPaused(): boolean;
  /**
   * Whether asking the bar source for this symbol can help: not when the symbol's bars are
   * replayed from the very store that is the source (its gaps are gaps of the store).
   */
  canFill(symbol: string): boolean;
}

/** Upkeep's state for health and metrics. */
export interface UpkeepStatus {
  enabled: boolean;
  cycles: number;
  lastCycleAt: number | null;
  lastCycleMicros: number;
  /** Wall time of every cycle so far, summed (what upkeep has cost). */
  busyMicros: number;
  gapsFound: number;
  gapsFilled: number;
  gapsAbandoned: number;
  openGaps: number;
  /** True while fills are failing (the bar source throws or hangs), until one succeeds. */
  degraded: boolean;
  lastError: string | null;
}

/** Minutes found missing in one cycle, and the tracked gap they belong to. */
interface Finding {
  gap: TrackedGap;
  start: number;
  end: number;
  count: number;
  /** The gap was created by this finding (not a continuation of one still being retried). */
  isNew: boolean;
}

/**
 * Periodic data upkeep on the engine's clock: finds missing minutes of every active symbol
 * (incrementally: each cycle looks only at minutes that ended since the last one), groups them
 * into gaps, fills them from a bar source with exponential backoff on the same clock, marks
 * filled bars, and gives up after `maxRetries` (optionally filling with flat synthetic bars).
 * A source that throws or hangs (past `timeoutSeconds`) is a failed attempt, never a stopped
 * stream; upkeep reports itself degraded until a fill succeeds again.
 */
export class Upkeep<S extends UpkeepSymbol = UpkeepSymbol> {
  private readonly gaps = new Map<string, TrackedGap[]>();
  /** Next expected-minute index to check, per symbol by the state's dense id. */
  private next = new Int32Array(0);
  /** Per symbol id, the expected minutes `next` indexes (a new session's start it afresh). */
  private scanned: (Float64Array | undefined)[] = [];
  /**
   * The shared expected minutes every symbol was last looked at against, and how many symbols
   * there were: until either changes, a cycle whose present counts sum to every symbol
   * complete skips the symbols (their `next` stays where it was; a later look goes on from there).
   */
  private lookedAt: Float64Array | undefined;
  private lookedAtSymbols = 0;
  private readonly timers = new Set<TimerHandle>();
  private timer: TimerHandle | undefined;
  private cycles = 0;
  private lastCycleAt: number | null = null;
  private lastCycleMicros = 0;
  private busyMicros = 0;
  private found = 0;
  private filled = 0;
  private abandoned = 0;
  private failing = 0;
  private lastError: string | null = null;

  constructor(
    private readonly host: UpkeepHost<S>,
    private readonly source: BarSource | undefined,
    private readonly options: UpkeepOptions,
  ) {}

  /** Starts the periodic cycle on the host's clock. */
  start(firstAt?: number): void {
    if (this.timer) return;
    this.timer = this.host.clock.every(this.options.intervalSeconds * 1000, () => this.cycle(), firstAt);
  }

  stop(): void {
    if (this.timer) this.host.clock.cancel(this.timer);
    this.timer = undefined;
    for (const t of this.timers) this.host.clock.cancel(t);
    this.timers.clear();
  }

  /**
   * A new session starts: forgets scan positions (of `states` only: one market's symbols, when
   * a replay holds several) and the gaps already resolved.
   */
  newSession(states?: readonly S[]): void {
    if (states) for (const s of states) this.scanned[s.id] = undefined;
    else this.scanned = [];
    const symbols = states ? states.map((s) => s.symbol) : [...this.gaps.keys()];
    for (const symbol of symbols) {
      const open = this.gaps.get(symbol)?.filter((g) => g.state === "open" || g.state === "retrying") ?? [];
      if (open.length > 0) this.gaps.set(symbol, open);
      else this.gaps.delete(symbol);
    }
  }

  /**
   * One cycle: detect new gaps, attempt fills that are due, complete derived bars. Skipped
   * while paused; between sessions there is nothing to look at. A cycle that finds every
   * symbol complete allocates nothing and returns nothing to wait for (the common case: it
   * runs every minute, nights included); otherwise the returned promise settles once the
   * gaps are reported, fills attempted and derived bars flushed.
   */
  cycle(): void | Promise<void> {
    if (this.host.isPaused()) return;
    const now = this.host.clock.now();
    this.cycles++;
    this.lastCycleAt = now;
    // Between sessions of a replay on one calendar, no symbol has minutes to look at: a
    // cycle that returns at once (most of a replay's cycles: nights, weekends) is not timed,
    // as timing it would cost more than it does.
    const shared = this.host.sharedExpectedMinutes?.();
    if (shared?.length === 0) {
      this.lastCycleMicros = 0;
      return;
    }
    const t0 = performance.now();
    const states = this.host.symbols();
    if (this.next.length < states.length) {
      const grown = new Int32Array(Math.max(16, states.length * 2));
      grown.set(this.next);
      this.next = grown;
    }
    let found: Finding[] | undefined;
    let incomplete: S[] | undefined;
    const next = this.next;
    // Symbols of one market share their session's minutes (several markets, several arrays):
    // what depends on the minutes is found once per array.
    let expected = shared;
    let ended = shared ? endedMinutes(shared, now) : 0;
    let contiguous = shared ? onGrid(shared, ended) : false;
    // One calendar and dense counts (id i): the common case reads two arrays a symbol, no state.
    const present = shared && contiguous ? this.host.presentCounts?.() : undefined;
    if (
      present &&
      this.lookedAt === shared &&
      this.lookedAtSymbols === states.length &&
      this.host.presentTotal?.() === ended * states.length
    ) {
      return this.account(t0);
    }
    const scanned = this.scanned;
    for (let i = 0; i < states.length; i++) {
      if (present && next[i] < ended && present[i] === ended && scanned[i] === shared) {
        next[i] = ended;
        continue;
      }
      const s = states[i];
      const minutes = shared ?? this.host.expectedMinutes(s);
      if (minutes.length === 0) continue;
      if (minutes !== expected) {
        expected = minutes;
        ended = endedMinutes(minutes, now);
        contiguous = onGrid(minutes, ended);
      }
      const id = s.id;
      if (this.scanned[id] !== minutes) {
        next[id] = 0;
        this.scanned[id] = minutes;
      }
      let complete: boolean;
      if (next[id] >= ended) complete = s.gaps.missingMinutes === 0 && !s.buildsFromTicks;
      else if (contiguous && s.present === ended) {
        next[id] = ended;
        complete = !s.buildsFromTicks;
      } else complete = this.scan(s, minutes, now, (found ??= []));
      if (!complete) (incomplete ??= []).push(s);
    }
    if (shared) {
      this.lookedAt = shared;
      this.lookedAtSymbols = states.length;
    }
    if (!incomplete && !found?.length) return this.account(t0);
    return this.report(found ?? [], incomplete ?? [], now, t0);
  }

  /** The rest of a cycle that found gaps or incomplete symbols: events, fills, derived bars. */
  private async report(found: Finding[], incomplete: S[], now: number, t0: number): Promise<void> {
    for (const f of found) {
      await this.host.emit({
        type: "gap",
        at: now,
        symbol: f.gap.symbol,
        start: f.start,
        end: f.end,
        count: f.count,
        retries: 0,
      });
      if (!f.isNew || !this.options.fillGaps || !this.source) continue;
      if (this.host.canFill(f.gap.symbol)) await this.attempt(f.gap);
      else await this.abandon(f.gap, now, "the bar source is the store being replayed: it has nothing more");
    }
    if (incomplete.length > 0) await this.host.flushDerived(incomplete);
    this.account(t0);
  }

  /** Adds the time since `t0` (a cycle's start) to what upkeep has cost. */
  private account(t0: number): void {
    this.lastCycleMicros = (performance.now() - t0) * 1000;
    this.busyMicros += this.lastCycleMicros;
  }

  /** Gaps of a symbol (all states), oldest first. */
  gapsOf(symbol: string): readonly TrackedGap[] {
    return this.gaps.get(symbol) ?? [];
  }

  status(): UpkeepStatus {
    let open = 0;
    for (const list of this.gaps.values())
      for (const g of list) if (g.state === "open" || g.state === "retrying") open++;
    return {
      enabled: true,
      cycles: this.cycles,
      lastCycleAt: this.lastCycleAt,
      lastCycleMicros: this.lastCycleMicros,
      busyMicros: this.busyMicros,
      gapsFound: this.found,
      gapsFilled: this.filled,
      gapsAbandoned: this.abandoned,
      openGaps: open,
      degraded: this.failing > 0,
      lastError: this.lastError,
    };
  }

  /**
   * Walks the expected minutes that ended since the last cycle. Each run of newly missing
   * minutes is one finding (reported as a `gap` event); a run that continues a gap still being
   * retried joins it, so one fill covers both. Returns false: the symbol is not complete, so
   * its derived buckets may need flushing (a complete one's completed with their last minute).
   */
  private scan(s: S, expected: Float64Array, now: number, found: Finding[]): boolean {
    const bars = s.bars;
    const next = this.next;
    const id = s.id;
    const limit = now - MINUTE_MS;
    let b = bars.lowerBound(expected[next[id]]);
    let list = this.gaps.get(s.symbol);
    let last = list?.[list.length - 1];
    let finding: Finding | undefined;
    for (; next[id] < expected.length && expected[next[id]] <= limit; next[id]++) {
      const t = expected[next[id]];
      while (b < bars.length && bars.time[b] < t) b++;
      if (b < bars.length && bars.time[b] === t) continue;
      if (finding && finding.end === t) {
        finding.end += MINUTE_MS;
        finding.count++;
        finding.gap.end += MINUTE_MS;
        finding.gap.count++;
        continue;
      }
      if (last && last.end === t && this.joins(last)) {
        last.end += MINUTE_MS;
        last.count++;
        finding = { gap: last, start: t, end: t + MINUTE_MS, count: 1, isNew: false };
      } else {
        last = {
          symbol: s.symbol,
          start: t,
          end: t + MINUTE_MS,
          count: 1,
          state: "open",
          retries: 0,
          foundAt: now,
        };
        if (!list) this.gaps.set(s.symbol, (list = []));
        list.push(last);
        this.found++;
        finding = { gap: last, start: t, end: t + MINUTE_MS, count: 1, isNew: true };
      }
      found.push(finding);
    }
    if (finding) this.updateCounts(s.symbol);
    return false;
  }

  /**
   * Whether newly missing minutes right after a gap join it: while it is still being worked
   * on, or when it was given up because the source cannot have the symbol's bars anyway
   * (and synthetic bars, which would need filling anew, are not asked for).
   */
  private joins(gap: TrackedGap): boolean {
    if (gap.state === "open" || gap.state === "retrying") return true;
    return gap.state === "abandoned" && !this.options.synthesizeAbandoned && !this.host.canFill(gap.symbol);
  }

  /** Asks the source for a gap's bars; on failure retries later with backoff, or gives up. */
  private async attempt(gap: TrackedGap): Promise<void> {
    const now = this.host.clock.now();
    let bars: Bar[];
    try {
      bars = await this.withTimeout(this.source!.fetchBars(gap.symbol, gap.start, gap.end));
    } catch (err) {
      this.failing++;
      this.lastError = err instanceof Error ? err.message : String(err);
      gap.lastError = this.lastError;
      return this.retryLater(gap, now);
    }
    if (this.failing > 0) this.failing = 0;
    const missing = await this.insert(gap, bars, now);
    if (missing === 0) {
      gap.state = "filled";
      gap.resolvedAt = now;
      this.filled++;
      this.updateCounts(gap.symbol);
      await this.host.emit(gapEvent("gapFilled", gap, now));
      return;
    }
    gap.lastError = `source returned ${gap.count - missing} of ${gap.count} bars`;
    return this.retryLater(gap, now);
  }

  /** Inserts the source's bars that belong to the gap; returns how many minutes are still missing. */
  private async insert(gap: TrackedGap, bars: readonly Bar[], now: number): Promise<number> {
    const state = this.host.symbol(gap.symbol);
    if (!state) return gap.count;
    const series = state.seriesAt(gap.start);
    if (!series) return gap.count;
    let inserted = false;
    for (const bar of bars) {
      if (bar.time < gap.start || bar.time >= gap.end || bar.time + MINUTE_MS > now) continue;
      if (barProblem(bar.open, bar.high, bar.low, bar.close, bar.volume)) continue;
      if (state.insert(bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume, BarFlag.Filled))
        inserted = true;
    }
    if (inserted) await this.host.changed(state, gap.start);
    let missing = 0;
    for (let t = gap.start; t < gap.end; t += MINUTE_MS) {
      const i = series.lowerBound(t);
      if (i >= series.length || series.time[i] !== t) missing++;
    }
    return missing;
  }

  private async retryLater(gap: TrackedGap, now: number): Promise<void> {
    gap.retries++;
    if (gap.retries > this.options.maxRetries) return this.abandon(gap, now);
    gap.state = "retrying";
    this.updateCounts(gap.symbol);
    const delay = this.options.backoffSeconds * 1000 * 2 ** (gap.retries - 1);
    const handle = this.host.clock.at(now + delay, async () => {
      this.timers.delete(handle);
      if (gap.state === "retrying") await this.attempt(gap);
    });
    this.timers.add(handle);
  }

  /** Gives a gap up (filling it with synthetic bars when the policy says so). */
  private async abandon(gap: TrackedGap, now: number, reason?: string): Promise<void> {
    gap.state = "abandoned";
    gap.resolvedAt = now;
    if (reason) gap.lastError = reason;
    this.abandoned++;
    if (this.options.synthesizeAbandoned) await this.synthesize(gap, now);
    this.updateCounts(gap.symbol);
    await this.host.emit(gapEvent("gapAbandoned", gap, now));
  }

  /** Fills an abandoned gap with flat zero-volume bars at the last close, flagged synthetic. */
  private async synthesize(gap: TrackedGap, now: number): Promise<void> {
    const state = this.host.symbol(gap.symbol);
    const series = state?.seriesAt(gap.start);
    if (!state || !series) return;
    const before = series.lowerBound(gap.start) - 1;
    const after = series.lowerBound(gap.end);
    const price =
      before >= 0 ? series.close[before] : after < series.length ? series.open[after] : Number.NaN;
    if (Number.isNaN(price)) return;
    for (let t = gap.start; t < gap.end && t + MINUTE_MS <= now; t += MINUTE_MS) {
      state.insert(t, price, price, price, price, 0, BarFlag.Synthetic);
    }
    await this.host.changed(state, gap.start);
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    const ms = this.options.timeoutSeconds * 1000;
    let handle: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      handle = setTimeout(() => reject(new Error(`bar source did not answer within ${ms} ms`)), ms);
      handle.unref?.();
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(handle));
  }

  /** Recomputes a symbol's gap counters in its metrics. */
  private updateCounts(symbol: string): void {
    const state = this.host.symbol(symbol);
    if (!state) return;
    let open = 0;
    let filled = 0;
    let abandoned = 0;
    let missing = 0;
    const sessionStart = this.host.expectedMinutes(state)[0] ?? Number.POSITIVE_INFINITY;
    for (const g of this.gaps.get(symbol) ?? []) {
      const current = g.start >= sessionStart;
      if (g.state === "filled") filled++;
      else if (g.state === "abandoned") {
        abandoned++;
        if (current && !this.options.synthesizeAbandoned) missing += g.count;
      } else {
        open++;
        if (current) missing += g.count;
      }
    }
    state.setGaps({ open, filled, abandoned, missingMinutes: missing });
  }
}

function gapEvent(type: GapEvent["type"], g: TrackedGap, at: number): GapEvent {
  return { type, at, symbol: g.symbol, start: g.start, end: g.end, count: g.count, retries: g.retries };
}

/**
 * Whether the first `ended` expected minutes lie on a contiguous minute grid. The session's
 * regular bars are unique and ended, so then as many present as minutes ended means none is
 * missing.
 */
function onGrid(minutes: Float64Array, ended: number): boolean {
  return ended > 0 && minutes[ended - 1] - minutes[0] === (ended - 1) * MINUTE_MS;
}
