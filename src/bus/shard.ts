import { headers, type MsgHdrs } from "@nats-io/transport-node";
import { type Calendar, getCalendar } from "../calendar/index.js";
import { type ConfigInput, configSchema, formatIssues } from "../config/index.js";
import {
  type ComponentHealth,
  createEngine,
  type Engine,
  type EngineEvent,
  type EngineParts,
  type RunSummary,
  sessionWindow,
} from "../engine/index.js";
import { ConfigError, InvalidArgumentError } from "../model/errors.js";
import { MINUTE_MS } from "../model/time.js";
import { AckedPublisher } from "./acked-publisher.js";
import { binaryBatchTime, isBinaryBatch } from "./binary-batch.js";
import { BusFeed, type RawRoute, type RejectedLine } from "./bus-feed.js";
import { batchTime, decodeRaw } from "./codec.js";
import { type BusConnection, connectBus } from "./connection.js";
import { LineBuffer } from "./line-buffer.js";
import { ownedSymbols, type ShardSpec } from "./ownership.js";
import { eventPayload, resultLine } from "./payload.js";
import { QualityTracker } from "./quality.js";
import { type ConsumerPosition, type RawDelivery, RawSource } from "./raw-source.js";
import { isShared } from "./run-order.js";
import { ensureStreams, type StreamNames, type StreamRetention } from "./streams.js";
import { BusSubjects, type QualityReport, type RawKind, resultId } from "./subjects.js";

const encoder = new TextEncoder();

/** Largest part of a batch of results, in bytes (NATS takes 1 MiB by default). */
const BATCH_PART_BYTES = 512 * 1024;

/** What a shard runs. */
export interface ShardOptions {
  /** NATS URL(s), comma-separated. */
  nats: string;
  /** Subject prefix (default `tickwright`). */
  prefix?: string;
  /** Which shard this is; it owns the symbols of `symbols` that hash to it. */
  shard: ShardSpec;
  /**
   * Every symbol of the deployment (the shard keeps those that hash to it), or, with
   * `explicit`, exactly this shard's symbols.
   */
  symbols: readonly string[];
  explicit?: boolean;
  /**
   * The engine's configuration (store, calendar, derived intervals, extended hours, upkeep);
   * `from`/`to` bound the sessions the shard keeps (default: today for a year).
   */
  config?: ConfigInput;
  /** Ready-made engine parts (an open shared repository, a calendar, a bar source for fills). */
  parts?: Omit<EngineParts, "feeds" | "replayStore">;
  /** Durable consumer name (default `shard-K-of-N`). */
  durable?: string;
  retention?: StreamRetention;
  /** Results awaiting their ack at most (default 1024). */
  maxInFlight?: number;
  /** Told about retried broker errors (default: nothing). */
  onRetry?: (err: Error) => void;
  /**
   * Publish the results of each window (the raw data up to one watermark) together, as their
   * `--out` lines separated by `\n` and last the shard's progress line, on `<p>.out.batch.<K>`
   * (boundaries, which every shard emits, still one per message on `<p>.out.boundary`; message id
   * `out.<K>.<N>.<raw seq of the window's watermark>[.<part>]`; parts of at most 512 KiB)
   * instead of one message per result on its own subject (default false). `subscribe` reads both.
   */
  batchResults?: boolean;
}

/** Counters of a shard, for health and /metrics. */
export interface ShardCounters {
  rawMessages: number;
  rawBars: number;
  rawQuotes: number;
  rawTicks: number;
  /** Raw messages dead-lettered, by reason. */
  rejected: Record<string, number>;
  resultsPublished: number;
  /** Results published again after a restart and dropped by the stream as duplicates. */
  resultsDuplicate: number;
  /** Results not published because a rebuild had published them before the restart. */
  resultsSuppressed: number;
  publishRetries: number;
}

