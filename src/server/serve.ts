import { getCalendar } from "../calendar/index.js";
import type { Calendar } from "../calendar/types.js";
import { gatherConfig } from "../config/load.js";
import { type Config, configSchema, formatIssues } from "../config/schema.js";
import { createEngine, type Engine } from "../engine/engine.js";
import type { LiveFeed, RunSummary } from "../engine/types.js";
import { ConfigError, InvalidArgumentError, StoreError } from "../model/errors.js";
import { parseDate } from "../model/time.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import type { BarSource } from "../upkeep/upkeep.js";
import type { ServerOptions } from "./app.js";
import { type RunningServer, startServer } from "./listen.js";

/** Options of `tickwright serve`, as commander hands them over. */
export interface ServeOptions {
  db?: string;
  port?: string;
  host?: string;
  speed?: string;
  symbols?: string;
  all?: boolean;
  from?: string;
  to?: string;
  token?: string;
  config?: string;
  calendar?: string;
  derived?: string;
  extended?: boolean;
  /** Live mode: the wall clock and a live feed instead of a replay. */
  live?: boolean;
  /** The live feed: `alpaca` (default) or `replay` (stored bars at wall-clock pace). */
  feed?: string;
  /** Alpaca stream host (default Alpaca's), e.g. a local test server. */
  alpacaUrl?: string;
  /** Alpaca data feed: `iex` (default) or `sip`. */
  alpacaFeed?: string;
}

