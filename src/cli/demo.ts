import type { Command } from "commander";
import { out } from "./io.js";

interface DemoOptions {
  db: string;
  symbols: string;
  days: string;
}

/** Beside a demo database, this file says the demo wrote it and may replace it. */
const MARK = ".tickwright-demo";

/**
 * `tickwright demo`: the main job end to end on the embedded store, no server needed:
 * generates a few symbols' one-minute bars into its own DuckDB file, then replays them with
 * derived bars, upkeep and the summary, exactly as `tickwright replay` does. It replaces a
 * file only when it wrote it before (the `.tickwright-demo` mark beside it); it takes no
 * database from the configuration (TICKWRIGHT_DB names the user's own data).
 */
export function register(program: Command): void {
  program
    .command("demo")
    .description("generate sample data into ./data/demo.duckdb and replay it (what npm run demo runs)")
    .option(
      "--db <file>",
      "the demo's own DuckDB file (replaced only if the demo wrote it)",
      "./data/demo.duckdb",
    )
    .option("--symbols <n>", "how many symbols", "5")
    .option("--days <n>", "how many sessions", "5")
    .action(async (opts: DemoOptions) => {
      const { existsSync, mkdirSync, rmSync, writeFileSync } = await import("node:fs");
      const { dirname, resolve } = await import("node:path");
      const { InputError } = await import("../model/errors.js");
      const { getCalendar } = await import("../calendar/index.js");
      const { DEFAULT_GENERATE_START, sessionsFrom } = await import("../ingest/generate.js");
      const { generateCommand } = await import("./generate.js");
      const { replayCommand } = await import("./replay-run.js");
      const mark = `${opts.db}${MARK}`;
      if (existsSync(opts.db)) {
        if (!existsSync(mark)) {
          throw new InputError(
            `${resolve(opts.db)} exists and was not written by tickwright demo; give --db a new file (the demo replaces only its own)`,
          );
        }
        for (const suffix of ["", ".wal"]) rmSync(`${opts.db}${suffix}`, { force: true });
      }
      mkdirSync(dirname(resolve(opts.db)), { recursive: true });
      writeFileSync(mark, "written by tickwright demo, which may replace the database beside this file\n");
      const start = DEFAULT_GENERATE_START;
      await generateCommand({
        symbols: opts.symbols,
        days: opts.days,
        db: opts.db,
        seed: "1",
        missingRate: "0",
        start,
      });
      const sessions = sessionsFrom(getCalendar("XNYS"), start, Number(opts.days));
      const from = sessions[0].date;
      const to = sessions[sessions.length - 1].date;
      out(`replaying ${from} .. ${to} with 5m, 15m, 60m and daily bars:`);
      process.exitCode = await replayCommand({
        db: opts.db,
        all: true,
        from,
        to,
        derived: "5m,15m,60m,1d",
        progress: false,
      });
      out("");
      out("next:");
      out(
        `  npx tickwright bars SYM001 --interval 15m --from ${from} --to ${from} --db ${opts.db} --format table`,
      );
      out(`  npx tickwright replay --db ${opts.db} --all --from ${from} --to ${to} --out events.jsonl`);
      out(`  npx tickwright serve --db ${opts.db} --speed 600     # dashboard at http://127.0.0.1:8080/`);
    });
}
