import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import type { LiveSink } from "../engine/types.js";
import type { Bar, QuoteBar, Tick } from "../model/bar.js";

/**
 * Test support for live feeds: a local server speaking Alpaca's v2 market-data stream
 * protocol and a sink that records what a feed pushes. Waiting is on events (`until`), never
 * on fixed wall-clock sleeps; the timeout is only a safety net that fails the test.
 */

/** Notifies waiters on every change; `until(cond)` resolves when `cond()` holds. */
export class Changes {
  private readonly waiters = new Set<() => void>();

  notify(): void {
    for (const w of [...this.waiters]) w();
  }

  until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!cond()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}

/** What a RecordingSink saw, in order. */
export type SinkEvent =
  | { kind: "bar"; bar: Bar }
  | { kind: "quote"; quote: QuoteBar }
  | { kind: "tick"; tick: Tick }
  | { kind: "connection"; state: "connected" | "disconnected"; at: number; detail?: string };

/** A LiveSink that records every call. */
export class RecordingSink implements LiveSink {
  readonly events: SinkEvent[] = [];
  readonly changes = new Changes();

  bar(bar: Bar): void {
    this.push({ kind: "bar", bar });
  }

  quote(quote: QuoteBar): void {
    this.push({ kind: "quote", quote });
  }

  tick(tick: Tick): void {
    this.push({ kind: "tick", tick });
  }

  connection(state: "connected" | "disconnected", at: number, detail?: string): void {
    this.push(
      detail === undefined ? { kind: "connection", state, at } : { kind: "connection", state, at, detail },
    );
  }

  bars(): Bar[] {
    return this.events.flatMap((e) => (e.kind === "bar" ? [e.bar] : []));
  }

  connections(): ("connected" | "disconnected")[] {
    return this.events.flatMap((e) => (e.kind === "connection" ? [e.state] : []));
  }

  count(kind: SinkEvent["kind"]): number {
    return this.events.filter((e) => e.kind === kind).length;
  }

  until(cond: (sink: RecordingSink) => boolean, what: string): Promise<void> {
    return this.changes.until(() => cond(this), what);
  }

  private push(e: SinkEvent): void {
    this.events.push(e);
    this.changes.notify();
  }
}

/** Client messages the server received, per connection. */
export interface ReceivedMessage {
  connection: number;
  message: Record<string, unknown>;
}

/** How the test server answers a connection's handshake. */
export type HandshakeMode =
  /** Welcome, auth, subscription as Alpaca does. */
  | "normal"
  /** Answers the welcome with `[{"T":"error","code":406,"msg":"connection limit exceeded"}]` and closes. */
  | "connection-limit"
  /** Sends nothing at all after the upgrade. */
  | "silent";

/**
 * A local WebSocket server on 127.0.0.1 (port 0) speaking Alpaca's v2 stocks stream protocol:
 * `[{"T":"success","msg":"connected"}]` on connect; `auth` checked against key/secret (402 auth
 * failed and close otherwise); `subscribe` before auth gets 401; `subscribe` adds to the
 * connection's subscription and is confirmed with a `subscription` message listing every
 * channel. `send` pushes data arrays to every subscribed client; `drop` terminates sockets.
 */
export class AlpacaTestServer {
  readonly received: ReceivedMessage[] = [];
  readonly changes = new Changes();
  /** Connections accepted so far (1-based ids). */
  connections = 0;
  /** Subscriptions confirmed so far. */
  subscriptions = 0;
  /** Sockets closed by the client or the server, with the close code. */
  readonly closed: { connection: number; code: number }[] = [];
  mode: HandshakeMode = "normal";
  /** False: every auth gets 402 auth failed (credentials revoked). */
  acceptAuth = true;
  /** Pings received from clients. */
  pings = 0;
  /** Request paths of every connection (`/v2/iex`). */
  readonly paths: string[] = [];
  private readonly live = new Map<WebSocket, { id: number; authed: boolean; subscribed: boolean }>();

