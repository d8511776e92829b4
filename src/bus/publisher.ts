import { SecurityDirectory } from "../actions/index.js";
import type { Calendar } from "../calendar/index.js";
import { type LiveFeed, type LiveSink, sessionWindow } from "../engine/index.js";
import { type Bar, type BarColumns, barAt, type QuoteBar, type Tick } from "../model/bar.js";
import { InvalidArgumentError } from "../model/errors.js";
import { MINUTE_MS } from "../model/time.js";
import type { Repository } from "../store/index.js";
import { AckedPublisher } from "./acked-publisher.js";
import { encodeBinaryBatch } from "./binary-batch.js";
import { encodeControl, encodeRawBar, encodeRawBatch, encodeRawQuote, encodeRawTick } from "./codec.js";
import type { BusConnection } from "./connection.js";
import { ensureStreams, type StreamRetention } from "./streams.js";
import { BusSubjects } from "./subjects.js";

/** Options of BusPublisher. */
export interface BusPublisherOptions {
  prefix?: string;
  /** Raw messages awaiting their ack at most (default 1024). */
  maxInFlight?: number;
  retention?: StreamRetention;
  onRetry?: (err: Error) => void;
  /**
   * Bars per message of `minute()` (default 1000): a minute's bars go out on `<p>.in.batch` in
   * messages of at most this many; 1: each bar on its own symbol's subject.
   */
  batchBars?: number;
  /**
   * Form of those batches: `binary` (default, `encodeBinaryBatch`: about a third of the bytes,
   * no number formatting) or `json` (raw bar lines, `encodeRawBatch`).
   */
  batchFormat?: "binary" | "json";
}

/**
 * Publishes raw input: one-minute bars on `<p>.in.bar.<SYMBOL>` (message id: symbol and bar
 * time, so a publisher that restarts and sends them again is deduplicated) or, a minute at a
 * time, many in one message on `<p>.in.batch` (`minute()`), and watermarks on
 * `<p>.in.clock` (`clock(t)`: every bar due by `t`, that is starting before `t - 1m`, has been
 * published), with back-pressure from JetStream's acks.
 */
export class BusPublisher {
  readonly subjects: BusSubjects;
  private readonly out: AckedPublisher;
  private lastClock = Number.NEGATIVE_INFINITY;
  private readonly batchBars: number;
  private readonly encodeBatch: typeof encodeRawBatch;
  bars = 0;

  private constructor(
    readonly bus: BusConnection,
    options: BusPublisherOptions,
  ) {
    this.subjects = new BusSubjects(options.prefix);
    this.out = new AckedPublisher(bus.js, {
      maxInFlight: options.maxInFlight ?? 1024,
      onRetry: options.onRetry,
    });
    this.batchBars = options.batchBars ?? 1000;
    this.encodeBatch = options.batchFormat === "json" ? encodeRawBatch : encodeBinaryBatch;
    if (!(Number.isInteger(this.batchBars) && this.batchBars >= 1))
      throw new InvalidArgumentError(`bad batchBars ${this.batchBars}: a whole number >= 1`);
  }

  /** A publisher on an open connection; creates the streams on first use. */
  static async open(bus: BusConnection, options: BusPublisherOptions = {}): Promise<BusPublisher> {
    const p = new BusPublisher(bus, options);
    await ensureStreams(bus.jsm, p.subjects, options.retention);
    return p;
  }

  /** Publishes one raw bar; returns a promise when too many are unacknowledged (await it). */
  bar(bar: Bar): void | Promise<void> {
    this.bars++;
    return this.out.publish(
      this.subjects.raw("bar", bar.symbol),
      encodeRawBar(bar),
      `bar.${bar.symbol}.${bar.time}`,
    );
  }

  /** Publishes one quote bar on `<p>.in.quote.<SYMBOL>` (message id: symbol and start time). */
  quote(q: QuoteBar): void | Promise<void> {
    return this.out.publish(
      this.subjects.raw("quote", q.symbol),
      encodeRawQuote(q),
      `quote.${q.symbol}.${q.time}`,
    );
  }

  /**
   * Publishes one trade tick on `<p>.in.tick.<SYMBOL>`; `ordinal` tells apart ticks of the
   * symbol at the same millisecond (their message id: symbol, time, ordinal).
   */
  tick(t: Tick, ordinal = 0): void | Promise<void> {
    return this.out.publish(
      this.subjects.raw("tick", t.symbol),
      encodeRawTick(t),
      `tick.${t.symbol}.${t.time}.${ordinal}`,
    );
  }

  /**
   * Publishes a watermark at `t` (ignored unless later than the last one) once every bar
   * before it is acked, and waits for its own ack: so the stream holds it after those bars and
   * before any later one, even when a broker restart makes some publishes retry (a retried
   * message lands after those sent meanwhile). Bars between two watermarks may be stored in
   * any order; shards sort them.
   */
  async clock(t: number): Promise<void> {
    if (!(t > this.lastClock)) return;
    this.lastClock = t;
    await this.out.flush();
    await this.out.publish(this.subjects.clock, encodeControl("clock", t), `clock.${t}`);
    await this.out.flush();
  }

