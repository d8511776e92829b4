import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { SessionTableBuilder, TableCalendar } from "../calendar/index.js";
import { createEngine, type Engine } from "../engine/index.js";
import type { GapEvent, LiveFeed, LiveSink } from "../engine/types.js";
import { type Bar, BarFlag, barsToColumns } from "../model/bar.js";
import { DAY_MS, MINUTE_MS } from "../model/time.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import type { BarSource } from "../upkeep/upkeep.js";
import { AlpacaFeed } from "./alpaca.js";
import { AlpacaBarSource } from "./alpaca-rest.js";
import { AlpacaTestServer, Changes } from "./test-support.js";

/**
 * End to end on the wall clock: the engine in live mode takes minute bars from AlpacaFeed
 * talking to a local Alpaca-protocol server. The server sends M0..M5, drops the connection,
 * and after the reconnect sends M8, M9: M6 and M7 were missed. The repository holds M6, M7
 * (and minutes after M9, should the test run across a minute boundary), or a local Alpaca
 * REST endpoint does; upkeep finds the gap and fills it, and quality returns to 100%. Bar times are recent minutes, relative to now, in
 * a one-session calendar that began at M0.
 */

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A calendar with one session [open, open + 2 h), no extended hours. */
function oneSession(open: number): TableCalendar {
  const day = Math.floor(open / DAY_MS);
  const table = new SessionTableBuilder();
  table.push(day, open, open, open + 120 * MINUTE_MS, open + 120 * MINUTE_MS);
  return new TableCalendar("test-live", "UTC", table.build("test-live"), day - 1, day + 1);
}

function bar(m0: number, k: number): Bar {
  const p = 100 + k;
  return {
    symbol: "AAPL",
    time: m0 + k * MINUTE_MS,
    open: p,
    high: p + 0.5,
    low: p - 0.5,
    close: p + 0.25,
    volume: 1000 + k,
  };
}

function wire(b: Bar): Record<string, unknown> {
  return {
    T: "b",
    S: b.symbol,
    o: b.open,
    h: b.high,
    l: b.low,
    c: b.close,
    v: b.volume,
    t: new Date(b.time).toISOString(),
  };
}

/** Wraps a live feed to record the connection reports the engine receives. */
function tapped(inner: LiveFeed, seen: string[], changes: Changes): LiveFeed {
  return {
    name: inner.name,
    stop: () => inner.stop(),
    start: (sink: LiveSink, symbols: readonly string[]) =>
      inner.start(
        {
          bar: (b) => sink.bar(b),
          quote: (q) => sink.quote(q),
          tick: (t) => sink.tick(t),
          connection: (state, at, detail) => {
            seen.push(state);
            sink.connection(state, at, detail);
            changes.notify();
          },
        },
        symbols,
      ),
  };
}

/** Bars the "provider" recorded: M6, M7 and the minutes after M9 (never M0..M5, M8, M9). */
function recorded(m0: number): Bar[] {
  return [6, 7, ...Array.from({ length: 30 }, (_, i) => 10 + i)].map((k) => bar(m0, k));
}

