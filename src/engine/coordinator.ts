import type { SimulatedClock } from "../clock/simulated.js";
import type { QuoteBar, Tick } from "../model/bar.js";
import { MinHeap } from "../model/heap.js";
import { MINUTE_MS } from "../model/time.js";
import type { Feed, FeedBatch } from "./types.js";

/** A batch of one-minute bars as feeds hand it over. */
export type BarBatch = Extract<FeedBatch, { kind: "bar" }>;

/** Where the coordinator delivers events; a returned promise is awaited (backpressure). */
export interface StreamSink {
  /**
   * Applies rows [from, to) of a bar batch, all due at clock time `now`; returns the index of
   * the next row to apply (before `to` when a listener returned a promise: see `takeWaiting`).
   */
  bars(batch: BarBatch, from: number, to: number, now: number): number;
  /** The promise a listener returned during the last `bars` call, if any (cleared). */
  takeWaiting(): Promise<void> | undefined;
  quote(quote: QuoteBar): void | Promise<void>;
  tick(tick: Tick): void | Promise<void>;
  /** Called before the clock moves forward (the instant ending is complete). */
  advance?(): void | Promise<void>;
}

/** Rank of each kind at equal delivery times: bars, then quotes, then ticks. */
const KIND_RANK = { bar: 0, quote: 1, tick: 2 } as const;

class Cursor {
  batch: FeedBatch | null = null;
  i = 0;
  n = 0;
  headAt: number;
  rank = 0;
  needsLoad = true;

  constructor(
    readonly feed: Feed,
    readonly seq: number,
  ) {
    this.headAt = feed.nextBatchAt();
  }

  /** Delivery time of row i of the current batch: bars and quote bars at their end, ticks at their time. */
  deliverAt(i: number): number {
    const b = this.batch!;
    if (b.kind === "bar") return b.bars.time[i] + MINUTE_MS;
    if (b.kind === "quote") return b.quotes[i].time + MINUTE_MS;
    return b.ticks[i].time;
  }

  refresh(): void {
    if (this.batch && this.i < this.n) {
      this.headAt = this.deliverAt(this.i);
      this.needsLoad = false;
    } else {
      if (this.batch?.kind === "bar") this.batch.release?.();
      this.batch = null;
      this.headAt = this.feed.nextBatchAt();
      this.needsLoad = true;
    }
  }
}

/** Wall milliseconds between yields to the event loop during a replay. */
const YIELD_EVERY_MS = 2;

/** Pace: as fast as possible, or a multiple of real time. */
export type Speed = "max" | number;

/**
 * Merges any number of feeds into one stream in (delivery time, kind, feed order, row order)
 * order, drives the simulated clock from event to event and fires its timers: timers due
 * before an event's time first, then the event(s), then timers due at that same time
 * (data before timers at equal timestamps). A heap over feeds, not symbols: a repository
 * feed already holds every symbol's rows sorted by (time, symbol), and all rows sharing a
 * timestamp are delivered in one inner loop, so the cost per event is O(1) amortized plus
 * O(log F) per (feed, timestamp) for F feeds.
 */
export class StreamCoordinator {
  private readonly heap = new MinHeap<Cursor>(
    (a, b) =>
      a.headAt < b.headAt ||
      (a.headAt === b.headAt && (a.rank < b.rank || (a.rank === b.rank && a.seq < b.seq))),
  );
  private seq = 0;
  private paused: Promise<void> | null = null;
  private resumeFn: (() => void) | null = null;
  private stopped = false;
  private wallStart = 0;
  private lastYield = 0;
  private simStart = Number.NaN;
  /** Ends the paced wait in progress (stop() calls it). */
  private wake: (() => void) | undefined;

  constructor(
    private readonly clock: SimulatedClock,
    private readonly sink: StreamSink,
    private speed: Speed = "max",
  ) {
    if (sink.advance) clock.onAdvance = () => sink.advance?.();
  }

  /** Adds a feed; allowed while running (e.g. a symbol activated mid-session). */
  addFeed(feed: Feed): void {
    this.heap.push(new Cursor(feed, this.seq++));
  }

