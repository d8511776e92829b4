import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import type { EngineEvent } from "./types.js";

/**
 * One event as one JSON line with a fixed key order, so two replays of the same data write
 * byte-identical files. Bars: type, at, symbol, interval, time, open, high, low, close, volume
 * (plus flags when non-zero); other events: type, at, then their own fields.
 */
export function eventLine(e: EngineEvent): string {
  if (e.type === "bar") {
    const flags = e.flags ? `,"flags":${e.flags}` : "";
    return `{"type":"bar","at":${e.at},"symbol":${JSON.stringify(e.symbol)},"interval":"${e.interval}","time":${e.time},"open":${e.open},"high":${e.high},"low":${e.low},"close":${e.close},"volume":${e.volume}${flags}}`;
  }
  const { type, at, ...rest } = e;
  return JSON.stringify({ type, at, ...rest });
}

/**
 * Writes events as JSON lines to a file, or to a stream handed over (`process.stdout`; left
 * open), buffering and honouring the stream's backpressure. A write error (a closed pipe, a full disk) is thrown by the next
 * `write` that flushes, or by `close`.
 */
export class JsonlWriter {
  private readonly stream: Writable;
  private readonly owned: boolean;
  private buffer: string[] = [];
  private size = 0;
  private failed: Error | undefined;

  constructor(target: string | Writable) {
    this.owned = typeof target === "string";
    this.stream = typeof target === "string" ? createWriteStream(target) : target;
    this.stream.on("error", (err: Error) => {
      this.failed ??= err;
    });
  }

  /** Queues one event; returns a promise when the file is behind (await it). */
  write(e: EngineEvent): void | Promise<void> {
    const line = eventLine(e);
    this.buffer.push(line);
    this.size += line.length + 1;
    if (this.size >= 1 << 16) return this.flush();
  }

  private flush(): void | Promise<void> {
    if (this.failed) throw this.failed;
    if (this.buffer.length === 0) return;
    const chunk = `${this.buffer.join("\n")}\n`;
    this.buffer = [];
    this.size = 0;
    if (!this.stream.write(chunk)) return this.drained();
  }

  /** Resolves on the stream's next drain; rejects on its error. */
  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        this.stream.off("drain", done);
        this.stream.off("error", done);
        if (err) reject(err);
        else resolve();
      };
      this.stream.on("drain", done);
      this.stream.on("error", done);
    });
  }

  /** Flushes and closes the file (a stream handed over is flushed, not ended). */
  async close(): Promise<void> {
    await this.flush();
    if (this.failed) throw this.failed;
    if (!this.owned) return;
    await new Promise<void>((resolve, reject) =>
      this.stream.end((err?: Error | null) => (err || this.failed ? reject(err ?? this.failed) : resolve())),
    );
  }
}
