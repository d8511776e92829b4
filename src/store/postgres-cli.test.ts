import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../testing/cli.js";
import { hasPostgres, hasSharedData, LEAN_ROOT, skipWithout, TEST_PG_URL } from "../testing/deps.js";

const ready = hasSharedData() && (await hasPostgres());

/**
 * Every command taking `--db` gives the same output from PostgreSQL as from DuckDB once the
 * LEAN sample data is ingested into each with `tickwright ingest`.
 */
describe.skipIf(skipWithout("../shared/data and PostgreSQL", ready))("--db postgres:// in the CLI", () => {
  const schema = `tw_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const pgUrl = `${TEST_PG_URL}?schema=${schema}`;
  // Made in beforeAll: a skipped suite still runs its body, but no hook.
  let dir = "";
  let duckFile = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tw-pg-cli-"));
    duckFile = join(dir, "market.duckdb");
    for (const db of [duckFile, pgUrl]) {
      const r = await run(
        "ingest",
        LEAN_ROOT,
        "--format",
        "lean",
        "--db",
        db,
        "--rejects",
        join(dir, "rejects.csv"),
      );
      expect(r.code).toBe(0);
    }
  }, 300_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it.each(["1m", "5m", "1d"])(
    "prints byte-identical %s bars CSV for SPY 2013-10-04..2013-10-11",
    async (interval) => {
      const args = ["bars", "SPY", "--interval", interval, "--from", "2013-10-04", "--to", "2013-10-11"];
      const fromDuck = await run(...args, "--db", duckFile);
      const fromPg = await run(...args, "--db", pgUrl);
      expect([fromDuck.code, fromDuck.stderr]).toEqual([0, ""]);
      expect(fromPg).toEqual(fromDuck);
      const lines = fromPg.stdout.trimEnd().split("\n");
      expect(lines[0]).toBe("time,open,high,low,close,volume");
      // Six sessions of regular hours: 390 one-minute, 78 five-minute bars or one daily bar each.
      expect(lines.length - 1).toBe({ "1m": 6 * 390, "5m": 6 * 78, "1d": 6 }[interval]);
      // The daily file's 2013-10-07 bar, as ../shared/data/README states it.
      if (interval === "1d")
        expect(lines[2]).toBe("2013-10-07T13:30:00Z,167.43,168.45,167.25,167.42,81489219");
    },
  );

  it("audits gaps identically", async () => {
    const args = ["gaps", "SPY", "--from", "2013-10-04", "--to", "2013-10-11", "--format", "json"];
    const fromDuck = await run(...args, "--db", duckFile);
    const fromPg = await run(...args, "--db", pgUrl);
    expect(fromDuck.code).toBe(0);
    expect(fromPg).toEqual(fromDuck);
    expect(JSON.parse(fromPg.stdout).length).toBe(6);
  });

  it("replays to identical events", async () => {
    const summaries: Record<string, unknown>[] = [];
    const events: string[] = [];
    for (const [name, db] of [
      ["duck", duckFile],
      ["pg", pgUrl],
    ]) {
      const file = join(dir, `${name}.jsonl`);
      const r = await run(
        "replay",
        "--db",
        db,
        "--symbols",
        "SPY",
        "--from",
        "2013-10-07",
        "--to",
        "2013-10-11",
      );
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const j = await run(
        "replay",
        "--db",
        db,
        "--symbols",
        "SPY",
        "--from",
        "2013-10-07",
        "--to",
        "2013-10-11",
        "--derived",
        "5m,1d",
        "--json",
        "--no-progress",
        "--out",
        file,
      );
      expect(j.code).toBe(0);
      const { wallMs: _w, barsPerSecond: _b, ...summary } = JSON.parse(j.stdout);
      summaries.push(summary);
      events.push(readFileSync(file, "utf8"));
    }
    expect(summaries[1]).toEqual(summaries[0]);
    expect(summaries[0]).toMatchObject({ sessions: 5, barsIn: 1950 });
    expect(events[1]).toBe(events[0]);
    const kinds = new Map<string, number>();
    for (const line of events[0].trim().split("\n")) {
      const kind = String(JSON.parse(line).type);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    // 1950 one-minute bars, 390 five-minute and 5 daily bars over five sessions.
    expect(Object.fromEntries(kinds)).toEqual({
      preOpen: 5,
      open: 5,
      bar: 2345,
      close: 5,
      roll: 5,
      postClose: 5,
    });
  });
});