/**
 * A shard: an engine over the symbols it owns whose feed is a durable JetStream consumer of
 * the raw subjects (see BusFeed), publishing every result (bars of every interval, gap events,
 * quality at each roll, boundaries) with a message id. A raw message is acked only once the
 * engine has applied it and every result it caused is acked by JetStream. Started again after
 * a crash, it rebuilds the current session by replaying the raw stream from the session's
 * start through its ack floor without publishing, then goes on from the floor; results it
 * publishes twice (those after the floor) are dropped by their message ids.
 */
export class Shard {
  readonly subjects: BusSubjects;
  readonly owned: string[];
  private readonly rejected = new Map<string, number>();
  private readonly lastTick = new Map<string, { time: number; n: number }>();
  private suppressed = 0;
  /** With `batchResults`: the lines of the window's results not yet published, and their size. */
  private readonly batch = new LineBuffer(BATCH_PART_BYTES);
  /** With `batchResults`: acks of what the window published on its own; the last window's ack. */
  private windowAcks: Promise<void>[] = [];
  private previous: Promise<unknown> = Promise.resolve();
  private positionTimer: NodeJS.Timeout | undefined;
  /** Settles when the engine's run ends (the feed's `end`, or `stop()`). */
  done!: Promise<RunSummary>;
  engine!: Engine;
  private feed!: BusFeed;
  private publisher!: AckedPublisher;
  private quality!: QualityTracker;
  private floor = 0;
  private progressAt = Number.NEGATIVE_INFINITY;
  private stopping = false;
  private names!: StreamNames;

  private constructor(
    private readonly bus: BusConnection,
    private readonly source: RawSource,
    private readonly options: ShardOptions,
  ) {
    this.subjects = new BusSubjects(options.prefix);
    this.owned = options.explicit ? [...options.symbols] : ownedSymbols(options.symbols, options.shard);
  }

  /** Connects, finds the consumer's position, rebuilds the current session if any, and runs. */
  static async start(options: ShardOptions): Promise<Shard> {
    const subjects = new BusSubjects(options.prefix);
    const { index, count } = options.shard;
    const bus = await connectBus(options.nats, `tickwright-shard-${index}-of-${count}`);
    try {
      const names = await ensureStreams(bus.jsm, subjects, options.retention);
      const durable = options.durable ?? `shard-${index}-of-${count}`;
      if (!/^[A-Za-z0-9_-]+$/.test(durable)) throw new InvalidArgumentError(`bad consumer name "${durable}"`);
      const source = new RawSource(bus.js, bus.jsm, {
        stream: names.raw,
        durable,
        filter: subjects.allRaw,
        stateSubject: subjects.state(durable),
        onRetry: options.onRetry,
      });
      const shard = new Shard(bus, source, options);
      shard.names = names;
      await shard.begin();
      return shard;
    } catch (err) {
      await bus.close();
      throw err;
    }
  }

  private async begin(): Promise<void> {
    const input: ConfigInput = this.options.config ?? {};
    const parsed = configSchema.safeParse(input);
    if (!parsed.success) throw new ConfigError(formatIssues(parsed.error));
    const config = parsed.data;
    const calendar = this.options.parts?.calendar ?? getCalendar(config.calendar);
    const from = config.from ?? new Date().toISOString().slice(0, 10);
    const to = config.to ?? new Date(Date.now() + 366 * 86_400_000).toISOString().slice(0, 10);
    this.floor = await this.source.open();
    let start = from;
    if (this.floor > 0) {
      const rebuild = await this.rebuildPoint(calendar, config.extended, from);
      if (rebuild) {
        start = rebuild.date;
        await this.source.rebuildFrom(rebuild.seq);
      }
    }
    this.publisher = new AckedPublisher(this.bus.js, {
      maxInFlight: this.options.maxInFlight ?? 1024,
      onRetry: this.options.onRetry,
    });
    this.feed = new BusFeed({
      next: () => this.source.next(),
      route: (subject) => this.route(subject),
      owns: (
        (set) => (symbol: string) =>
          set.has(symbol)
      )(new Set(this.owned)),
      settle: (last) => this.settle(last),
      reject: (d, reason, line) => this.deadLetter(d, reason, line),
    });
    this.engine = await createEngine(
      {
        ...input,
        mode: "backtest",
        speed: "max",
        symbols: this.owned,
        allSymbols: false,
        from: start,
        to,
        prefetch: { ...(typeof input.prefetch === "object" ? input.prefetch : {}), enabled: false },
      },
      { ...this.options.parts, calendar, replayStore: false, feeds: [this.feed] },
    );
    this.quality = new QualityTracker(calendar, this.owned);
    this.engine.onAny((e) => this.result(e));
    this.positionTimer = setInterval(() => void this.source.refresh().catch(() => {}), 2000);
    this.positionTimer.unref();
    await this.source.refresh().catch(() => {});
    this.done = this.engine.run().finally(() => this.settle(undefined, !this.stopping));
  }

