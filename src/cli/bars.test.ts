import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { run } from "../testing/cli.js";
import { hasSharedData, LEAN_ROOT, skipWithout } from "../testing/deps.js";

const dir = mkdtempSync(join(tmpdir(), "tw-cli-bars-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

describe.skipIf(skipWithout("../shared/data", hasSharedData()))(
  "tickwright ingest + bars on the LEAN sample",
  () => {
    const db = join(dir, "lean.duckdb");
    let first = "";

    beforeAll(async () => {
      const r = await run("ingest", LEAN_ROOT, "--format", "lean", "--db", db);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /^ingested 9 files of 9 into .*lean\.duckdb in [\d.]+ s \(0 failed\): 262,197 rows read, 262,196 stored, 1 rejected/,
      );
    }, 120_000);

    it("prints the 390 regular-hours minutes of 2013-10-07 as CSV: first 13:30Z at 167.43, volume 81,489,219", async () => {
      const r = await run(
        "bars",
        "SPY",
        "--interval",
        "1m",
        "--from",
        "2013-10-07",
        "--to",
        "2013-10-07",
        "--db",
        db,
      );
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split("\n");
      expect(lines[0]).toBe("time,open,high,low,close,volume");
      expect(lines.length).toBe(391);
      expect(lines[1]).toBe("2013-10-07T13:30:00Z,167.43,167.52,167.41,167.44,816453");
      expect(lines[390].startsWith("2013-10-07T19:59:00Z,")).toBe(true);
      expect(lines.slice(1).reduce((a, l) => a + Number(l.split(",")[5]), 0)).toBe(81_489_219);
      first = r.stdout;
    });

    it("reads a lower-case symbol as the upper-cased one ingest stored", async () => {
      const r = await run("bars", "spy", "--interval", "1m", "--from", "2013-10-07", "--db", db);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(first);
    });

    it("prints 828 bars with --extended", async () => {
      const r = await run("bars", "SPY", "--from", "2013-10-07", "--db", db, "--extended");
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split("\n");
      expect(lines.length).toBe(829);
      expect(lines[1].startsWith("2013-10-07T08:00:00Z,167.41,")).toBe(true);
    });

    it("ingesting again leaves the output identical", async () => {
      const again = await run("ingest", join(LEAN_ROOT, "equity/usa/minute"), "--format", "lean", "--db", db);
      expect(again.code).toBe(0);
      const r = await run(
        "bars",
        "SPY",
        "--interval",
        "1m",
        "--from",
        "2013-10-07",
        "--to",
        "2013-10-07",
        "--db",
        db,
      );
      expect(r.stdout).toBe(first);
    });

    it("derives 5m bars from the stored minutes", async () => {
      const r = await run(
        "bars",
        "SPY",
        "--interval",
        "5m",
        "--from",
        "2013-10-07",
        "--db",
        db,
        "--format",
        "json",
      );
      expect(r.code).toBe(0);
      const rows = JSON.parse(r.stdout);
      expect(rows.length).toBe(78);
      expect(rows[0].time).toBe("2013-10-07T13:30:00Z");
      expect(rows[0].open).toBe(167.43);
      expect(rows.reduce((a: number, b: { volume: number }) => a + b.volume, 0)).toBe(81_489_219);
    });

    it("reads the stored daily bars over a week of sessions, weekend skipped", async () => {
      const r = await run(
        "bars",
        "SPY",
        "--interval",
        "1d",
        "--from",
        "2013-10-04",
        "--to",
        "2013-10-08",
        "--db",
        db,
      );
      expect(r.stdout.trim().split("\n")).toEqual([
        "time,open,high,low,close,volume",
        expect.stringMatching(/^2013-10-04T13:30:00Z,/),
        "2013-10-07T13:30:00Z,167.43,168.45,167.25,167.42,81489219",
        expect.stringMatching(/^2013-10-08T13:30:00Z,/),
      ]);
    });

    it("prints a table", async () => {
      const r = await run(
        "bars",
        "SPY",
        "--interval",
        "60m",
        "--from",
        "2013-10-07",
        "--db",
        db,
        "--format",
        "table",
      );
      const lines = r.stdout.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^time\s+open\s+high\s+low\s+close\s+volume$/);
      expect(lines.length).toBe(8);
      expect(lines[1]).toMatch(/^2013-10-07T13:30:00Z\s+167\.43\s/);
    });

    it("an unknown symbol is exit 2; a range without data is the header only, a note, exit 0", async () => {
      const r = await run("bars", "NOPE", "--from", "2013-10-07", "--db", db);
      expect([r.code, r.stdout, r.stderr]).toEqual([
        2,
        "",
        `tickwright: unknown symbol NOPE: no bars stored for it in ${db}\n`,
      ]);
      const empty = await run("bars", "SPY", "--from", "2013-10-14", "--db", db);
      expect([empty.code, empty.stdout, empty.stderr]).toEqual([
        0,
        "time,open,high,low,close,volume\n",
        `no SPY 1m bars in 2013-10-14..2013-10-14 (regular hours) in ${db}\n`,
      ]);
      const weekend = await run("bars", "SPY", "--from", "2013-10-05", "--to", "2013-10-06", "--db", db);
      expect(weekend.code).toBe(0);
      expect(weekend.stdout).toBe("time,open,high,low,close,volume\n");
      expect(weekend.stderr).toBe("no XNYS sessions in 2013-10-05..2013-10-06: no bars\n");
    });
  },
);

describe("tickwright bars: bad input", () => {
  it("exits 2 with the reason for a bad interval, date, order or format", async () => {
    const cases: [string[], string][] = [
      [["--interval", "7x", "--from", "2013-10-07"], 'bad interval "7x"'],
      [["--from", "2013-02-30"], 'bad --from "2013-02-30": no such date'],
      [["--from", "2013-10-08", "--to", "2013-10-07"], "--from 2013-10-08 is after --to 2013-10-07"],
      [["--from", "2013-10-07", "--format", "xml"], 'bad --format "xml"'],
      [[], "--from DATE is required"],
    ];
    for (const [args, message] of cases) {
      const r = await run("bars", "SPY", ...args, "--db", join(dir, "none.duckdb"));
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });

  it("exits 2 when the database file does not exist", async () => {
    const missing = join(dir, "missing.duckdb");
    const r = await run("bars", "SPY", "--from", "2013-10-07", "--db", missing);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `tickwright: no database at ${missing}: create one with tickwright ingest, generate or db init, or give --db or TICKWRIGHT_DB\n`,
    );
  });
});