  private constructor(
    private readonly wss: WebSocketServer,
    private readonly key: string,
    private readonly secret: string,
  ) {
    wss.on("connection", (ws, req) => this.accept(ws, req.url ?? ""));
  }

  /** Starts a server; `autoPong: false` makes it ignore pings (for dead-connection tests). */
  static async start(
    opts: { key?: string; secret?: string; autoPong?: boolean } = {},
  ): Promise<AlpacaTestServer> {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, autoPong: opts.autoPong ?? true });
    await new Promise<void>((resolve, reject) => {
      wss.once("listening", resolve);
      wss.once("error", reject);
    });
    return new AlpacaTestServer(wss, opts.key ?? "test-key", opts.secret ?? "test-secret");
  }

  /** `ws://127.0.0.1:PORT` (the feed appends `/v2/{feed}`). */
  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  /** Client messages with this action, in order. */
  messages(action: string): ReceivedMessage[] {
    return this.received.filter((r) => r.message.action === action);
  }

  /** Open sockets. */
  get openSockets(): number {
    return this.live.size;
  }

  until(cond: (server: AlpacaTestServer) => boolean, what: string): Promise<void> {
    return this.changes.until(() => cond(this), what);
  }

  /** Sends one message array to every subscribed client. */
  send(items: Record<string, unknown>[]): void {
    const text = JSON.stringify(items);
    for (const [ws, c] of this.live) if (c.subscribed) ws.send(text);
  }

  /** Sends raw text to every subscribed client (for malformed-message tests). */
  sendRaw(text: string): void {
    for (const [ws, c] of this.live) if (c.subscribed) ws.send(text);
  }

  /** Terminates every socket without a close handshake (a dropped connection). */
  drop(): void {
    for (const ws of this.live.keys()) ws.terminate();
  }

  async close(): Promise<void> {
    for (const ws of this.live.keys()) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(ws: WebSocket, path: string): void {
    const c = { id: ++this.connections, authed: false, subscribed: false };
    this.paths.push(path);
    this.live.set(ws, c);
    const subscription: Record<string, string[]> = { trades: [], quotes: [], bars: [] };
    ws.on("close", (code) => {
      this.live.delete(ws);
      this.closed.push({ connection: c.id, code });
      this.changes.notify();
    });
    ws.on("ping", () => {
      this.pings++;
      this.changes.notify();
    });
    ws.on("message", (data) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      this.received.push({ connection: c.id, message });
      if (message.action === "auth") {
        if (this.acceptAuth && message.key === this.key && message.secret === this.secret) {
          c.authed = true;
          ws.send(JSON.stringify([{ T: "success", msg: "authenticated" }]));
        } else {
          ws.send(JSON.stringify([{ T: "error", code: 402, msg: "auth failed" }]));
          ws.close();
        }
      } else if (message.action === "subscribe") {
        if (!c.authed) {
          ws.send(JSON.stringify([{ T: "error", code: 401, msg: "not authenticated" }]));
        } else {
          for (const ch of ["trades", "quotes", "bars"]) {
            const add = (message[ch] as string[] | undefined) ?? [];
            subscription[ch] = [...new Set([...subscription[ch], ...add])];
          }
          c.subscribed = true;
          this.subscriptions++;
          ws.send(
            JSON.stringify([
              {
                T: "subscription",
                ...subscription,
                updatedBars: [],
                dailyBars: [],
                statuses: [],
                lulds: [],
                corrections: [],
                cancelErrors: [],
              },
            ]),
          );
        }
      }
      this.changes.notify();
    });
    if (this.mode === "normal") ws.send(JSON.stringify([{ T: "success", msg: "connected" }]));
    else if (this.mode === "connection-limit") {
      ws.send(JSON.stringify([{ T: "error", code: 406, msg: "connection limit exceeded" }]));
      ws.close();
    }
    this.changes.notify();
  }
}
