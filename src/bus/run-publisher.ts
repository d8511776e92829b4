import { headers } from "@nats-io/transport-node";
import { type EngineEvent, eventLine, type RunSummary } from "../engine/index.js";
import { InvalidArgumentError } from "../model/errors.js";
import { AckedPublisher } from "./acked-publisher.js";
import { type BusConnection, connectBus } from "./connection.js";
import type { ShardSpec } from "./ownership.js";
import { ensureStreams, type StreamRetention, streamNames } from "./streams.js";
import { BusSubjects } from "./subjects.js";

const encoder = new TextEncoder();

/** The last message of one shard of a run: it finished, with how many events, of which symbols. */
export interface RunEnd {
  type: "end";
  run: string;
  shard: number;
  shards: number;
  events: number;
  /** Every symbol of the run in the replay's order (all shards', not only this one's). */
  symbols: string[];
  summary: RunSummary;
}

/**
 * Publishes one shard's events of a sharded backtest under the run's name: each event's
 * `--out` line on `<p>.run.<RUN>.<K>.event` in the engine's order (header `Tw-Seq`, message id
 * run, shard and sequence: a shard run again publishes the same ids), then a `RunEnd` on
 * `<p>.run.<RUN>.<K>.end`. A run whose shard K has already finished is refused, so runs
 * never mix.
 */
export class RunPublisher {
  private seq = 0;

  private constructor(
    private readonly bus: BusConnection,
    private readonly out: AckedPublisher,
    private readonly subjects: BusSubjects,
    private readonly run: string,
    private readonly shard: ShardSpec,
    private readonly symbols: readonly string[],
  ) {}

  static async open(o: {
    nats: string;
    prefix?: string;
    run: string;
    shard: ShardSpec;
    symbols: readonly string[];
    retention?: StreamRetention;
  }): Promise<RunPublisher> {
    const subjects = new BusSubjects(o.prefix);
    const end = subjects.run(o.run, o.shard.index, "end");
    const bus = await connectBus(o.nats, `tickwright-run-${o.run}-${o.shard.index}`);
    try {
      await ensureStreams(bus.jsm, subjects, o.retention);
      const done = await bus.jsm.streams
        .getMessage(streamNames(subjects).runs, { last_by_subj: end })
        .catch(() => null);
      if (done)
        throw new InvalidArgumentError(
          `run ${o.run} shard ${o.shard.index} has already finished; give a new --run`,
        );
      const out = new AckedPublisher(bus.js, { maxInFlight: 1024 });
      return new RunPublisher(bus, out, subjects, o.run, o.shard, o.symbols);
    } catch (err) {
      await bus.close();
      throw err;
    }
  }

  /** Publishes one event; returns a promise under back-pressure. */
  event(e: EngineEvent): void | Promise<void> {
    const seq = ++this.seq;
    const h = headers();
    h.set("Tw-Seq", String(seq));
    return this.out.publish(
      this.subjects.run(this.run, this.shard.index, "event"),
      encoder.encode(eventLine(e)),
      `${this.run}.${this.shard.index}.${seq}`,
      h,
    );
  }

  /** Publishes the end of this shard's run and closes the connection. */
  async finish(summary: RunSummary): Promise<void> {
    const end: RunEnd = {
      type: "end",
      run: this.run,
      shard: this.shard.index,
      shards: this.shard.count,
      events: this.seq,
      symbols: [...this.symbols],
      summary,
    };
    await this.out.flush();
    await this.out.publish(
      this.subjects.run(this.run, this.shard.index, "end"),
      encoder.encode(JSON.stringify(end)),
      `${this.run}.${this.shard.index}.end`,
    );
    await this.out.flush();
    await this.bus.close();
  }

  /** Closes without finishing (the run failed). */
  async close(): Promise<void> {
    this.out.close();
    await this.bus.close();
  }
}
