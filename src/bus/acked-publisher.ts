import type { JetStreamClient } from "@nats-io/jetstream";
import type { MsgHdrs } from "@nats-io/transport-node";

/** Options of AckedPublisher. */
export interface AckedPublisherOptions {
  /** Publishes awaiting their JetStream ack at most (default 256): back-pressure beyond. */
  maxInFlight?: number;
  /** Time to wait for one ack before publishing again with the same id (default 5 s). */
  ackTimeoutMs?: number;
  /** Told about each failed attempt (it is retried with the same message id). */
  onRetry?: (err: Error) => void;
}

/**
 * Publishes to JetStream with acks, at most `maxInFlight` unacknowledged at once: `publish`
 * returns a promise only when the window is full (await it), so a fast producer is held back
 * by the server's acks. A failed or timed-out publish (a broker restarting) is retried with
 * the same message id until it is acked, so the stream's duplicate window keeps it once.
 */
export class AckedPublisher {
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly idle: (() => void)[] = [];
  private failure: Error | undefined;
  private closed = false;
  private readonly maxInFlight: number;
  private readonly ackTimeoutMs: number;
  /** Messages acked so far, of which dropped by the stream as duplicates (message id seen), and retries. */
  published = 0;
  duplicates = 0;
  retries = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly options: AckedPublisherOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 256;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5000;
  }

  /** Queues one message; returns a promise when the in-flight window is full. */
  publish(subject: string, data: Uint8Array, msgID: string, headers?: MsgHdrs): void | Promise<void> {
    return this.track(subject, data, msgID, headers).room;
  }

  /**
   * Queues one message; `acked` settles once JetStream acked it or it failed for good (then
   * `failed` is set and `flush()` throws); `room`, when the in-flight window is full, settles
   * once there is room again (await it before the next publish).
   */
  track(
    subject: string,
    data: Uint8Array,
    msgID: string,
    headers?: MsgHdrs,
  ): { acked: Promise<void>; room: Promise<void> | undefined } {
    if (this.failure) throw this.failure;
    this.inFlight++;
    const acked = this.send(subject, data, msgID, headers).then(
      () => this.settle(),
      (err: Error) => {
        this.failure ??= err;
        this.settle();
      },
    );
    const room =
      this.inFlight >= this.maxInFlight ? new Promise<void>((r) => this.waiters.push(r)) : undefined;
    return { acked, room };
  }

  /** The error a publish failed with for good (the publisher was closed), if any. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Resolves once every message queued so far is acked. */
  async flush(): Promise<void> {
    if (this.inFlight > 0) await new Promise<void>((r) => this.idle.push(r));
    if (this.failure) throw this.failure;
  }

  /** Stops retrying; pending publishes fail. */
  close(): void {
    this.closed = true;
  }

  private async send(subject: string, data: Uint8Array, msgID: string, headers?: MsgHdrs): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const ack = await this.js.publish(subject, data, {
          msgID,
          timeout: this.ackTimeoutMs,
          ...(headers ? { headers } : {}),
        });
        this.published++;
        if (ack.duplicate) this.duplicates++;
        return;
      } catch (err) {
        if (this.closed) throw err;
        this.retries++;
        this.options.onRetry?.(err as Error);
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  private settle(): void {
    this.inFlight--;
    if (this.inFlight < this.maxInFlight) this.waiters.shift()?.();
    if (this.inFlight === 0) for (const r of this.idle.splice(0)) r();
  }
}
