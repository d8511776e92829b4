import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { createEngine } from "../engine/engine.js";
import { buildServer } from "../server/app.js";
import { openRepository } from "../store/index.js";
import { run } from "../testing/cli.js";
import { hasPostgres, hasSharedData, LEAN_ROOT, skipWithout, TEST_PG_URL } from "../testing/deps.js";

const ready = hasSharedData() && (await hasPostgres());

/** The adjustments asked for, as CLI options and as HTTP parameters. */
const VARIANTS: { cli: string[]; http: string }[] = [
  { cli: [], http: "" },
  { cli: ["--adjust", "split"], http: "&adjust=split" },
  { cli: ["--adjust", "split", "--as-of", "2013-10-08"], http: "&adjust=split&asOf=2013-10-08" },
  { cli: ["--adjust", "adjusted"], http: "&adjust=adjusted" },
  { cli: ["--adjust", "adjusted", "--as-of", "2013-10-09"], http: "&adjust=adjusted&asOf=2013-10-09" },
];
const INTERVALS = ["1m", "5m", "1d"];
const RANGE = ["--from", "2013-10-07", "--to", "2013-10-10"];

/** CSV rows of `bars` output by time: [close, volume]. */
function closes(csv: string): Map<string, [number, number]> {
  const rows = csv.trim().split("\n").slice(1);
  return new Map(rows.map((r) => r.split(",")).map((f) => [f[0], [Number(f[4]), Number(f[5])]]));
}

/**
 * SPY's LEAN minutes and daily bars with the dividends of its factor file, plus a made-up
 * 2:1 split with ex-date 2013-10-09 from an actions CSV, in DuckDB and in PostgreSQL: the
 * adjusted bars are the same bytes from both, through the CLI and through the HTTP API.
 */
