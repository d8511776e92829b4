import type { Command } from "commander";
import { type Config, symbolNames } from "../config/index.js";
import type { Engine, RunSummary } from "../engine/index.js";
import { InvalidArgumentError } from "../model/errors.js";
import { ExitError, list, note, out } from "./io.js";
import {
  type ConfigOptions,
  checkedOutPath,
  commandConfig,
  configOption,
  dbOption,
  openExistingStore,
  replayFlags,
} from "./options.js";

const DEFAULT_NATS = "nats://127.0.0.1:4222";

interface PublishOptions extends ConfigOptions {
  nats: string;
  prefix?: string;
  db?: string;
  symbols?: string;
  all?: boolean;
  from?: string;
  to?: string;
  speed?: string;
  calendar?: string;
  live?: string;
  alpacaFeed?: string;
  alpacaUrl?: string;
  end?: boolean;
}

interface CollectOptions {
  nats: string;
  prefix?: string;
  run: string;
  shards: string;
  out: string;
  timeout?: string;
}

interface TailOptions {
  nats: string;
  prefix?: string;
  symbols?: string;
  intervals?: string;
  history?: boolean;
  count?: string;
}

/** `tickwright bus publish|collect|tail`: tickwright as a market-data service on NATS JetStream. */
export function register(program: Command): void {
  const bus = program
    .command("bus")
    .description(
      "market-data service on NATS JetStream: publish raw bars, collect sharded runs, tail results",
    );
  configOption(dbOption(connectionOptions(bus.command("publish"))))
    .description("publish raw one-minute bars: a store replay (--db) or a live adapter (--live alpaca)")
    .option("--symbols <list>", "comma-separated symbols")
    .option("--all", "every symbol with stored 1m bars")
    .option("--from <date>", "first session date (YYYY-MM-DD)")
    .option("--to <date>", "last session date (YYYY-MM-DD)")
    .option("--speed <max|N>", "replay pace: max (default) or N times real time")
    .option("--calendar <name>", "calendar name or JSON file (default XNYS)")
    .option("--live <alpaca>", "publish from a live adapter (keys in APCA_API_KEY_ID, APCA_API_SECRET_KEY)")
    .option("--alpaca-feed <iex|sip>", "Alpaca data feed", "iex")
    .option("--alpaca-url <url>", "Alpaca stream host (default Alpaca's)")
    .option("--no-end", "do not send the end of the feed after a replay (shards keep waiting)")
    .action(async (opts: PublishOptions) => {
      process.exitCode = await publishCommand(opts);
    });
  connectionOptions(bus.command("collect"))
    .description("wait for the N shards of a run and merge their events into one --out file")
    .requiredOption("--run <name>", "the run's name")
    .requiredOption("--shards <n>", "how many shards ran")
    .requiredOption("--out <file.jsonl>", "the merged events")
    .option("--timeout <seconds>", "how long to wait for the shards (default 600)")
    .action(async (opts: CollectOptions) => {
      const { collectRun } = await import("../bus/index.js");
      const timeout = opts.timeout === undefined ? 600 : Number(opts.timeout);
      if (!(timeout > 0)) throw new InvalidArgumentError(`bad --timeout "${opts.timeout}": seconds > 0`);
      const r = await collectRun({
        nats: opts.nats,
        prefix: opts.prefix,
        run: opts.run,
        shards: Number(opts.shards),
        out: checkedOutPath(opts.out, "--out"),
        timeoutMs: timeout * 1000,
      });
      out(`collected ${r.events} events of run ${opts.run} from ${r.ends.length} shards into ${opts.out}`);
      process.exitCode = 0;
    });
  connectionOptions(bus.command("tail"))
    .description("print results from the bus as --out lines")
    .option("--symbols <list>", "comma-separated symbols (default: all)")
    .option("--intervals <list>", "bar intervals, e.g. 1m,5m (default: all)")
    .option("--history", "start from everything the stream still holds (default: new results)")
    .option("--count <n>", "exit after n results")
    .action(async (opts: TailOptions) => {
      const { subscribe } = await import("../bus/index.js");
      const count = opts.count === undefined ? Number.POSITIVE_INFINITY : Number(opts.count);
      if (!(count >= 1)) throw new InvalidArgumentError(`bad --count "${opts.count}": a whole number >= 1`);
      const sub = await subscribe({
        nats: opts.nats,
        prefix: opts.prefix,
        symbols: list(opts.symbols),
        intervals: list(opts.intervals),
        deliver: opts.history ? "all" : "new",
      });
      const stop = () => void sub.close();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      let n = 0;
      for await (const r of sub) {
        out(r.line);
        if (++n >= count) break;
      }
      process.exitCode = 0;
    });
}