  /** Where the durable consumer stands (refreshed every 2 s). */
  get position(): ConsumerPosition {
    return this.source.position;
  }

  /** True while the broker connection is up. */
  get connected(): boolean {
    return this.bus.state === "connected";
  }

  /** Running totals. */
  counters(): ShardCounters {
    return {
      rawMessages: this.feed.counts.messages,
      rawBars: this.feed.counts.bars,
      rawQuotes: this.feed.counts.quotes,
      rawTicks: this.feed.counts.ticks,
      rejected: Object.fromEntries(this.rejected),
      resultsPublished: this.publisher.published,
      resultsDuplicate: this.publisher.duplicates,
      resultsSuppressed: this.suppressed,
      publishRetries: this.publisher.retries,
    };
  }

  /** The shard's part of /health: the consumer's lag and pending count, the connection. */
  health(): ComponentHealth {
    const p = this.position;
    const up = this.bus.state === "connected";
    return {
      status: up ? "ok" : "degraded",
      details: {
        shard: `${this.options.shard.index}/${this.options.shard.count}`,
        symbols: this.owned.length,
        connection: this.bus.state,
        disconnects: this.bus.disconnects,
        consumer: {
          stream: this.names.raw,
          lag: p.lag,
          pending: p.pending,
          ackPending: p.ackPending,
          ackFloor: p.ackFloor,
        },
        rebuiltThrough: this.floor,
        ...this.counters(),
      },
    };
  }

  /** Stops the engine, publishes and acks what is done, closes the connection. */
  async stop(): Promise<void> {
    if (this.positionTimer) clearInterval(this.positionTimer);
    this.stopping = true;
    await this.engine.stop();
    await this.source.close();
    await this.done.catch(() => undefined);
    await this.publisher.flush().catch(() => {});
    await this.previous;
    this.publisher.close();
    await this.bus.close();
  }

  private route(subject: string): RawRoute | null {
    if (subject === this.subjects.clock) return "clock";
    if (subject === this.subjects.rawBatch) return "batch";
    const m = /^in\.(bar|quote|tick)\.(.+)$/.exec(subject.slice(this.subjects.prefix.length + 1));
    if (!m || !subject.startsWith(`${this.subjects.prefix}.`)) return null;
    try {
      return { kind: m[1] as RawKind, symbol: decodeURIComponent(m[2]) };
    } catch {
      return null;
    }
  }

  /** Publishes (or, during a rebuild, skips) one result; returns a promise under back-pressure. */
  private result(e: EngineEvent): void | Promise<void> {
    const reports = this.quality.see(e);
    if (this.floor > 0 && this.feed.loadedSeq <= this.floor) {
      this.suppressed += 1 + (reports?.length ?? 0);
      return;
    }
    // Boundaries, which every shard emits alike, go on their own (the stream keeps one by id).
    if (this.options.batchResults && !isShared(e)) {
      this.keep(e);
      for (const q of reports ?? []) this.keep(q);
      return;
    }
    const r = this.publishResult(e);
    if (!reports) return r;
    return (async () => {
      await r;
      for (const q of reports) await this.publishResult(q);
    })();
  }