  /**
   * Publishes the bars of `batch` (in time order) from row `i` on that start at the same
   * minute as row `i`, then the watermark after that minute; returns the next row. The bars go
   * out `batchBars` to a message on `<p>.in.batch` (message id `batch.<time>.<part>`: the
   * minute and the message's place in it), the last message carrying the watermark as its
   * last line (sent, as `clock()` sends one, once everything before it is acked), or one per
   * message on their symbols' subjects, then the watermark on the clock subject.
   */
  async minute(batch: BarColumns, i: number): Promise<number> {
    const t = batch.time[i];
    const watermark = t + MINUTE_MS;
    let end = i;
    while (end < batch.length && batch.time[end] === t) end++;
    if (this.batchBars === 1) {
      for (; i < end; i++) {
        const r = this.bar(barAt(batch, i));
        if (r) await r;
      }
      await this.clock(watermark);
      return end;
    }
    const clock = watermark > this.lastClock;
    for (let part = 0; i < end; part++) {
      const to = Math.min(end, i + this.batchBars);
      const last = to === end && clock;
      if (last) await this.out.flush();
      this.bars += to - i;
      const data = this.encodeBatch(batch, i, to, last ? watermark : undefined);
      const r = this.out.publish(this.subjects.rawBatch, data, `batch.${t}.${part}`);
      if (r) await r;
      i = to;
    }
    if (clock) {
      this.lastClock = watermark;
      await this.out.flush();
    }
    return end;
  }

  /** Publishes the end of a finite feed (a replay): shards finish their run. */
  async end(t: number): Promise<void> {
    await this.out.flush();
    await this.out.publish(this.subjects.clock, encodeControl("end", t), `end.${t}`);
    await this.out.flush();
  }

  /** Waits until everything published so far is acked. */
  flush(): Promise<void> {
    return this.out.flush();
  }
}

/** What `publishReplay` plays. */
export interface ReplayPublishOptions {
  repository: Repository;
  calendar: Calendar;
  symbols: readonly string[];
  /** First and last session dates. */
  from: string;
  to: string;
  /** `max` (default) or N times real time (stretches without bars longer than an hour are skipped). */
  speed?: "max" | number;
  /** Each session from its pre-market on (default true: every stored bar of the session's day). */
  extended?: boolean;
  /** Finish with an `end` message (default true). */
  end?: boolean;
}

/**
 * Publishes stored bars session by session in (time, symbol) order, one watermark after each
 * minute's bars, and at the last session's end a final watermark and `end`. A symbol is a
 * security by its current ticker, read across its renames as a replay reads it
 * (`SecurityDirectory`): before a rename, the bars stored under the ticker it had then,
 * published under the symbol asked for.
 */
export async function publishReplay(p: BusPublisher, o: ReplayPublishOptions): Promise<{ bars: number }> {
  const sessions = o.calendar.sessions(o.from, o.to);
  const reader = new SecurityDirectory(o.repository, o.calendar.timeZone).reader(o.repository);
  const speed = o.speed ?? "max";
  const wall0 = performance.now();
  let data0 = Number.NaN;
  let skipped = 0;
  let lastDue = Number.NaN;
  let bars = 0;
  for (const session of sessions) {
    const { start, end } = sessionWindow(session, o.extended ?? true);
    const batch = await reader.readBars({
      symbols: [...o.symbols],
      interval: "1m",
      from: start,
      to: end,
    });
    for (let i = 0; i < batch.length; ) {
      const t = batch.time[i];
      if (speed !== "max") {
        if (Number.isNaN(data0)) data0 = t;
        if (t - lastDue > 3_600_000) skipped += t - lastDue - MINUTE_MS;
        lastDue = t;
        const wait = wall0 + (t - data0 - skipped) / speed - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      }
      const next = await p.minute(batch, i);
      bars += next - i;
      i = next;
    }
    await p.clock(end);
  }
  const last = sessions[sessions.length - 1];
  if (o.end !== false) await p.end(last ? sessionWindow(last, true).end : 0);
  else await p.flush();
  return { bars };
}

/**
 * Publishes what a live adapter pushes (bars as they come) and a watermark every minute,
 * `graceMs` after the minute ends (late bars still go out; shards take them at once).
 * Returns a function that stops the feed and the watermarks.
 */
export async function publishLive(
  p: BusPublisher,
  feed: LiveFeed,
  symbols: readonly string[],
  graceMs = 2000,
): Promise<() => Promise<void>> {
  let chain: Promise<void> = Promise.resolve();
  const queue = (fn: () => void | Promise<void>) => {
    chain = chain.then(fn).catch((err) => {
      process.stderr.write(`tickwright: publish: ${String(err)}\n`);
    });
  };
  const sink: LiveSink = {
    bar: (bar) => queue(() => p.bar(bar)),
    quote: () => {},
    tick: () => {},
    connection: () => {},
  };
  await feed.start(sink, symbols);
  const tick = () => {
    const minute = Math.floor((Date.now() - graceMs) / MINUTE_MS) * MINUTE_MS;
    queue(() => p.clock(minute));
  };
  const timer = setInterval(tick, 1000);
  return async () => {
    clearInterval(timer);
    await feed.stop();
    await chain;
    await p.flush();
  };
}
