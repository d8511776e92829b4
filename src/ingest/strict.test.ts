import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { columnsToBars } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import { quoteSchema } from "../store/postgres-schema.js";
import type { Repository } from "../store/types.js";
import { run as runCli } from "../testing/cli.js";
import { hasPostgres, skipWithout, TEST_PG_URL } from "../testing/deps.js";
import { ingest } from "./ingest.js";
import type { IngestOptions } from "./types.js";

const dir = mkdtempSync(join(tmpdir(), "tw-strict-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const repos: Repository[] = [];
afterEach(async () => {
  for (const r of repos.splice(0)) await r.close();
});

async function memory(): Promise<Repository> {
  const r = await openRepository(":memory:");
  repos.push(r);
  return r;
}

let fileNo = 0;
function csv(lines: string[]): string {
  const path = join(dir, `f${fileNo++}.csv`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

async function run(lines: string[], opts: Partial<IngestOptions> = {}, repo?: Repository) {
  const r = repo ?? (await memory());
  const file = csv(lines);
  const summary = await ingest([file], { format: "csv", repository: r, ...opts });
  const bars = columnsToBars(
    await r.readBars({ symbols: [], interval: opts.interval ?? "1m", from: 0, to: 8e15 }),
  );
  return { file, summary, bars, rejects: summary.rejects.map((x) => [x.line, x.reason]) };
}

const HEADER = "time,symbol,open,high,low,close";

describe("strict rows", () => {
  it("rejects rows with more fields than the header, and rows with an unbalanced quote", async () => {
    const { rejects, bars } = await run([
      "time,symbol,open,high,low,close,volume",
      "2013-10-07T13:30:00Z,SPY,1,2,0.5,1.5,10",
      "2013-10-07T13:31:00Z,SPY,1,2,0.5,1.5,10,7",
      "2013-10-07T13:32:00Z,SPY,1,2,0.5,1.5,10,7,8",
      "2013-10-07T13:33:00Z,SPY,1,2,0.5,1.5,10,7,8,9",
      '2013-10-07T13:34:00Z,SPY,1,2,0.5,1.5,"10',
      '2013-10-07T13:35:00Z,"SPY",1,2,0.5,1.5,"1""0"',
      '2013-10-07T13:36:00Z,"SPY",1,2,0.5,1.5,"11"',
    ]);
    expect(rejects).toEqual([
      [3, "8 fields, expected 7"],
      [4, "9 fields, expected 7"],
      [5, "10 fields, expected 7"],
      [6, "unbalanced quote"],
      [7, "volume is not a number"],
    ]);
    expect(bars.map((b) => [b.time, b.volume])).toEqual([
      [Date.parse("2013-10-07T13:30:00Z"), 10],
      [Date.parse("2013-10-07T13:36:00Z"), 11],
    ]);
  });

  it("rejects a naive time in a file of offsets as that row, and stores the rows after it", async () => {
    const lines = ["time,symbol,open,high,low,close,volume"];
    for (let i = 0; i < 50; i++) {
      const t = new Date(Date.parse("2013-10-07T13:30:00Z") + i * 60_000).toISOString().slice(0, 19);
      lines.push(`${i === 20 ? t.replace("T", " ") : `${t}Z`},SPY,1,2,0.5,1.5,${i}`);
    }
    const { rejects, bars, summary } = await run(lines);
    expect(rejects).toEqual([
      [22, "time written as a time without a UTC offset, the file's as a time with a UTC offset"],
    ]);
    expect(summary.failed).toEqual([]);
    expect(bars.length).toBe(49);
    expect(bars[bars.length - 1].volume).toBe(49);
  });

  it("rejects times with sub-millisecond parts or off the minute, a Saturday bar, and epoch seconds read from ms", async () => {
    const { rejects, bars } = await run([
      HEADER.replace("close", "close,volume"),
      "2013-10-07T13:30:00.0005Z,SPY,1,2,0.5,1.5,1",
      "2013-10-07T13:31:00.000Z,SPY,1,2,0.5,1.5,2",
      "2013-10-07T13:31:30Z,SPY,1,2,0.5,1.5,3",
      "2013-10-05T14:00:00Z,SPY,1,2,0.5,1.5,4",
      "2150-01-04T14:00:00Z,SPY,1,2,0.5,1.5,5",
    ]);
    expect(rejects).toEqual([
      [2, "time not on a 1m boundary"],
      [4, "time not on a 1m boundary"],
      [5, "time in no session of the calendar (not even extended hours)"],
      [6, "time outside 1970-2100"],
    ]);
    expect(bars.map((b) => b.volume)).toEqual([2]);
    const ms = await run(["time,symbol,open,high,low,close,volume", "1381152600000,SPY,1,2,0.5,1.5,1"], {
      timeFormat: "s",
    });
    expect(ms.rejects).toEqual([[2, "time outside 1970-2100"]]);
  });

  it("upper-cases symbols, so ibm and IBM are one symbol, and refuses symbols the HTTP API refuses", async () => {
    const { rejects, bars } = await run([
      "time,symbol,open,high,low,close,volume",
      "2013-10-07T13:30:00Z,ibm,1,2,0.5,1.5,1",
      "2013-10-07T13:30:00Z,IBM,1,2,0.5,1.5,2",
      "2013-10-07T13:31:00Z,Ibm,1,2,0.5,1.5,3",
      "2013-10-07T13:31:00Z,I B M,1,2,0.5,1.5,4",
      "2013-10-07T13:31:00Z,-X,1,2,0.5,1.5,5",
      `2013-10-07T13:31:00Z,${"X".repeat(33)},1,2,0.5,1.5,6`,
    ]);
    const bad = "bad symbol (expected a symbol: letters, digits and . _ - : / ^ =, at most 32 characters)";
    expect(rejects).toEqual([
      [3, "duplicate symbol and time"],
      [5, bad],
      [6, bad],
      [7, bad],
    ]);
    expect(bars.map((b) => [b.symbol, b.volume])).toEqual([
      ["IBM", 1],
      ["IBM", 3],
    ]);
  });

  it("stores a date-only daily row at its session's open, and refuses a day without a session", async () => {
    const { rejects, bars } = await run(
      [
        "date,symbol,open,high,low,close,volume",
        "2013-10-07,SPY,1,2,0.5,1.5,1",
        "2013-11-29,SPY,1,2,0.5,1.5,2",
        "2013-10-05,SPY,1,2,0.5,1.5,3",
        "2013-10-08T00:00:00Z,SPY,1,2,0.5,1.5,4",
      ],
      { interval: "1d" },
    );
    expect(rejects).toEqual([
      [4, "no session of the calendar on this date"],
      [5, "time written as a time with a UTC offset, the file's as a date alone"],
    ]);
    expect(bars.map((b) => new Date(b.time).toISOString())).toEqual([
      "2013-10-07T13:30:00.000Z",
      "2013-11-29T14:30:00.000Z",
    ]);
  });

  it("rejects a line longer than the limit without keeping it, and reads on", async () => {
    const { rejects, bars, summary } = await run(
      [
        "time,symbol,open,high,low,close,volume",
        `2013-10-07T13:30:00Z,SPY,1,2,0.5,1.5,1${"0".repeat(5000)}`,
        "2013-10-07T13:31:00Z,SPY,1,2,0.5,1.5,2",
      ],
      { maxLineBytes: 1000 },
    );
    expect(rejects).toEqual([[2, "line longer than the limit (1000 bytes)"]]);
    expect(summary.rejects[0].raw.length).toBeLessThan(1100);
    expect(bars.map((b) => b.volume)).toEqual([2]);
  });
});

const pgAvailable = await hasPostgres();

describe.skipIf(skipWithout("PostgreSQL", pgAvailable))("strict rows, PostgreSQL", () => {
  const schema = `tw_strict_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${quoteSchema(schema)} CASCADE`);
    await admin.end();
  });

  it("applies the same time rule as DuckDB: the same rows stored and rejected", async () => {
    const lines = [
      "time,symbol,open,high,low,close,volume",
      "1381152600000500,SPY,1,2,0.5,1.5,1",
      "1381152660000000,SPY,1,2,0.5,1.5,2",
      "1381152690000000,SPY,1,2,0.5,1.5,3",
    ];
    const repo = await openRepository(`${TEST_PG_URL}?schema=${schema}`);
    repos.push(repo);
    const inPg = await run(lines, {}, repo);
    const inDuck = await run(lines);
    expect(inPg.rejects).toEqual([
      [2, "time not on a 1m boundary"],
      [4, "time not on a 1m boundary"],
    ]);
    expect(inPg.rejects).toEqual(inDuck.rejects);
    expect(inPg.bars).toEqual(inDuck.bars);
    expect(inPg.bars.map((b) => b.volume)).toEqual([2]);
  });

  it("reports a permission error as a store error naming the store and the cause (exit 1), not as the file's", async () => {
    const role = `tw_ro_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const ro = `tw_ro_schema_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    try {
      await (await openRepository(`${TEST_PG_URL}?schema=${ro}`)).close();
      const db = new URL(TEST_PG_URL).pathname.slice(1);
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      await admin.query(`GRANT CREATE ON DATABASE ${quoteSchema(db)} TO ${role}`);
      await admin.query(`GRANT USAGE, CREATE ON SCHEMA ${ro} TO ${role}`);
      await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${ro} TO ${role}`);
      const url = new URL(TEST_PG_URL);
      url.username = role;
      url.searchParams.set("schema", ro);
      const file = csv(["time,symbol,open,high,low,close,volume", "2013-10-07T13:30:00Z,SPY,1,2,0.5,1.5,1"]);
      const r = await runCli("ingest", file, "--format", "csv", "--db", url.toString());
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        "tickwright: postgres store: writeBars failed: permission denied for table bars (42501)\n",
      );
      await admin.query(`REVOKE CREATE ON DATABASE ${quoteSchema(db)} FROM ${role}`);
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${ro} CASCADE`);
      await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
      await admin.end();
    }
  });
});
