import { ingest } from "../ingest/index.js";
import { openRepository } from "../store/index.js";
import { LEAN_ROOT } from "./deps.js";

/** Ingests the real LEAN sample data (../shared/data/lean) into a new DuckDB file at `db`. */
export async function ingestLeanSample(db: string): Promise<void> {
  const repo = await openRepository(db);
  try {
    await ingest([LEAN_ROOT], { format: "lean", repository: repo });
  } finally {
    await repo.close();
  }
}
