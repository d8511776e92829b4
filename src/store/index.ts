import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { InputError } from "../model/errors.js";
import type { Repository } from "./types.js";

export { concatBarColumns } from "../model/columns.js";
export { codeBars } from "./coded-bars.js";
export { DEFAULT_CHUNK_ROWS, DuckDbRepository } from "./duckdb.js";
export type {
  ActionKind,
  ActionQuery,
  BarQuery,
  CodedBarColumns,
  CorporateAction,
  RangeQuery,
  Repository,
  SymbolCoverage,
} from "./types.js";

/** Options for `openRepository`. */
export interface OpenRepositoryOptions {
  /** Create a missing DuckDB file (and its folder). Default true; false makes a missing file an InputError naming its path. */
  create?: boolean;
}

/** True for a PostgreSQL connection URL. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/**
 * Opens a store and creates its schema: a `postgres://` or `postgresql://` URL opens the
 * PostgreSQL store, anything else is a DuckDB file path (its folder is created) or `:memory:`.
 */
export async function openRepository(target: string, opts: OpenRepositoryOptions = {}): Promise<Repository> {
  let repo: Repository;
  if (isPostgresUrl(target)) {
    repo = await openPostgres(target);
  } else {
    if (target !== ":memory:") {
      const { existsSync } = await import("node:fs");
      if (!existsSync(target)) {
        if (opts.create === false) {
          throw new InputError(
            `no database at ${resolve(target)}: create one with tickwright ingest, generate or db init, or give --db or TICKWRIGHT_DB`,
          );
        }
        await mkdir(dirname(resolve(target)), { recursive: true });
      }
    }
    const { DuckDbRepository } = await import("./duckdb.js");
    repo = await DuckDbRepository.open(target);
  }
  try {
    await repo.init();
  } catch (err) {
    await repo.close().catch(() => {});
    throw err;
  }
  return repo;
}

async function openPostgres(url: string): Promise<Repository> {
  const { PostgresRepository } = await import("./postgres.js");
  return PostgresRepository.open(url);
}
