import type { Command } from "commander";

/** Options of `tickwright replay`, as commander hands them over. */
interface ReplayOptions {
  db?: string;
  symbols?: string;
  all?: boolean;
  from?: string;
  to?: string;
  derived?: string;
  extended?: boolean;
  speed?: string;
  out?: string;
  json?: boolean;
  config?: string;
  calendar?: string;
  progress?: boolean;
  /** A sharded backtest: this shard K/N, where to publish, the run's name, the subject prefix. */
  shard?: string;
  publish?: string;
  run?: string;
  busPrefix?: string;
}

/** `tickwright replay`: replays stored bars through the engine and prints what it did. */
export function register(program: Command): void {
  program
    .command("replay")
    .description("replay stored bars on a simulated clock: derived bars, gaps, quality, summary")
    .option("--db <file>", "DuckDB file or postgres:// URL")
    .option("--symbols <list>", "comma-separated symbols")
    .option("--all", "every symbol with stored 1m bars")
    .requiredOption("--from <date>", "first session date (YYYY-MM-DD)")
    .requiredOption("--to <date>", "last session date (YYYY-MM-DD)")
    .option("--derived <list>", "derived intervals, e.g. 5m,15m,60m,1d")
    .option("--extended", "include pre-market and after-hours bars")
    .option("--speed <max|N>", "as fast as possible (max) or N times real time")
    .option("--calendar <name>", "calendar name or JSON file")
    .option("--out <file.jsonl>", "write every event as one JSON line")
    .option("--json", "print the summary as one JSON object")
    .option("--config <file>", "configuration file (JSON or YAML)")
    .option("--no-progress", "no progress bar")
    .option("--shard <K/N>", "replay only the symbols shard K of N owns (with --publish, --run)")
    .option("--publish <url>", "with --shard: publish the events to NATS JetStream")
    .option("--run <name>", "with --shard: the run's name (tickwright bus collect merges it)")
    .option("--bus-prefix <prefix>", "with --shard: subject prefix (default tickwright)")
    .action(async (opts: ReplayOptions) => {
      const { replayCommand } = await import("./replay-run.js");
      process.exitCode = await replayCommand(opts);
    });
}

export type { ReplayOptions };
