import type { Feed, FeedBatch } from "../engine/index.js";
import { type Bar, type BarColumns, barAt, barsToColumns, type QuoteBar, type Tick } from "../model/bar.js";
import { concatBarColumns } from "../model/columns.js";
import { MINUTE_MS } from "../model/time.js";
import { decodeBinaryBatch, isBinaryBatch } from "./binary-batch.js";
import { batchLines, decodeBatchLine, decodeRaw, type RawMessage } from "./codec.js";
import type { RawDelivery } from "./raw-source.js";
import type { RawKind } from "./subjects.js";

/** What a raw subject names: the clock, a batch of any symbols' data, or a kind of data of one symbol. */
export type RawRoute = "clock" | "batch" | { kind: RawKind; symbol: string };

/** One line of a batch message that was rejected: its place (from 0) and its text. */
export interface RejectedLine {
  index: number;
  text: string;
}

/** What the feed reads from and reports to. */
export interface BusFeedHost {
  /** The next raw message in stream order (null: the source was closed). */
  next(): Promise<RawDelivery | null>;
  /** What a raw subject names; null: not a raw subject. */
  route(subject: string): RawRoute | null;
  /** True for the symbols this shard keeps. */
  owns(symbol: string): boolean;
  /**
   * Called at the start of every load with the last message of the previous batch: the engine
   * has applied it and everything it caused, so the host may publish, then ack.
   */
  settle(last: RawDelivery | undefined): Promise<void>;
  /**
   * A message that cannot be used, or one line of a batch (`line`; the batch's other lines
   * still land): dead-letter it (awaited before the ack).
   */
  reject(d: RawDelivery, reason: string, line?: RejectedLine): Promise<void>;
}

/** One owned item of a window, with its delivery time. */
type Item =
  | { kind: "bar"; at: number; bar: Bar }
  | { kind: "quote"; at: number; quote: QuoteBar }
  | { kind: "tick"; at: number; tick: Tick };

const RANK = { bar: 0, quote: 1, tick: 2 } as const;

/**
 * The engine's feed from the bus: it reads the owned bars, quote bars and ticks published up
 * to the publisher's next watermark (a `clock` message, or a batch message's clock line), one
 * per message or many in a batch message (a bad line of a batch is rejected alone, the
 * others kept), as one window, ordered as the engine
 * orders its feeds (delivery time: bars and quote bars at their end, ticks at their time; then
 * bars, quotes, ticks; then symbol byte-wise, stable for equal keys), and hands it over as
 * batches of one kind each, in that order. `nextBatchAt()` is the watermark, so the engine's
 * clock (and with it boundaries, upkeep and derived bars) moves with the publisher's time, and
 * a shard emits exactly what one process fed the same data would. An `end` message ends the
 * feed (a finite replay); otherwise it waits for more.
 */
export class BusFeed implements Feed {
  readonly name = "bus";
  private watermark = Number.NEGATIVE_INFINITY;
  private done = false;
  private last: RawDelivery | undefined;
  private readonly queued: FeedBatch[] = [];
  /** The stream sequence of the last message loaded (the engine is at or past it). */
  loadedSeq = 0;
  /** Raw messages read, bars, quote bars and ticks kept, messages rejected. */
  readonly counts = { messages: 0, bars: 0, quotes: 0, ticks: 0, rejected: 0 };

  private readonly owns: (symbol: string) => boolean;

  constructor(private readonly host: BusFeedHost) {
    this.owns = (symbol) => host.owns(symbol);
  }

  /**
   * Just before the last watermark: the engine's clock moves up to it, and timers due exactly
   * at it (a boundary at the end of a finite replay) still fire.
   */
  nextBatchAt(): number {
    return this.done && this.queued.length === 0 ? Number.POSITIVE_INFINITY : this.watermark - 1;
  }

  async load(): Promise<FeedBatch | null> {
    const queued = this.queued.shift();
    if (queued) return queued;
    await this.host.settle(this.last);
    this.last = undefined;
    if (this.done) return null;
    const { items, parts } = await this.window();
    if (items.length === 0 && parts.length === 0 && this.done) {
      await this.host.settle(this.last);
      this.last = undefined;
      return null;
    }
    const bars = parts.length === 1 ? parts[0] : concatBarColumns(parts);
    // Only bars of binary batches, already in order (as a publisher sends them): as they are.
    if (items.length === 0 && inOrder(bars)) return { kind: "bar", bars };
    for (let i = 0; i < bars.length; i++)
      items.push({ kind: "bar", at: bars.time[i] + MINUTE_MS, bar: barAt(bars, i) });
    items.sort(byDelivery);
    this.queued.push(...batches(items));
    return this.queued.shift() ?? { kind: "bar", bars: barsToColumns([]) };
  }

