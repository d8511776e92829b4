import type { BoundaryManager } from "../calendar/index.js";
import type { LiveClock } from "../clock/live.js";
import type { Upkeep } from "../upkeep/index.js";
import type { BarPath } from "./bar-path.js";
import type { SymbolState } from "./symbol-state.js";
import type { LiveFeed, LiveSink } from "./types.js";

/** The state of a live feed's connection, as last reported. */
export interface LiveConnection {
  state: "connected" | "disconnected";
  at: number;
  detail?: string;
}

/**
 * The live driver: the wall clock, events pushed by a live feed applied one after another in
 * arrival order (async listeners awaited), boundaries and upkeep on the wall clock.
 */
export class LiveDriver {
  connection: LiveConnection | undefined;
  private feed: LiveFeed | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly p: {
      clock: LiveClock;
      bars: BarPath;
      boundaries: BoundaryManager;
      upkeep: Upkeep<SymbolState> | undefined;
      onError: (err: unknown) => void;
    },
  ) {}

  /** Starts boundaries, upkeep and the feed; resolves once the feed has started. */
  async start(feed: LiveFeed, symbols: readonly string[]): Promise<void> {
    this.feed = feed;
    await this.p.boundaries.start();
    this.p.upkeep?.start();
    await feed.start(this.sink, symbols);
  }

  /** Stops the feed, boundaries, upkeep and every wall-clock timer. */
  async stop(): Promise<void> {
    const feed = this.feed;
    if (!feed) return;
    this.feed = undefined;
    this.p.boundaries.stop();
    this.p.upkeep?.stop();
    this.p.clock.cancelAll();
    await feed.stop();
  }

  private readonly sink: LiveSink = {
    bar: (bar) => this.apply(() => this.p.bars.barOf(bar)),
    quote: (q) => this.apply(() => this.p.bars.quote(q)),
    tick: (t) => this.apply(() => this.p.bars.tick(t)),
    connection: (state, at, detail) => {
      this.connection = { state, at, detail };
    },
  };

  /** Applies pushed live events one after another, in arrival order, awaiting async handlers. */
  private apply(fn: () => void | Promise<void>): void {
    const bars = this.p.bars;
    this.chain = this.chain
      .then(fn)
      .then(() => bars.flushSlice())
      .catch((err) => this.p.onError(err));
  }
}
