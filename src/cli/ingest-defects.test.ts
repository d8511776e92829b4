import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DuckDBInstance, listValue } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { makeZip } from "../ingest/zip.fixture.js";
import { run } from "../testing/cli.js";
import { hasSharedData, skipWithout } from "../testing/deps.js";
import { ingestLeanSample } from "../testing/lean.js";

/**
 * The defects issue 11 found, each run again as a user runs it: `tickwright ingest` (and
 * `replay --fill-from`) on files built here, the output read as printed.
 */
const dir = mkdtempSync(join(tmpdir(), "tw-cli-defects-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function csvFile(lines: string[]): string {
  const path = join(dir, `f${n++}.csv`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

const ingestCsv = (file: string, ...flags: string[]) =>
  run("ingest", file, "--format", "csv", "--db", join(dir, `d${n++}.duckdb`), ...flags);

/** The lines of the output after `rejected by reason:` up to the sample, and the sample. */
function rejections(stdout: string): { reasons: string[]; first: string[] } {
  const lines = stdout.split("\n");
  const r = lines.indexOf("rejected by reason:");
  const f = lines.findIndex((l) => l.startsWith("first "));
  const end = lines.findIndex((l) => l.startsWith("rejected rows written to"));
  return { reasons: lines.slice(r + 1, f), first: lines.slice(f + 1, end) };
}

const python = spawnSync("python3", ["--version"], { stdio: "ignore" }).status === 0;

describe("issue 11's defects, through the CLI", () => {
  it.skipIf(skipWithout("python3", python))(
    "a LEAN folder with a .NET ZIP64 zip, a zip bomb and a plain zip: both good zips land, the bomb fails alone (exit 1)",
    async () => {
      const root = join(dir, "lean");
      const minute = (sym: string) => {
        const d = join(root, "equity", "usa", "minute", sym);
        mkdirSync(d, { recursive: true });
        return join(d, "20240308_trade.zip");
      };
      const row = "34200000,1000000,1010000,990000,1005000,500\n"; // 09:30 New York
      writeFileSync(
        minute("abc"),
        makeZip([{ name: "20240308_abc_minute_trade.csv", data: Buffer.from(row) }]),
      );
      const csv = join(dir, "20240308_net_minute_trade.csv");
      writeFileSync(csv, row);
      const script = resolve(import.meta.dirname, "../ingest/testdata/dotnet-zip64.py");
      expect(spawnSync("python3", [script, minute("net"), "20240308_net_minute_trade.csv", csv]).status).toBe(
        0,
      );
      const bomb = minute("bomb");
      writeFileSync(
        bomb,
        makeZip([{ name: "20240308_bomb_minute_trade.csv", data: Buffer.alloc(64 << 20) }]),
      );
      const r = await run(
        "ingest",
        root,
        "--format",
        "lean",
        "--db",
        join(dir, "lean.duckdb"),
        "--max-unzipped-bytes",
        "1048576",
      );
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("ingested 2 files of 3 into");
      expect(r.stdout).toContain("\n  minute: 2 read, 2 stored, 0 rejected\n");
      expect(r.stdout).toContain(
        `\n  ${bomb}: not a readable zip file (20240308_bomb_minute_trade.csv inflates to 67108864 bytes, over the limit of 1048576 (--max-unzipped-bytes))\n`,
      );
      const bars = await run("bars", "NET", "--from", "2024-03-08", "--db", join(dir, "lean.duckdb"));
      expect(bars.stdout).toBe(
        "time,open,high,low,close,volume\n2024-03-08T14:30:00Z,100,101,99,100.5,500\n",
      );
    },
  );

  it("rows with 7-9 fields under a 6-column header and an unbalanced quote in the last field are rejected by line, the rest stored", async () => {
    const file = csvFile([
      "time,open,high,low,close,volume",
      "2013-10-07T13:30:00Z,1,2,0.5,1.5,10",
      "2013-10-07T13:31:00Z,1,2,0.5,1.5,10,7",
      "2013-10-07T13:32:00Z,1,2,0.5,1.5,10,7,8",
      "2013-10-07T13:33:00Z,1,2,0.5,1.5,10,7,8,9",
      '2013-10-07T13:34:00Z,1,2,0.5,1.5,"10',
      "2013-10-07T13:35:00Z,1,2,0.5,1.5,11",
    ]);
    const r = await ingestCsv(file, "--symbol", "SPY");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(0 failed\): 6 rows read, 2 stored, 4 rejected /);
    expect(rejections(r.stdout).first).toEqual([
      `  ${file}:3: 7 fields, expected 6`,
      `  ${file}:4: 8 fields, expected 6`,
      `  ${file}:5: 9 fields, expected 6`,
      `  ${file}:6: unbalanced quote`,
    ]);
  });

  it("a time without a UTC offset at line 902 of a file of offsets rejects that row only; every other row is stored", async () => {
    const lines = ["time,symbol,open,high,low,close,volume"];
    const t0 = Date.parse("2013-10-07T08:00:00Z");
    // the 960 minutes of an extended session, 04:00-20:00 New York
    for (let i = 0; i < 960; i++) {
      const t = new Date(t0 + i * 60_000).toISOString().slice(0, 19);
      lines.push(`${i === 900 ? t : `${t}Z`},SPY,1,2,0.5,1.5,${i}`);
    }
    const file = csvFile(lines);
    const r = await ingestCsv(file);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(0 failed\): 960 rows read, 959 stored, 1 rejected /);
    expect(rejections(r.stdout).first).toEqual([
      `  ${file}:902: time written as a time without a UTC offset, the file's as a time with a UTC offset`,
    ]);
  });

  it("sub-millisecond times, a Saturday bar and ms read as seconds are rejected; ibm and IBM are one symbol", async () => {
    const file = csvFile([
      "time,symbol,open,high,low,close,volume",
      "2013-10-07T13:30:00.0005Z,IBM,1,2,0.5,1.5,1",
      "2013-10-07T13:30:00.000Z,ibm,1,2,0.5,1.5,2",
      "2013-10-07T13:31:00Z,IBM,1,2,0.5,1.5,3",
      "2013-10-05T14:00:00Z,IBM,1,2,0.5,1.5,4",
    ]);
    const db = join(dir, "times.duckdb");
    const r = await run("ingest", file, "--format", "csv", "--db", db);
    expect(r.code).toBe(0);
    expect(rejections(r.stdout).first).toEqual([
      `  ${file}:2: time not on a 1m boundary`,
      `  ${file}:5: time in no session of the calendar (not even extended hours)`,
    ]);
    const bars = await run("bars", "IBM", "--from", "2013-10-07", "--db", db);
    expect(bars.stdout).toBe(
      "time,open,high,low,close,volume\n2013-10-07T13:30:00Z,1,2,0.5,1.5,2\n2013-10-07T13:31:00Z,1,2,0.5,1.5,3\n",
    );
    const ms = csvFile(["time,symbol,open,high,low,close,volume", "1381152600000,SPY,1,2,0.5,1.5,1"]);
    const s = await ingestCsv(ms, "--time-format", "s");
    expect([s.code, rejections(s.stdout).first]).toEqual([0, [`  ${ms}:2: time outside 1970-2100`]]);
  });

  it("a large rejects file is written as rows are rejected, each raw text cut to 1 KB", async () => {
    const lines = ["time,symbol,open,high,low,close,volume"];
    for (let i = 0; i < 3000; i++) lines.push(`2013-10-07T13:30:00Z,SPY,1,2,0.5,1.5,1,${"x".repeat(4000)}`);
    const file = csvFile(lines);
    const rejects = join(dir, "big-rejects.csv");
    const r = await ingestCsv(file, "--rejects", rejects);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("rejected by reason:\n  8 fields, expected 7: 3,000\n");
    const written = readFileSync(rejects, "utf8").trim().split("\n");
    expect(written).toHaveLength(3001);
    const raw = lines[1];
    expect(written[3000]).toBe(
      `${file},3001,"8 fields, expected 7","${raw.slice(0, 1024)}... [${raw.length - 1024} more bytes]"`,
    );
  });
});

describe.skipIf(skipWithout("../shared/data", hasSharedData()))("replay --fill-from, through the CLI", () => {
  it("fills a store's deleted minutes from a second store named by --fill-from or upkeep.source; none abandons them", async () => {
    const whole = join(dir, "whole.duckdb");
    const holed = join(dir, "holed.duckdb");
    await ingestLeanSample(whole);
    await ingestLeanSample(holed);
    const deleted = [Date.parse("2013-10-07T14:00:00Z"), Date.parse("2013-10-08T15:00:00Z")];
    const db = await DuckDBInstance.create(holed);
    const con = await db.connect();
    await con.run(
      "DELETE FROM bars WHERE symbol = 'SPY' AND interval = '1m' AND list_contains($1::BIGINT[], time)",
      [listValue(deleted.map(BigInt))],
    );
    con.closeSync();
    db.closeSync();
    const replay = (...flags: string[]) =>
      run(
        "replay",
        "--db",
        holed,
        "--symbols",
        "SPY",
        "--from",
        "2013-10-07",
        "--to",
        "2013-10-08",
        ...flags,
      );
    const gapsLine = (stdout: string) => stdout.split("\n").find((l) => l.startsWith("gaps:"));
    const filled = await replay("--fill-from", whole);
    expect([filled.code, gapsLine(filled.stdout)]).toEqual([
      0,
      "gaps:      2 gaps found, 2 filled, 0 abandoned",
    ]);
    const config = join(dir, "fill.yaml");
    writeFileSync(config, `upkeep:\n  source: ${whole}\n`);
    const viaConfig = await replay("--config", config);
    expect(gapsLine(viaConfig.stdout)).toBe("gaps:      2 gaps found, 2 filled, 0 abandoned");
    const none = await replay("--fill-from", "none");
    expect(gapsLine(none.stdout)).toBe("gaps:      2 gaps found, 0 filled, 2 abandoned");
  });
});
