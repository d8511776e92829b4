import { createWriteStream, type WriteStream } from "node:fs";
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

/** Writes events as JSON lines to a file, buffering and honouring the stream's backpressure. */
export class JsonlWriter {
  private readonly stream: WriteStream;
  private buffer: string[] = [];
  private size = 0;

  constructor(path: string) {
    this.stream = createWriteStream(path);
  }

  /** Queues one event; returns a promise when the file is behind (await it). */
  write(e: EngineEvent): void | Promise<void> {
    const line = eventLine(e);
    this.buffer.push(line);
    this.size += line.length + 1;
    if (this.size >= 1 << 16) return this.flush();
  }

  private flush(): void | Promise<void> {
    if (this.buffer.length === 0) return;
    const chunk = `${this.buffer.join("\n")}\n`;
    this.buffer = [];
    this.size = 0;
    if (!this.stream.write(chunk)) return new Promise((r) => this.stream.once("drain", () => r()));
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) =>
      this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  }
}