  private publishResult(e: EngineEvent | QualityReport): void | Promise<void> {
    const subject = e.type === "quality" ? this.subjects.quality(e.symbol) : this.subjects.resultSubject(e);
    return this.send(subject, eventPayload(e), resultId(e, this.tickOrdinal(e)));
  }

  /** Publishes one message; with `batchResults` its ack joins the window's (see `settle`). */
  private send(subject: string, data: Uint8Array, id: string, h?: MsgHdrs): void | Promise<void> {
    if (!this.options.batchResults) return this.publisher.publish(subject, data, id, h);
    const t = this.publisher.track(subject, data, id, h);
    this.windowAcks.push(t.acked);
    return t.room;
  }

  private keep(e: EngineEvent | QualityReport): void {
    this.batch.push(resultLine(e));
  }

  /**
   * Publishes the kept results of the window that ends with the last raw message loaded
   * (`done`: those after the feed's end), in parts of at most 512 KiB of lines; returns the
   * parts' acks.
   */
  private async publishBatch(done: boolean): Promise<Promise<void>[]> {
    const { index, count } = this.options.shard;
    const key = `out.${index}.${count}.${done ? "done" : this.feed.loadedSeq}`;
    const subject = this.subjects.resultBatch(index);
    const acks: Promise<void>[] = [];
    for (const [k, part] of this.batch.take().entries()) {
      const t = this.publisher.track(subject, part, k === 0 ? key : `${key}.${k}`);
      acks.push(t.acked);
      if (t.room) await t.room;
    }
    return acks;
  }

  /** For a tick, how many ticks of its symbol at the same time came before it (ids stay apart). */
  private tickOrdinal(e: EngineEvent | QualityReport): number {
    if (e.type !== "tick") return 0;
    const last = this.lastTick.get(e.symbol);
    const n = last && last.time === e.time ? last.n + 1 : 0;
    this.lastTick.set(e.symbol, { time: e.time, n });
    return n;
  }

  /**
   * After a batch is applied: its results acked by JetStream, the shard's progress published
   * (see `progressLine`), then the raw messages acked.
   *
   * With `batchResults` the progress is the last line of the window's batch of results (one
   * message), and the next window is read and applied while that batch awaits its ack: a
   * window's batch is published once the previous one is acked (so a stored progress still
   * follows every result before it, retries or not) and once what the window published on its
   * own (boundaries, dead letters) is acked; its raw messages are acked with its batch.
   */
  private async settle(last: RawDelivery | undefined, done = false): Promise<void> {
    if (!this.options.batchResults) {
      await this.publisher.flush();
      const progress = this.progressLine(done);
      if (progress)
        await this.publisher.publish(
          this.subjects.progress(this.options.shard.index),
          encoder.encode(progress.line),
          progress.id,
        );
      await this.publisher.flush();
      if (last) this.source.ack(last);
      return;
    }
    if (this.stopping && !done) {
      // Stopped inside a window: its results are not all there. It stays unacked, so a restart
      // publishes it whole, under the same ids.
      this.batch.clear();
      return;
    }
    const singles = this.windowAcks;
    this.windowAcks = [];
    if (singles.length > 0) await Promise.all(singles);
    await this.previous;
    if (this.publisher.failed) throw this.publisher.failed;
    const progress = this.progressLine(done);
    if (progress) this.batch.push(progress.line);
    const acks = await this.publishBatch(done);
    this.previous = Promise.all(acks).then(() => {
      if (last && !this.publisher.failed) this.source.ack(last);
    });
    if (done) await this.previous;
  }

