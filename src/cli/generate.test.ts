import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { run } from "../testing/cli.js";

const dir = mkdtempSync(join(tmpdir(), "tw-cli-generate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

describe("tickwright generate", () => {
  it("writes deterministic bars that bars reads back, and says what it wrote", async () => {
    const a = join(dir, "gen-a.duckdb");
    const b = join(dir, "gen-b.duckdb");
    const r = await run("generate", "--symbols", "3", "--days", "2", "--seed", "11", "--db", a);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^generated 2,340 one-minute bars of 3 symbols over 2 sessions \(XNYS 2024-01-02 to 2024-01-03, seed 11\) into .*gen-a\.duckdb in [\d.]+ s\n$/,
    );
    await run("generate", "--symbols", "3", "--days", "2", "--seed", "11", "--db", b);
    const fromA = await run("bars", "SYM002", "--from", "2024-01-02", "--to", "2024-01-03", "--db", a);
    const fromB = await run("bars", "SYM002", "--from", "2024-01-02", "--to", "2024-01-03", "--db", b);
    expect(fromA.stdout.trim().split("\n").length).toBe(781);
    expect(fromA.stdout).toBe(fromB.stdout);
  });

  it("fills another market's sessions with --calendar, its lunch break left empty", async () => {
    const db = join(dir, "gen-xtks.duckdb");
    const r = await run("generate", "--symbols", "TOYOTA", "--days", "2", "--calendar", "XTKS", "--db", db);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^generated 600 one-minute bars of TOYOTA over 2 sessions \(XTKS 2024-01-04 to 2024-01-05, seed 1\)/,
    );
    const unknown = await run("generate", "--calendar", "XLSE", "--db", db);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown calendar "XLSE": known calendars are XNYS');
  });

  it("takes a numeric ticker as a name when written with a comma (7203,), as a count without", async () => {
    const db = join(dir, "gen-numeric.duckdb");
    const r = await run("generate", "--symbols", "7203,", "--days", "1", "--calendar", "XTKS", "--db", db);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^generated 300 one-minute bars of 7203 over 1 session \(XTKS 2024-01-04/);
    const counted = await run(
      "generate",
      "--symbols",
      "2",
      "--days",
      "1",
      "--db",
      join(dir, "gen-count.duckdb"),
    );
    expect(counted.stdout).toMatch(/^generated 780 one-minute bars of 2 symbols over 1 session /);
  });

  it("takes a list of symbol names and a missing rate", async () => {
    const db = join(dir, "gen-names.duckdb");
    const r = await run(
      "generate",
      "--symbols",
      "SPY,QQQ",
      "--days",
      "1",
      "--missing-rate",
      "0.5",
      "--db",
      db,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("of SPY, QQQ over 1 session");
    const bars = await run("bars", "QQQ", "--from", "2024-01-02", "--db", db);
    const n = bars.stdout.trim().split("\n").length - 1;
    expect(n).toBeGreaterThan(150);
    expect(n).toBeLessThan(240);
  });

  it("exits 2 on bad numbers", async () => {
    const r = await run("generate", "--days", "0", "--db", join(dir, "x.duckdb"));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tickwright: bad --days "0": expected a whole number >= 1\n');
    const m = await run("generate", "--missing-rate", "2", "--db", join(dir, "x.duckdb"));
    expect(m.code).toBe(2);
    expect(m.stderr).toContain('bad --missing-rate "2"');
  });
});