/** The options every bus command has: where NATS is, and the subject prefix. */
function connectionOptions(command: Command): Command {
  return command
    .option("--nats <url>", "NATS server(s), comma-separated", DEFAULT_NATS)
    .option("--prefix <prefix>", "subject prefix", "tickwright");
}

/** Resolves on SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
}

/**
 * `bus publish`: a store replay (the database, symbols, range, calendar and speed read like
 * `replay`'s: flags over TICKWRIGHT_* over --config), checked and its store opened before
 * NATS is asked; or a live adapter's bars until SIGINT or SIGTERM.
 */
async function publishCommand(opts: PublishOptions): Promise<number> {
  if (opts.live) return publishLive(opts);
  const config = await commandConfig(opts.config, replayFlags(opts));
  if (!config.from || !config.to) throw new ExitError("a store replay needs --from and --to", 2);
  const { getCalendar } = await import("../calendar/index.js");
  const calendar = getCalendar(config.calendar);
  const repository = await openExistingStore(config.db);
  try {
    const symbols = config.allSymbols
      ? await storedSecurities(repository, calendar.timeZone, config)
      : symbolNames(config);
    if (symbols.length === 0) throw new ExitError("give --symbols A,B or --all", 2);
    const busLib = await import("../bus/index.js");
    const connection = await busLib.connectBus(opts.nats, "tickwright-publisher");
    try {
      const publisher = await busLib.BusPublisher.open(connection, { prefix: opts.prefix });
      const r = await busLib.publishReplay(publisher, {
        repository,
        calendar,
        symbols,
        from: config.from,
        to: config.to,
        speed: config.speed,
        end: opts.end !== false,
      });
      out(
        `published ${r.bars} bars of ${symbols.length} symbols (${config.from} .. ${config.to}) to ${opts.nats}`,
      );
      return 0;
    } finally {
      await connection.close();
    }
  } finally {
    await repository.close();
  }
}

/** `bus publish --live alpaca`: the adapter's bars until SIGINT or SIGTERM. */
async function publishLive(opts: PublishOptions): Promise<number> {
  if (opts.live !== "alpaca") throw new InvalidArgumentError(`bad --live "${opts.live}": alpaca`);
  const symbols = list(opts.symbols);
  if (symbols.length === 0) throw new ExitError("--live needs --symbols A,B", 2);
  const key = process.env.APCA_API_KEY_ID;
  const secret = process.env.APCA_API_SECRET_KEY;
  if (!key || !secret)
    throw new InvalidArgumentError(
      "--live alpaca needs APCA_API_KEY_ID and APCA_API_SECRET_KEY in the environment",
    );
  const busLib = await import("../bus/index.js");
  const connection = await busLib.connectBus(opts.nats, "tickwright-publisher");
  try {
    const publisher = await busLib.BusPublisher.open(connection, { prefix: opts.prefix });
    const { createLiveFeed } = await import("../live/index.js");
    const feed = createLiveFeed({
      provider: "alpaca",
      key,
      secret,
      feed: opts.alpacaFeed ?? "iex",
      ...(opts.alpacaUrl ? { url: opts.alpacaUrl } : {}),
    });
    const stop = await busLib.publishLive(publisher, feed, symbols);
    note(`tickwright: publishing ${symbols.length} symbols live from alpaca to ${opts.nats}`);
    await untilSignal();
    await stop();
    return 0;
  } finally {
    await connection.close();
  }
}

/**
 * Every stored security by its current ticker over the configured dates (`--all`): an earlier
 * ticker of a renamed security is not a symbol of its own, as in `replay --all`.
 */
