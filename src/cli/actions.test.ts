import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../testing/cli.js";
import { hasSharedData, LEAN_ROOT, skipWithout } from "../testing/deps.js";

describe.skipIf(skipWithout("../shared/data", hasSharedData()))("tickwright actions", () => {
  const dir = mkdtempSync(join(tmpdir(), "tw-actions-cli-"));
  const db = join(dir, "market.duckdb");

  beforeAll(async () => {
    const r = await run("ingest", join(LEAN_ROOT, "equity/usa"), "--format", "lean", "--db", db);
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists AAPL's splits and dividends with their factors and the cumulative factors of the prices before them", async () => {
    const r = await run("actions", "AAPL", "--from", "2014-05-01", "--to", "2014-08-31", "--db", db);
    expect([r.code, r.stdout]).toEqual([
      0,
      [
        "date,kind,value,factor,price_factor,split_factor",
        "2014-05-08,dividend,3.29,0.9944457378,0.0320063128,0.0357143",
        "2014-06-09,split,7,0.1428572,0.03218507716,0.0357143",
        "2014-08-07,dividend,0.47,0.9950510338,0.22529545,0.25",
        "",
      ].join("\n"),
    ]);
    const all = await run("actions", "AAPL", "--db", db, "--format", "json");
    const splits = JSON.parse(all.stdout).filter((a: { kind: string }) => a.kind === "split");
    expect(splits.map((a: { date: string; value: number }) => [a.date, a.value])).toEqual([
      ["2000-06-21", 2],
      ["2005-02-28", 2],
      ["2014-06-09", 7],
      ["2020-08-31", 4],
    ]);
  });

  it("lists the rename that led to TWX from AOL", async () => {
    const r = await run("actions", "TWX", "--from", "2003-01-01", "--to", "2003-12-31", "--db", db);
    expect(r.stdout).toBe(
      "date,kind,value,factor,price_factor,split_factor\n2003-10-16,rename,AOL->TWX,1,1.538231908,3.0003\n",
    );
  });

  it("prints only the header for a symbol without actions, and exits 2 on a bad date", async () => {
    const none = await run("actions", "NOPE", "--db", db);
    expect([none.code, none.stdout, none.stderr]).toEqual([
      0,
      "date,kind,value,factor,price_factor,split_factor\n",
      `no corporate actions of NOPE in ${db}\n`,
    ]);
    const bad = await run("actions", "AAPL", "--from", "2014-02-30", "--db", db);
    expect([bad.code, bad.stderr]).toEqual([2, 'tickwright: bad --from "2014-02-30": no such date\n']);
  });
});
