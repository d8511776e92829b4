import type { EngineEvent } from "../engine/index.js";
import { InvalidArgumentError } from "../model/errors.js";

/** Kinds of raw input on `<prefix>.in.<kind>.<SYMBOL>`. */
export type RawKind = "bar" | "quote" | "tick";

/**
 * Subject names of one tickwright deployment. Every subject starts with `prefix` (default
 * `tickwright`), so several deployments (or tests) can share one NATS server:
 * - raw input: `<p>.in.bar.<SYMBOL>` (also `quote`, `tick`), many of them in one message on
 *   `<p>.in.batch`, and the publisher's clock `<p>.in.clock` (watermarks: everything due up to
 *   that time has been published);
 * - results: `<p>.out.bar.<interval>.<SYMBOL>`, `<p>.out.gap.<SYMBOL>`,
 *   `<p>.out.quality.<SYMBOL>`, `<p>.out.boundary` (also `out.quote.<SYMBOL>`, `out.tick.<SYMBOL>`),
 *   each shard's progress `<p>.out.progress.<K>`, and, from a shard batching its results,
 *   all of them per window in one message on `<p>.out.batch.<K>`;
 * - rejected raw messages: `<p>.dlq.<original subject after the prefix>`;
 * - sharded backtests: `<p>.run.<RUN>.<K>.event` and `<p>.run.<RUN>.<K>.end`;
 * - shard positions kept while a consumer is repositioned: `<p>.state.<consumer>`.
 * Symbols are encoded as one subject token (see `symbolToken`).
 */
export class BusSubjects {
  constructor(readonly prefix = "tickwright") {
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix))
      throw new InvalidArgumentError(`bad bus prefix "${prefix}": letters, digits, _ and - tokens`);
  }

  raw(kind: RawKind, symbol: string): string {
    return `${this.prefix}.in.${kind}.${symbolToken(symbol)}`;
  }

  get clock(): string {
    return `${this.prefix}.in.clock`;
  }

  /** Raw bars (quote bars, ticks) of any symbols, several in one message. */
  get rawBatch(): string {
    return `${this.prefix}.in.batch`;
  }

  /** Shard K's results of one window in one message (a shard with `batchResults`). */
  resultBatch(shard: number): string {
    return `${this.prefix}.out.batch.${shard}`;
  }

  /** Every raw subject (bars, quotes, ticks, the clock). */
  get allRaw(): string {
    return `${this.prefix}.in.>`;
  }

  get allOut(): string {
    return `${this.prefix}.out.>`;
  }

  bar(interval: string, symbol: string): string {
    return `${this.prefix}.out.bar.${interval}.${symbolToken(symbol)}`;
  }

  gap(symbol: string): string {
    return `${this.prefix}.out.gap.${symbolToken(symbol)}`;
  }

  quality(symbol: string): string {
    return `${this.prefix}.out.quality.${symbolToken(symbol)}`;
  }

  get boundary(): string {
    return `${this.prefix}.out.boundary`;
  }

  /** Shard K's progress: the time before which it will publish no more results. */
  progress(shard: number): string {
    return `${this.prefix}.out.progress.${shard}`;
  }

  /** Where a rejected raw message is kept: its subject with `.in.` turned into `.dlq.`. */
  deadLetter(subject: string): string {
    const head = `${this.prefix}.in.`;
    const tail = subject.startsWith(head) ? subject.slice(head.length) : "unknown";
    return `${this.prefix}.dlq.${tail}`;
  }

  get allDeadLetters(): string {
    return `${this.prefix}.dlq.>`;
  }

  run(run: string, shard: number, what: "event" | "end"): string {
    return `${this.prefix}.run.${runToken(run)}.${shard}.${what}`;
  }

  allOfRun(run: string): string {
    return `${this.prefix}.run.${runToken(run)}.>`;
  }

  get allRuns(): string {
    return `${this.prefix}.run.>`;
  }

  state(consumer: string): string {
    return `${this.prefix}.state.${consumer}`;
  }

  get allState(): string {
    return `${this.prefix}.state.>`;
  }

  /** The subjects a shard consumer reads: raw data and the clock. */
  resultSubject(e: EngineEvent): string {
    switch (e.type) {
      case "bar":
        return this.bar(e.interval, e.symbol);
      case "gap":
      case "gapFilled":
      case "gapAbandoned":
        return this.gap(e.symbol);
      case "quote":
        return `${this.prefix}.out.quote.${symbolToken(e.symbol)}`;
      case "tick":
        return `${this.prefix}.out.tick.${symbolToken(e.symbol)}`;
      default:
        return this.boundary;
    }
  }
}

/**
 * A symbol as one subject token: characters NATS gives a meaning (`.`, `*`, `>`, space, `%`)
 * are percent-encoded (`BRK.B` -> `BRK%2EB`).
 */
export function symbolToken(symbol: string): string {
  if (symbol.length === 0) throw new InvalidArgumentError("empty symbol");
  return symbol.replace(
    /[.*>%\s]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
}

function runToken(run: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(run))
    throw new InvalidArgumentError(`bad run name "${run}": 1-64 letters, digits, _ or -`);
  return run;
}

/**
 * The message id of a result, so JetStream's duplicate window drops a republished one: the
 * symbol, interval and bar time of a bar; the symbol and range of a gap event; the type and
 * date of a boundary; the symbol and date of a quality report; the symbol and time of a quote
 * bar; the symbol, time and `tickOrdinal` (ticks of the symbol at that time before it) of a tick.
 */
export function resultId(e: EngineEvent | QualityReport, tickOrdinal = 0): string {
  switch (e.type) {
    case "bar":
      return `bar.${e.interval}.${e.symbol}.${e.time}`;
    case "gap":
    case "gapFilled":
    case "gapAbandoned":
      return `${e.type}.${e.symbol}.${e.start}.${e.end}`;
    case "quote":
      return `quote.${e.symbol}.${e.time}`;
    case "tick":
      return `tick.${e.symbol}.${e.time}.${tickOrdinal}`;
    case "quality":
      return `quality.${e.symbol}.${e.date}`;
    case "corporateAction":
      return `corporateAction.${e.symbol}.${e.date}.${e.kind}`;
    case "rename":
      return `rename.${e.symbol}.${e.date}`;
    default:
      return `${e.type}.${e.calendar}.${e.date}`;
  }
}

/** A symbol's bar quality over one session, published on `<p>.out.quality.<SYMBOL>` at the roll. */
export interface QualityReport {
  type: "quality";
  at: number;
  symbol: string;
  date: string;
  /** Regular-session minutes present (received or filled) and expected. */
  present: number;
  expected: number;
  /** present / expected, percent. */
  barQuality: number;
}
