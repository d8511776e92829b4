import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { run } from "../testing/cli.js";

const dir = mkdtempSync(join(tmpdir(), "tw-cli-ingest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

describe("tickwright ingest", () => {
  it("prints the summary, the first 20 rejections as FILE:LINE: reason, and writes every rejection to CSV", async () => {
    const file = join(dir, "rows.csv");
    const rows = ["time,symbol,open,high,low,close,volume"];
    for (let i = 0; i < 30; i++) rows.push(`${1700000000 + i * 60},AAA,1,2,0.5,1.5,${i % 3 === 0 ? -1 : 10}`);
    rows.push("bad,AAA,1,2,0.5,1.5,1");
    writeFileSync(file, `${rows.join("\n")}\n`);
    const db = join(dir, "rej.duckdb");
    const r = await run("ingest", file, "--format", "csv", "--db", db);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/ 31 rows read, 20 stored, 11 rejected/);
    expect(lines.slice(1, 5)).toEqual([
      "rejected by reason:",
      "  negative volume: 10",
      "  unparseable time: 1",
      "first 11 rejections:",
    ]);
    expect(lines[5]).toBe(`  ${file}:2: negative volume`);
    expect(lines[15]).toBe(`  ${file}:32: unparseable time`);
    const rejects = join(dir, "rej.rejects.csv");
    expect(lines[16]).toBe(`rejected rows written to ${rejects}`);
    const csv = readFileSync(rejects, "utf8").trim().split("\n");
    expect(csv.length).toBe(12);
    expect(csv[0]).toBe("file,line,reason,raw");
    expect(csv[1]).toBe(`${file},2,negative volume,"1700000000,AAA,1,2,0.5,1.5,-1"`);
  });

  it("shows at most 20 rejections on the terminal", async () => {
    const file = join(dir, "many.csv");
    const rows = ["time,open,high,low,close,volume"];
    for (let i = 0; i < 25; i++) rows.push(`${1700000000 + i * 60},1,2,0.5,1.5,-1`);
    rows.push("1800000000,1,2,0.5,1.5,1");
    writeFileSync(file, `${rows.join("\n")}\n`);
    const r = await run(
      "ingest",
      file,
      "--format",
      "csv",
      "--symbol",
      "X",
      "--db",
      join(dir, "many.duckdb"),
      "--rejects",
      join(dir, "many-rejects.csv"),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("first 20 rejections:");
    expect(r.stdout.split("\n").filter((l) => l.includes(": negative volume")).length).toBe(20);
    expect(readFileSync(join(dir, "many-rejects.csv"), "utf8").trim().split("\n").length).toBe(26);
  });

  it("exits 1 when nothing was stored", async () => {
    const file = join(dir, "allbad.csv");
    writeFileSync(file, "time,open,high,low,close,volume\n1700000000,1,2,0.5,1.5,-1\n");
    const r = await run(
      "ingest",
      file,
      "--format",
      "csv",
      "--symbol",
      "X",
      "--db",
      join(dir, "allbad.duckdb"),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("nothing was stored");
  });

  it("exits 2 for an unreadable file, an unknown or missing format, a missing --symbol", async () => {
    const db = join(dir, "errs.duckdb");
    const missing = join(dir, "nope.csv");
    let r = await run("ingest", missing, "--format", "csv", "--db", db);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tickwright: cannot read ${missing}: no such file or directory\n`);
    r = await run("ingest", missing, "--format", "xlsx", "--db", db);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'tickwright: unknown format "xlsx": expected one of csv, parquet, lean, polygon, actions\n',
    );
    r = await run("ingest", missing, "--db", db);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--format is required");
    const nosym = join(dir, "nosym.csv");
    writeFileSync(nosym, "time,open,high,low,close,volume\n1700000000,1,2,0.5,1.5,1\n");
    r = await run("ingest", nosym, "--format", "csv", "--db", db);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no symbol column (symbol|ticker); pass --symbol SYMBOL");
  });
});
