import type { Clock, TimerHandle } from "../clock/clock.js";
import { LiveClock } from "../clock/live.js";
import { type Bar, type BarColumns, barAt } from "../model/bar.js";
import { InvalidArgumentError } from "../model/errors.js";
import { isoUtc, MINUTE_MS } from "../model/time.js";
import type { Repository } from "../store/types.js";
import type { LiveFeed, LiveSink } from "./types.js";

/** What to play and how fast. */
export interface ReplayAsLiveOptions {
  repository: Repository;
  /** Stored one-minute bars whose start lies in [from, to), epoch ms. */
  from: number;
  to: number;
  /** Multiple of real time (default 1: a minute of data per wall-clock minute). */
  speed?: number;
  /**
   * Bar times as delivered: `now` (default) shifts them by whole minutes so the first bar starts
   * at the current minute, as the engine's live mode on the wall clock needs; `none` keeps the
   * stored (historical) times; a number shifts by that many ms.
   */
  shift?: "now" | "none" | number;
  /** Minutes of data read per repository call (default 60); the next window is read while one plays. */
  windowMinutes?: number;
  /** Clock for pacing (default a LiveClock; a SimulatedClock makes tests exact). */
  clock?: Clock;
  /** A throwing sink is reported here (default stderr) and the replay goes on. */
  onError?: (err: Error) => void;
}

/** How a replay ended. */
export interface ReplayResult {
  delivered: number;
  stopped: boolean;
}

/**
 * A live feed playing stored one-minute bars in (time, symbol) order, for demos and for
 * running the live engine without a provider. Each bar is pushed when the replay's own time
 * reaches its END, never earlier. The replay's time starts at the first bar's start (shifted)
 * or, with `shift: "now"`, at the wall-clock now, and runs `speed` times faster than the wall
 * clock, so at speed 1 with the default shift every bar arrives exactly at its shifted end on
 * the wall clock, as a live feed's would. At speed N > 1 bars run ahead of the wall clock by
 * design: a consumer on a LiveClock sees bars up to N times "early" (use `replayTime(now)`
 * as the clock for point-in-time checks). Empty stretches (nights, weekends) take their time
 * too. `connection("connected")` is reported at start; the end of the data reports nothing
 * (`done()` resolves).
 */
export class ReplayAsLiveFeed implements LiveFeed {
  readonly name = "replay";
  private readonly clock: Clock;
  private readonly speed: number;
  private readonly windowMs: number;
  private state: "idle" | "playing" | "done" | "stopped" = "idle";
  private sink: LiveSink | undefined;
  private symbols: string[] = [];
  private offsetMs = 0;
  /** Replay time (delivered coordinates) at wall time `wallStart`. */
  private replayStart = 0;
  private wallStart = 0;
  private delivered = 0;
  private pending: { handle: TimerHandle; resolve: () => void } | undefined;
  /** Resolves the clock callback that woke the player once it waits again (or ends). */
  private settle: (() => void) | undefined;
  private finished: Promise<ReplayResult> | undefined;

  constructor(private readonly options: ReplayAsLiveOptions) {
    const speed = options.speed ?? 1;
    if (!(speed > 0 && Number.isFinite(speed))) {
      throw new InvalidArgumentError(`replay speed must be a positive number, got ${speed}`);
    }
    if (!(options.from < options.to)) {
      throw new InvalidArgumentError(
        `replay from ${isoUtc(options.from)} is not before to ${isoUtc(options.to)}`,
      );
    }
    const shift = options.shift ?? "now";
    if (typeof shift === "number" ? !Number.isFinite(shift) : shift !== "now" && shift !== "none") {
      throw new InvalidArgumentError(`replay shift must be "now", "none" or ms, got ${String(shift)}`);
    }
    const windowMinutes = options.windowMinutes ?? 60;
    if (!(windowMinutes >= 1)) {
      throw new InvalidArgumentError(`replay windowMinutes must be at least 1, got ${windowMinutes}`);
    }
    this.speed = speed;
    this.windowMs = Math.floor(windowMinutes) * MINUTE_MS;
    this.clock = options.clock ?? new LiveClock((err) => this.report(err));
  }

  /** Milliseconds added to every stored bar time (known once started). */
  get offset(): number {
    return this.offsetMs;
  }

