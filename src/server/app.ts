import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from "fastify";
import { LRUCache } from "lru-cache";
import { Registry } from "prom-client";
import type { Adjustment } from "../actions/index.js";
import { getCalendar } from "../calendar/index.js";
import type { Calendar } from "../calendar/types.js";
import type { Engine } from "../engine/engine.js";
import type { SessionBar } from "../model/bar.js";
import { InvalidArgumentError, UnknownSymbolError } from "../model/errors.js";
import { parseInterval } from "../model/interval.js";
import type { BarSeries } from "../model/series.js";
import type { Repository } from "../store/types.js";
import { bearerToken, cookieValue, TOKEN_COOKIE, tokenMatches } from "./auth.js";
import { type DashboardAssets, loadDashboard, loginPage } from "./dashboard.js";
import { GapLog } from "./gap-log.js";
import { type ComponentHealth, type Health, HealthCache, type HealthStatus } from "./health.js";
import { EngineMetrics } from "./metrics.js";
import {
  BadRequestError,
  barsQuery,
  checkSpan,
  eventsQuery,
  gapsQuery,
  parseParams,
  qualityQuery,
  sessionsQuery,
  symbolPath,
} from "./params.js";
import { MAX_QUALITY_CELLS, recentSessions } from "./quality.js";
import { BusyError } from "./read-limit.js";
import { RecentBodies } from "./recent-bodies.js";
import { SessionRecord } from "./session-record.js";
import { EventBroadcaster } from "./sse.js";
import { StoredReads } from "./stored-reads.js";

/** What `buildServer` serves. */
export interface ServerOptions {
  engine: Engine;
  /** Where stored bars are read (default: the engine's repository). */
  repository?: Repository;
  /** The calendar of `/api/sessions` without `calendar` and of stored ranges (default: the engine's). */
  calendar?: Calendar;
  /** Bearer token; when set every route requires it (header, or the dashboard's login cookie). */
  token?: string;
  /** `false` (default) for no logs, `true` or pino options for fastify's pino logger, or a pino logger. */
  logger?: boolean | { level?: string } | FastifyBaseLogger;
  /** Prometheus process/Node.js metrics (event-loop lag, heap). Default true. */
  defaultMetrics?: boolean;
  /** Bytes an `/api/events` client may have queued before it is dropped. Default 1 MiB. */
  sseMaxBufferedBytes?: number;
  /** More components for `/health` beside the engine's (a bus shard's consumer), read per request. */
  components?: () => Record<string, ComponentHealth>;
  /** More Prometheus series for `/metrics` beside the engine's (names must not collide). */
  registry?: Registry;
}

/** Longest from..to span of a stored-bars request, in days: intraday and daily intervals. */
export const MAX_SPAN_DAYS = { intraday: 366, daily: 366 * 40 };
/** The most bars a stored-range `/api/bars` request may cover (its sessions' minutes / the interval). */
export const MAX_RANGE_BARS = 20_000;
/** The most gaps one `/api/gaps` answer lists (the newest). */
export const MAX_GAPS_ANSWER = 5000;
/** How long answers read from the store are kept (another process may write it). */
const STORE_ANSWER_TTL_MS = 60_000;
const JSON_TYPE = "application/json; charset=utf-8";

/**
 * The HTTP server of one engine (fastify, pino logs): health, readiness, Prometheus metrics,
 * the query API, live events and the dashboard. Every parameter is validated (400 with
 * `{ error, field }`); with a token every route requires `Authorization: Bearer <token>`.
 * Not yet listening: call `app.listen` (or use `startServer`, which refuses to bind beyond
 * loopback without a token), or `app.inject` in tests.
 */