async function storedSecurities(
  repository: Awaited<ReturnType<typeof openExistingStore>>,
  timeZone: string,
  config: Config,
): Promise<string[]> {
  const { currentTickers } = await import("../actions/index.js");
  return currentTickers(repository, await repository.symbols("1m"), timeZone, config.from, config.to);
}

/** The bus options of `serve` (`--bus URL --shard K/N`). */
export interface ServeBusOptions {
  bus: string;
  shard?: string;
  busPrefix?: string;
  /** Results batched per window (`ShardOptions.batchResults`). */
  busBatch?: boolean;
}

/**
 * `serve --bus URL --shard K/N`: a shard of the service (its symbols: those of --symbols, or
 * every stored one, that hash to it) serving /health and /metrics with the consumer's lag.
 * Runs until SIGINT or SIGTERM.
 */
export async function serveShardCommand(opts: ServeBusOptions, config: Config): Promise<void> {
  const { parseShard, serveShard } = await import("../bus/index.js");
  const shard = parseShard(opts.shard ?? "1/1");
  const repository = await openExistingStore(config.db);
  try {
    const { getCalendar } = await import("../calendar/index.js");
    const symbols = config.allSymbols
      ? await storedSecurities(repository, getCalendar(config.calendar).timeZone, config)
      : symbolNames(config);
    if (symbols.length === 0) throw new ExitError("serve --bus needs --symbols or stored symbols", 2);
    const served = await serveShard(
      {
        nats: opts.bus,
        prefix: opts.busPrefix,
        shard,
        symbols,
        batchResults: opts.busBatch === true,
        config: {
          calendar: config.calendar,
          extended: config.extended,
          derived: config.derived,
          upkeep: config.upkeep,
          history: config.history,
          ...(config.from ? { from: config.from } : {}),
          ...(config.to ? { to: config.to } : {}),
        },
        parts: { repository },
        onRetry: (err) => note(`tickwright: bus: ${err.message} (retrying)`),
      },
      { host: config.server.host, port: config.server.port, token: config.server.token, logger: false },
    );
    note(
      `tickwright: serving ${served.url} (shard ${shard.index}/${shard.count} of ${symbols.length} symbols: ${served.shard.owned.length} owned, bus ${opts.bus})`,
    );
    const failed = served.shard.done.then(
      () => {
        note("tickwright: the feed ended (end of a replay); still serving");
        return new Promise<void>(() => {});
      },
      (err: unknown) => note(`tickwright: shard failed: ${err instanceof Error ? err.message : String(err)}`),
    );
    await Promise.race([untilSignal(), failed]);
    note("tickwright: stopping");
    await served.close();
  } finally {
    await repository.close();
  }
}

/** The sharded-backtest options of `replay` (`--shard K/N --publish URL --run NAME`). */
export interface ReplayShardOptions {
  shard?: string;
  publish?: string;
  run?: string;
  busPrefix?: string;
}

/**
 * For `replay --shard K/N --publish URL --run NAME`: which of the run's symbols this shard
 * replays, and a publisher of its events under the run's name (`finish` sends the shard's
 * end). Undefined without --shard.
 */
export async function replayShard(opts: ReplayShardOptions): Promise<
  | {
      owned(symbols: readonly string[]): string[];
      publish(
        engine: Engine,
        symbols: readonly string[],
      ): Promise<{ finish(summary: RunSummary): Promise<void>; close(): Promise<void> }>;
    }
  | undefined
> {
  if (!opts.shard) {
    if (opts.publish || opts.run) throw new ExitError("--publish and --run go with --shard K/N", 2);
    return undefined;
  }
  if (!opts.publish || !opts.run) throw new ExitError("--shard K/N needs --publish URL and --run NAME", 2);
  const { parseShard, ownedSymbols, RunPublisher } = await import("../bus/index.js");
  const shard = parseShard(opts.shard);
  return {
    owned: (symbols) => ownedSymbols(symbols, shard),
    publish: async (engine, symbols) => {
      const run = await RunPublisher.open({
        nats: opts.publish!,
        prefix: opts.busPrefix,
        run: opts.run!,
        shard,
        symbols,
      });
      engine.onAny((e) => run.event(e));
      return { finish: (summary) => run.finish(summary), close: () => run.close() };
    },
  };
}
