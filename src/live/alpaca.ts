import WebSocket from "ws";
import { QuoteBarBuilder } from "../aggregate/quotes.js";
import type { Clock, TimerHandle } from "../clock/clock.js";
import { LiveClock } from "../clock/live.js";
import { InvalidArgumentError } from "../model/errors.js";
import { MINUTE_MS } from "../model/time.js";
import {
  ALPACA_STREAM_URL,
  type AlpacaChannel,
  type AlpacaMessage,
  alpacaBar,
  alpacaQuote,
  alpacaTrade,
} from "./alpaca-protocol.js";
import { type Backoff, type BackoffOptions, backoffDelay, resolveBackoff } from "./backoff.js";
import { AlpacaStreamError, LiveFeedError } from "./errors.js";
import type { LiveFeed, LiveSink } from "./types.js";

/** How to reach and use Alpaca's v2 stocks market-data stream. */
export interface AlpacaFeedOptions {
  key: string;
  secret: string;
  /** Stream host without the path (default `wss://stream.data.alpaca.markets`). */
  url?: string;
  /** Data feed in the path `/v2/{feed}`: `iex` (default), `sip`, `delayed_sip`, `test`. */
  feed?: string;
  /** Channels to subscribe for every symbol (default bars only; trades and quotes are opt-in). */
  channels?: readonly AlpacaChannel[];
  /** Reconnect backoff (default 500 ms doubling to 30 s, 20% jitter). */
  backoff?: BackoffOptions;
  /** Consecutive failed reconnect attempts before giving up (default: never give up). */
  maxReconnects?: number;
  /** Time allowed from opening a socket to the subscription's confirmation (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Ping period; a connection without a pong by the next ping is dropped (default 30 s; 0: off). */
  pingIntervalMs?: number;
  /** How long after a minute ends its quote bar waits for late quotes before completing (default 2 s). */
  quoteGraceMs?: number;
  /** Clock for timers and the `at` of connection reports (default a LiveClock; the engine passes its own). */
  clock?: Clock;
  /** Problems that do not stop the feed: bad data messages, sink errors, giving up on reconnects. */
  onError?: (err: Error) => void;
}

/** Where the feed is in its life. */
export type AlpacaFeedState = "idle" | "connecting" | "streaming" | "reconnecting" | "stopped" | "failed";

/** Counters of what the feed saw, for health and tests. */
export interface AlpacaFeedStats {
  connects: number;
  disconnects: number;
  reconnectAttempts: number;
  bars: number;
  trades: number;
  quotes: number;
  quoteBars: number;
  /** Quotes older than the last one taken or for a minute already completed; dropped. */
  lateQuotes: number;
  /** Data messages that could not be read; reported to onError and dropped. */
  malformed: number;
  /** Messages of types tickwright does not use (updatedBars, statuses, corrections, ...). */
  ignored: number;
}

/** How long stop() waits for the server to answer its close frame. */
const CLOSE_WAIT_MS = 2_000;

type Phase = "welcome" | "auth" | "subscribe" | "streaming";

interface QuoteState {
  builder: QuoteBarBuilder;
  /** Quote bars of minutes starting before this are complete; later quotes for them are late. */
  closedBefore: number;
  /** Time of the last quote taken. */
  last: number;
}

/**
 * A live feed speaking Alpaca's v2 stocks market-data WebSocket protocol: connect to
 * `{url}/v2/{feed}`, await `connected`, authenticate with a message, subscribe to bars (and
 * trades, quotes when asked), then push minute bars (start time, as sent), trades as ticks and
 * quotes as one-minute quote bars to the sink.
 *
 * Quotes: the sink takes quote bars, so quote updates are aggregated with `QuoteBarBuilder`; a
 * minute's quote bar is pushed when a quote of a later minute arrives or, on the clock,
 * `quoteGraceMs` after the minute ends; quotes arriving after that are counted late and dropped.
 *
 * Connection: `start` resolves once the first subscription is confirmed and rejects when that
 * first attempt fails (bad credentials, unreachable host). After that a lost connection is
 * reported as `connection("disconnected", at, detail)`, then the feed reconnects with backoff,
 * authenticates and subscribes again and reports `connection("connected", at)`; the minutes in
 * between are the engine's gaps to fill. A fatal provider error on reconnect (402 auth failed,
 * 409 insufficient subscription, ...) or `maxReconnects` failures in a row stop the feed
 * (state `failed`, reported to `onError`). `stop()` closes the socket and reports nothing more.
 */
