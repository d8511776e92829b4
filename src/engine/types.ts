import type { LiveFeed, LiveSink } from "../live/index.js";
import type { BarColumns, QuoteBar, Tick } from "../model/bar.js";
import type { PlacedBars } from "../model/series.js";
import type { GapEvent } from "../upkeep/index.js";
import type { BarEvent } from "./bar-event.js";
import type { Slice } from "./slice.js";

export type { BarEvent, GapEvent, LiveFeed, LiveSink };

/** A quote bar delivered at its end. */
export interface QuoteEvent extends QuoteBar {
  type: "quote";
  at: number;
}

/** A trade tick delivered at its time. */
export interface TickEvent extends Tick {
  type: "tick";
  at: number;
}

/** A calendar boundary as the engine saw it. `at` is the boundary's true time. */
export interface BoundaryEvent {
  type: "preOpen" | "open" | "breakStart" | "breakEnd" | "close" | "postClose" | "roll";
  at: number;
  calendar: string;
  date: string;
}

/**
 * A split or dividend taking effect at a session's open in an adjusted replay (`adjust`):
 * emitted before that session's first bar, once the symbol's held history is rescaled.
 */
export interface CorporateActionEvent {
  type: "corporateAction";
  at: number;
  symbol: string;
  /** The ex-date: the session it takes effect at. */
  date: string;
  kind: "split" | "dividend";
  /** Split: new shares per old share. Dividend: cash per share. */
  value: number;
  /** The multiplier applied to earlier prices (volumes divided by it for a split). */
  factor: number;
}

/**
 * A ticker change of a replayed security taking effect at a session's open: emitted before
 * that session's first bar. `symbol` is the name the replay knows it by (its current ticker,
 * which all its bars carry); its bars dated before `date` are those stored under `previous`.
 */
export interface RenameEvent {
  type: "rename";
  at: number;
  symbol: string;
  /** The ex-date: the first session under `ticker`. */
  date: string;
  /** The ticker from `date` on (`symbol` itself, unless renamed again later). */
  ticker: string;
  /** The ticker before `date`. */
  previous: string;
}

/** Every per-bar and other event the engine emits (slices are delivered apart, see `Slice`). */
export type EngineEvent =
  | BarEvent
  | QuoteEvent
  | TickEvent
  | BoundaryEvent
  | GapEvent
  | CorporateActionEvent
  | RenameEvent;

/** Map from event type to its event. */
export interface EngineEventMap {
  bar: BarEvent;
  quote: QuoteEvent;
  tick: TickEvent;
  preOpen: BoundaryEvent;
  open: BoundaryEvent;
  breakStart: BoundaryEvent;
  breakEnd: BoundaryEvent;
  close: BoundaryEvent;
  postClose: BoundaryEvent;
  roll: BoundaryEvent;
  gap: GapEvent;
  gapFilled: GapEvent;
  gapAbandoned: GapEvent;
  corporateAction: CorporateActionEvent;
  rename: RenameEvent;
  /** Every bar completed at one clock instant (only to `slice` listeners, never to `onAny`). */
  slice: Slice;
}

/** A batch of events a feed hands the coordinator, each already in time order. */
export type FeedBatch =
  | {
      kind: "bar";
      bars: BarColumns;
      /**
       * Dense symbol id of each row (the engine's), or -1 where unknown: no lookup by name per
       * bar. `bars.symbol` is then read only for rows without an id (it may be empty when
       * every row has one).
       */
      ids?: Int32Array;
      /**
       * The rest of the session's bars, when this batch holds only its first part: the rows
       * from `at` on, read meanwhile (a feed hands them over as its next batch, due at `at`).
       */
      rest?: { at: number; batch: Promise<FeedBatch> };
      /**
       * The same rows placed per symbol id in series columns (where the batch was read): a
       * symbol's session takes its piece, so landing a row only counts it.
       */
      placed?: PlacedBars;
      /**
       * Called once the coordinator has delivered every row (the batch is not read again):
       * the store may reuse its memory.
       */
      release?: () => void;
    }
  | { kind: "quote"; quotes: readonly QuoteBar[] }
  | { kind: "tick"; ticks: readonly Tick[] };

/**
 * A pull source of events for the stream coordinator (a backtest feed). The coordinator
 * advances the clock to `nextBatchAt()` before calling `load()`, so a feed that loads a
 * session at a time reads it no earlier than the session begins (unless prefetched).
 * One-minute bars are delivered at their end, quotes bars likewise, ticks at their time.
 */
export interface Feed {
  readonly name: string;
  /** Earliest clock time the next batch can start; -Infinity: now; Infinity: exhausted. */
  nextBatchAt(): number;
  /** The next batch, or null when there is nothing more. */
  load(): Promise<FeedBatch | null>;
}

/** What a finished (or stopped) run did. */
export interface RunSummary {
  sessions: number;
  symbols: number;
  barsIn: number;
  barsOut: Record<string, number>;
  quotesIn: number;
  ticksIn: number;
  gapsFound: number;
  gapsFilled: number;
  gapsAbandoned: number;
  quality: Record<string, number>;
  wallMs: number;
  barsPerSecond: number;
  stopped: boolean;
}
