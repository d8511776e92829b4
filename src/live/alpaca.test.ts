import { afterEach, describe, expect, it } from "vitest";
import { SimulatedClock } from "../clock/simulated.js";
import { InvalidArgumentError } from "../model/errors.js";
import { AlpacaFeed, type AlpacaFeedOptions } from "./alpaca.js";
import { AlpacaStreamError, LiveFeedError } from "./errors.js";
import { AlpacaTestServer, RecordingSink } from "./test-support.js";

const servers: AlpacaTestServer[] = [];
const feeds: AlpacaFeed[] = [];
afterEach(async () => {
  for (const f of feeds.splice(0)) await f.stop();
  for (const s of servers.splice(0)) await s.close();
});

async function server(opts: { autoPong?: boolean } = {}): Promise<AlpacaTestServer> {
  const s = await AlpacaTestServer.start(opts);
  servers.push(s);
  return s;
}

/** A feed against the local server: tiny backoff without jitter, no pings, errors collected. */
function feed(
  srv: AlpacaTestServer,
  extra: Partial<AlpacaFeedOptions> = {},
): { feed: AlpacaFeed; errors: Error[] } {
  const errors: Error[] = [];
  const f = new AlpacaFeed({
    key: "test-key",
    secret: "test-secret",
    url: srv.url,
    backoff: { baseMs: 10, maxMs: 40, jitter: 0 },
    pingIntervalMs: 0,
    onError: (e) => errors.push(e),
    ...extra,
  });
  feeds.push(f);
  return { feed: f, errors };
}

const AAPL_BAR = {
  T: "b",
  S: "AAPL",
  o: 126.5,
  h: 126.9,
  l: 126.4,
  c: 126.8,
  v: 5100,
  t: "2021-02-22T15:51:00Z",
  n: 42,
  vw: 126.662,
};
const T_1551 = Date.UTC(2021, 1, 22, 15, 51);

function bar(minute: number, close: number): Record<string, unknown> {
  const t = new Date(T_1551 + minute * 60_000).toISOString().replace(".000Z", "Z");
  return { T: "b", S: "AAPL", o: close - 0.1, h: close + 0.2, l: close - 0.3, c: close, v: 100 + minute, t };
}

/** How long until the clock's next timer (the reconnect delay just scheduled). */
function nextDelay(clock: SimulatedClock): number {
  return clock.nextTimerAt() - clock.now();
}

