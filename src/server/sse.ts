import type { ServerResponse } from "node:http";
import type { Engine } from "../engine/engine.js";
import { eventLine } from "../engine/jsonl.js";
import type { EngineEvent } from "../engine/types.js";

/** Which events one client wants: bars of these symbols and intervals (all when unset). */
export interface EventFilter {
  symbols?: ReadonlySet<string>;
  intervals?: ReadonlySet<string>;
}

/** Options of EventBroadcaster. */
export interface BroadcasterOptions {
  /** Bytes a client may have queued before it is dropped. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Wall milliseconds between keep-alive comments. Default 15 s. */
  heartbeatMs?: number;
  /** Called when a client is dropped for falling behind. */
  onDrop?: () => void;
  /** Called when the number of clients changes. */
  onClients?: (n: number) => void;
}

interface Client {
  res: ServerResponse;
  filter: EventFilter;
}

/**
 * Server-Sent Events of one engine: bars, session boundaries and gap events as they happen,
 * each `data: <eventLine(e)>`. It listens to the engine only while some client is
 * connected, formats each event at most once, and never waits for a client: a client whose
 * socket has more than `maxBufferedBytes` queued is dropped instead of stalling the replay.
 */
export class EventBroadcaster {
  private readonly clients = new Set<Client>();
  private off: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly maxBuffered: number;
  private readonly heartbeatMs: number;

  constructor(
    private readonly engine: Engine,
    private readonly opts: BroadcasterOptions = {},
  ) {
    this.maxBuffered = opts.maxBufferedBytes ?? 1 << 20;
    this.heartbeatMs = opts.heartbeatMs ?? 15_000;
  }

  /** Connected clients. */
  get size(): number {
    return this.clients.size;
  }

  /** Starts streaming to a response (headers are written here); ends when the client goes. */
  add(res: ServerResponse, filter: EventFilter = {}): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write("retry: 2000\n\n");
    const client: Client = { res, filter };
    this.clients.add(client);
    res.on("close", () => this.remove(client));
    if (!this.off) this.off = this.engine.onAny((e) => this.broadcast(e));
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => this.ping(), this.heartbeatMs);
      this.heartbeat.unref();
    }
    this.opts.onClients?.(this.clients.size);
  }

  /** Ends every stream and stops listening. */
  close(): void {
    for (const c of [...this.clients]) {
      c.res.end();
      this.remove(c);
    }
  }

  private remove(client: Client): void {
    if (!this.clients.delete(client)) return;
    if (this.clients.size === 0) {
      this.off?.();
      this.off = undefined;
      if (this.heartbeat) clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
    this.opts.onClients?.(this.clients.size);
  }

  private broadcast(e: EngineEvent): void {
    if (e.type === "quote" || e.type === "tick") return;
    let line: string | undefined;
    for (const c of this.clients) {
      const f = c.filter;
      if (e.type === "bar") {
        if (f.symbols && !f.symbols.has(e.symbol)) continue;
        if (f.intervals && !f.intervals.has(e.interval)) continue;
      } else if ("symbol" in e && f.symbols && !f.symbols.has(e.symbol)) continue;
      line ??= `data: ${eventLine(e)}\n\n`;
      this.send(c, line);
    }
  }

  private send(c: Client, text: string): void {
    if (c.res.writableLength > this.maxBuffered) {
      this.remove(c);
      c.res.destroy();
      this.opts.onDrop?.();
      return;
    }
    c.res.write(text);
  }

  private ping(): void {
    for (const c of this.clients) this.send(c, ": ping\n\n");
  }
}
