import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../testing/cli.js";
import { hasSharedData, LEAN_ROOT, skipWithout } from "../testing/deps.js";

describe.skipIf(skipWithout("../shared/data", hasSharedData()))("tickwright actions", () => {
  // Made in beforeAll: a skipped suite still runs its body, but no hook.
  let dir = "";
  let db = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tw-actions-cli-"));
    db = join(dir, "market.duckdb");
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

  it("ingest rejects bad factor file rows with FILE:LINE and the reason, and keeps the rest of the file", async () => {
    const usa = join(dir, "bad/equity/usa");
    mkdirSync(join(usa, "daily"), { recursive: true });
    mkdirSync(join(usa, "factor_files"));
    copyFileSync(join(LEAN_ROOT, "equity/usa/daily/spy.zip"), join(usa, "daily/spy.zip"));
    const lines = readFileSync(join(LEAN_ROOT, "equity/usa/factor_files/spy.csv"), "utf8").trim().split("\n");
    expect(lines[64]).toBe("20130919,0.8604238,1,172.81");
    const bad = ["2013100x,0.86,1,170", "20131001,0,1,170", "20130101,0.86,1,170", "20131002,0.86,abc,170"];
    const factors = join(usa, "factor_files/spy.csv");
    writeFileSync(factors, [...lines.slice(0, 65), ...bad, ...lines.slice(65)].join("\n"));
    const badDb = join(dir, "bad.duckdb");
    const rejects = join(dir, "bad-rejects.csv");
    const r = await run("ingest", usa, "--format", "lean", "--db", badDb, "--rejects", rejects);
    expect(r.code, r.stderr).toBe(0);
    const reasons = [
      "66: date is not YYYYMMDD",
      "67: price factor is not positive",
      "68: date is not after the row before",
      "69: split factor is not a number",
    ];
    for (const reason of reasons) expect(r.stdout).toContain(`  ${factors}:${reason}\n`);
    expect(readFileSync(rejects, "utf8")).toContain(bad[1]);
    const kept = await run("actions", "SPY", "--from", "2013-01-01", "--to", "2014-12-31", "--db", badDb);
    const real = await run("actions", "SPY", "--from", "2013-01-01", "--to", "2014-12-31", "--db", db);
    expect(kept.stdout.trim().split("\n")).toHaveLength(9);
    expect(kept.stdout).toBe(real.stdout);
  });
});