describe("AlpacaFeed handshake", () => {
  it("connects to /v2/{feed}, authenticates, subscribes every channel and reports connected", async () => {
    const srv = await server();
    const sink = new RecordingSink();
    const { feed: f } = feed(srv, { feed: "sip", channels: ["bars", "trades", "quotes"] });
    await f.start(sink, ["AAPL", "MSFT"]);
    expect(srv.paths).toEqual(["/v2/sip"]);
    expect(srv.received).toEqual([
      { connection: 1, message: { action: "auth", key: "test-key", secret: "test-secret" } },
      {
        connection: 1,
        message: {
          action: "subscribe",
          bars: ["AAPL", "MSFT"],
          trades: ["AAPL", "MSFT"],
          quotes: ["AAPL", "MSFT"],
        },
      },
    ]);
    expect(sink.connections()).toEqual(["connected"]);
    expect(f.state).toBe("streaming");
    expect(f.name).toBe("alpaca:sip");
    expect(f.url).toBe(`${srv.url}/v2/sip`);
  });

  it("subscribes bars only by default on the iex feed", async () => {
    const srv = await server();
    const { feed: f } = feed(srv);
    await f.start(new RecordingSink(), ["SPY"]);
    expect(srv.paths).toEqual(["/v2/iex"]);
    expect(srv.messages("subscribe").map((r) => r.message)).toEqual([{ action: "subscribe", bars: ["SPY"] }]);
  });

  it("rejects start with the provider's 402 auth failed and never reconnects", async () => {
    const srv = await server();
    const clock = new SimulatedClock(T_1551);
    const sink = new RecordingSink();
    const { feed: f } = feed(srv, { secret: "wrong", clock });
    const err = await f.start(sink, ["AAPL"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlpacaStreamError);
    expect((err as AlpacaStreamError).status).toBe(402);
    expect((err as AlpacaStreamError).message).toBe("alpaca stream error 402: auth failed");
    expect((err as AlpacaStreamError).retryable).toBe(false);
    expect(f.state).toBe("failed");
    expect(sink.events).toEqual([]);
    expect(clock.pending()).toBe(0);
    expect(srv.connections).toBe(1);
  });

  it("rejects start when the host does not answer, naming the endpoint", async () => {
    const srv = await server();
    const url = srv.url;
    await srv.close();
    servers.length = 0;
    const f = new AlpacaFeed({ key: "k", secret: "s", url, pingIntervalMs: 0 });
    feeds.push(f);
    const err = await f.start(new RecordingSink(), ["AAPL"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LiveFeedError);
    expect((err as Error).message).toMatch(new RegExp(`^${url}/v2/iex: .*ECONNREFUSED`));
    expect(f.state).toBe("failed");
  });

  it("rejects start after the handshake timeout when the server stays silent", async () => {
    const srv = await server();
    srv.mode = "silent";
    const clock = new SimulatedClock(T_1551);
    const { feed: f } = feed(srv, { clock, handshakeTimeoutMs: 5000 });
    const started = f.start(new RecordingSink(), ["AAPL"]).catch((e: unknown) => e);
    await srv.until((s) => s.connections === 1, "the connection");
    await clock.advanceTo(T_1551 + 5000);
    const err = await started;
    expect((err as Error).message).toBe(`${srv.url}/v2/iex: no subscription within 5000 ms`);
    await srv.until((s) => s.openSockets === 0, "the socket to close");
  });

  it("refuses bad arguments with typed errors", async () => {
    const srv = await server();
    expect(() => new AlpacaFeed({ key: "", secret: "s" })).toThrow(InvalidArgumentError);
    expect(() => new AlpacaFeed({ key: "k", secret: "s", channels: ["news" as "bars"] })).toThrow(
      'unknown alpaca channel "news" (bars, trades, quotes)',
    );
    expect(() => new AlpacaFeed({ key: "k", secret: "s", backoff: { baseMs: 0 } })).toThrow(
      "backoff.baseMs must be positive, got 0",
    );
    const { feed: f } = feed(srv);
    await expect(f.start(new RecordingSink(), [])).rejects.toThrow("alpaca feed: no symbols to subscribe");
    const { feed: g } = feed(srv);
    await g.start(new RecordingSink(), ["AAPL"]);
    await expect(g.start(new RecordingSink(), ["AAPL"])).rejects.toThrow(
      "alpaca feed already started (streaming)",
    );
  });
});

describe("AlpacaFeed data", () => {
  it("delivers minute bars and trades with exact values, skipping types it does not use", async () => {
    const srv = await server();
    const sink = new RecordingSink();
    const { feed: f, errors } = feed(srv, { channels: ["bars", "trades"] });
    await f.start(sink, ["AAPL"]);
    srv.send([
      AAPL_BAR,
      { T: "u", S: "AAPL", o: 1, h: 1, l: 1, c: 1, v: 1, t: "2021-02-22T15:50:00Z" },
      {
        T: "t",
        i: 96921,
        S: "AAPL",
        x: "D",
        p: 126.55,
        s: 1,
        t: "2021-02-22T15:51:44.208123456Z",
        c: ["@", "I"],
        z: "C",
      },
      { T: "s", S: "AAPL", sc: "H", sm: "Trading Halt", t: "2021-02-22T15:51:45Z" },
      { T: "t", S: "AAPL", p: 126.6, s: 300, t: "2021-02-22T10:51:45.5-05:00" },
    ]);
    await sink.until((s) => s.count("tick") === 2, "two ticks");
    expect(sink.events).toEqual([
      { kind: "connection", state: "connected", at: expect.any(Number) },
      {
        kind: "bar",
        bar: {
          symbol: "AAPL",
          time: T_1551,
          open: 126.5,
          high: 126.9,
          low: 126.4,
          close: 126.8,
          volume: 5100,
          trades: 42,
          vwap: 126.662,
        },
      },
      {
        kind: "tick",
        tick: {
          symbol: "AAPL",
          time: T_1551 + 44_208,
          price: 126.55,
          size: 1,
          exchange: "D",
          condition: "@,I",
        },
      },
      { kind: "tick", tick: { symbol: "AAPL", time: T_1551 + 45_500, price: 126.6, size: 300 } },
    ]);
    expect(f.stats).toMatchObject({ bars: 1, trades: 2, ignored: 2, malformed: 0 });
    expect(errors).toEqual([]);
  });

  it("reports a malformed data message to onError and keeps streaming", async () => {
    const srv = await server();
    const sink = new RecordingSink();
    const { feed: f, errors } = feed(srv);
    await f.start(sink, ["AAPL"]);
    srv.sendRaw("not json");
    srv.send([{ ...AAPL_BAR, o: "126.5" }, { ...AAPL_BAR, t: "2021-02-22 15:52" }, bar(2, 127)]);
    await sink.until((s) => s.count("bar") === 1, "the good bar");
    expect(sink.bars().map((b) => b.time)).toEqual([T_1551 + 120_000]);
    expect(errors.map((e) => e.message)).toEqual([
      `${srv.url}/v2/iex: message is not JSON`,
      'alpaca bar AAPL: field "o" must be a finite number, got "126.5"',
      'alpaca bar AAPL: field "t": expected an RFC-3339 timestamp, got "2021-02-22 15:52"',
    ]);
    expect(errors.every((e) => e instanceof LiveFeedError)).toBe(true);
    expect(f.stats.malformed).toBe(3);
    expect(f.state).toBe("streaming");
  });

  it("reports a throwing sink to onError without breaking the stream", async () => {
    const srv = await server();
    const sink = new RecordingSink();
    const origBar = sink.bar.bind(sink);
    let first = true;
    sink.bar = (b) => {
      if (first) {
        first = false;
        throw new Error("strategy blew up");
      }
      origBar(b);
    };
    const { feed: f, errors } = feed(srv);
    await f.start(sink, ["AAPL"]);
    srv.send([bar(0, 100), bar(1, 101)]);
    await sink.until((s) => s.count("bar") === 1, "the second bar");
    expect(sink.bars()[0].close).toBe(101);
    expect(errors.map((e) => e.message)).toEqual(["strategy blew up"]);
  });
});

describe("AlpacaFeed quotes", () => {
  const q = (second: number, bp: number, bs: number, ap: number, as: number) => ({
    T: "q",
    S: "AMD",
    bx: "U",
    bp,
    bs,
    ax: "Q",
    ap,
    as,
    c: ["R"],
    z: "C",
    t: new Date(T_1551 + second * 1000).toISOString(),
  });
  const marker = (second: number) => ({
    T: "t",
    S: "AMD",
    p: 1,
    s: second,
    t: new Date(T_1551 + second * 1000).toISOString(),
  });

  it("builds one-minute quote bars, completing a minute when a later minute's quote arrives", async () => {
    const srv = await server();
    const sink = new RecordingSink();
    const { feed: f } = feed(srv, { channels: ["quotes", "trades"] });
    await f.start(sink, ["AMD"]);
    srv.send([
      q(1, 87.66, 1, 87.68, 3),
      q(30, 87.7, 2, 87.72, 4),
      q(45, 87.6, 5, 87.65, 6),
      q(62, 87.61, 7, 87.64, 8),
    ]);
    await sink.until((s) => s.count("quote") === 1, "the 15:51 quote bar");
    srv.send([q(50, 90, 1, 91, 1), q(61, 90, 1, 91, 1), q(121, 87.5, 9, 87.9, 10), marker(121)]);
    await sink.until((s) => s.count("tick") === 1, "the marker");
    expect(sink.events.filter((e) => e.kind === "quote")).toEqual([
      {
        kind: "quote",
        quote: {
          symbol: "AMD",
          time: T_1551,
          bidOpen: 87.66,
          bidHigh: 87.7,
          bidLow: 87.6,
          bidClose: 87.6,
          bidSize: 5,
          askOpen: 87.68,
          askHigh: 87.72,
          askLow: 87.65,
          askClose: 87.65,
          askSize: 6,
        },
      },
      {
        // 15:52 opens at the quote standing when it began (15:51:45's), as LEAN does.
        kind: "quote",
        quote: {
          symbol: "AMD",
          time: T_1551 + 60_000,
          bidOpen: 87.6,
          bidHigh: 87.61,
          bidLow: 87.6,
          bidClose: 87.61,
          bidSize: 7,
          askOpen: 87.65,
          askHigh: 87.65,
          askLow: 87.64,
          askClose: 87.64,
          askSize: 8,
        },
      },
    ]);
    expect(f.stats).toMatchObject({ quotes: 7, quoteBars: 2, lateQuotes: 2 });
  });

  it("completes the last quote minute on the clock once the grace period has passed", async () => {
    const srv = await server();
    const clock = new SimulatedClock(T_1551 + 500);
    const sink = new RecordingSink();
    const { feed: f } = feed(srv, { channels: ["quotes", "trades"], clock, quoteGraceMs: 2000 });
    await f.start(sink, ["AMD"]);
    srv.send([q(10, 87.66, 1, 87.68, 3), marker(10)]);
    await sink.until((s) => s.count("tick") === 1, "the first marker");
    await clock.advanceTo(T_1551 + 61_999);
    expect(sink.count("quote")).toBe(0);
    await clock.advanceTo(T_1551 + 62_000);
    expect(
      sink.events.filter((e) => e.kind === "quote").map((e) => e.kind === "quote" && e.quote.time),
    ).toEqual([T_1551]);
    srv.send([q(59, 80, 1, 81, 1), marker(63)]);
    await sink.until((s) => s.count("tick") === 2, "the second marker");
    expect(sink.count("quote")).toBe(1);
    expect(f.stats.lateQuotes).toBe(1);
  });
});

describe("AlpacaFeed reconnect", () => {
  it("reports a dropped connection, reconnects, re-authenticates, re-subscribes and delivers later bars", async () => {
    const srv = await server();
    const sink = new RecordingSink();
    const { feed: f, errors } = feed(srv);
    await f.start(sink, ["AAPL", "MSFT"]);
    srv.send([bar(0, 100)]);
    await sink.until((s) => s.count("bar") === 1, "the first bar");
    srv.drop();
    await sink.until((s) => s.connections().length === 3, "disconnected then connected");
    expect(sink.connections()).toEqual(["connected", "disconnected", "connected"]);
    const disconnected = sink.events.find((e) => e.kind === "connection" && e.state === "disconnected");
    expect(disconnected).toMatchObject({ detail: "closed with code 1006" });
    expect(srv.received.filter((r) => r.connection === 2).map((r) => r.message)).toEqual([
      { action: "auth", key: "test-key", secret: "test-secret" },
      { action: "subscribe", bars: ["AAPL", "MSFT"] },
    ]);
    srv.send([bar(3, 103)]);
    await sink.until((s) => s.count("bar") === 2, "the bar after the reconnect");
    expect(sink.bars().map((b) => [b.time, b.close])).toEqual([
      [T_1551, 100],
      [T_1551 + 180_000, 103],
    ]);
    expect(f.stats).toMatchObject({ connects: 2, disconnects: 1, reconnectAttempts: 1 });
    expect(f.state).toBe("streaming");
    expect(errors).toEqual([]);
  });

  it("backs off exponentially up to the maximum while reconnects fail, then resets on success", async () => {
    const srv = await server();
    const clock = new SimulatedClock(T_1551);
    const sink = new RecordingSink();
    const { feed: f } = feed(srv, { clock });
    await f.start(sink, ["AAPL"]);
    srv.mode = "connection-limit";
    srv.drop();
    await sink.until((s) => s.connections().length === 2, "the disconnect");
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      delays.push(nextDelay(clock));
      expect(f.state).toBe("reconnecting");
      await clock.advanceTo(clock.nextTimerAt());
    }
    expect(delays).toEqual([10, 20, 40, 40]);
    expect(srv.connections).toBe(5);
    expect(sink.connections()).toEqual(["connected", "disconnected"]);
    srv.mode = "normal";
    await clock.advanceTo(clock.nextTimerAt());
    expect(sink.connections()).toEqual(["connected", "disconnected", "connected"]);
    srv.drop();
    await sink.until((s) => s.connections().length === 4, "the second disconnect");
    expect(nextDelay(clock)).toBe(10);
  });

  it("applies jitter from the injected random source", async () => {
    const srv = await server();
    const clock = new SimulatedClock(T_1551);
    const sink = new RecordingSink();
    const { feed: f } = feed(srv, {
      clock,
      backoff: { baseMs: 100, maxMs: 1000, jitter: 0.5, random: () => 0.5 },
    });
    await f.start(sink, ["AAPL"]);
    srv.mode = "connection-limit";
    srv.drop();
    await sink.until((s) => s.connections().length === 2, "the disconnect");
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      delays.push(nextDelay(clock));
      await clock.advanceTo(clock.nextTimerAt());
    }
    expect(delays).toEqual([75, 150, 300]);
  });

  it("gives up after maxReconnects failures in a row and says why", async () => {
    const srv = await server();
    const clock = new SimulatedClock(T_1551);
    const { feed: f, errors } = feed(srv, { clock, maxReconnects: 2 });
    const sink = new RecordingSink();
    await f.start(sink, ["AAPL"]);
    srv.mode = "connection-limit";
    srv.drop();
    await sink.until((s) => s.connections().length === 2, "the disconnect");
    await clock.advanceTo(clock.nextTimerAt());
    await clock.advanceTo(clock.nextTimerAt());
    expect(f.state).toBe("failed");
    expect(clock.pending()).toBe(0);
    expect(errors.map((e) => e.message)).toEqual([
      `${srv.url}/v2/iex: gave up after 2 reconnect attempts: alpaca stream error 406: connection limit exceeded`,
    ]);
  });

  it("stops reconnecting on a fatal provider error (402) after a reconnect", async () => {
    const srv = await server();
    const clock = new SimulatedClock(T_1551);
    const { feed: f, errors } = feed(srv, { clock });
    const sink = new RecordingSink();
    await f.start(sink, ["AAPL"]);
    srv.acceptAuth = false;
    srv.drop();
    await sink.until((s) => s.connections().length === 2, "the disconnect");
    await clock.advanceTo(clock.nextTimerAt());
    expect(f.state).toBe("failed");
    expect(clock.pending()).toBe(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(AlpacaStreamError);
    expect((errors[0] as AlpacaStreamError).status).toBe(402);
    expect(srv.connections).toBe(2);
  });

  it("drops a connection whose pings go unanswered and reconnects", async () => {
    const srv = await server({ autoPong: false });
    const clock = new SimulatedClock(T_1551);
    const sink = new RecordingSink();
    const { feed: f } = feed(srv, { clock, pingIntervalMs: 1000 });
    await f.start(sink, ["AAPL"]);
    await clock.advanceTo(T_1551 + 1000);
    await srv.until((s) => s.pings === 1, "the ping");
    await clock.advanceTo(T_1551 + 2000);
    await sink.until((s) => s.connections().length === 2, "the disconnect");
    expect(sink.events[1]).toEqual({
      kind: "connection",
      state: "disconnected",
      at: T_1551 + 2000,
      detail: "closed with code 1006",
    });
    expect(nextDelay(clock)).toBe(10);
    await clock.advanceTo(clock.nextTimerAt());
    expect(sink.connections()).toEqual(["connected", "disconnected", "connected"]);
    expect(f.state).toBe("streaming");
  });
});

describe("AlpacaFeed stop", () => {
  it("closes the socket with a normal close, reports nothing more and leaves no timer", async () => {
    const srv = await server();
    const clock = new SimulatedClock(T_1551);
    const sink = new RecordingSink();
    const { feed: f } = feed(srv, { clock, pingIntervalMs: 1000, channels: ["bars", "quotes"] });
    await f.start(sink, ["AAPL"]);
    expect(clock.pending()).toBe(2);
    await f.stop();
    await srv.until((s) => s.closed.length === 1, "the close");
    expect(srv.closed).toEqual([{ connection: 1, code: 1000 }]);
    expect(f.state).toBe("stopped");
    expect(clock.pending()).toBe(0);
    expect(sink.connections()).toEqual(["connected"]);
    await f.stop();
  });

  it("cancels a pending reconnect when stopped during the backoff", async () => {
    const srv = await server();
    const clock = new SimulatedClock(T_1551);
    const sink = new RecordingSink();
    const { feed: f } = feed(srv, { clock });
    await f.start(sink, ["AAPL"]);
    srv.drop();
    await sink.until((s) => s.connections().length === 2, "the disconnect");
    expect(clock.pending()).toBe(1);
    await f.stop();
    expect(clock.pending()).toBe(0);
    expect(f.state).toBe("stopped");
    expect(srv.connections).toBe(1);
    expect(sink.connections()).toEqual(["connected", "disconnected"]);
  });

  it("rejects a start still in its handshake when stopped", async () => {
    const srv = await server();
    srv.mode = "silent";
    const clock = new SimulatedClock(T_1551);
    const { feed: f } = feed(srv, { clock });
    const started = f.start(new RecordingSink(), ["AAPL"]).catch((e: unknown) => e);
    await srv.until((s) => s.connections === 1, "the connection");
    await f.stop();
    expect(((await started) as Error).message).toBe("alpaca feed stopped before it connected");
    expect(f.state).toBe("stopped");
    expect(clock.pending()).toBe(0);
  });
});