  /**
   * The shard's progress when the engine's clock moved, for `<p>.out.progress.<K>`
   * (`{"type":"progress","shard":K,"shards":N,"at":T}`, id `progress.<K>.<N>.<T>`): every later
   * result of this shard has `at` at or after `T` (`"done":true`: the feed ended, no more
   * results). Subscribers merge the shards' results in time order by these. Not during a
   * rebuild.
   */
  private progressLine(done: boolean): { line: string; id: string } | undefined {
    const at = this.engine.clock.now();
    if (this.floor > 0 && this.feed.loadedSeq <= this.floor) return undefined;
    if (!done && !(at > this.progressAt)) return undefined;
    this.progressAt = at;
    const { index, count } = this.options.shard;
    const line = JSON.stringify({
      type: "progress",
      shard: index,
      shards: count,
      at,
      ...(done ? { done } : {}),
    });
    return { line, id: `progress.${index}.${count}.${done ? "done" : at}` };
  }

  /**
   * Dead-letters a raw message (id `dlq.<seq>`), or one line of a batch message (its text, with
   * a `Tw-Line` header: the line's place from 0; id `dlq.<seq>.<line>`).
   */
  private async deadLetter(d: RawDelivery, reason: string, line?: RejectedLine): Promise<void> {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
    if (d.seq <= this.floor) return;
    const h = headers();
    h.set("Tw-Reason", reason);
    h.set("Tw-Subject", d.subject);
    h.set("Tw-Seq", String(d.seq));
    if (line) h.set("Tw-Line", String(line.index));
    await this.send(
      this.subjects.deadLetter(d.subject),
      line ? encoder.encode(line.text) : d.data,
      line ? `dlq.${d.seq}.${line.index}` : `dlq.${d.seq}`,
      h,
    );
  }

  /**
   * Where a rebuild starts: the first raw message of the session the ack floor lies in (or of
   * the next session when the floor is past its end), found by binary search over the stream.
   */
  private async rebuildPoint(
    calendar: Calendar,
    extended: boolean,
    from: string,
  ): Promise<{ seq: number; date: string } | undefined> {
    const floorTime = await this.timeAt(this.floor);
    if (!Number.isFinite(floorTime)) return undefined;
    let session = calendar.sessionAt(floorTime, true) ?? calendar.previousSession(floorTime, true);
    if (session && floorTime > sessionWindow(session, extended).end)
      session = calendar.nextSession(sessionWindow(session, extended).end, true);
    if (!session || session.date < from) return undefined;
    const start = sessionWindow(session, extended).start;
    const info = await this.bus.jsm.streams.info(this.names.raw);
    let lo = info.state.first_seq;
    let hi = this.floor + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await this.timeAt(mid)) >= start) hi = mid;
      else lo = mid + 1;
    }
    return { seq: lo, date: session.date };
  }

  /** The delivery time of the raw message at `seq` (the nearest earlier readable one). */
  private async timeAt(seq: number): Promise<number> {
    for (let s = seq; s > 0 && s > seq - 100; s--) {
      const m = await this.bus.jsm.streams.getMessage(this.names.raw, { seq: s }).catch(() => null);
      if (!m) continue;
      const route = this.route(m.subject);
      if (route === null) continue;
      if (route === "batch") {
        const t = isBinaryBatch(m.data) ? binaryBatchTime(m.data) : batchTime(m.data);
        if (Number.isNaN(t)) continue;
        return t;
      }
      const d =
        route === "clock" ? decodeRaw(m.data, undefined) : decodeRaw(m.data, route.symbol, route.kind);
      if (d.type === "bar") return d.bar.time + MINUTE_MS;
      if (d.type === "quote") return d.quote.time + MINUTE_MS;
      if (d.type === "tick") return d.tick.time;
      if (d.type === "clock" || d.type === "end") return d.at;
    }
    return Number.NEGATIVE_INFINITY;
  }
}
