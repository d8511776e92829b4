import type { Command } from "commander";
import type { ServeOptions } from "../server/serve.js";
import { note } from "./io.js";

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
    .option("--symbols <list>", "comma-separated symbols (default: every stored symbol)")
    .option("--all", "every symbol with stored 1m bars (the default)")
    .option("--from <date>", "first session date (default: the first stored)")
    .option("--to <date>", "last session date (default: the last stored)")
    .option("--derived <list>", "derived intervals, e.g. 5m,15m,60m")
    .option("--extended", "include pre-market and after-hours bars")
    .option("--calendar <name>", "calendar name or JSON file")
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
    .action(async (opts: ServeOptions) => {
      const { startServe } = await import("../server/serve.js");
      const handle = await startServe(opts, { log: note });
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      note("tickwright: stopping");
      await handle.close();
      process.exitCode = 0;
    });
}
