import type { Session } from "../calendar/types.js";
import { type Bar, barColumnsOver, barsToColumns, type QuoteBar, type Tick } from "../model/bar.js";
import { MINUTE_MS } from "../model/time.js";
import type { Repository } from "../store/types.js";
import type { Feed, FeedBatch } from "./types.js";

/**
 * Events held in memory: one batch, loaded at once. For tests and for callers who hold
 * data already (`engine.feed(symbol, kind, items)`). Items must be in time order; rows out of
 * order are delivered and then rejected by the engine as out-of-order.
 */
export class ListFeed implements Feed {
  private done = false;

  constructor(
    readonly name: string,
    private readonly batch: FeedBatch,
  ) {}

  /** A feed of one symbol's bars, quote bars or ticks (the symbol is set on every item). */
  static of(
    symbol: string,
    kind: "bar" | "quote" | "tick",
    items: readonly (Bar | QuoteBar | Tick)[],
  ): ListFeed {
    const name = `list:${symbol}:${kind}`;
    if (kind === "bar") {
      return new ListFeed(name, {
        kind,
        bars: barsToColumns((items as Bar[]).map((b) => ({ ...b, symbol }))),
      });
    }
    if (kind === "quote")
      return new ListFeed(name, { kind, quotes: (items as QuoteBar[]).map((q) => ({ ...q, symbol })) });
    return new ListFeed(name, { kind, ticks: (items as Tick[]).map((t) => ({ ...t, symbol })) });
  }

  nextBatchAt(): number {
    return this.done ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  /** Earliest and latest event time held. */
  timeRange(): { min: number; max: number } {
    const b = this.batch;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    const see = (t: number) => {
      if (t < min) min = t;
      if (t > max) max = t;
    };
    if (b.kind === "bar") for (let i = 0; i < b.bars.length; i++) see(b.bars.time[i]);
    else if (b.kind === "quote") for (const q of b.quotes) see(q.time);
    else for (const t of b.ticks) see(t.time);
    return { min, max };
  }

  async load(): Promise<FeedBatch | null> {
    if (this.done) return null;
    this.done = true;
    return this.batch;
  }
}

/** Reads one session's events of one kind from a repository. */
export type SessionLoader = (session: Session) => Promise<FeedBatch>;

/** Hands out data loaded ahead of time for a session, if any (see Prefetcher). */
export interface PrefetchSource {
  take(session: Session, kind: string): Promise<FeedBatch | undefined> | undefined;
}

/** The [start, end) window of a session the engine replays: regular, or extended. */
export function sessionWindow(session: Session, extended: boolean): { start: number; end: number } {
  return extended
    ? { start: session.preOpen, end: session.postClose }
    : { start: session.open, end: session.close };
}

/**
 * Replays stored data a session at a time: at each session's start it takes the session's
 * rows of every symbol (prefetched when ready, else read now), ordered by (time, symbol).
 */
export class RepositoryFeed implements Feed {
  private next = 0;
  /** The rest of the session whose first part was handed over last (see `FeedBatch.rest`). */
  private rest: { at: number; batch: Promise<FeedBatch> } | undefined;

  constructor(
    readonly name: string,
    readonly kind: "bar" | "quote" | "tick",
    private readonly sessions: readonly Session[],
    private readonly extended: boolean,
    private readonly loader: SessionLoader,
    private readonly prefetch?: PrefetchSource,
  ) {}

  nextBatchAt(): number {
    if (this.rest) return this.rest.at;
    const s = this.sessions[this.next];
    return s ? sessionWindow(s, this.extended).start : Number.POSITIVE_INFINITY;
  }

  async load(): Promise<FeedBatch | null> {
    const rest = this.rest;
    if (rest) {
      this.rest = undefined;
      return rest.batch;
    }
    const session = this.sessions[this.next++];
    if (!session) return null;
    const batch = (await this.prefetch?.take(session, this.kind)) ?? (await this.loader(session));
    if (batch.kind === "bar" && batch.rest) this.rest = batch.rest;
    return batch;
  }
}

/**
 * Session loaders reading bars, quotes or ticks of a symbol list from a repository. Bar batches
 * carry each row's dense symbol id (`idOf`, -1 when unknown): from a store that reads coded
 * bars, the ids come as a column (the store maps each symbol's number; the batch then has
 * no symbol names), otherwise they are found once per row at load time. The first session
 * such a store reads (which nothing could read ahead) comes in two parts: its first third,
 * then the rest (`FeedBatch.rest`, read meanwhile), so the replay starts on the first part.
 */
export function repositoryLoaders(
  repository: Pick<
    Repository,
    "readBars" | "readQuotes" | "readTicks" | "readCodedBars" | "releaseCodedBars"
  >,
  symbols: () => readonly string[],
  extended: boolean,
  idOf: (symbol: string) => number,
): Record<"bar" | "quote" | "tick", SessionLoader> {
  let first = true;
  return {
    bar: async (session) => {
      const { start, end } = sessionWindow(session, extended);
      const list = [...new Set(symbols())];
      const known = Int32Array.from(list, idOf);
      const readCoded = repository.readCodedBars;
      if (readCoded && list.length > 0 && known.every((id) => id >= 0)) {
        const read = async (from: number, to: number): Promise<FeedBatch> => {
          // The replay keeps neither trades nor vwap.
          // The rows come placed per symbol too: a session's series then takes them as they are.
          const coded = await readCoded({ symbols: list, interval: "1m", from, to }, known, "ohlcv", true);
          const release = repository.releaseCodedBars;
          const batch: FeedBatch = {
            kind: "bar",
            bars: barColumnsOver(coded, []),
            ids: coded.code,
            rest: undefined,
            release: undefined,
            placed: coded.placed,
          };
          if (release) batch.release = () => release(coded);
          return batch;
        };
        const at = start + Math.ceil((end - start) / MINUTE_MS / 3) * MINUTE_MS;
        const split = first && at < end;
        first = false;
        if (!split) return read(start, end);
        const head = read(start, at);
        // Read once more at its turn if the first try failed (as a failed prefetch would be).
        const rest = read(at, end).catch(() => read(at, end));
        rest.catch(() => {});
        const batch = await head;
        if (batch.kind === "bar") batch.rest = { at, batch: rest };
        return batch;
      }
      const bars = await repository.readBars({ symbols: list, interval: "1m", from: start, to: end });
      const ids = new Int32Array(bars.length);
      let last = "";
      let id = -1;
      for (let i = 0; i < bars.length; i++) {
        const symbol = bars.symbol[i];
        if (symbol !== last) {
          last = symbol;
          id = idOf(symbol);
        }
        ids[i] = id;
      }
      return { kind: "bar", bars, ids };
    },
    quote: async (session) => {
      const { start, end } = sessionWindow(session, extended);
      return {
        kind: "quote",
        quotes: await repository.readQuotes({ symbols: symbols(), from: start, to: end }),
      };
    },
    tick: async (session) => {
      const { start, end } = sessionWindow(session, extended);
      return {
        kind: "tick",
        ticks: await repository.readTicks({ symbols: symbols(), from: start, to: end }),
      };
    },
  };
}