describe.skipIf(skipWithout("../shared/data and PostgreSQL", ready))("bars --adjust from both stores", () => {
  const schema = `tw_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const pgUrl = `${TEST_PG_URL}?schema=${schema}`;
  const dir = mkdtempSync(join(tmpdir(), "tw-adjust-"));
  const duckFile = join(dir, "market.duckdb");
  const cli = new Map<string, string>();
  const http = new Map<string, string>();

  beforeAll(async () => {
    const actions = join(dir, "actions.csv");
    writeFileSync(actions, "symbol,date,kind,value\nSPY,2013-10-09,split,2\n");
    const usa = join(LEAN_ROOT, "equity/usa");
    for (const db of [duckFile, pgUrl]) {
      const lean = await run(
        "ingest",
        join(usa, "minute/spy"),
        join(usa, "daily/spy.zip"),
        "--format",
        "lean",
        "--db",
        db,
        "--rejects",
        join(dir, "rejects.csv"),
      );
      expect(lean.code, lean.stderr).toBe(0);
      expect(lean.stdout).toMatch(/stored \d+ corporate actions/);
      const split = await run("ingest", actions, "--format", "actions", "--db", db);
      expect([split.code, split.stdout]).toEqual([0, expect.stringContaining("1 stored, 0 rejected")]);
      for (const interval of INTERVALS) {
        for (const v of VARIANTS) {
          const r = await run("bars", "SPY", "--interval", interval, ...RANGE, ...v.cli, "--db", db);
          expect(r.code, r.stderr).toBe(0);
          cli.set(`${db}|${interval}|${v.http}`, r.stdout);
        }
      }
      const repository = await openRepository(db);
      const engine = await createEngine(
        { symbols: ["SPY"], from: "2013-10-07", to: "2013-10-08" },
        { repository, calendar: getCalendar("XNYS") },
      );
      const app = buildServer({ engine, defaultMetrics: false });
      try {
        for (const interval of INTERVALS) {
          for (const v of VARIANTS) {
            const url = `/api/bars?symbol=SPY&interval=${interval}&from=2013-10-07&to=2013-10-10${v.http}`;
            const r = await app.inject({ method: "GET", url });
            expect(r.statusCode, r.body).toBe(200);
            http.set(`${db}|${interval}|${v.http}`, r.body);
          }
        }
      } finally {
        await app.close();
        await engine.close();
        await repository.close();
      }
    }
  }, 300_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    try {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.end();
    }
  });

  it("prints the same bytes from DuckDB and PostgreSQL, through the CLI and the HTTP API", () => {
    for (const interval of INTERVALS) {
      for (const v of VARIANTS) {
        const key = `${interval}|${v.http}`;
        expect(cli.get(`${pgUrl}|${key}`), key).toBe(cli.get(`${duckFile}|${key}`));
        expect(http.get(`${pgUrl}|${key}`), key).toBe(http.get(`${duckFile}|${key}`));
        const body = JSON.parse(http.get(`${duckFile}|${key}`)!);
        expect(body.bars.length, key).toBe(closes(cli.get(`${duckFile}|${key}`)!).size);
      }
    }
  });

  it("halves prices and doubles volumes before the split's ex-date, and leaves them alone as of the day before", () => {
    for (const interval of INTERVALS) {
      const raw = closes(cli.get(`${duckFile}|${interval}|`)!);
      const split = closes(cli.get(`${duckFile}|${interval}|&adjust=split`)!);
      const asOfBefore = cli.get(`${duckFile}|${interval}|&adjust=split&asOf=2013-10-08`);
      expect(asOfBefore).toBe(cli.get(`${duckFile}|${interval}|`));
      expect([...split.keys()]).toEqual([...raw.keys()]);
      expect(raw.size).toBeGreaterThan(interval === "1d" ? 3 : 300);
      for (const [time, [close, volume]] of raw) {
        const beforeSplit = time < "2013-10-09";
        expect(split.get(time), time).toEqual(beforeSplit ? [close * 0.5, volume * 2] : [close, volume]);
      }
    }
  });

  it("also multiplies by SPY's dividend factor 0.8646266 when adjusted, and not as of 2013-10-09 (no dividend since 09-20)", () => {
    for (const interval of INTERVALS) {
      const raw = closes(cli.get(`${duckFile}|${interval}|`)!);
      const adjusted = closes(cli.get(`${duckFile}|${interval}|&adjust=adjusted`)!);
      const asOf = cli.get(`${duckFile}|${interval}|&adjust=adjusted&asOf=2013-10-09`);
      expect(asOf).toBe(cli.get(`${duckFile}|${interval}|&adjust=split`));
      for (const [time, [close, volume]] of raw) {
        const f = (time < "2013-10-09" ? 0.5 : 1) * 0.8646266;
        const [c, v] = adjusted.get(time)!;
        expect(c / (close * f), time).toBeCloseTo(1, 12);
        expect(v).toBe(time < "2013-10-09" ? volume * 2 : volume);
      }
    }
  });

  it("refuses a bad --adjust, --as-of without an adjustment, and adjust with n", async () => {
    const bad = await run("bars", "SPY", ...RANGE, "--adjust", "dividends", "--db", duckFile);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      'tickwright: bad --adjust "dividends": expected one of raw, split, adjusted\n',
    ]);
    const asOf = await run("bars", "SPY", ...RANGE, "--as-of", "2013-10-08", "--db", duckFile);
    expect([asOf.code, asOf.stderr]).toEqual([2, "tickwright: --as-of needs --adjust split or adjusted\n"]);
    const repository = await openRepository(duckFile);
    const engine = await createEngine(
      { symbols: ["SPY"], from: "2013-10-07", to: "2013-10-08" },
      { repository, calendar: getCalendar("XNYS") },
    );
    const app = buildServer({ engine, defaultMetrics: false });
    try {
      const get = async (q: string) => {
        const r = await app.inject({ method: "GET", url: `/api/bars?symbol=SPY&${q}` });
        return [r.statusCode, r.json().field];
      };
      expect(await get("from=2013-10-07&to=2013-10-07&adjust=dividends")).toEqual([400, "adjust"]);
      expect(await get("from=2013-10-07&to=2013-10-07&adjust=split&asOf=2013-02-30")).toEqual([400, "asOf"]);
      expect(await get("from=2013-10-07&to=2013-10-07&asOf=2013-10-08")).toEqual([400, "asOf"]);
      expect(await get("n=5&adjust=split")).toEqual([400, "adjust"]);
    } finally {
      await app.close();
      await engine.close();
      await repository.close();
    }
  });
});
