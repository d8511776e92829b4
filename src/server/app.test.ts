import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { configSchema } from "../config/schema.js";
import { createEngine, type Engine } from "../engine/engine.js";
import { ingest } from "../ingest/index.js";
import { ConfigError } from "../model/errors.js";
import { openRepository, type Repository } from "../store/index.js";
import { hasSharedData, LEAN_ROOT, skipWithout } from "../testing/deps.js";
import { buildServer } from "./app.js";
import { startServer } from "./listen.js";
import { startServe } from "./serve.js";

const xnys = getCalendar("XNYS");
const DATES = ["2013-10-04", "2013-10-07", "2013-10-08", "2013-10-09", "2013-10-10", "2013-10-11"];
const TOKEN = "a-test-token-of-32-characters-xx";

/** Ingests SPY's LEAN minute files (six sessions) and, with `daily`, its vendor daily bars. */
async function ingestSpy(repo: Repository, daily: boolean): Promise<void> {
  const paths = [resolve(LEAN_ROOT, "equity/usa/minute/spy")];
  if (daily) paths.push(resolve(LEAN_ROOT, "equity/usa/daily/spy.zip"));
  const summary = await ingest(paths, { format: "lean", repository: repo });
  expect(summary.failed).toEqual([]);
}

/**
 * Parses Prometheus text exposition; throws naming the first line that is not valid. NaN in
 * any case, as Prometheus reads it: prom-client writes "Nan" (a mean of no samples yet).
 */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const sample =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|Inf|[Nn][Aa][Nn]|\+Inf))( \d+)?$/;
  const help = /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]*( .*)?$/;
  const types = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      if (!help.test(line)) throw new Error(`bad comment line: ${line}`);
      if (line.startsWith("# TYPE") && !types.has(line.split(" ")[3])) throw new Error(`bad type: ${line}`);
      continue;
    }
    const m = sample.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    samples.set(`${m[1]}${m[2] ?? ""}`, Number(m[3]));
  }
  return samples;
}