  get isPaused(): boolean {
    return this.paused !== null;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  pause(): void {
    if (this.paused) return;
    this.paused = new Promise((r) => (this.resumeFn = r));
  }

  resume(): void {
    this.resumeFn?.();
    this.paused = null;
    this.resumeFn = null;
    this.simStart = Number.NaN;
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
    this.resume();
  }

  /**
   * Paced replays: counts simulated time from `t` afresh, so the clock reaches `t` (the next
   * session's start) without waiting: closed time between sessions is skipped.
   */
  skipTo(t: number): void {
    if (this.speed === "max") return;
    this.simStart = t;
    this.wallStart = performance.now();
  }

  setSpeed(speed: Speed): void {
    this.speed = speed;
    this.simStart = Number.NaN;
  }

  /**
   * Runs until every feed is exhausted, then fires the clock's timers up to `endAt`
   * (boundaries of the last session). Resolves when done or stopped.
   */
  async run(endAt: number): Promise<void> {
    const clock = this.clock;
    while (!this.stopped) {
      if (this.paused) await this.paused;
      if (this.stopped) break;
      const top = this.heap.peek();
      if (!top || top.headAt === Number.POSITIVE_INFINITY) break;
      const t = top.headAt;
      const timerAt = clock.nextTimerAt();
      if (timerAt < t) {
        if (this.speed === "max") {
          await clock.advanceTo(t, false);
        } else {
          await this.pace(timerAt);
          if (!this.stopped) await clock.advanceTo(timerAt, true);
        }
        continue;
      }
      if (top.needsLoad) {
        if (this.speed !== "max" && t > clock.now()) {
          await this.pace(t);
          if (this.stopped) break;
        }
        this.heap.pop();
        if (t > clock.now()) await this.moveTo(t);
        top.batch = await top.feed.load();
        top.i = 0;
        top.n = top.batch ? batchLength(top.batch) : 0;
        top.rank = top.batch ? KIND_RANK[top.batch.kind] : 0;
        top.refresh();
        if (top.headAt < clock.now() && !top.needsLoad) top.headAt = clock.now();
        if (top.headAt !== Number.POSITIVE_INFINITY || !top.needsLoad) this.heap.push(top);
        continue;
      }
      if (this.speed !== "max") {
        await this.pace(t);
        if (this.stopped) break;
      }
      if (t > clock.now()) await this.moveTo(t);
      // A feed still to load a batch due now (another market's session starting this instant)
      // loads first: the instant's timers fire once every row due now is delivered.
      if (await this.deliverAll(clock.now())) continue;
      await clock.advanceTo(clock.now(), true);
      if (performance.now() - this.lastYield >= YIELD_EVERY_MS) await this.yieldToIo();
    }
    while (!this.stopped && this.speed !== "max" && clock.nextTimerAt() <= endAt) {
      const at = clock.nextTimerAt();
      await this.pace(at);
      if (!this.stopped) await clock.advanceTo(at, true);
    }
    if (!this.stopped && endAt > clock.now()) await clock.advanceTo(endAt, true);
    const r = this.sink.advance?.();
    if (r) await r;
  }

  /** Moves the clock to `t` without firing timers, telling the sink first. */
  private async moveTo(t: number): Promise<void> {
    const r = this.sink.advance?.();
    if (r) await r;
    this.clock.set(t);
  }

  /**
   * Delivers every loaded row due at or before `t` across feeds; true when it stopped at a feed
   * that must load a batch due by `t` first.
   */
  private async deliverAll(t: number): Promise<boolean> {
    const sink = this.sink;
    for (;;) {
      const c = this.heap.peek();
      if (c?.needsLoad && c.headAt <= t && !this.stopped) return true;
      if (!c || c.needsLoad || c.headAt > t || this.stopped) return false;
      this.heap.pop();
      const b = c.batch!;
      let i = c.i;
      if (b.kind === "bar") {
        const time = b.bars.time;
        const limit = t - MINUTE_MS;
        let end = i;
        while (end < c.n && time[end] <= limit) end++;
        while (i < end) {
          i = sink.bars(b, i, end, t);
          const r = sink.takeWaiting();
          if (r) {
            c.i = i;
            await r;
            if (this.stopped) return false;
          }
        }
      } else if (b.kind === "quote") {
        while (i < c.n && b.quotes[i].time + MINUTE_MS <= t) {
          const r = sink.quote(b.quotes[i++]);
          if (r) await r;
        }
      } else {
        while (i < c.n && b.ticks[i].time <= t) {
          const r = sink.tick(b.ticks[i++]);
          if (r) await r;
        }
      }
      c.i = i;
      c.refresh();
      this.heap.push(c);
    }
  }

  /**
   * Lets the event loop run I/O callbacks. A replay at full speed runs on promise
   * microtasks only, which would starve the prefetch's database reads (their results arrive
   * as I/O callbacks); yielding every few milliseconds lets them overlap the replay. Event
   * order does not depend on it: it is fixed by the simulated clock.
   */
  private async yieldToIo(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastYield = performance.now();
  }

  /** Waits until simulated time `t` is due on the wall clock; `stop()` ends the wait at once. */
  private async pace(t: number): Promise<void> {
    const speed = this.speed as number;
    if (Number.isNaN(this.simStart)) {
      this.simStart = t;
      this.wallStart = performance.now();
      return;
    }
    const due = this.wallStart + (t - this.simStart) / speed;
    const wait = due - performance.now();
    if (wait <= 1 || this.stopped) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, wait);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
  }
}

function batchLength(b: FeedBatch): number {
  return b.kind === "bar" ? b.bars.length : b.kind === "quote" ? b.quotes.length : b.ticks.length;
}
