import type { Command } from "commander";
import { InvalidArgumentError } from "../model/errors.js";
import type { PostgresRepository } from "../store/postgres.js";
import { out } from "./io.js";

/** Options of `tickwright db init`, as commander hands them over. */
interface DbInitOptions {
  db?: string;
}

/** `tickwright db init --db URL|FILE`: creates the store's schema and says how it is laid out. */
export function register(program: Command): void {
  const db = program.command("db").description("manage the bar store");
  db.command("init")
    .description("create the schema (tables; TimescaleDB hypertables where available)")
    .option("--db <url|file>", "postgres:// URL (?schema=name picks the schema) or DuckDB file")
    .action(async (opts: DbInitOptions) => dbInitCommand(opts));
}

/**
 * Runs `tickwright db init`: opens the store (which creates the schema when missing) and
 * prints one line naming the store and, for PostgreSQL, whether hypertables were used. The
 * store modules load here, so `tickwright --help` stays fast.
 */
export async function dbInitCommand(opts: DbInitOptions): Promise<void> {
  if (!opts.db) throw new InvalidArgumentError("give --db: a postgres:// URL or a DuckDB file");
  const { isPostgresUrl, openRepository } = await import("../store/index.js");
  const repo = await openRepository(opts.db);
  try {
    if (isPostgresUrl(opts.db)) {
      const pg = repo as PostgresRepository;
      out(`PostgreSQL ${redact(opts.db)}, schema ${pg.schema}: ${pg.storage.note}`);
    } else {
      out(`DuckDB ${opts.db}: tables ready`);
    }
  } finally {
    await repo.close();
  }
}

/** The URL without its password, for printing. */
function redact(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}
