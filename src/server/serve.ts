import { getCalendar } from "../calendar/index.js";
import type { Calendar } from "../calendar/types.js";
import { gatherConfig } from "../config/load.js";
import { type Config, configSchema, formatIssues } from "../config/schema.js";
import { createEngine, type Engine } from "../engine/engine.js";
import type { RunSummary } from "../engine/types.js";
import { ConfigError, InvalidArgumentError, StoreError } from "../model/errors.js";
import { parseDate } from "../model/time.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
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
  live?: boolean;
}

/** Replay speed of `serve` when neither a flag, the config file nor the environment sets one. */
export const DEFAULT_SERVE_SPEED = 60;

/** A running `serve`: the engine replaying, the server answering. */
export interface ServeHandle {
  url: string;
  engine: Engine;
  server: RunningServer;
  config: Config;
  /** Settles when the replay ends (the server keeps serving); undefined when it failed. */
  replay: Promise<RunSummary | undefined>;
  /** Stops the replay, closes the server and the store. */
  close(): Promise<void>;
}

/**
 * Starts `serve`: replay-as-live of the stored data (a backtest engine paced at `speed` x real
 * time over the stored range, every stored symbol by default) while the HTTP server answers.
 * When the replay ends the server keeps serving its final state.
 */
export async function startServe(
  opts: ServeOptions,
  log: (line: string) => void = () => {},
  logger?: ServerOptions["logger"],
): Promise<ServeHandle> {
  if (opts.live) {
    throw new InvalidArgumentError(
      "live mode is not available in this build: no live feed adapter is installed (src/live); serve replays stored data",
    );
  }
  const config = serveConfig(opts);
  const calendar = getCalendar(config.calendar);
  const repository = await openRepository(config.db, { create: false });
  let server: RunningServer | undefined;
  try {
    const range = await storedRange(repository, calendar, config);
    const engine = await createEngine({ ...config, ...range }, { repository, calendar });
    server = await startServer({
      engine,
      token: config.server.token,
      host: config.server.host,
      port: config.server.port,
      logger: logger ?? { level: config.log.level },
    });
    const app = server.app;
    const symbols = engine.session.symbols();
    log(
      `tickwright: serving ${server.url} (${symbols.length} symbols, ${range.from} .. ${range.to} at ${config.speed === "max" ? "max speed" : `${config.speed}x real time`})`,
    );
    const replay = engine.run().then(
      (summary) => {
        app.log.info({ summary }, "replay finished; still serving");
        return summary;
      },
      (err: unknown) => {
        app.log.error({ err }, "replay failed; still serving");
        return undefined;
      },
    );
    const running = server;
    return {
      url: server.url,
      engine,
      server,
      config,
      replay,
      close: async () => {
        engine.stop();
        await replay;
        await running.close();
        await repository.close();
      },
    };
  } catch (err) {
    await server?.close().catch(() => {});
    await repository.close().catch(() => {});
    throw err;
  }
}

/** The configuration of a `serve`: defaults < file < TICKWRIGHT_* < flags, speed 60 unless set. */
export function serveConfig(opts: ServeOptions): Config {
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
  const merged = gatherConfig({ file: opts.config, flags });
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