export class AlpacaFeed implements LiveFeed {
  readonly name: string;
  readonly stats: AlpacaFeedStats = {
    connects: 0,
    disconnects: 0,
    reconnectAttempts: 0,
    bars: 0,
    trades: 0,
    quotes: 0,
    quoteBars: 0,
    lateQuotes: 0,
    malformed: 0,
    ignored: 0,
  };
  private readonly endpoint: string;
  private readonly channels: readonly AlpacaChannel[];
  private readonly backoff: Backoff;
  private readonly clock: Clock;
  private readonly maxReconnects: number;
  private readonly handshakeTimeoutMs: number;
  private readonly pingIntervalMs: number;
  private readonly quoteGraceMs: number;
  private current: AlpacaFeedState = "idle";
  private sink: LiveSink | undefined;
  private symbols: string[] = [];
  private socket: WebSocket | undefined;
  private connected = false;
  private failures = 0;
  private reconnectTimer: TimerHandle | undefined;
  private pingTimer: TimerHandle | undefined;
  private flushTimer: TimerHandle | undefined;
  private awaitingPong = false;
  private lastError: Error | undefined;
  private readonly quoteStates = new Map<string, QuoteState>();

  constructor(private readonly options: AlpacaFeedOptions) {
    if (!options.key || !options.secret)
      throw new InvalidArgumentError("alpaca feed needs a key and a secret");
    const feed = options.feed ?? "iex";
    this.endpoint = `${(options.url ?? ALPACA_STREAM_URL).replace(/\/+$/, "")}/v2/${feed}`;
    this.name = `alpaca:${feed}`;
    this.channels = options.channels ?? ["bars"];
    for (const c of this.channels) {
      if (c !== "bars" && c !== "trades" && c !== "quotes") {
        throw new InvalidArgumentError(`unknown alpaca channel "${c}" (bars, trades, quotes)`);
      }
    }
    this.backoff = resolveBackoff(options.backoff);
    this.clock = options.clock ?? new LiveClock((err) => this.report(asError(err)));
    this.maxReconnects = options.maxReconnects ?? Number.POSITIVE_INFINITY;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.pingIntervalMs = options.pingIntervalMs ?? 30_000;
    this.quoteGraceMs = options.quoteGraceMs ?? 2_000;
  }

  /** Current state. */
  get state(): AlpacaFeedState {
    return this.current;
  }

  private isStopped(): boolean {
    return this.current === "stopped";
  }

  /** The stream URL connected to (`{url}/v2/{feed}`). */
  get url(): string {
    return this.endpoint;
  }

  /** Connects, authenticates and subscribes `symbols`; resolves when the subscription is confirmed. */
  async start(sink: LiveSink, symbols: readonly string[]): Promise<void> {
    if (this.current !== "idle")
      throw new InvalidArgumentError(`alpaca feed already started (${this.current})`);
    if (symbols.length === 0) throw new InvalidArgumentError("alpaca feed: no symbols to subscribe");
    this.sink = sink;
    this.symbols = [...symbols];
    this.current = "connecting";
    try {
      await this.connect();
    } catch (err) {
      if (!this.isStopped()) this.current = "failed";
      throw err;
    }
    if (this.channels.includes("quotes") && !this.isStopped()) {
      const firstAt = nextMinute(this.clock.now()) + this.quoteGraceMs;
      this.flushTimer = this.clock.every(MINUTE_MS, (at) => this.flushQuotes(at), firstAt);
    }
  }

