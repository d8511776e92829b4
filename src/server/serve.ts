import { getCalendar } from "../calendar/index.js";
import type { Calendar } from "../calendar/types.js";
import type { Config } from "../config/schema.js";
import { createEngine, type Engine } from "../engine/engine.js";
import type { LiveFeed, RunSummary } from "../engine/types.js";
import { InvalidArgumentError, StoreError } from "../model/errors.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { type FillSource, openFillSource } from "../upkeep/index.js";
import type { BarSource } from "../upkeep/upkeep.js";
import type { ServerOptions } from "./app.js";
import { type RunningServer, startServer } from "./listen.js";

/** Live mode of `serve`: the wall clock and a live feed instead of a replay. */
export interface LiveOptions {
  /** `alpaca` (keys in APCA_API_KEY_ID, APCA_API_SECRET_KEY) or `replay` (stored bars at wall-clock pace). */
  feed: "alpaca" | "replay";
  /** Alpaca data feed: `iex` or `sip`. Default iex. */
  alpacaFeed?: string;
  /** Alpaca stream host (default Alpaca's), e.g. a local test server. */
  alpacaUrl?: string;
}

/** What `startServe` needs besides the configuration. */
export interface ServeContext {
  /** Live mode (default: a paced replay of the stored range). */
  live?: LiveOptions;
  /** Where the one-line start message goes (default nowhere). */
  log?: (line: string) => void;
  /** The server's logger (default pino at `log.level`). */
  logger?: ServerOptions["logger"];
  /** Environment for TICKWRIGHT_* settings and Alpaca keys (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** A running `serve`: the engine replaying, the server answering. */
export interface ServeHandle {
  url: string;
  engine: Engine;
  server: RunningServer;
  config: Config;
  /** Settles when the replay ends (the server keeps serving); undefined when it failed or in live mode. */
  replay: Promise<RunSummary | undefined>;
  /** Stops the replay, closes the server and the store; resolves with what the replay did. */
  close(): Promise<RunSummary | undefined>;
}

/**
 * Starts `serve`: by default replay-as-live of the stored data (a backtest engine paced at
 * `speed` x real time over the stored range, every stored symbol by default) while the HTTP
 * server answers; when the replay ends the server keeps serving its final state. With
 * `live`, the engine runs on the wall clock fed by a live feed (Alpaca, or stored bars
 * replayed at wall-clock pace).
 */
export async function startServe(config: Config, ctx: ServeContext = {}): Promise<ServeHandle> {
  const env = ctx.env ?? process.env;
  const log = ctx.log ?? (() => {});
  const opts = ctx.live;
  const calendar = getCalendar(config.calendar);
  const repository = await openRepository(config.db, { create: false });
  let server: RunningServer | undefined;
  let engine: Engine | undefined;
  let fill: FillSource | undefined;
  try {
    const range =
      opts && opts.feed !== "replay" ? undefined : await storedRange(repository, calendar, config);
    const live = opts ? await liveFeed(opts, env, repository, range) : undefined;
    fill = await openFillSource(config.upkeep.source, env);
    engine = live
      ? await createEngine(
          { ...config, mode: "live", from: undefined, to: undefined },
          { repository, calendar, ...(live.barSource ? { barSource: live.barSource } : {}) },
        )
      : await createEngine(
          { ...config, ...range },
          { repository, calendar, ...(fill.barSource ? { barSource: fill.barSource } : {}) },
        );
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
    if (!live || opts?.feed === "replay") {
      const stored = new Set(await repository.symbols("1m"));
      const absent = symbols.filter((symbol) => !stored.has(symbol));
      if (absent.length > 0) log(`tickwright: ${nothingStored(absent)}`);
    }
    let replay: Promise<RunSummary | undefined>;
    // Set by close(): a replay ending then is part of the shutdown, not served on after.
    let closing = false;
    const after = () => (closing ? "shutting down" : "still serving");
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
          app.log.info({ summary }, `replay ${summary.stopped ? "stopped" : "finished"}; ${after()}`);
          return summary;
        },
        (err: unknown) => {
          app.log.error({ err }, `replay failed; ${after()}`);
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
        closing = true;
        await running.engine.stop();
        const summary = await replay;
        await running.server.close();
        await repository.close();
        await fill?.close();
        return summary;
      },
    };
  } catch (err) {
    await engine?.stop().catch(() => {});
    await server?.close().catch(() => {});
    await repository.close().catch(() => {});
    await fill?.close().catch(() => {});
    throw err;
  }
}

/** A live feed for `serve --live`, and the bar source upkeep fills its gaps from. */
async function liveFeed(
  opts: LiveOptions,
  env: NodeJS.ProcessEnv,
  repository: Repository,
  range: { from: string; to: string } | undefined,
): Promise<{ feed: LiveFeed; barSource?: BarSource }> {
  const live = await import("../live/index.js");
  if (opts.feed === "replay") {
    return {
      feed: live.createLiveFeed({ provider: "replay", repository, from: range!.from, to: range!.to }),
    };
  }
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

/** The warning about symbols asked for that have no stored one-minute bars. */
function nothingStored(symbols: readonly string[]): string {
  const shown = symbols.slice(0, 10).join(", ");
  const more = symbols.length > 10 ? ` and ${symbols.length - 10} more` : "";
  return `nothing stored for ${shown}${more}: no bars will come for ${symbols.length === 1 ? "it" : "them"} (every minute a gap)`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
