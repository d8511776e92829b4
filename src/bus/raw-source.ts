import {
  AckPolicy,
  type Consumer,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { isNotFound } from "./streams.js";

/** One raw message as the shard reads it. */
export interface RawDelivery {
  seq: number;
  subject: string;
  data: Uint8Array;
  /** The JetStream message, when it came from the durable consumer (rebuild messages are not acked). */
  msg?: JsMsg;
}

/** Where the durable consumer stands (from its info, refreshed periodically). */
export interface ConsumerPosition {
  /** Raw messages not yet delivered to the shard. */
  pending: number;
  /** Delivered and not yet acked (applied but results not yet confirmed, or in the fetch buffer). */
  ackPending: number;
  /** Last raw stream sequence acked: everything up to it is applied and its results published. */
  ackFloor: number;
  /** Raw messages published after the ack floor: pending + ackPending. */
  lag: number;
}

/** Options of RawSource. */
export interface RawSourceOptions {
  stream: string;
  /** Durable consumer name (one per shard). */
  durable: string;
  /** Raw subjects filter. */
  filter: string;
  /** Subject of the position record kept while the consumer is recreated. */
  stateSubject: string;
  /** Messages per fetch (default 1000). */
  batch?: number;
  /** Told about errors it retries (a broker restarting). */
  onRetry?: (err: Error) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The shard's raw input in stream order, exactly once: first (after a restart) the messages
 * from the start of the session being rebuilt up to the consumer's ack floor, read with an
 * ordered consumer and never acked, then the durable consumer from its ack floor on. A
 * durable found with deliveries outstanding (the process died holding them) is recreated to
 * start right after its ack floor, so nothing is skipped or taken out of order while
 * JetStream would wait out their ack timeout; the position is recorded on a state subject
 * first, in case the process dies in between. Redeliveries already read are dropped; a hole
 * in the sequence (messages lost in a broker restart) repositions the consumer the same way.
 * Fetch errors are retried: the source waits through a broker restart.
 */
export class RawSource {
  private consumer: Consumer | undefined;
  private iterator: AsyncIterator<JsMsg> | undefined;
  private stopIterator: (() => void) | undefined;
  private replay: { until: number; iterator: AsyncIterator<JsMsg>; close(): Promise<void> } | undefined;
  private last = 0;
  private acked = 0;
  private closed = false;
  private readonly batch: number;
  /** The ack floor found at open: rebuild messages run up to it. */
  floor = 0;
  position: ConsumerPosition = { pending: 0, ackPending: 0, ackFloor: 0, lag: 0 };

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: RawSourceOptions,
  ) {
    this.batch = options.batch ?? 1000;
  }

  /** Finds or creates the durable consumer; returns its ack floor (0: a fresh start). */
  async open(): Promise<number> {
    const { stream, durable } = this.options;
    let floor: number;
    try {
      const info = await this.jsm.consumers.info(stream, durable);
      floor = info.ack_floor.stream_seq;
      if (info.num_ack_pending > 0 || info.delivered.stream_seq > floor) await this.reposition(floor);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const recorded = await this.recordedFloor();
      floor = recorded ?? 0;
      await this.create(recorded === undefined ? undefined : floor + 1);
    }
    this.floor = floor;
    this.last = floor;
    this.acked = floor;
    this.consumer = await this.js.consumers.get(stream, durable);
    return floor;
  }

  /** Before the durable: replays raw messages from `fromSeq` through the ack floor, unacked. */
  async rebuildFrom(fromSeq: number): Promise<void> {
    if (fromSeq > this.floor) return;
    const c = await this.js.consumers.get(this.options.stream, {
      filter_subjects: this.options.filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: fromSeq,
    });
    const messages = await c.consume({ max_messages: this.batch });
    this.replay = {
      until: this.floor,
      iterator: messages[Symbol.asyncIterator](),
      // Not awaited: close() settles only once the iterator is read to its end.
      close: async () => void messages.close(),
    };
    this.last = fromSeq - 1;
  }

  /** The next raw message; waits for one (and through broker restarts). Null once closed. */
  async next(): Promise<RawDelivery | null> {
    while (!this.closed) {
      if (this.replay) {
        const r = await this.replay.iterator.next();
        if (r.done) {
          this.replay = undefined;
          continue;
        }
        const m = r.value;
        if (m.seq <= this.last) continue;
        this.last = m.seq;
        if (m.seq >= this.replay.until) {
          const replay = this.replay;
          this.replay = undefined;
          await replay.close();
        }
        return { seq: m.seq, subject: m.subject, data: m.data };
      }
      const m = await this.fetchOne();
      if (!m) continue;
      if (m.seq <= this.last) continue;
      if (m.seq > this.last + 1 && this.last > 0 && !(await this.agedOut(this.last + 1))) {
        await this.reposition(this.last);
        continue;
      }
      this.last = m.seq;
      return { seq: m.seq, subject: m.subject, data: m.data, msg: m };
    }
    return null;
  }

  /**
   * Acks everything up to this message (ack policy all). Not confirmed: an ack lost in a broker
   * restart only means a redelivery, which `next()` drops by sequence.
   */
  ack(d: RawDelivery): void {
    if (!d.msg) return;
    d.msg.ack();
    this.acked = d.seq;
  }

  /**
   * Refreshes `position` from the stream's last sequence and what this source delivered and
   * acked. (Not from the consumer's info: on NATS 2.9 that counts pending messages by
   * scanning the stream and holds up delivery meanwhile.)
   */
  async refresh(): Promise<ConsumerPosition> {
    const info = await this.jsm.streams.info(this.options.stream);
    const last = info.state.last_seq;
    this.position = {
      pending: Math.max(0, last - this.last),
      ackPending: Math.max(0, this.last - this.acked),
      ackFloor: this.acked,
      lag: Math.max(0, last - this.acked),
    };
    return this.position;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopIterator?.();
    await this.replay?.close().catch(() => {});
  }

  private async fetchOne(): Promise<JsMsg | undefined> {
    try {
      if (!this.iterator) {
        this.consumer ??= await this.js.consumers.get(this.options.stream, this.options.durable);
        const messages = await this.consumer.consume({ max_messages: this.batch });
        this.iterator = messages[Symbol.asyncIterator]();
        this.stopIterator = () => void messages.close();
      }
      const r = await this.iterator.next();
      if (r.done) this.iterator = undefined;
      return r.done ? undefined : r.value;
    } catch (err) {
      this.iterator = undefined;
      this.consumer = undefined;
      if (this.closed) return undefined;
      this.options.onRetry?.(err as Error);
      await new Promise((r) => setTimeout(r, 250));
      return undefined;
    }
  }

  private async agedOut(seq: number): Promise<boolean> {
    const info = await this.jsm.streams.info(this.options.stream);
    return info.state.first_seq > seq;
  }

  /** Recreates the durable to deliver from `floor + 1`, recording `floor` first. */
  private async reposition(floor: number): Promise<void> {
    this.stopIterator?.();
    this.iterator = undefined;
    this.consumer = undefined;
    await this.js.publish(this.options.stateSubject, encoder.encode(JSON.stringify({ ackFloor: floor })));
    await this.jsm.consumers.delete(this.options.stream, this.options.durable).catch((err) => {
      if (!isNotFound(err)) throw err;
    });
    await this.create(floor + 1);
    this.last = floor;
  }

  private async create(startSeq: number | undefined): Promise<void> {
    await this.jsm.consumers.add(this.options.stream, {
      durable_name: this.options.durable,
      ack_policy: AckPolicy.All,
      filter_subject: this.options.filter,
      max_ack_pending: 100_000,
      ack_wait: 30_000_000_000,
      ...(startSeq === undefined
        ? { deliver_policy: DeliverPolicy.All }
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq }),
    });
  }

  private async recordedFloor(): Promise<number | undefined> {
    const stream = await this.jsm.streams.find(this.options.stateSubject).catch(() => undefined);
    if (!stream) return undefined;
    const m = await this.jsm.streams
      .getMessage(stream, { last_by_subj: this.options.stateSubject })
      .catch(() => null);
    if (!m) return undefined;
    const v = JSON.parse(decoder.decode(m.data)) as { ackFloor?: unknown };
    return typeof v.ackFloor === "number" ? v.ackFloor : undefined;
  }
}