  /** Closes the connection and cancels every timer; no reconnect and no report follow. */
  async stop(): Promise<void> {
    if (this.isStopped()) return;
    this.current = "stopped";
    for (const t of [this.reconnectTimer, this.pingTimer, this.flushTimer]) if (t) this.clock.cancel(t);
    this.reconnectTimer = this.pingTimer = this.flushTimer = undefined;
    const ws = this.socket;
    this.socket = undefined;
    this.connected = false;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      // A peer that never answers the close frame is cut off after CLOSE_WAIT_MS.
      const cutoff = this.clock.at(this.clock.now() + CLOSE_WAIT_MS, () => ws.terminate());
      ws.once("close", () => {
        this.clock.cancel(cutoff);
        resolve();
      });
      if (ws.readyState === WebSocket.OPEN) ws.close(1000, "stop");
      else ws.terminate();
    });
  }

  /** Opens one socket and runs the handshake; resolves when the subscription is confirmed. */
  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.endpoint, { handshakeTimeout: this.handshakeTimeoutMs });
      this.socket = ws;
      let phase: Phase = "welcome";
      let settled = false;
      let closeDetail: string | undefined;
      const deadline = this.clock.at(this.clock.now() + this.handshakeTimeoutMs, () =>
        fail(new LiveFeedError(`${this.endpoint}: no subscription within ${this.handshakeTimeoutMs} ms`)),
      );
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        this.clock.cancel(deadline);
        if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
        reject(this.isStopped() ? new LiveFeedError("alpaca feed stopped before it connected") : err);
      };
      ws.on("message", (data) => {
        let messages: unknown;
        try {
          messages = JSON.parse(data.toString());
        } catch {
          return this.malformed(new LiveFeedError(`${this.endpoint}: message is not JSON`));
        }
        if (!Array.isArray(messages)) {
          return this.malformed(new LiveFeedError(`${this.endpoint}: message is not an array`));
        }
        for (const m of messages as AlpacaMessage[]) {
          if (m === null || typeof m !== "object") {
            this.malformed(new LiveFeedError(`${this.endpoint}: message element is not an object`));
            continue;
          }
          if (m.T === "success" && m.msg === "connected" && phase === "welcome") {
            phase = "auth";
            ws.send(JSON.stringify({ action: "auth", key: this.options.key, secret: this.options.secret }));
          } else if (m.T === "success" && m.msg === "authenticated" && phase === "auth") {
            phase = "subscribe";
            ws.send(JSON.stringify(this.subscribeMessage()));
          } else if (m.T === "subscription" && phase === "subscribe") {
            phase = "streaming";
            settled = true;
            this.clock.cancel(deadline);
            this.streaming(ws);
            resolve();
          } else if (m.T === "error") {
            const err = new AlpacaStreamError(Number(m.code), String(m.msg));
            if (!settled) fail(err);
            else {
              closeDetail = err.message;
              this.report(err);
            }
          } else if (m.T === "success" || m.T === "subscription") {
            this.stats.ignored++;
          } else {
            this.data(m);
          }
        }
      });
      ws.on("pong", () => {
        this.awaitingPong = false;
      });
      ws.on("error", (err) => {
        closeDetail = err.message;
        fail(new LiveFeedError(`${this.endpoint}: ${err.message}`, err));
      });
      ws.on("close", (code, reason) => {
        const detail = closeDetail ?? `closed with code ${code}${reason.length > 0 ? ` (${reason})` : ""}`;
        if (phase !== "streaming")
          fail(new LiveFeedError(`${this.endpoint}: ${detail} before the subscription`));
        else if (this.socket === ws) this.lost(detail);
      });
    });
  }

  private subscribeMessage(): Record<string, unknown> {
    const msg: Record<string, unknown> = { action: "subscribe" };
    for (const c of this.channels) msg[c] = this.symbols;
    return msg;
  }

  /** The subscription is confirmed: report connected, reset the backoff, start pinging. */
  private streaming(ws: WebSocket): void {
    this.current = "streaming";
    this.failures = 0;
    this.connected = true;
    this.stats.connects++;
    this.awaitingPong = false;
    if (this.pingIntervalMs > 0) {
      this.pingTimer = this.clock.every(this.pingIntervalMs, () => {
        if (this.awaitingPong) {
          ws.terminate();
          return;
        }
        this.awaitingPong = true;
        ws.ping();
      });
    }
    this.guard(() => this.sink!.connection("connected", this.clock.now()));
  }

  /** The streaming socket closed without stop(): report it and schedule a reconnect. */
  private lost(detail: string): void {
    this.socket = undefined;
    if (this.pingTimer) this.clock.cancel(this.pingTimer);
    this.pingTimer = undefined;
    if (this.isStopped()) return;
    this.stats.disconnects++;
    // A forming quote minute cut by the outage is incomplete, and the standing quote is stale.
    for (const s of this.quoteStates.values()) {
      s.builder.reset();
      s.last = Number.NEGATIVE_INFINITY;
      s.closedBefore = Math.max(s.closedBefore, minuteOf(this.clock.now()));
    }
    if (this.connected) {
      this.connected = false;
      this.guard(() => this.sink!.connection("disconnected", this.clock.now(), detail));
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.failures >= this.maxReconnects) {
      this.current = "failed";
      const last = this.lastError ? `: ${this.lastError.message}` : "";
      this.report(
        new LiveFeedError(`${this.endpoint}: gave up after ${this.failures} reconnect attempts${last}`),
      );
      return;
    }
    const delay = backoffDelay(this.failures++, this.backoff);
    this.current = "reconnecting";
    this.reconnectTimer = this.clock.at(this.clock.now() + delay, () => this.reconnect());
  }

  private async reconnect(): Promise<void> {
    this.reconnectTimer = undefined;
    if (this.isStopped()) return;
    this.stats.reconnectAttempts++;
    try {
      await this.connect();
    } catch (err) {
      if (this.isStopped()) return;
      const e = asError(err);
      this.lastError = e;
      if (e instanceof AlpacaStreamError && !e.retryable) {
        this.current = "failed";
        this.report(e);
        return;
      }
      this.scheduleReconnect();
    }
  }

  /** One data element: a bar, trade or quote to the sink; other types are counted and skipped. */
  private data(m: AlpacaMessage): void {
    const sink = this.sink!;
    try {
      if (m.T === "b") {
        const bar = alpacaBar(m);
        this.stats.bars++;
        this.guard(() => sink.bar(bar));
      } else if (m.T === "t") {
        const tick = alpacaTrade(m);
        this.stats.trades++;
        this.guard(() => sink.tick(tick));
      } else if (m.T === "q") {
        this.quote(m);
      } else {
        this.stats.ignored++;
      }
    } catch (err) {
      this.malformed(asError(err));
    }
  }

  private quote(m: AlpacaMessage): void {
    const q = alpacaQuote(m);
    this.stats.quotes++;
    let s = this.quoteStates.get(q.symbol);
    if (!s) {
      s = {
        builder: new QuoteBarBuilder(q.symbol, { capacity: 4 }),
        closedBefore: Number.NEGATIVE_INFINITY,
        last: Number.NEGATIVE_INFINITY,
      };
      this.quoteStates.set(q.symbol, s);
    }
    if (q.time < s.closedBefore || q.time < s.last) {
      this.stats.lateQuotes++;
      return;
    }
    s.last = q.time;
    if (s.builder.add(q.time, q.bid, q.bidSize, q.ask, q.askSize) > 0) this.emitQuoteBar(s);
  }

  /** Completes quote minutes that ended at least `quoteGraceMs` ago. */
  private flushQuotes(at: number): void {
    const upTo = at - this.quoteGraceMs;
    for (const s of this.quoteStates.values()) {
      if (s.builder.flushUpTo(upTo) > 0) this.emitQuoteBar(s);
      s.closedBefore = Math.max(s.closedBefore, minuteOf(upTo));
    }
  }

  private emitQuoteBar(s: QuoteState): void {
    const series = s.builder.series;
    const bar = series.at(series.length - 1);
    series.clear();
    s.closedBefore = Math.max(s.closedBefore, bar.time + MINUTE_MS);
    this.stats.quoteBars++;
    this.guard(() => this.sink!.quote(bar));
  }

  private malformed(err: Error): void {
    this.stats.malformed++;
    this.report(err);
  }

  /** Runs a sink call; a throwing sink is reported, never allowed to break the socket handler. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.report(asError(err));
    }
  }

  private report(err: Error): void {
    if (this.options.onError) this.options.onError(err);
    else process.stderr.write(`tickwright: ${this.name}: ${err.message}\n`);
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function minuteOf(t: number): number {
  return Math.floor(t / MINUTE_MS) * MINUTE_MS;
}

function nextMinute(t: number): number {
  return minuteOf(t) + MINUTE_MS;
}
