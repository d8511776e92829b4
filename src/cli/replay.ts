import type { Command } from "commander";
import type { ReplayOptions } from "./replay-run.js";

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
    .action(async (opts: ReplayOptions) => {
      const { replayCommand } = await import("./replay-run.js");
      process.exitCode = await replayCommand(opts);
    });
}
