import type { Command } from "commander";
import { configOption, dbOption } from "./options.js";
import type { ReplayOptions } from "./replay-run.js";

/** `tickwright replay`: replays stored bars through the engine and prints what it did. */
export function register(program: Command): void {
  const command = program
    .command("replay")
    .description("replay stored bars on a simulated clock: derived bars, gaps, quality, summary");
  dbOption(command)
    .option("--symbols <list>", "comma-separated symbols")
    .option("--all", "every symbol with one-minute bars in the range")
    .option("--from <date>", "first session date (YYYY-MM-DD)")
    .option("--to <date>", "last session date (YYYY-MM-DD)")
    .option("--derived <list>", "derived intervals, e.g. 5m,15m,60m,1d")
    .option("--extended", "include pre-market and after-hours bars")
    .option("--speed <max|N>", "as fast as possible (max, the default) or N times real time")
    .option(
      "--pace-closed",
      "with --speed N, wait through closed time between sessions too (default: skip it)",
    )
    .option("--calendar <name>", "calendar name or JSON file")
    .option(
      "--adjust <mode>",
      "history held as traded (raw, the default), or split / adjusted (splits and dividends) as of the clock",
    )
    .option(
      "--fill-from <source>",
      "fill gaps from a second store (DuckDB file or postgres:// URL), alpaca, or none",
    )
    .option(
      "--out <file.jsonl>",
      "write every event as one JSON line (- for stdout; the summary then goes to stderr)",
    )
    .option("--json", "print the summary as one JSON object")
    .option("--no-progress", "no progress bar")
    .option("--shard <K/N>", "replay only the symbols shard K of N owns (with --publish, --run)")
    .option("--publish <url>", "with --shard: publish the events to NATS JetStream")
    .option("--run <name>", "with --shard: the run's name (tickwright bus collect merges it)")
    .option("--bus-prefix <prefix>", "with --shard: subject prefix (default tickwright)");
  configOption(command).action(async (opts: ReplayOptions) => {
    const { replayCommand } = await import("./replay-run.js");
    process.exitCode = await replayCommand(opts);
  });
}