  /** The replay's time (in delivered bar-time coordinates) at wall-clock time `wall`. */
  replayTime(wall: number): number {
    return this.replayStart + (wall - this.wallStart) * this.speed;
  }

  /** Bars pushed so far. */
  get count(): number {
    return this.delivered;
  }

  /**
   * Reads the first window, fixes the shift and starts playing in the background; resolves
   * once playing has begun (see `done()` for the end). No bars in the range: done at once.
   */
  async start(sink: LiveSink, symbols: readonly string[]): Promise<void> {
    if (this.state !== "idle") throw new InvalidArgumentError(`replay already started (${this.state})`);
    if (symbols.length === 0) throw new InvalidArgumentError("replay: no symbols to play");
    this.sink = sink;
    this.symbols = [...symbols];
    this.state = "playing";
    let cursor = this.options.from;
    let first: BarColumns | undefined;
    while (cursor < this.options.to && !this.isStopped()) {
      const bars = await this.read(cursor);
      cursor = Math.min(cursor + this.windowMs, this.options.to);
      if (bars.length > 0) {
        first = bars;
        break;
      }
    }
    const now = this.clock.now();
    const t0 = first ? first.time[0] : this.options.from;
    const shift = this.options.shift ?? "now";
    this.offsetMs = shift === "now" ? minuteOf(now) - minuteOf(t0) : shift === "none" ? 0 : shift;
    this.replayStart = shift === "now" ? now : t0 + this.offsetMs;
    this.wallStart = now;
    if (!this.isStopped()) this.guard(() => sink.connection("connected", now));
    this.finished = this.play(first, cursor);
  }

  /** Resolves when the replay has played everything or was stopped. */
  done(): Promise<ReplayResult> {
    return this.finished ?? Promise.resolve({ delivered: 0, stopped: this.isStopped() });
  }

  /** Halts the replay: no bar is pushed after this resolves. */
  async stop(): Promise<void> {
    if (this.isStopped()) return;
    const wasDone = this.state === "done";
    this.state = "stopped";
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      this.clock.cancel(p.handle);
      p.resolve();
    }
    if (!wasDone) await this.finished;
  }

  private isStopped(): boolean {
    return this.state === "stopped";
  }

  private read(from: number): Promise<BarColumns> {
    return this.options.repository.readBars({
      symbols: this.symbols,
      interval: "1m",
      from,
      to: Math.min(from + this.windowMs, this.options.to),
    });
  }

  private async play(first: BarColumns | undefined, cursor: number): Promise<ReplayResult> {
    let bars = first;
    try {
      while (bars && !this.isStopped()) {
        const next = cursor < this.options.to ? this.read(cursor) : undefined;
        cursor = Math.min(cursor + this.windowMs, this.options.to);
        await this.playWindow(bars);
        bars = next ? await next : undefined;
      }
    } finally {
      if (!this.isStopped()) this.state = "done";
      this.wake();
    }
    return { delivered: this.delivered, stopped: this.isStopped() };
  }

  private async playWindow(bars: BarColumns): Promise<void> {
    const sink = this.sink!;
    for (let i = 0; i < bars.length; i++) {
      const end = bars.time[i] + this.offsetMs + MINUTE_MS;
      const due = this.wallStart + (end - this.replayStart) / this.speed;
      if (due > this.clock.now()) await this.waitUntil(due);
      if (this.isStopped()) return;
      const bar: Bar = barAt(bars, i);
      bar.time += this.offsetMs;
      this.delivered++;
      this.guard(() => sink.bar(bar));
    }
  }

  /** Sleeps on the clock until `due`; the clock's callback waits until the player sleeps again. */
  private waitUntil(due: number): Promise<void> {
    this.wake();
    return new Promise((resolve) => {
      const handle = this.clock.at(due, () => {
        this.pending = undefined;
        resolve();
        return new Promise<void>((r) => {
          this.settle = r;
        });
      });
      this.pending = { handle, resolve };
    });
  }

  private wake(): void {
    const s = this.settle;
    this.settle = undefined;
    s?.();
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.report(err);
    }
  }

  private report(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    if (this.options.onError) this.options.onError(e);
    else process.stderr.write(`tickwright: replay feed: ${e.message}\n`);
  }
}

function minuteOf(t: number): number {
  return Math.floor(t / MINUTE_MS) * MINUTE_MS;
}
