import type { Feed, FeedBatch } from "../engine/index.js";
import { type Bar, barsToColumns } from "../model/bar.js";
import { decodeRaw } from "./codec.js";
import type { RawDelivery } from "./raw-source.js";

/** What the feed reads from and reports to. */
export interface BusFeedHost {
  /** The next raw message in stream order (null: the source was closed). */
  next(): Promise<RawDelivery | null>;
  /** The symbol a raw subject names, or undefined for the clock subject; null: not a raw bar subject. */
  symbolOf(subject: string): string | undefined | null;
  /** True for the symbols this shard keeps. */
  owns(symbol: string): boolean;
  /**
   * Called at the start of every load with the last message of the previous batch: the engine
   * has applied it and everything it caused, so the host may publish, then ack.
   */
  settle(last: RawDelivery | undefined): Promise<void>;
  /** A message that cannot be used: dead-letter it (awaited before the ack). */
  reject(d: RawDelivery, reason: string): Promise<void>;
}

/**
 * The engine's feed from the bus: each `load()` returns the owned bars published up to the
 * publisher's next watermark (`clock` message) as one batch, so every bar due at one clock
 * time arrives together, ordered by (time, symbol) as a store replay is; `nextBatchAt()` is that
 * watermark, so the engine's clock (and with it boundaries, upkeep and derived bars) moves with
 * the publisher's time, and a shard emits exactly what one process fed the same bars would.
 * An `end` message ends the feed (a finite replay); otherwise it waits for more.
 */
export class BusFeed implements Feed {
  readonly name = "bus";
  private watermark = Number.NEGATIVE_INFINITY;
  private done = false;
  private last: RawDelivery | undefined;
  /** The stream sequence of the last message loaded (the engine is at or past it). */
  loadedSeq = 0;
  /** Raw messages read, bars kept, messages rejected. */
  readonly counts = { messages: 0, bars: 0, rejected: 0 };

  constructor(private readonly host: BusFeedHost) {}

  /**
   * Just before the last watermark: the engine's clock moves up to it, and timers due exactly
   * at it (a boundary at the end of a finite replay) still fire.
   */
  nextBatchAt(): number {
    return this.done ? Number.POSITIVE_INFINITY : this.watermark - 1;
  }

  async load(): Promise<FeedBatch | null> {
    await this.host.settle(this.last);
    this.last = undefined;
    if (this.done) return null;
    const bars: Bar[] = [];
    for (;;) {
      const d = await this.host.next();
      if (!d) {
        this.done = true;
        break;
      }
      this.counts.messages++;
      this.last = d;
      this.loadedSeq = d.seq;
      const symbol = this.host.symbolOf(d.subject);
      if (symbol === null) {
        await this.rejected(d, "not a raw bar or clock subject");
        continue;
      }
      if (symbol !== undefined && !this.host.owns(symbol)) continue;
      const m = decodeRaw(d.data, symbol);
      if (m.type === "malformed") {
        await this.rejected(d, m.reason);
        continue;
      }
      if (m.type === "bar") {
        bars.push(m.bar);
        this.counts.bars++;
        continue;
      }
      if (m.at > this.watermark) this.watermark = m.at;
      if (m.type === "end") this.done = true;
      break;
    }
    if (bars.length === 0 && this.done) {
      await this.host.settle(this.last);
      this.last = undefined;
      return null;
    }
    bars.sort(byTimeThenSymbol);
    return { kind: "bar", bars: barsToColumns(bars) };
  }

  private async rejected(d: RawDelivery, reason: string): Promise<void> {
    this.counts.rejected++;
    await this.host.reject(d, reason);
  }
}

/** The store's replay order: time, then symbol byte-wise (stable for equal keys). */
function byTimeThenSymbol(a: Bar, b: Bar): number {
  return a.time - b.time || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);
}
