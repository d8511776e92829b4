import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { InputError } from "../model/errors.js";
import { openRepository } from "../store/index.js";
import { createEngine } from "./engine.js";

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "tw-open-store-"));
  dirs.push(d);
  return d;
};

describe("createEngine opens an existing store only", () => {
  it("refuses a DuckDB file that does not exist with an InputError naming its path, and creates nothing", async () => {
    const dir = tempDir();
    const typo = join(dir, "sub", "typo.duckdb");
    const refused = await createEngine({ db: typo, symbols: ["SPY"] }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(InputError);
    expect((refused as Error).message).toBe(
      `no database at ${typo}: create one with tickwright ingest, generate or db init, or give --db or TICKWRIGHT_DB`,
    );
    expect([existsSync(typo), existsSync(join(dir, "sub"))]).toEqual([false, false]);
  });

  it("opens a DuckDB file that exists, and :memory:", async () => {
    const file = join(tempDir(), "market.duckdb");
    await (await openRepository(file)).close();
    for (const db of [file, ":memory:"]) {
      const engine = await createEngine({ db, symbols: ["SPY"] });
      expect(engine.config.db).toBe(db);
      await engine.close();
    }
  });
});
