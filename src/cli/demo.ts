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
 * generates a few symbols' one-minute bars into its own DuckDB file with about 1% of the minutes
 * missing, and into a complete second file (`<name>-source.duckdb`), then replays the first
 * with derived bars, upkeep filling its gaps from the second, and the summary, exactly as
 * `tickwright replay --fill-from` does. It replaces a
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
      const { basename, dirname, extname, join, resolve } = await import("node:path");
      const { InputError } = await import("../model/errors.js");
      const { getCalendar } = await import("../calendar/index.js");
      const { DEFAULT_GENERATE_START, sessionsFrom } = await import("../ingest/generate.js");
      const { generateCommand } = await import("./generate.js");
      const { replayCommand } = await import("./replay-run.js");
      const source = join(dirname(opts.db), `${basename(opts.db, extname(opts.db))}-source.duckdb`);
      for (const db of [opts.db, source]) {
        const mark = `${db}${MARK}`;
        if (existsSync(db)) {
          if (!existsSync(mark)) {
            throw new InputError(
              `${resolve(db)} exists and was not written by tickwright demo; give --db a new file (the demo replaces only its own)`,
            );
          }
          for (const suffix of ["", ".wal"]) rmSync(`${db}${suffix}`, { force: true });
        }
        mkdirSync(dirname(resolve(db)), { recursive: true });
        writeFileSync(mark, "written by tickwright demo, which may replace the database beside this file\n");
      }
      const start = DEFAULT_GENERATE_START;
      // the replayed store misses about 1% of its minutes; a complete second store fills them
      for (const [db, missingRate] of [
        [opts.db, "0.01"],
        [source, "0"],
      ]) {
        await generateCommand({ symbols: opts.symbols, days: opts.days, db, seed: "1", missingRate, start });
      }
      const sessions = sessionsFrom(getCalendar("XNYS"), start, Number(opts.days));
      const from = sessions[0].date;
      const to = sessions[sessions.length - 1].date;
      out(`replaying ${from} .. ${to} with 5m, 15m, 60m and daily bars, filling gaps from ${source}:`);
      process.exitCode = await replayCommand({
        db: opts.db,
        all: true,
        from,
        to,
        derived: "5m,15m,60m,1d",
        fillFrom: source,
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
