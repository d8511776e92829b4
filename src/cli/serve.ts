import type { Command } from "commander";
import { gatherConfig } from "../config/load.js";
import { type Config, configSchema, formatIssues } from "../config/schema.js";
import type { RunSummary } from "../engine/types.js";
import { ConfigError, InvalidArgumentError } from "../model/errors.js";
import { parseDate } from "../model/time.js";
import type { LiveOptions } from "../server/serve.js";
import { list, note } from "./io.js";

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
  /** A second store (DuckDB file or postgres:// URL), `alpaca` or `none` to fill gaps from. */
  fillFrom?: string;
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
  /** Pace closed time between sessions too, instead of skipping to the next session. */
  paceClosed?: boolean;
  /** Run as a shard of the bus service: NATS URL(s), shard K/N, subject prefix. */
  bus?: string;
  shard?: string;
  busPrefix?: string;
  busBatch?: boolean;
}

/** Replay speed of `serve` when neither a flag, the config file nor the environment sets one. */
export const DEFAULT_SERVE_SPEED = 60;

/**
 * `tickwright serve`: replays the stored data as if live (paced at --speed x real time, 60 by
 * default), or with --live runs on the wall clock from a live feed, and serves health,
 * metrics, the query API, live events and the dashboard until SIGINT or SIGTERM.
 */
export function register(program: Command): void {
  program
    .command("serve")
    .description("replay stored bars as live and serve /health, /metrics, the API and the dashboard")
    .option("--db <file>", "DuckDB file or postgres:// URL")
    .option("--port <n>", "port to listen on (default 8080; 0: any free port)")
    .option("--host <host>", "address to bind (default 127.0.0.1; anything else needs --token)")
    .option("--speed <max|N>", "replay pace: N times real time (default 60) or max")
    .option("--pace-closed", "pace closed time between sessions too (default: skip to the next session)")
    .option("--symbols <list>", "comma-separated symbols (default: every stored symbol)")
    .option("--all", "every symbol with stored 1m bars (the default)")
    .option("--from <date>", "first session date (default: the first stored)")
    .option("--to <date>", "last session date (default: the last stored)")
    .option("--derived <list>", "derived intervals, e.g. 5m,15m,60m")
    .option("--extended", "include pre-market and after-hours bars")
    .option("--calendar <name>", "calendar name or JSON file")
    .option(
      "--fill-from <source>",
      "fill gaps from a second store (DuckDB file or postgres:// URL), alpaca, or none",
    )
    .option("--token <token>", "bearer token every request must carry (or TICKWRIGHT_SERVER_TOKEN)")
    .option("--config <file>", "configuration file (JSON or YAML)")
    .option("--live", "live mode: the wall clock and a live feed instead of a replay")
    .option(
      "--feed <alpaca|replay>",
      "live feed: alpaca (keys in APCA_API_KEY_ID, APCA_API_SECRET_KEY) or replay",
      "alpaca",
    )
    .option("--alpaca-feed <iex|sip>", "Alpaca data feed", "iex")
    .option("--alpaca-url <url>", "Alpaca stream host (default Alpaca's)")
    .option("--bus <url>", "run as a shard of the NATS JetStream service (see tickwright bus)")
    .option("--shard <K/N>", "with --bus: this shard's number K of N (default 1/1)")
    .option("--bus-prefix <prefix>", "with --bus: subject prefix (default tickwright)")
    .option("--bus-batch", "with --bus: each window's results in one message on <prefix>.out.batch.<K>")
    .action(async (opts: ServeOptions) => {
      const config = serveConfig(opts);
      if (opts.bus) return (await import("./bus.js")).serveShardCommand({ ...opts, bus: opts.bus }, config);
      const live = liveOptions(opts);
      // Listening from the start: a signal during startup still ends in a clean stop.
      const stop = new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      const { startServe } = await import("../server/serve.js");
      const handle = await startServe(config, { log: note, live });
      await stop;
      note("tickwright: stopping");
      const summary = await handle.close();
      if (summary) note(`tickwright: ${summaryLine(summary)}`);
      process.exitCode = 0;
    });
}

/** One line of what a served replay did, for stderr when `serve` stops. */
export function summaryLine(s: RunSummary): string {
  const sessions = `${s.sessions} session${s.sessions === 1 ? "" : "s"}`;
  const symbols = `${s.symbols} symbol${s.symbols === 1 ? "" : "s"}`;
  const state = s.stopped ? "stopped after" : "replayed";
  return `${state} ${sessions} of ${symbols}: ${s.barsIn.toLocaleString("en-US")} one-minute bars in; gaps ${s.gapsFound} found, ${s.gapsFilled} filled, ${s.gapsAbandoned} abandoned`;
}

/** The live-mode choices of `serve --live`, checked; undefined without --live. */
export function liveOptions(opts: ServeOptions): LiveOptions | undefined {
  if (!opts.live) return undefined;
  const feed = opts.feed ?? "alpaca";
  if (feed !== "alpaca" && feed !== "replay")
    throw new InvalidArgumentError(`bad --feed "${feed}": alpaca or replay`);
  if (feed === "replay" && opts.speed !== undefined && Number(opts.speed) !== 1) {
    throw new InvalidArgumentError(
      `--live --feed replay plays stored bars at wall-clock pace (speed 1); to watch them faster, serve without --live (--speed ${opts.speed})`,
    );
  }
  return {
    feed,
    alpacaFeed: opts.alpacaFeed ?? "iex",
    ...(opts.alpacaUrl ? { alpacaUrl: opts.alpacaUrl } : {}),
  };
}

/** The configuration of a `serve`: defaults < file < TICKWRIGHT_* < flags, speed 60 unless set. */
export function serveConfig(opts: ServeOptions, env: NodeJS.ProcessEnv = process.env): Config {
  const flags: Record<string, unknown> = { db: opts.db, calendar: opts.calendar, extended: opts.extended };
  const symbols = list(opts.symbols);
  if (symbols.length > 0) flags.symbols = symbols;
  if (opts.all) flags.allSymbols = true;
  if (opts.from !== undefined) flags.from = checkDate(opts.from, "--from");
  if (opts.to !== undefined) flags.to = checkDate(opts.to, "--to");
  if (opts.derived !== undefined) flags.derived = { intervals: list(opts.derived) };
  if (opts.speed !== undefined) flags.speed = parseSpeed(opts.speed);
  if (opts.fillFrom !== undefined) flags.upkeep = { source: opts.fillFrom };
  if (opts.paceClosed) flags.paceClosed = true;
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