describe.skipIf(skipWithout("../shared/data", hasSharedData()))("HTTP API over real SPY data", () => {
  let repo: Repository;
  let engine: Engine;
  let app: FastifyInstance;

  beforeAll(async () => {
    repo = await openRepository(":memory:");
    await ingestSpy(repo, true);
    engine = await createEngine(
      { symbols: ["SPY"], from: "2013-10-07", to: "2013-10-08", derived: { intervals: ["5m", "15m"] } },
      { repository: repo, calendar: xnys },
    );
    app = buildServer({ engine, defaultMetrics: false });
    await engine.run();
  });

  afterAll(async () => {
    await app?.close();
    await engine?.close();
    await repo?.close();
  });

  const get = async (url: string) => {
    const r = await app.inject({ method: "GET", url });
    return { status: r.statusCode, body: r.json(), headers: r.headers };
  };

  it("serves 78 stored five-minute bars of 2013-10-07, derived from the minutes, 09:30 to 15:55 New York", async () => {
    const r = await get("/api/bars?symbol=SPY&interval=5m&from=2013-10-07&to=2013-10-07");
    expect(r.status).toBe(200);
    expect(r.body.source).toBe("derived");
    expect(r.body.bars.length).toBe(78);
    const bars = r.body.bars as {
      time: number;
      open: number;
      close: number;
      volume: number;
      count: number;
    }[];
    expect(bars[0].time).toBe(Date.UTC(2013, 9, 7, 13, 30));
    expect(bars[77].time).toBe(Date.UTC(2013, 9, 7, 19, 55));
    expect([bars[0].open, bars[77].close]).toEqual([167.43, 167.42]);
    expect(bars.reduce((s, b) => s + b.volume, 0)).toBe(81_489_219);
    expect(bars.every((b) => b.count === 5)).toBe(true);
  });

  it("serves one-minute bars of the regular session (390) or, with extended=true, all 828", async () => {
    const regular = await get("/api/bars?symbol=SPY&interval=1m&from=2013-10-07&to=2013-10-07");
    expect(regular.body.bars.length).toBe(390);
    const all = await get("/api/bars?symbol=SPY&interval=1m&from=2013-10-07&to=2013-10-07&extended=true");
    expect(all.body.bars.length).toBe(828);
  });

  it("serves 468 five-minute bars over the six stored sessions 2013-10-04..11", async () => {
    const r = await get("/api/bars?symbol=SPY&interval=5m&from=2013-10-04&to=2013-10-11");
    expect(r.body.bars.length).toBe(6 * 78);
  });

  it("serves stored daily bars as stored (the vendor's 2013-10-08 low is 165.37, the minutes' 165.36)", async () => {
    const r = await get("/api/bars?symbol=SPY&interval=1d&from=2013-10-07&to=2013-10-08");
    expect(r.body.source).toBe("stored");
    const [mon, tue] = r.body.bars;
    expect([mon.open, mon.high, mon.low, mon.close, mon.volume]).toEqual([
      167.43, 168.45, 167.25, 167.42, 81_489_219,
    ]);
    expect(tue.low).toBe(165.37);
  });

  it("serves the last n bars from the session data, reaching into history after the roll", async () => {
    const r = await get("/api/bars?symbol=SPY&interval=5m&n=3");
    expect(r.status).toBe(200);
    expect(r.body.source).toBe("session");
    expect(r.body.bars.map((b: { time: number }) => b.time)).toEqual([
      Date.UTC(2013, 9, 8, 19, 45),
      Date.UTC(2013, 9, 8, 19, 50),
      Date.UTC(2013, 9, 8, 19, 55),
    ]);
  });

  it("answers 400 naming the field for a bad interval, an unknown symbol, bad dates and unknown parameters", async () => {
    const cases: [string, string][] = [
      ["/api/bars?symbol=SPY&interval=7x&from=2013-10-07&to=2013-10-07", "interval"],
      ["/api/bars?symbol=SPY&interval=7m&from=2013-10-07&to=2013-10-07", "interval"],
      ["/api/bars?symbol=NOPE&interval=5m&from=2013-10-07&to=2013-10-07", "symbol"],
      ["/api/bars?symbol=NOPE&interval=5m&n=10", "symbol"],
      ["/api/bars?symbol=<script>&interval=5m&n=10", "symbol"],
      ["/api/bars?interval=5m&n=10", "symbol"],
      ["/api/bars?symbol=SPY&interval=5m&from=2013-02-30&to=2013-10-07", "from"],
      ["/api/bars?symbol=SPY&interval=5m&from=2013-10-08&to=2013-10-07", "from"],
      ["/api/bars?symbol=SPY&interval=5m&from=2013-10-07", "to"],
      ["/api/bars?symbol=SPY&interval=5m", "n"],
      ["/api/bars?symbol=SPY&interval=5m&n=0", "n"],
      ["/api/bars?symbol=SPY&interval=5m&n=2.5", "n"],
      ["/api/bars?symbol=SPY&interval=5m&n=5&from=2013-10-07&to=2013-10-07", "n"],
      ["/api/bars?symbol=SPY&interval=1m&from=2012-01-01&to=2013-10-07", "to"],
      ["/api/bars?symbol=SPY&interval=5m&n=5&limit=3", "limit"],
      ["/api/metrics/NOPE", "symbol"],
      ["/api/sessions?calendar=MARS&from=2013-10-07&to=2013-10-11", "calendar"],
      ["/api/sessions?calendar=/etc/cal.json&from=2013-10-07&to=2013-10-11", "calendar"],
      ["/api/sessions?from=2013-10-07", "to"],
      ["/api/events?intervals=5x", "intervals"],
    ];
    for (const [url, field] of cases) {
      const r = await get(url);
      expect({ url, status: r.status, field: r.body.field }).toEqual({ url, status: 400, field });
      expect(typeof r.body.error).toBe("string");
    }
  });

  it("answers /health 200 with the engine's report", async () => {
    const r = await get("/health");
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("ok");
    expect(Object.keys(r.body.components)).toContain("session");
  });

  it("is ready once a session has started", async () => {
    const r = await get("/ready");
    expect(r.status).toBe(200);
    expect(r.body.ready).toBe(true);
  });

  it("serves valid Prometheus text with the bars processed by interval", async () => {
    const r = await app.inject({ method: "GET", url: "/metrics" });
    expect(r.statusCode).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(r.body);
    expect(samples.get('tickwright_bars_processed_total{interval="1m"}')).toBe(780);
    expect(samples.get('tickwright_bars_processed_total{interval="5m"}')).toBe(156);
    expect(samples.get('tickwright_bars_processed_total{interval="15m"}')).toBe(52);
    expect(samples.get('tickwright_boundaries_total{type="roll"}')).toBe(2);
    expect(samples.get("tickwright_gaps_found_total")).toBe(0);
    expect(samples.get("tickwright_symbols_active")).toBe(1);
    expect(samples.get('tickwright_health_status{component="overall"}')).toBe(0);
    expect([...samples.keys()].every((k) => k.startsWith("tickwright_"))).toBe(true);
    expect(samples.get("tickwright_upkeep_cycle_duration_seconds_count")).toBe(1);
    expect(samples.get("tickwright_prefetch_load_seconds_count")).toBe(2);
  });

  it("lists sessions of the engine's calendar and of a named one", async () => {
    const r = await get("/api/sessions?from=2013-10-04&to=2013-10-11");
    expect(r.body.calendar).toBe("XNYS");
    expect(r.body.sessions.map((s: { date: string }) => s.date)).toEqual(DATES);
    expect(r.body.sessions[1].open).toBe(Date.UTC(2013, 9, 7, 13, 30));
    const always = await get("/api/sessions?calendar=24/7&from=2013-10-05&to=2013-10-06");
    expect(always.body.sessions.length).toBe(2);
  });

  it("lists the active symbols with their session figures", async () => {
    const r = await get("/api/symbols");
    expect(r.body.calendar).toBe("XNYS");
    expect(r.body.symbols.map((s: { symbol: string }) => s.symbol)).toEqual(["SPY"]);
    expect(r.body.symbols[0].last.time).toBe(Date.UTC(2013, 9, 8, 19, 59));
  });

  it("serves a symbol's metrics", async () => {
    const r = await get("/api/metrics/SPY");
    expect(r.status).toBe(200);
    expect(r.body.symbol).toBe("SPY");
    expect(r.body.barQuality).toBe(100);
  });

  it("computes the quality heatmap over the planned sessions: every minute present", async () => {
    const r = await get("/api/quality");
    expect(r.body.dates).toEqual(["2013-10-07", "2013-10-08"]);
    expect(r.body.quality).toEqual([[100, 100]]);
    expect(r.body.gaps).toEqual([[0, 0]]);
  });

  it("serves the dashboard page, its script and the installed charting library", async () => {
    const page = await app.inject({ method: "GET", url: "/" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.body).toContain('<div id="chart"');
    const lib = await app.inject({ method: "GET", url: "/vendor/lightweight-charts.js" });
    expect(lib.statusCode).toBe(200);
    expect(lib.body).toContain("LightweightCharts");
  });

  it("answers unknown routes 404 as JSON", async () => {
    const r = await get("/api/nope");
    expect(r.status).toBe(404);
    expect(r.body.error).toBe("no route GET /api/nope");
  });
});

describe.skipIf(skipWithout("../shared/data", hasSharedData()))("tickwright serve over a DuckDB file", () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tickwright-serve-"));
    const repo = await openRepository(join(dir, "x.duckdb"));
    await ingestSpy(repo, false);
    await repo.close();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("replays the stored range while answering /health, /metrics and /api/bars over real HTTP", async () => {
    const config = configSchema.parse({ db: join(dir, "x.duckdb"), server: { port: 0 }, allSymbols: true });
    const h = await startServe(config, { logger: false });
    try {
      expect(h.engine.plannedSessions().map((s) => s.date)).toEqual(DATES);
      expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${h.url}/health`);
      expect(health.status).toBe(200);
      const metrics = await fetch(`${h.url}/metrics`);
      parsePrometheus(await metrics.text());
      const bars = await fetch(`${h.url}/api/bars?symbol=SPY&interval=5m&from=2013-10-07&to=2013-10-07`);
      expect(((await bars.json()) as { bars: unknown[] }).bars.length).toBe(78);
      const bad = await fetch(`${h.url}/api/bars?symbol=SPY&interval=bad&from=2013-10-07&to=2013-10-07`);
      expect(bad.status).toBe(400);
      const unknown = await fetch(`${h.url}/api/bars?symbol=QQQ&interval=5m&from=2013-10-07&to=2013-10-07`);
      expect(unknown.status).toBe(400);
      const summary = await h.replay;
      expect(summary?.barsIn).toBe(6 * 390);
      const after = await fetch(`${h.url}/api/bars?symbol=SPY&interval=15m&n=2`);
      expect(((await after.json()) as { bars: { time: number }[] }).bars.map((b) => b.time)).toEqual([
        Date.UTC(2013, 9, 11, 19, 30),
        Date.UTC(2013, 9, 11, 19, 45),
      ]);
    } finally {
      await h.close();
    }
  });
});

describe.skipIf(skipWithout("../shared/data", hasSharedData()))("bearer token", () => {
  let repo: Repository;
  let engine: Engine;

  beforeAll(async () => {
    repo = await openRepository(":memory:");
    await ingestSpy(repo, false);
    engine = await createEngine(
      { symbols: ["SPY"], from: "2013-10-07", to: "2013-10-07" },
      { repository: repo },
    );
  });

  afterAll(async () => {
    await engine?.close();
    await repo?.close();
  });

  it("refuses to bind beyond loopback without a token", async () => {
    await expect(startServer({ engine, host: "0.0.0.0", port: 0, defaultMetrics: false })).rejects.toThrow(
      ConfigError,
    );
  });

  it("requires the token on every route when one is set, compared exactly", async () => {
    const app = buildServer({ engine, token: TOKEN, defaultMetrics: false });
    try {
      for (const url of [
        "/health",
        "/metrics",
        "/api/symbols",
        "/api/bars?symbol=SPY&n=1",
        "/dashboard/app.js",
      ]) {
        const none = await app.inject({ method: "GET", url });
        expect({ url, status: none.statusCode }).toEqual({ url, status: 401 });
        const wrong = await app.inject({
          method: "GET",
          url,
          headers: { authorization: `Bearer ${TOKEN}x` },
        });
        expect({ url, status: wrong.statusCode }).toEqual({ url, status: 401 });
      }
      const ok = await app.inject({
        method: "GET",
        url: "/health",
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(ok.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it("lets a browser sign in at / and then uses the cookie", async () => {
    const app = buildServer({ engine, token: TOKEN, defaultMetrics: false });
    try {
      const page = await app.inject({ method: "GET", url: "/" });
      expect(page.statusCode).toBe(401);
      expect(page.body).toContain('action="/login"');
      const bad = await app.inject({
        method: "POST",
        url: "/login",
        payload: "token=nope",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      expect(bad.statusCode).toBe(401);
      const login = await app.inject({
        method: "POST",
        url: "/login",
        payload: `token=${TOKEN}`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      expect(login.statusCode).toBe(303);
      const cookie = String(login.headers["set-cookie"]).split(";")[0];
      const dash = await app.inject({ method: "GET", url: "/", headers: { cookie } });
      expect(dash.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it("binds beyond loopback with a token and answers only with it", async () => {
    const server = await startServer({
      engine,
      host: "0.0.0.0",
      port: 0,
      token: TOKEN,
      defaultMetrics: false,
    });
    try {
      const port = new URL(server.url).port;
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(401);
      const ok = await fetch(`http://127.0.0.1:${port}/health`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(ok.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
