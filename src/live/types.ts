import type { Bar, QuoteBar, Tick } from "../model/bar.js";

/** Where a live adapter pushes what it receives. */
export interface LiveSink {
  bar(bar: Bar): void;
  quote(quote: QuoteBar): void;
  tick(tick: Tick): void;
  /** Connection state changes; a disconnect's missing minutes become gaps for upkeep. */
  connection(state: "connected" | "disconnected", at: number, detail?: string): void;
}

/** A push source of events in live mode (a market-data WebSocket, a replay-as-live player). */
export interface LiveFeed {
  readonly name: string;
  start(sink: LiveSink, symbols: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}