/** What `startServe` needs besides the options. */
export interface ServeContext {
  /** Where the one-line start message goes (default nowhere). */
  log?: (line: string) => void;
  /** The server's logger (default pino at `log.level`). */
  logger?: ServerOptions["logger"];
  /** Environment for TICKWRIGHT_* settings and Alpaca keys (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Replay speed of `serve` when neither a flag, the config file nor the environment sets one. */
export const DEFAULT_SERVE_SPEED = 60;

/** A running `serve`: the engine replaying, the server answering. */
export interface ServeHandle {
  url: string;
  engine: Engine;
  server: RunningServer;
  config: Config;
  /** Settles when the replay ends (the server keeps serving); undefined when it failed or in live mode. */
  replay: Promise<RunSummary | undefined>;
  /** Stops the replay, closes the server and the store. */
  close(): Promise<void>;
}

/**
 * Starts `serve`: by default replay-as-live of the stored data (a backtest engine paced at
 * `speed` x real time over the stored range, every stored symbol by default) while the HTTP
 * server answers; when the replay ends the server keeps serving its final state. With
 * `live`, the engine runs on the wall clock fed by a live feed (Alpaca, or stored bars
 * replayed at wall-clock pace).
 */
export async function startServe(opts: ServeOptions, ctx: ServeContext = {}): Promise<ServeHandle> {
  const env = ctx.env ?? process.env;
  const log = ctx.log ?? (() => {});
  const config = serveConfig(opts, env);
  const calendar = getCalendar(config.calendar);
  const repository = await openRepository(config.db, { create: false });
  let server: RunningServer | undefined;
  let engine: Engine | undefined;
  try {
    const range =
      opts.live && opts.feed !== "replay" ? undefined : await storedRange(repository, calendar, config);
    const live = opts.live ? await liveFeed(opts, env, repository, range) : undefined;
    engine = live
      ? await createEngine(
          { ...config, mode: "live", from: undefined, to: undefined },
          { repository, calendar, ...(live.barSource ? { barSource: live.barSource } : {}) },
        )
      : await createEngine({ ...config, ...range }, { repository, calendar });
    server = await startServer({
      engine,
      token: config.server.token,
      host: config.server.host,
      port: config.server.port,
      logger: ctx.logger ?? { level: config.log.level },
    });
    const app = server.app;
    const running = { engine, server };
    const symbols = engine.session.symbols();
    let replay: Promise<RunSummary | undefined>;
    if (live) {
      if (symbols.length === 0)
        throw new InvalidArgumentError("--live needs --symbols (nothing is stored to take them from)");
      await engine.startLive(live.feed);
      log(
        `tickwright: serving ${server.url} (live from ${live.feed.name}, ${plural(symbols.length, "symbol")})`,
      );
      replay = Promise.resolve(undefined);
    } else {
      const pace = config.speed === "max" ? "max speed" : `${config.speed}x real time`;
      log(
        `tickwright: serving ${server.url} (${plural(symbols.length, "symbol")}, ${range!.from} .. ${range!.to} at ${pace})`,
      );
      replay = engine.run().then(
        (summary) => {
          app.log.info({ summary }, `replay ${summary.stopped ? "stopped" : "finished"}; still serving`);
          return summary;
        },
        (err: unknown) => {
          app.log.error({ err }, "replay failed; still serving");
          return undefined;
        },
      );
    }
    return {
      url: server.url,
      engine,
      server,
      config,
      replay,
      close: async () => {
        await running.engine.stop();
        await replay;
        await running.server.close();
        await repository.close();
      },
    };
  } catch (err) {
    await engine?.stop().catch(() => {});
    await server?.close().catch(() => {});
    await repository.close().catch(() => {});
    throw err;
  }
}

/** A live feed for `serve --live`, and the bar source upkeep fills its gaps from. */
async function liveFeed(
  opts: ServeOptions,
  env: NodeJS.ProcessEnv,
  repository: Repository,
  range: { from: string; to: string } | undefined,
): Promise<{ feed: LiveFeed; barSource?: BarSource }> {
  const live = await import("../live/index.js");
  const kind = opts.feed ?? "alpaca";
  if (kind === "replay") {
    if (opts.speed !== undefined && Number(opts.speed) !== 1) {
      throw new InvalidArgumentError(
        `--live --feed replay plays stored bars at wall-clock pace (speed 1); to watch them faster, serve without --live (--speed ${opts.speed})`,
      );
    }
    return {
      feed: live.createLiveFeed({ provider: "replay", repository, from: range!.from, to: range!.to }),
    };
  }
  if (kind !== "alpaca") throw new InvalidArgumentError(`bad --feed "${kind}": alpaca or replay`);
  const key = env.APCA_API_KEY_ID;
  const secret = env.APCA_API_SECRET_KEY;
  if (!key || !secret) {
    throw new InvalidArgumentError(
      "--live --feed alpaca needs APCA_API_KEY_ID and APCA_API_SECRET_KEY in the environment",
    );
  }
  const feed = opts.alpacaFeed ?? "iex";
  return {
    feed: live.createLiveFeed({
      provider: "alpaca",
      key,
      secret,
      feed,
      ...(opts.alpacaUrl ? { url: opts.alpacaUrl } : {}),
    }),
    barSource: new live.AlpacaBarSource({ key, secret, feed }),
  };
}

/** The configuration of a `serve`: defaults < file < TICKWRIGHT_* < flags, speed 60 unless set. */
export function serveConfig(opts: ServeOptions, env: NodeJS.ProcessEnv = process.env): Config {
  const flags: Record<string, unknown> = { db: opts.db, calendar: opts.calendar, extended: opts.extended };
  const symbols = (opts.symbols ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (symbols.length > 0) flags.symbols = symbols;
  if (opts.all) flags.allSymbols = true;
  if (opts.from !== undefined) flags.from = checkDate(opts.from, "--from");
  if (opts.to !== undefined) flags.to = checkDate(opts.to, "--to");
  if (opts.derived !== undefined) {
    flags.derived = {
      intervals: opts.derived
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    };
  }
  if (opts.speed !== undefined) flags.speed = parseSpeed(opts.speed);
  const server: Record<string, unknown> = { host: opts.host, token: opts.token };
  if (opts.port !== undefined) {
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new InvalidArgumentError(`bad --port "${opts.port}": an integer 0..65535`);
    }
    server.port = port;
  }
  flags.server = server;
  const merged = gatherConfig({ file: opts.config, env, flags });
  merged.speed ??= DEFAULT_SERVE_SPEED;
  const r = configSchema.safeParse(merged);
  if (!r.success) throw new ConfigError(formatIssues(r.error));
  const config = r.data;
  if (config.symbols.length === 0) config.allSymbols = true;
  return config;
}

function parseSpeed(text: string): number | "max" {
  if (text === "max") return "max";
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n))
    throw new InvalidArgumentError(`bad --speed "${text}": max or a positive number`);
  return n;
}

function checkDate(text: string, what: string): string {
  parseDate(text, what);
  return text;
}

/**
 * The session dates to replay: the configured from/to, or (either missing) the span of the
 * stored one-minute bars.
 */
async function storedRange(
  repository: Repository,
  calendar: Calendar,
  config: Config,
): Promise<{ from: string; to: string }> {
  if (config.from && config.to) return { from: config.from, to: config.to };
  const coverage = (await repository.coverage()).filter((c) => c.interval === "1m");
  if (coverage.length === 0) throw new StoreError(`no one-minute bars stored in ${config.db}`);
  const first = Math.min(...coverage.map((c) => c.first));
  const last = Math.max(...coverage.map((c) => c.last));
  const from = config.from ?? (calendar.sessionAt(first, true) ?? calendar.nextSession(first, true))?.date;
  const to = config.to ?? (calendar.sessionAt(last, true) ?? calendar.previousSession(last, true))?.date;
  if (!from || !to) throw new StoreError(`the stored bars lie outside the ${calendar.name} calendar`);
  return { from, to };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