  /**
   * Reads up to the next watermark (or the end): the owned items, unsorted, and the owned bars
   * of binary batches as columns, in their order.
   */
  private async window(): Promise<{ items: Item[]; parts: BarColumns[] }> {
    const items: Item[] = [];
    const parts: BarColumns[] = [];
    const window = { items, parts };
    for (;;) {
      const d = await this.host.next();
      if (!d) {
        this.done = true;
        return window;
      }
      this.counts.messages++;
      this.last = d;
      this.loadedSeq = d.seq;
      const route = this.host.route(d.subject);
      if (route === null) {
        await this.rejected(d, "not a raw bar, quote, tick or clock subject");
        continue;
      }
      if (route === "batch") {
        const at = isBinaryBatch(d.data) ? await this.binary(d, parts) : await this.batch(d, items);
        if (at === undefined) continue;
        if (at.at > this.watermark) this.watermark = at.at;
        if (at.type === "end") this.done = true;
        return window;
      }
      if (route !== "clock" && !this.host.owns(route.symbol)) continue;
      const m =
        route === "clock" ? decodeRaw(d.data, undefined) : decodeRaw(d.data, route.symbol, route.kind);
      switch (m.type) {
        case "malformed":
          await this.rejected(d, m.reason);
          continue;
        case "bar":
        case "quote":
        case "tick":
          this.keep(m, items);
          continue;
      }
      if (m.at > this.watermark) this.watermark = m.at;
      if (m.type === "end") this.done = true;
      return window;
    }
  }

  /** The owned bars of a binary batch into `parts` (a bad row rejected alone); returns its watermark. */
  private async binary(
    d: RawDelivery,
    parts: BarColumns[],
  ): Promise<{ type: "clock"; at: number } | undefined> {
    const b = decodeBinaryBatch(d.data, this.owns);
    if (typeof b === "string") {
      await this.rejected(d, b);
      return undefined;
    }
    for (const r of b.rejected) await this.rejected(d, r.reason, { index: r.index, text: r.text });
    if (b.bars.length > 0) parts.push(b.bars);
    this.counts.bars += b.bars.length;
    return b.clock === undefined ? undefined : { type: "clock", at: b.clock };
  }

  /**
   * The owned lines of a batch message into `items` (a bad line is rejected alone); returns
   * its watermark line (the latest, if several), which ends the window.
   */
  private async batch(
    d: RawDelivery,
    items: Item[],
  ): Promise<{ type: "clock" | "end"; at: number } | undefined> {
    const lines = batchLines(d.data);
    const owns = this.owns;
    let control: { type: "clock" | "end"; at: number } | undefined;
    for (let index = 0; index < lines.length; index++) {
      const m = decodeBatchLine(lines[index], owns);
      if (m.type === "skip") continue;
      if (m.type === "malformed") await this.rejected(d, m.reason, { index, text: lines[index] });
      else if (m.type === "clock" || m.type === "end") {
        if (!control || m.at >= control.at) control = { type: m.type, at: m.at };
      } else this.keep(m, items);
    }
    return control;
  }

  private keep(m: RawMessage & { type: "bar" | "quote" | "tick" }, items: Item[]): void {
    if (m.type === "bar") {
      items.push({ kind: "bar", at: m.bar.time + MINUTE_MS, bar: m.bar });
      this.counts.bars++;
    } else if (m.type === "quote") {
      items.push({ kind: "quote", at: m.quote.time + MINUTE_MS, quote: m.quote });
      this.counts.quotes++;
    } else {
      items.push({ kind: "tick", at: m.tick.time, tick: m.tick });
      this.counts.ticks++;
    }
  }

  private async rejected(d: RawDelivery, reason: string, line?: RejectedLine): Promise<void> {
    this.counts.rejected++;
    await this.host.reject(d, reason, line);
  }
}

function symbolOf(i: Item): string {
  return i.kind === "bar" ? i.bar.symbol : i.kind === "quote" ? i.quote.symbol : i.tick.symbol;
}

/** Delivery time, then kind (bars, quotes, ticks), then symbol byte-wise. */
function byDelivery(a: Item, b: Item): number {
  if (a.at !== b.at) return a.at - b.at;
  if (a.kind !== b.kind) return RANK[a.kind] - RANK[b.kind];
  const x = symbolOf(a);
  const y = symbolOf(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** True when bars are in the feed's order: time, then symbol (equal keys in any order). */
function inOrder(bars: BarColumns): boolean {
  for (let i = 1; i < bars.length; i++) {
    const dt = bars.time[i] - bars.time[i - 1];
    if (dt < 0 || (dt === 0 && bars.symbol[i] < bars.symbol[i - 1])) return false;
  }
  return true;
}

/** Sorted items as batches of one kind each, in order. */
function batches(items: Item[]): FeedBatch[] {
  const out: FeedBatch[] = [];
  for (let i = 0; i < items.length; ) {
    const kind = items[i].kind;
    let j = i;
    while (j < items.length && items[j].kind === kind) j++;
    const run = items.slice(i, j);
    if (kind === "bar") out.push({ kind, bars: barsToColumns(run.map((x) => (x as { bar: Bar }).bar)) });
    else if (kind === "quote") out.push({ kind, quotes: run.map((x) => (x as { quote: QuoteBar }).quote) });
    else out.push({ kind, ticks: run.map((x) => (x as { tick: Tick }).tick) });
    i = j;
  }
  return out;
}