export function buildServer(opts: ServerOptions): FastifyInstance {
  const { engine, token } = opts;
  const repository = opts.repository ?? engine.repository;
  const calendar = opts.calendar ?? engine.calendar;
  const app = Fastify(loggerOption(opts.logger));
  const healthCache = new HealthCache(engine);
  const readHealth = (): { health: Health; body: string } => {
    const kept = healthCache.read();
    if (!opts.components) return kept;
    const health = withComponents(kept.health, opts.components());
    return { health, body: JSON.stringify(health) };
  };
  const metrics = new EngineMetrics(engine, {
    defaultMetrics: opts.defaultMetrics,
    health: () => readHealth().health,
  });
  const registry = opts.registry ? Registry.merge([metrics.registry, opts.registry]) : metrics.registry;
  const events = new EventBroadcaster(engine, {
    maxBufferedBytes: opts.sseMaxBufferedBytes,
    onDrop: () => metrics.sseDropped.inc(),
    onClients: (n) => metrics.sseClients.set(n),
  });
  let dashboard: DashboardAssets | undefined;
  let started = engine.session.session !== undefined;
  const recent = new RecentBodies();
  const offEvents = engine.onAny((e) => {
    if (e.type === "gapFilled" || e.type === "gapAbandoned") recent.touch(e.symbol);
    else if (!started && (e.type === "open" || e.type === "preOpen" || e.type === "roll")) {
      started = engine.session.session !== undefined || e.type === "roll";
    }
  });
  const gapLog = new GapLog(engine, calendar);
  const record = new SessionRecord(engine, gapLog);
  const reads = new StoredReads(repository, calendar, { ttlMs: STORE_ANSWER_TTL_MS });
  const rangeBodies = new LRUCache<string, string>({ ttl: STORE_ANSWER_TTL_MS, maxSize: 32 << 20 });
  const storedSymbols = () => reads.symbols();

  /** Refuses symbols neither active in the session nor stored (400 naming them). */
  const refuseUnknown = async (symbols: readonly string[], field: string): Promise<void> => {
    const missing = symbols.filter((symbol) => !engine.session.has(symbol));
    if (missing.length === 0) return;
    const known = await storedSymbols();
    const unknown = missing.filter((symbol) => !known.has(symbol));
    if (unknown.length > 0) throw new BadRequestError(unknownSymbols(unknown, "nothing stored"), field);
  };

  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string", bodyLimit: 4096 },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  if (token) {
    app.addHook("onRequest", async (req, reply) => {
      if (req.method === "POST" && req.url === "/login") return;
      const given = bearerToken(req.headers.authorization) ?? cookieValue(req.headers.cookie, TOKEN_COOKIE);
      if (tokenMatches(given, token)) return;
      if (req.method === "GET" && req.url === "/") {
        return reply.code(401).type("text/html; charset=utf-8").headers(pageHeaders()).send(loginPage());
      }
      return reply
        .code(401)
        .header("www-authenticate", 'Bearer realm="tickwright"')
        .send({ error: "missing or wrong bearer token", field: "authorization" });
    });
    app.post("/login", async (req, reply) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const given = typeof body.token === "string" ? body.token : undefined;
      if (!tokenMatches(given, token)) {
        return reply.code(401).type("text/html; charset=utf-8").headers(pageHeaders()).send(loginPage(true));
      }
      return reply
        .code(303)
        .header(
          "set-cookie",
          `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        )
        .header("location", "/")
        .send();
    });
  }

  app.addHook("onSend", async (_req, reply) => {
    reply.header("x-content-type-options", "nosniff");
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof BusyError)
      return reply.code(503).header("retry-after", "1").send({ error: err.message, field: "(server)" });
    if (err instanceof BadRequestError) return reply.code(400).send({ error: err.message, field: err.field });
    if (err instanceof UnknownSymbolError)
      return reply.code(400).send({ error: err.message, field: "symbol" });
    if (err instanceof InvalidArgumentError)
      return reply.code(400).send({ error: err.message, field: "(query)" });
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply.code(status).send({ error: (err as Error).message, field: "(request)" });
    }
    req.log.error(err);
    return reply.code(500).send({ error: "internal error" });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: `no route ${req.method} ${req.url.split("?")[0]}`, field: "(path)" });
  });

  app.addHook("preClose", async () => {
    events.close();
    metrics.close();
    record.close();
    gapLog.close();
    offEvents();
  });

  app.get("/health", async (_req, reply) => {
    const { health, body } = readHealth();
    return reply
      .code(health.status === "down" ? 503 : 200)
      .type(JSON_TYPE)
      .send(body);
  });

  app.get("/ready", async (_req, reply) => {
    const h = readHealth().health;
    const ready = started && h.status !== "down";
    const reason = !started ? "no session started yet" : h.status === "down" ? "engine is down" : undefined;
    return reply
      .code(ready ? 200 : 503)
      .send({ ready, session: engine.session.session?.date ?? null, ...(reason ? { reason } : {}) });
  });

  app.get("/metrics", async (_req, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });

  app.get("/api/symbols", async () => {
    const now = engine.clock.now();
    const session = engine.session.session;
    const market = calendar.state(now);
    // Between sessions the figures are the last played session's, as recorded at its close.
    const shown = session?.date ?? record.lastSession ?? null;
    return {
      now,
      calendar: calendar.name,
      timeZone: calendar.timeZone,
      market,
      session: shown,
      note: (healthCache.read().health.components.engine.details.note as string | undefined) ?? null,
      symbols: engine.session.symbols().map((symbol) => {
        const m = engine.session.metrics(symbol);
        const last = engine.session.latest(symbol).bar;
        const cell = !session && shown ? record.cell(symbol, shown) : undefined;
        const present = cell?.present ?? m.present;
        const expected = cell?.expected ?? m.expected;
        return {
          symbol,
          state: !session ? "closed" : m.barCount > 0 ? market : "waiting",
          barQuality: expected > 0 ? (present / expected) * 100 : 100,
          present,
          expected,
          gaps: m.gaps,
          barCount: m.barCount,
          volume: m.volume,
          last: last
            ? {
                time: last.time,
                open: last.open,
                high: last.high,
                low: last.low,
                close: last.close,
                volume: last.volume,
              }
            : null,
          lastUpdate: m.lastUpdate,
        };
      }),
    };
  });

  app.get("/api/bars", async (req, reply) => {
    const q = parseParams(barsQuery, req.query);
    const hasRange = q.from !== undefined || q.to !== undefined;
    if (q.n !== undefined && hasRange) throw new BadRequestError("give n, or from and to, not both", "n");
    if (q.asOf !== undefined && (q.adjust ?? "raw") === "raw") {
      throw new BadRequestError("asOf needs adjust=split or adjust=adjusted", "asOf");
    }
    if (q.n !== undefined && (q.adjust ?? "raw") !== "raw") {
      throw new BadRequestError("adjust applies to stored bars (from and to), not to n", "adjust");
    }
    if (q.n !== undefined) {
      if (!engine.session.has(q.symbol)) {
        throw new BadRequestError(`unknown symbol: ${q.symbol} (not active in the session)`, "symbol");
      }
      // Objects only when the kept answer no longer holds these bars.
      const view = engine.session.lastBars(q.symbol, q.n, q.interval);
      const body = recent.body(q.symbol, q.interval, q.n, view, () =>
        barsBody(q.symbol, q.interval, "session", view.toArray()),
      );
      return reply.type(JSON_TYPE).send(body);
    }
    if (!q.from || !q.to) {
      throw new BadRequestError(
        "give n (recent bars from the session) or from and to (stored bars)",
        q.from ? "to" : q.to ? "from" : "n",
      );
    }
    checkSpan(q.from, q.to, q.interval === "1d" ? MAX_SPAN_DAYS.daily : MAX_SPAN_DAYS.intraday);
    const extended = q.extended ?? engine.config.extended;
    checkRangeBars(calendar, q.from, q.to, q.interval, extended);
    if (!(await storedSymbols()).has(q.symbol)) {
      throw new BadRequestError(`unknown symbol: ${q.symbol} (nothing stored)`, "symbol");
    }
    const adjustment: Adjustment = { mode: q.adjust ?? "raw", asOf: q.asOf };
    const key = `${q.symbol}\t${q.interval}\t${q.from}\t${q.to}\t${extended ? 1 : 0}\t${adjustment.mode}\t${q.asOf ?? ""}`;
    let body = rangeBodies.get(key);
    if (body === undefined) {
      const { from, to, symbol, interval } = q;
      const r = await reads.bars(symbol, interval, from, to, extended, adjustment);
      body = barsBody(symbol, interval, r.source, r.bars);
      rangeBodies.set(key, body, { size: Math.max(1, body.length * 2) });
    }
    return reply.type(JSON_TYPE).send(body);
  });

  app.get("/api/metrics/:symbol", async (req) => {
    const { symbol } = parseParams(symbolPath, req.params);
    if (!engine.session.has(symbol)) {
      throw new BadRequestError(`unknown symbol: ${symbol} (not active in the session)`, "symbol");
    }
    return engine.session.metrics(symbol);
  });

  app.get("/api/sessions", async (req) => {
    const q = parseParams(sessionsQuery, req.query);
    checkSpan(q.from, q.to, MAX_SPAN_DAYS.daily);
    const cal = namedCalendar(q.calendar, calendar);
    return { calendar: cal.name, timeZone: cal.timeZone, sessions: cal.sessions(q.from, q.to) };
  });

  app.get("/api/quality", async (req) => {
    const q = parseParams(qualityQuery, req.query);
    let from = q.from;
    let to = q.to;
    if (!from || !to) {
      if (from || to) throw new BadRequestError("give both from and to, or neither", from ? "to" : "from");
      const planned = engine.plannedSessions();
      const span = planned.length > 0 ? planned : recentSessions(calendar, engine.clock.now(), 20);
      if (span.length === 0) return { dates: [], symbols: [], quality: [], gaps: [], truncated: false };
      from = span[0].date;
      to = span[span.length - 1].date;
    }
    checkSpan(from, to, MAX_SPAN_DAYS.intraday);
    const sessions = calendar.sessions(from, to);
    let symbols: string[];
    let truncated = false;
    if (q.symbols) {
      symbols = [...new Set(q.symbols)];
      await refuseUnknown(symbols, "symbols");
      const cells = symbols.length * sessions.length;
      if (cells > MAX_QUALITY_CELLS) {
        throw new BadRequestError(
          `${symbols.length} symbols x ${sessions.length} sessions is ${cells} cells; at most ${MAX_QUALITY_CELLS} per request (ask fewer symbols or a shorter range)`,
          "symbols",
        );
      }
    } else {
      const active = engine.session.symbols();
      const all = active.length > 0 ? [...active] : [...(await storedSymbols())].sort();
      symbols = all.slice(0, Math.floor(MAX_QUALITY_CELLS / Math.max(1, sessions.length)));
      truncated = symbols.length < all.length;
    }
    const grid = await reads.grid(
      symbols,
      sessions,
      engine.clock.now(),
      engine.config.extended,
      (symbol, date) => record.cell(symbol, date),
    );
    return { from, to, ...grid, truncated };
  });

  app.get("/api/gaps", async (req) => {
    const q = parseParams(gapsQuery, req.query);
    if (q.symbol !== undefined && !engine.session.has(q.symbol)) {
      throw new BadRequestError(unknownSymbols([q.symbol], "not active in the session"), "symbol");
    }
    const all = gapLog
      .gaps(q.symbol)
      .filter(
        (g) => (q.from === undefined || g.session >= q.from) && (q.to === undefined || g.session <= q.to),
      );
    const gaps = all.slice(Math.max(0, all.length - MAX_GAPS_ANSWER));
    return { gaps, truncated: gaps.length < all.length };
  });

  app.get("/api/events", async (req, reply) => {
    const q = parseParams(eventsQuery, req.query);
    if (q.symbols) {
      const missing = q.symbols.filter((symbol) => !engine.session.has(symbol));
      if (missing.length > 0)
        throw new BadRequestError(unknownSymbols(missing, "not active in the session"), "symbols");
    }
    reply.hijack();
    events.add(reply.raw, {
      symbols: q.symbols ? new Set(q.symbols) : undefined,
      intervals: q.intervals ? new Set(q.intervals) : undefined,
    });
  });

  const asset = (name: keyof DashboardAssets, type: string) => async (_req: unknown, reply: FastifyReply) => {
    dashboard ??= loadDashboard();
    return reply.type(type).headers(pageHeaders()).header("cache-control", "no-cache").send(dashboard[name]);
  };
  app.get("/", asset("html", "text/html; charset=utf-8"));
  app.get("/dashboard/app.js", asset("js", "text/javascript; charset=utf-8"));
  app.get("/dashboard/style.css", asset("css", "text/css; charset=utf-8"));
  app.get("/vendor/lightweight-charts.js", asset("charts", "text/javascript; charset=utf-8"));

  return app;
}

/** The message refusing unknown symbols: the first few named, and how many. */
function unknownSymbols(symbols: readonly string[], why: string): string {
  const shown = symbols.slice(0, 5).join(", ");
  const more = symbols.length > 5 ? ` and ${symbols.length - 5} more` : "";
  return `unknown symbol${symbols.length === 1 ? "" : "s"}: ${shown}${more} (${why})`;
}

/** Refuses a stored-range request whose sessions hold more than MAX_RANGE_BARS bars of the interval. */
function checkRangeBars(
  calendar: Calendar,
  from: string,
  to: string,
  interval: string,
  extended: boolean,
): void {
  const iv = parseInterval(interval);
  const sessions = calendar.sessions(from, to);
  let bars = 0;
  for (const s of sessions) bars += iv.daily ? 1 : Math.ceil(calendar.minuteCount(s, extended) / iv.minutes);
  if (bars > MAX_RANGE_BARS) {
    throw new BadRequestError(
      `${from}..${to} at ${interval} is up to ${bars} bars; at most ${MAX_RANGE_BARS} per request (narrow the range or take a longer interval)`,
      "to",
    );
  }
}

/** Security headers of the dashboard's pages: scripts and data only from this server. */
function pageHeaders(): Record<string, string> {
  return {
    "content-security-policy":
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  };
}

function loggerOption(logger: ServerOptions["logger"]) {
  if (logger && typeof logger === "object" && "child" in logger) return { loggerInstance: logger };
  return { logger: logger ?? false };
}

/**
 * A calendar an HTTP client named: the server's own, or a built-in one by name. Calendar
 * files are not opened on a client's say-so.
 */
function namedCalendar(name: string | undefined, own: Calendar): Calendar {
  if (name === undefined || name.toUpperCase() === own.name.toUpperCase()) return own;
  if (/\.json$/i.test(name.trim()))
    throw new BadRequestError("calendar files cannot be named over HTTP", "calendar");
  try {
    return getCalendar(name);
  } catch (err) {
    throw new BadRequestError((err as Error).message, "calendar");
  }
}

/** A bar as the API returns it (one element of `bars` in `/api/bars`). */
export interface BarJson {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  flags: number;
  count: number;
  expected: number;
}

/** A finite number as JSON, anything else as null. */
const num = (x: number) => (Number.isFinite(x) ? String(x) : "null");

/**
 * The `/api/bars` answer as JSON text, written straight from the bars (no intermediate
 * objects, no generic serializer: this is the hot route of a dashboard or a polling client).
 */
function barsBody(symbol: string, interval: string, source: string, bars: SessionBar[] | BarSeries): string {
  const parts = new Array<string>(bars.length);
  const objects = Array.isArray(bars) ? bars : undefined;
  const series = Array.isArray(bars) ? undefined : bars;
  for (let i = 0; i < bars.length; i++) {
    if (objects) {
      const b = objects[i];
      parts[i] =
        `{"time":${num(b.time)},"open":${num(b.open)},"high":${num(b.high)},"low":${num(b.low)},"close":${num(b.close)},"volume":${num(b.volume)},"flags":${b.flags},"count":${b.count},"expected":${b.expected}}`;
    } else {
      const c = series!;
      parts[i] =
        `{"time":${num(c.time[i])},"open":${num(c.open[i])},"high":${num(c.high[i])},"low":${num(c.low[i])},"close":${num(c.close[i])},"volume":${num(c.volume[i])},"flags":${c.flags[i]},"count":${c.count[i]},"expected":${c.expected[i]}}`;
    }
  }
  return `{"symbol":${JSON.stringify(symbol)},"interval":"${interval}","source":"${source}","bars":[${parts.join(",")}]}`;
}

/** A health report with extra components; the overall status is the worst of all. */
function withComponents(h: Health, extra: Record<string, ComponentHealth>): Health {
  const components = { ...h.components, ...extra };
  const rank: Record<HealthStatus, number> = { ok: 0, degraded: 1, down: 2 };
  let status: HealthStatus = "ok";
  for (const c of Object.values(components)) if (rank[c.status] > rank[status]) status = c.status;
  return { ...h, status, components };
}
