import type { EngineEvent } from "../engine/index.js";

/** Where an event sorts in the engine's order at its clock time (see `RunOrder`). */
export type OrderKey = [at: number, segment: number, phase: number, symbol: string | number];

const BOUNDARY = new Set(["preOpen", "open", "close", "postClose", "roll"]);

/**
 * The engine's order of one shard's events, as a sort key per event, so the events of several
 * shards (each over some of the symbols) merge into the order one process over all of them
 * emits: by clock time `at`; at one time, segments split by the boundary events (which every
 * shard emits alike); within a segment, first the bars delivered at that time (each one-minute
 * bar with the derived bars it completed, by symbol byte-wise, as the store orders them), then
 * upkeep's gap events (a `gap`, the derived bars its fill completed, its `gapFilled` or
 * `gapAbandoned`), then derived bars flushed for missing minutes, each by the symbol's place
 * in the run's symbol list. Fed one shard's events in its order. (A gap retried later, on a
 * timer of its own at a time when upkeep also runs, may sort off by one place: such timers
 * are not told apart from the outside.)
 */
export class RunOrder {
  private at = Number.NEGATIVE_INFINITY;
  private segment = 0;
  private delivering = true;
  private group: string | undefined;
  private gapSymbol: string | undefined;
  private readonly rank: Map<string, number>;

  constructor(symbols: readonly string[]) {
    this.rank = new Map(symbols.map((s, i) => [s, i]));
  }

  key(e: EngineEvent): OrderKey {
    if (e.at !== this.at) {
      this.at = e.at;
      this.segment = 0;
      this.delivering = true;
      this.group = undefined;
      this.gapSymbol = undefined;
    }
    if (BOUNDARY.has(e.type)) {
      const k: OrderKey = [e.at, this.segment++, 3, 0];
      this.delivering = false;
      this.group = undefined;
      this.gapSymbol = undefined;
      return k;
    }
    if (e.type === "gap" || e.type === "gapFilled" || e.type === "gapAbandoned") {
      this.delivering = false;
      // Bars a fill completes come between a gap and its gapFilled; after that, flushes.
      this.gapSymbol = e.type === "gap" ? e.symbol : undefined;
      return [e.at, this.segment, 1, this.rankOf(e.symbol)];
    }
    if (e.type !== "bar") return [e.at, this.segment, 2, "symbol" in e ? this.rankOf(e.symbol) : 0];
    if (this.delivering && e.interval === "1m") {
      this.group = e.symbol;
      return [e.at, this.segment, 0, e.symbol];
    }
    if (this.delivering && this.group === e.symbol) return [e.at, this.segment, 0, e.symbol];
    this.delivering = false;
    if (this.gapSymbol === e.symbol) return [e.at, this.segment, 1, this.rankOf(e.symbol)];
    this.gapSymbol = undefined;
    return [e.at, this.segment, 2, this.rankOf(e.symbol)];
  }

  private rankOf(symbol: string): number {
    return this.rank.get(symbol) ?? this.rank.size;
  }
}

/** Compares two keys: negative when `a` comes first. */
export function compareKeys(a: OrderKey, b: OrderKey): number {
  for (let i = 0; i < 4; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** True for events every shard emits alike (kept once when merging). */
export function isShared(e: EngineEvent): boolean {
  return BOUNDARY.has(e.type);
}