/** A local Alpaca REST bars endpoint serving `bars` (single page, filtered to [start, end]). */
async function restEndpoint(bars: Bar[]): Promise<{ url: string; requests: number }> {
  const state = { url: "", requests: 0 };
  const server = createServer((req, res) => {
    state.requests++;
    const q = new URL(req.url ?? "/", "http://x").searchParams;
    const from = Date.parse(q.get("start") ?? "");
    const to = Date.parse(q.get("end") ?? "");
    const page = bars
      .filter((b) => b.time >= from && b.time <= to)
      .map((b) => ({
        t: new Date(b.time).toISOString(),
        o: b.open,
        h: b.high,
        l: b.low,
        c: b.close,
        v: b.volume,
      }));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ bars: page, symbol: "AAPL", next_page_token: null }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/**
 * Runs the scenario: M0..M5 streamed, the connection dropped, M8, M9 streamed after the
 * reconnect; resolves once upkeep has filled M6, M7 from `barSource` (default: the repository).
 */
async function scenario(m0: number, repo: Repository, barSource?: BarSource) {
  const server = await AlpacaTestServer.start();
  cleanup.push(() => server.close());
  const engine: Engine = await createEngine(
    {
      mode: "live",
      db: ":memory:",
      symbols: ["AAPL"],
      derived: { intervals: ["5m"] },
      upkeep: { intervalSeconds: 0.5, backoffSeconds: 0.1, maxRetries: 50 },
      history: { sessions: 0, dailyBars: 0 },
    },
    { repository: repo, calendar: oneSession(m0), ...(barSource ? { barSource } : {}) },
  );
  cleanup.push(() => engine.stop());

  const changes = new Changes();
  const bars: number[] = [];
  const filled: GapEvent[] = [];
  const connections: string[] = [];
  engine.on("bar", (b) => {
    if (b.interval === "1m") bars.push(b.time);
    changes.notify();
  });
  engine.on("gapFilled", (g) => {
    filled.push(g);
    changes.notify();
  });
  const feed = new AlpacaFeed({
    key: "test-key",
    secret: "test-secret",
    url: server.url,
    backoff: { baseMs: 10, maxMs: 40, jitter: 0 },
    pingIntervalMs: 0,
  });
  await engine.startLive(tapped(feed, connections, changes));
  expect(connections).toEqual(["connected"]);

  server.send([0, 1, 2, 3, 4, 5].map((k) => wire(bar(m0, k))));
  await changes.until(() => bars.length === 6, "M0..M5 through the engine");
  server.drop();
  await server.until((s) => s.subscriptions === 2, "the re-subscription");
  server.send([8, 9].map((k) => wire(bar(m0, k))));

  const covered = (t: number) => filled.some((g) => g.symbol === "AAPL" && g.start <= t && t < g.end);
  await changes.until(
    () =>
      bars.length === 8 &&
      covered(m0 + 6 * MINUTE_MS) &&
      covered(m0 + 7 * MINUTE_MS) &&
      engine.session.metrics("AAPL").barQuality === 100,
    "M6 and M7 filled and quality back at 100%",
  );
  expect(connections).toEqual(["connected", "disconnected", "connected"]);
  expect(bars.slice(0, 8)).toEqual([0, 1, 2, 3, 4, 5, 8, 9].map((k) => m0 + k * MINUTE_MS));
  const session = engine.session.lastBars("AAPL", 1000).filter((b) => b.time < m0 + 10 * MINUTE_MS);
  expect(session.map((b) => [(b.time - m0) / MINUTE_MS, b.close, b.flags])).toEqual(
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => [k, 100.25 + k, k === 6 || k === 7 ? BarFlag.Filled : 0]),
  );
  const m = engine.session.metrics("AAPL");
  expect(m.barQuality).toBe(100);
  expect(m.gaps.open).toBe(0);
  expect(m.gaps.filled).toBeGreaterThanOrEqual(1);
  expect(engine.health().components.engine.details.connection).toMatchObject({ state: "connected" });
  expect(feed.stats).toMatchObject({ connects: 2, disconnects: 1, bars: 8 });
  expect(engine.rejections().byReason).toEqual({});
}

describe("live engine with AlpacaFeed", () => {
  it("fills the minutes a dropped connection missed from the repository and returns to 100% quality", async () => {
    const m0 = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 10 * MINUTE_MS;
    const repo = await openRepository(":memory:");
    cleanup.push(() => repo.close());
    await repo.writeBars("1m", barsToColumns(recorded(m0)));
    await scenario(m0, repo);
  });

  it("fills them from the provider's REST bars endpoint when that is the bar source", async () => {
    const m0 = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 10 * MINUTE_MS;
    const repo = await openRepository(":memory:");
    cleanup.push(() => repo.close());
    const rest = await restEndpoint(recorded(m0));
    await scenario(m0, repo, new AlpacaBarSource({ key: "k", secret: "s", dataUrl: rest.url }));
    expect(rest.requests).toBeGreaterThanOrEqual(1);
    expect(await repo.coverage()).toEqual([]);
  });
});
