import type { Command } from "commander";
import type { PostgresRepository } from "../store/postgres.js";
import { out } from "./io.js";
import { type ConfigOptions, commandConfig, configOption, dbOption } from "./options.js";

/** Options of `tickwright db init`, as commander hands them over. */
interface DbInitOptions extends ConfigOptions {
  db?: string;
}

/**
 * `tickwright db init [--db URL|FILE]`: creates the store (a postgres:// URL's `?schema=name`
 * picks the schema) and its schema, and says how it is laid out.
 */
export function register(program: Command): void {
  const db = program.command("db").description("manage the bar store");
  const init = db
    .command("init")
    .description("create the store and its schema (tables; TimescaleDB hypertables where available)");
  configOption(dbOption(init)).action(async (opts: DbInitOptions) => dbInitCommand(opts));
}

/**
 * Runs `tickwright db init`: opens the store (which creates the schema when missing) and
 * prints one line naming the store and, for PostgreSQL, whether hypertables were used. The
 * store modules load here, so `tickwright --help` stays fast.
 */
export async function dbInitCommand(opts: DbInitOptions): Promise<void> {
  const { db } = await commandConfig(opts.config, { db: opts.db });
  const { isPostgresUrl, openRepository } = await import("../store/index.js");
  const repo = await openRepository(db);
  try {
    if (isPostgresUrl(db)) {
      const pg = repo as PostgresRepository;
      out(`PostgreSQL ${redact(db)}, schema ${pg.schema}: ${pg.storage.note}`);
    } else {
      out(`DuckDB ${db}: tables ready`);
    }
  } finally {
    await repo.close();
  }
}

/** The URL without its password, for printing. */
function redact(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}
