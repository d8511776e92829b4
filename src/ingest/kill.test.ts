import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { openRepository } from "../store/index.js";
import { quoteSchema } from "../store/postgres-schema.js";
import { hasPostgres, REPO_ROOT, skipWithout, TEST_PG_URL } from "../testing/deps.js";
import { mulberry32 } from "./generate.js";

const dir = mkdtempSync(join(tmpdir(), "tw-kill-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SYMBOLS = ["AAA", "BBB", "CCC"];
const MINUTES = 30_000;
/** Every extended-hours minute of XNYS sessions from 2013-10-07, for three symbols, in (time, symbol) order. */
function fileRows(): string[] {
  const xnys = getCalendar("XNYS");
  const rows: string[] = [];
  let m = 0;
  for (const session of xnys.sessions("2013-10-07", "2014-12-31")) {
    for (const t of xnys.expectedMinutes(session, true)) {
      if (m === MINUTES) return rows;
      for (const s of SYMBOLS) rows.push(`${new Date(t).toISOString()},${s},1,2,0.5,1.5,${m}`);
      m++;
    }
  }
  return rows;
}

const CSV = join(dir, "bars.csv");
const ROWS = fileRows();
writeFileSync(CSV, `time,symbol,open,high,low,close,volume\n${ROWS.join("\n")}\n`);
const KEYS = ROWS.map((r) => {
  const [time, symbol, , , , , volume] = r.split(",");
  return `${Date.parse(time)},${symbol},${volume}`;
});

/**
 * The CLI ingesting the file. Runs to be killed write batches of 500 rows (180 batches: the
 * ingest lasts long enough against the jitter of starting Node for the kills to land in it);
 * re-runs the default of the test, 1,500.
 */
function ingestChild(db: string, output: "ignore" | "pipe" = "ignore", batchRows = 500): ChildProcess {
  const bin = resolve(REPO_ROOT, "bin/tickwright.js");
  return spawn(
    process.execPath,
    [bin, "ingest", CSV, "--format", "csv", "--db", db, "--batch-rows", String(batchRows)],
    {
      stdio: ["ignore", output, "ignore"],
    },
  );
}

/** The seconds the CLI says its ingest took ("ingested ... in X s"), from its output. */
function ingestSeconds(stdout: string): number {
  const m = / in (\d+(?:\.\d+)?) s /.exec(stdout);
  if (!m) throw new Error(`no ingest time in the CLI's output: ${stdout}`);
  return Number(m[1]);
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => child.on("exit", (code) => done(code)));
}

/** The stored bars in file order (time, then symbol), as `time,symbol,volume`. */
async function storedKeys(db: string): Promise<string[]> {
  const repo = await openRepository(db);
  try {
    const c = await repo.readBars({ symbols: [], interval: "1m", from: 0, to: 8e15 });
    const out: string[] = [];
    for (let i = 0; i < c.length; i++) out.push(`${c.time[i]},${c.symbol[i]},${c.volume[i]}`);
    return out;
  } finally {
    await repo.close();
  }
}

/**
 * Kills an ingest with SIGKILL at 10 random points, checks that what is stored is a prefix
 * of the file, then re-runs the ingest and checks it completes the file with no duplicates.
 * The points are seeded delays spread over the ingest itself, so that the kills land while
 * rows are being written: a whole run is timed first, and the CLI's own "in X s" says how
 * much of it was the ingest (the rest is starting Node and opening the store); a kill that
 * found nothing stored moves the window's start to its delay, one that found every row its
 * end (starting Node varies by a few hundred ms under load). Most kills must have stored
 * some rows and not all (`midIngest`): a kill before the first write or after the last
 * would prove nothing.
 */
async function killAndResume(db: (k: number) => string, seed: number): Promise<number[]> {
  const random = mulberry32(seed);
  const started = performance.now();
  const reference = db(10);
  const first = ingestChild(reference, "pipe");
  let stdout = "";
  first.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString("utf8");
  });
  expect(await exited(first)).toBe(0);
  const whole = performance.now() - started;
  const ingesting = Math.min(whole, ingestSeconds(stdout) * 1000);
  expect(await storedKeys(reference)).toEqual(KEYS);
  let from = whole - ingesting * 0.95;
  let to = whole - ingesting * 0.1;
  const prefixes: number[] = [];
  for (let k = 0; k < 10; k++) {
    const target = db(k);
    const child = ingestChild(target);
    const done = exited(child);
    const delay = from + (to - from) * random();
    const timer = setTimeout(() => child.kill("SIGKILL"), delay);
    await done;
    clearTimeout(timer);
    const stored = await storedKeys(target);
    expect(stored).toEqual(KEYS.slice(0, stored.length));
    prefixes.push(stored.length);
    if (stored.length === 0) from = delay;
    if (stored.length === KEYS.length) to = delay;
    const rerun = ingestChild(target, "ignore", 1500);
    expect(await exited(rerun)).toBe(0);
    expect(await storedKeys(target)).toEqual(KEYS);
  }
  const midIngest = prefixes.filter((n) => n > 0 && n < KEYS.length).length;
  expect(midIngest, `kills that left some rows and not all: ${prefixes.join(" ")}`).toBeGreaterThanOrEqual(6);
  return prefixes;
}

describe("ingest killed with SIGKILL", () => {
  it("DuckDB: the stored rows are a prefix of the file at 10 random points, and a re-run completes it", async () => {
    const prefixes = await killAndResume((k) => join(dir, `kill${k}.duckdb`), 11);
    console.info(`DuckDB rows stored at the kills: ${prefixes.join(" ")} of ${KEYS.length}`);
  }, 600_000);

  const pgAvailable = hasPostgres();
  it("PostgreSQL: the stored rows are a prefix of the file at 10 random points, and a re-run completes it", async (ctx) => {
    if (skipWithout("PostgreSQL", await pgAvailable)) return ctx.skip();
    const schemas: string[] = [];
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    try {
      const prefixes = await killAndResume((k) => {
        const s = `tw_kill_${process.pid}_${k}_${Math.random().toString(36).slice(2, 8)}`;
        schemas.push(s);
        return `${TEST_PG_URL}?schema=${s}`;
      }, 12);
      console.info(`PostgreSQL rows stored at the kills: ${prefixes.join(" ")} of ${KEYS.length}`);
    } finally {
      for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${quoteSchema(s)} CASCADE`);
      await admin.end();
    }
  }, 600_000);
});
