import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasSharedData, REPO_ROOT, skipWithout } from "../testing/deps.js";
import { ingestLeanSample } from "../testing/lean.js";

/**
 * The `--out` file of the SPY 2013-10-04..11 replay with 5m,15m,60m,1d, written by the engine
 * before its hot-path redesign. Every later engine must reproduce it byte for byte.
 */
const GOLDEN = join(REPO_ROOT, "src/engine/fixtures/spy-2013-10-04-to-11.jsonl");

describe.skipIf(skipWithout("../shared/data", hasSharedData()))("golden replay of SPY", () => {
  let dir: string;
  let db: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tw-golden-"));
    db = join(dir, "spy.duckdb");
    await ingestLeanSample(db);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes the committed --out file byte for byte", () => {
    const out = join(dir, "out.jsonl");
    execFileSync(
      process.execPath,
      [
        join(REPO_ROOT, "bin/tickwright.js"),
        "replay",
        "--db",
        db,
        "--symbols",
        "SPY",
        "--from",
        "2013-10-04",
        "--to",
        "2013-10-11",
        "--derived",
        "5m,15m,60m,1d",
        "--out",
        out,
        "--json",
      ],
      { encoding: "utf8" },
    );
    const written = readFileSync(out);
    const golden = readFileSync(GOLDEN);
    expect(written.length).toBe(golden.length);
    expect(written.equals(golden)).toBe(true);
  });
});
