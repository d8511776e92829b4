import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { runBin, SPAWNS_TIMEOUT } from "../testing/bin.js";
import { run } from "../testing/cli.js";
import { hasSharedData, LEAN_ROOT, skipWithout } from "../testing/deps.js";

const dir = mkdtempSync(join(tmpdir(), "tw-cli-ingest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

/** 2023-11-14 22:13 UTC (17:13 New York, after-hours), in epoch seconds. */
const T0 = 1699999980;

describe("tickwright ingest", () => {
  it("prints the summary, the first 20 rejections as FILE:LINE: reason, and writes every rejection to CSV", async () => {
    const file = join(dir, "rows.csv");
    const rows = ["time,symbol,open,high,low,close,volume"];
    for (let i = 0; i < 30; i++) rows.push(`${T0 + i * 60},AAA,1,2,0.5,1.5,${i % 3 === 0 ? -1 : 10}`);
    rows.push("bad,AAA,1,2,0.5,1.5,1");
    writeFileSync(file, `${rows.join("\n")}\n`);
    const db = join(dir, "rej.duckdb");
    const r = await run("ingest", file, "--format", "csv", "--db", db);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(
      /^ingested 1 file of 1 into .* \(0 failed\): 31 rows read, 20 stored, 11 rejected/,
    );
    expect(lines.slice(1, 6)).toEqual([
      "  minute: 31 read, 20 stored, 11 rejected",
      "rejected by reason:",
      "  negative volume: 10",
      "  unparseable time: 1",
      "first 11 rejections:",
    ]);
    expect(lines[6]).toBe(`  ${file}:2: negative volume`);
    expect(lines[16]).toBe(`  ${file}:32: unparseable time`);
    const rejects = join(dir, "rej.rejects.csv");
    expect(lines[17]).toBe(`rejected rows written to ${rejects}`);
    const csv = readFileSync(rejects, "utf8").trim().split("\n");
    expect(csv.length).toBe(12);
    expect(csv[0]).toBe("file,line,reason,raw");
    expect(csv[1]).toBe(`${file},2,negative volume,"${T0},AAA,1,2,0.5,1.5,-1"`);
  });

  it("shows at most 20 rejections on the terminal", async () => {
    const file = join(dir, "many.csv");
    const rows = ["time,open,high,low,close,volume"];
    for (let i = 0; i < 25; i++) rows.push(`${T0 + i * 60},1,2,0.5,1.5,-1`);
    rows.push(`${T0 + 25 * 60},1,2,0.5,1.5,1`);
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

  it("exits 0 when every file was read, even when every row was rejected", async () => {
    const file = join(dir, "allbad.csv");
    writeFileSync(file, `time,open,high,low,close,volume\n${T0},1,2,0.5,1.5,-1\n`);
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
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1 rows read, 0 stored, 1 rejected");
  });

  it("exits 1 when some files cannot be read, naming each with its reason, and stores the others", async () => {
    const good = join(dir, "good.csv");
    writeFileSync(good, `time,open,high,low,close,volume\n${T0},1,2,0.5,1.5,1\n`);
    const missing = join(dir, "gone.csv");
    const r = await run(
      "ingest",
      good,
      missing,
      "--format",
      "csv",
      "--symbol",
      "X",
      "--db",
      join(dir, "some.duckdb"),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("ingested 1 file of 2 into");
    expect(r.stdout).toContain(
      `1 file could not be read:\n  ${missing}: cannot read: no such file or directory\n`,
    );
    expect(r.stderr).toBe("tickwright: 1 file could not be read\n");
  });

  it("exits 2 when no file can be read, for an unknown or missing format, a missing --symbol", async () => {
    const db = join(dir, "errs.duckdb");
    const missing = join(dir, "nope.csv");
    let r = await run("ingest", missing, "--format", "csv", "--db", db);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`  ${missing}: cannot read: no such file or directory`);
    expect(r.stderr).toBe("tickwright: no file could be read\n");
    r = await run("ingest", missing, "--format", "xlsx", "--db", db);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'tickwright: unknown format "xlsx": expected one of csv, parquet, lean, polygon, actions\n',
    );
    r = await run("ingest", missing, "--db", db);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--format is required");
    const nosym = join(dir, "nosym.csv");
    writeFileSync(nosym, `time,open,high,low,close,volume\n${T0},1,2,0.5,1.5,1\n`);
    r = await run("ingest", nosym, "--format", "csv", "--db", db);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("no symbol column (symbol|ticker); pass --symbol SYMBOL");
  });

  it("stores date-only daily rows at the session open, so bars --interval 1d --from D finds day D", async () => {
    const file = join(dir, "daily.csv");
    writeFileSync(
      file,
      "date,open,high,low,close,volume\n2013-10-07,1,2,0.5,1.5,10\n2013-10-08,1,2,0.5,1.5,11\n",
    );
    const db = join(dir, "daily.duckdb");
    expect(
      (await run("ingest", file, "--format", "csv", "--symbol", "spy", "--interval", "1d", "--db", db)).code,
    ).toBe(0);
    const r = await run(
      "bars",
      "SPY",
      "--interval",
      "1d",
      "--from",
      "2013-10-08",
      "--to",
      "2013-10-08",
      "--db",
      db,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("time,open,high,low,close,volume\n2013-10-08T13:30:00Z,1,2,0.5,1.5,11\n");
  });

  it.skipIf(skipWithout("../shared/data", hasSharedData()))(
    "stores the good zips of a LEAN folder holding a truncated one, and exits 1 naming it",
    async () => {
      const spy = join(dir, "lean", "equity", "usa", "minute", "spy");
      mkdirSync(spy, { recursive: true });
      const source = join(LEAN_ROOT, "equity", "usa", "minute", "spy");
      const days = ["20131004", "20131007", "20131008", "20131009", "20131010", "20131011"];
      for (const d of days) copyFileSync(join(source, `${d}_trade.zip`), join(spy, `${d}_trade.zip`));
      const whole = readFileSync(join(source, "20131007_trade.zip"));
      const truncated = join(spy, "20131003_trade.zip");
      writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
      const r = await run("ingest", join(dir, "lean"), "--format", "lean", "--db", join(dir, "lean.duckdb"));
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("ingested 6 files of 7 into");
      expect(r.stdout).toContain("  minute: 4,839 read, 4,839 stored, 0 rejected");
      expect(r.stdout).toMatch(new RegExp(`\\n  ${truncated}: not a readable zip file \\(.+\\)\\n`));
    },
  );

  it("without --db writes to TICKWRIGHT_DB, else the db and calendar of --config, else ./data/tickwright.duckdb", {
    timeout: SPAWNS_TIMEOUT,
  }, async () => {
    const cwd = mkdtempSync(join(tmpdir(), "tw-cli-ingest-db-"));
    try {
      const file = join(cwd, "bars.csv");
      // 2023-11-14 22:13 UTC: after-hours in New York (XNYS), outside every 24/5 gap
      writeFileSync(file, `time,symbol,open,high,low,close,volume\n${T0},AAA,1,2,0.5,1.5,10\n`);
      const summary = (r: { stdout: string }) =>
        r.stdout
          .split("\n")[0]
          .replace(/ in [\d.]+ s /, " ")
          .replace(/\(\d[\d,]* rows\/s\)/, "");
      const plain = await runBin(["ingest", file, "--format", "csv"], { cwd });
      expect([plain.code, summary(plain)]).toEqual([
        0,
        "ingested 1 file of 1 into ./data/tickwright.duckdb (0 failed): 1 rows read, 1 stored, 0 rejected ",
      ]);
      expect(existsSync(join(cwd, "data/tickwright.duckdb"))).toBe(true);
      const env = await runBin(["ingest", file, "--format", "csv"], {
        cwd,
        env: { TICKWRIGHT_DB: "env.duckdb" },
      });
      expect([env.code, summary(env)]).toEqual([
        0,
        "ingested 1 file of 1 into env.duckdb (0 failed): 1 rows read, 1 stored, 0 rejected ",
      ]);
      expect(existsSync(join(cwd, "env.duckdb"))).toBe(true);
      // a calendar of the configuration that has no session then refuses the row
      const config = join(cwd, "c.yaml");
      writeFileSync(config, "db: from-config.duckdb\ncalendar: XTKS\n");
      const viaFile = await runBin(["ingest", file, "--format", "csv", "--config", config], { cwd });
      expect([viaFile.code, summary(viaFile)]).toEqual([
        0,
        "ingested 1 file of 1 into from-config.duckdb (0 failed): 1 rows read, 0 stored, 1 rejected ",
      ]);
      expect(viaFile.stdout).toContain("time in no session of the calendar (not even extended hours): 1");
      const flags = await runBin(
        ["ingest", file, "--format", "csv", "--config", config, "--db", "flag.duckdb", "--calendar", "XNYS"],
        { cwd, env: { TICKWRIGHT_DB: "env.duckdb" } },
      );
      expect([flags.code, summary(flags)]).toEqual([
        0,
        "ingested 1 file of 1 into flag.duckdb (0 failed): 1 rows read, 1 stored, 0 rejected ",
      ]);
      expect(existsSync(join(cwd, "flag.duckdb"))).toBe(true);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
