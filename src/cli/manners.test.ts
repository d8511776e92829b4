import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finished, runBin, runIntoHead, SPAWNS_TIMEOUT, startBin } from "../testing/bin.js";

// Every command as a user runs it (the built bin, spawned), on generated bars: SYM001 and
// SYM002 over the sessions of 2024-01-02, 03 and 04.
const dir = mkdtempSync(join(tmpdir(), "tw-cli-manners-"));
const db = join(dir, "market.duckdb");
let health: Server;
let healthUrl = "";

beforeAll(async () => {
  const r = await runBin(["generate", "--symbols", "2", "--days", "3", "--db", db]);
  expect(r.code).toBe(0);
  health = createServer((_, res) => res.writeHead(200).end(JSON.stringify({ status: "ok", components: {} })));
  await new Promise<void>((ready) => health.listen(0, "127.0.0.1", ready));
  healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}`;
}, SPAWNS_TIMEOUT);
afterAll(async () => {
  await new Promise((closed) => health.close(closed));
  rmSync(dir, { recursive: true, force: true });
});

const day = ["--from", "2024-01-02"];
/** Output without the figures that depend on the machine (seconds, bars per second). */
const untimed = (text: string) => text.replace(/in \d+\.\d\d s/g, "").replace(/[\d,]+ bars\/s/g, "");
const range = ["--from", "2024-01-02", "--to", "2024-01-04"];

describe("every command into a closed pipe", { timeout: SPAWNS_TIMEOUT }, () => {
  it("prints its first line into `head -1` and exits 0 quietly", async () => {
    const csv = join(dir, "rows.csv");
    writeFileSync(csv, "time,symbol,open,high,low,close,volume\n1704205800,CSV,1,2,0.5,1.5,10\n");
    const cases: [string[], RegExp][] = [
      [["--help"], /^Usage: tickwright /],
      [["bars", "SYM001", ...day, "--db", db], /^time,open,high,low,close,volume$/],
      [
        ["bars", "SYM001", ...range, "--db", db, "--format", "table"],
        /^time\s+open\s+high\s+low\s+close\s+volume$/,
      ],
      [
        ["calendar", "XNYS", "--from", "2024-01-01", "--to", "2024-12-31"],
        /^date\s+local \(America\/New_York\)/,
      ],
      [["calendar", "XNYS", "--from", "2024-01-01", "--to", "2024-12-31", "--format", "csv"], /^date,open,/],
      [["gaps", "SYM001", ...range, "--db", db], /^date\s+expected\s+present\s+quality\s+gaps$/],
      [["replay", "--db", db, "--all", ...range], /^replayed 3 sessions of 2 symbols /],
      [
        ["replay", "--db", db, "--all", ...range, "--out", "/dev/stdout", "--no-progress"],
        /^\{"type":"preOpen",/,
      ],
      [["replay", "--db", db, "--all", ...range, "--out", "-"], /^\{"type":"preOpen",/],
      [
        ["demo", "--db", join(dir, "demo.duckdb")],
        /^generated 9,652 one-minute bars of 5 symbols over 5 sessions /,
      ],
      [["generate", "--db", join(dir, "gen.duckdb")], /^generated 9,750 one-minute bars /],
      [["db", "init", "--db", join(dir, "init.duckdb")], /^DuckDB .*init\.duckdb: tables ready$/],
      [["validate-config"], /^defaults and environment: valid$/],
      [["health", "--url", healthUrl], /^http:\/\/127\.0\.0\.1:\d+: ok$/],
      [["ingest", csv, "--format", "csv", "--db", join(dir, "csv.duckdb")], /^ingested 1 file /],
    ];
    for (const [args, first] of cases) {
      const r = await runIntoHead(args, { cwd: dir });
      expect([r.code, r.stderr], args.join(" ")).toEqual([0, ""]);
      expect(r.stdout.trimEnd(), args.join(" ")).toMatch(first);
    }
    const actions = await runIntoHead(["actions", "SYM001", "--db", db]);
    expect([actions.code, actions.stdout, actions.stderr]).toEqual([
      0,
      "date,kind,value,factor,price_factor,split_factor\n",
      `no corporate actions of SYM001 in ${db}\n`,
    ]);
  });

  it("exits 0 quietly when the reader is gone before anything is written", async () => {
    for (const args of [
      ["bars", "SYM001", ...range, "--db", db],
      ["calendar", "XNYS", "--from", "2024-01-01", "--to", "2024-12-31"],
      ["replay", "--db", db, "--all", ...range],
    ]) {
      const child = startBin(args, { cwd: dir });
      child.stdout?.destroy();
      const r = await finished(child);
      expect([r.code, r.stderr], args.join(" ")).toEqual([0, ""]);
    }
  });
});

describe("one database default, one configuration, one set of exit codes", {
  timeout: SPAWNS_TIMEOUT,
}, () => {
  it("bars, gaps, replay and actions default --db alike, refuse a missing one naming it (exit 2), and honour TICKWRIGHT_DB and --config", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "tw-cli-nodb-"));
    const readers = [
      ["bars", "SYM001", ...day],
      ["gaps", "SYM001", ...day],
      ["replay", "--all", ...range],
      ["actions", "SYM001"],
    ];
    try {
      for (const args of readers) {
        const r = await runBin(args, { cwd });
        expect([r.code, r.stdout, r.stderr], args[0]).toEqual([
          2,
          "",
          `tickwright: no database at ${cwd}/data/tickwright.duckdb: create one with tickwright ingest, generate or db init, or give --db or TICKWRIGHT_DB\n`,
        ]);
      }
      expect(existsSync(join(cwd, "data"))).toBe(false);
      const file = join(cwd, "c.json");
      writeFileSync(file, JSON.stringify({ db, from: "2024-01-02" }));
      for (const args of readers) {
        const viaEnv = await runBin(args, { cwd, env: { TICKWRIGHT_DB: db } });
        const viaFile = await runBin([...args, "--config", file], { cwd });
        expect([viaEnv.code, viaFile.code], args[0]).toEqual([0, 0]);
        expect(untimed(viaFile.stdout), args[0]).toBe(untimed(viaEnv.stdout));
        expect(viaEnv.stdout.length, args[0]).toBeGreaterThan(0);
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("serve (as a replay and as a bus shard) and bus publish refuse a missing database as the readers do (exit 2, nothing created), and take TICKWRIGHT_DB", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "tw-cli-nodb-serve-"));
    const publish = ["bus", "publish", "--nats", "nats://127.0.0.1:1", "--all", ...range];
    try {
      for (const args of [
        ["serve", "--port", "0"],
        ["serve", "--port", "0", "--bus", "nats://127.0.0.1:1", "--shard", "1/2"],
        publish,
      ]) {
        const r = await runBin(args, { cwd });
        expect([r.code, r.stdout, r.stderr], args.join(" ")).toEqual([
          2,
          "",
          `tickwright: no database at ${cwd}/data/tickwright.duckdb: create one with tickwright ingest, generate or db init, or give --db or TICKWRIGHT_DB\n`,
        ]);
      }
      expect(existsSync(join(cwd, "data"))).toBe(false);
      // With TICKWRIGHT_DB the store opens, and the publisher gets as far as NATS (not running
      // there): one line naming it, exit 1, as for every bus command.
      const refused = "tickwright: cannot connect to NATS at nats://127.0.0.1:1: connection refused\n";
      const viaEnv = await runBin(publish, { cwd, env: { TICKWRIGHT_DB: db } });
      expect([viaEnv.code, viaEnv.stderr]).toEqual([1, refused]);
      const tail = await runBin(["bus", "tail", "--nats", "nats://127.0.0.1:1"], { cwd });
      expect([tail.code, tail.stderr]).toEqual([1, refused]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("bars and gaps take from, to and calendar from the configuration; flags win", async () => {
    const file = join(dir, "range.yaml");
    writeFileSync(file, `db: ${db}\nfrom: "2024-01-03"\nto: "2024-01-04"\ncalendar: XNYS\n`);
    const bars = await runBin(["bars", "SYM002", "--config", file]);
    expect(bars.stdout.trim().split("\n").length).toBe(1 + 2 * 390);
    const gaps = await runBin(["gaps", "SYM002", "--config", file, "--format", "json"]);
    expect(JSON.parse(gaps.stdout).map((s: { date: string }) => s.date)).toEqual([
      "2024-01-03",
      "2024-01-04",
    ]);
    const flag = await runBin([
      "gaps",
      "SYM002",
      "--config",
      file,
      "--from",
      "2024-01-02",
      "--format",
      "json",
    ]);
    expect(JSON.parse(flag.stdout).map((s: { date: string }) => s.date)).toEqual(["2024-01-02"]);
    const cal = await runBin(["calendar", "--from", "2024-01-06", "--to", "2024-01-08"], {
      env: { TICKWRIGHT_CALENDAR: "24/7" },
    });
    expect(cal.stdout.trim().split("\n").at(-1)).toBe("3 sessions");
  });

  it("an unknown symbol is exit 2 in bars, gaps and replay; an empty range is exit 0 with a note", async () => {
    for (const args of [
      ["bars", "NOPE", ...day, "--db", db],
      ["gaps", "NOPE", ...day, "--db", db],
      ["replay", "--symbols", "NOPE", ...range, "--db", db],
    ]) {
      const r = await runBin(args);
      expect([r.code, r.stdout, /^tickwright: unknown symbol NOPE: /.test(r.stderr)], args[0]).toEqual([
        2,
        "",
        true,
      ]);
    }
    const empty = await runBin(["bars", "SYM001", "--from", "2024-01-05", "--db", db]);
    expect([empty.code, empty.stdout, empty.stderr]).toEqual([
      0,
      "time,open,high,low,close,volume\n",
      `no SYM001 1m bars in 2024-01-05..2024-01-05 (regular hours) in ${db}\n`,
    ]);
  });

  it("bad usage is exit 2 for every command", async () => {
    for (const command of [
      "bars",
      "gaps",
      "replay",
      "calendar",
      "generate",
      "db init",
      "validate-config",
      "health",
      "demo",
      "ingest",
      "actions",
      "serve",
      "bus publish",
      "bus collect --run r --shards 1 --out x.jsonl",
      "bus tail",
    ]) {
      const r = await runBin([...command.split(" "), "--no-such-option"]);
      expect([r.code, r.stderr.split("\n")[0]], command).toEqual([
        2,
        "error: unknown option '--no-such-option'",
      ]);
    }
  });

  it("a bad --rejects or bus collect --out path is one line and exit 2, before any work", async () => {
    const csv = join(dir, "one.csv");
    writeFileSync(csv, "time,open,high,low,close,volume\n2024-01-02T14:30:00Z,1,1,1,1,1\n");
    const db = join(dir, "rejects-target.duckdb");
    const ingest = await runBin([
      "ingest",
      csv,
      "--format",
      "csv",
      "--symbol",
      "AAA",
      "--db",
      db,
      "--rejects",
      "/missing/dir/r.csv",
    ]);
    expect([ingest.code, ingest.stderr]).toEqual([
      2,
      "tickwright: cannot write --rejects /missing/dir/r.csv: no folder /missing/dir\n",
    ]);
    expect(existsSync(db)).toBe(false);
    const collect = await runBin([
      "bus",
      "collect",
      "--run",
      "r",
      "--shards",
      "1",
      "--out",
      "/missing/dir/x.jsonl",
    ]);
    expect([collect.code, collect.stderr]).toEqual([
      2,
      "tickwright: cannot write --out /missing/dir/x.jsonl: no folder /missing/dir\n",
    ]);
  });

  it("validate-config refuses what serve refuses, and unknown keys at any depth with the nearest known key (exit 2)", async () => {
    const file = join(dir, "serve.yaml");
    writeFileSync(file, "server:\n  host: 0.0.0.0\n  prot: 8081\nupkeep:\n  maxRetrys: 3\n");
    const r = await runBin(["validate-config", "--config", file]);
    expect([r.code, r.stdout]).toEqual([
      2,
      [
        "error: upkeep.maxRetrys: unknown key (nearest known key: upkeep.maxRetries)",
        "error: server.prot: unknown key (nearest known key: server.port)",
        `${file}: 2 errors`,
        "",
      ].join("\n"),
    ]);
    writeFileSync(file, "server:\n  host: 0.0.0.0\n");
    const open = await runBin(["validate-config", "--config", file]);
    expect([open.code, open.stdout]).toEqual([
      2,
      "error: server.token: required when the server binds beyond loopback (server.host is 0.0.0.0); give --token or TICKWRIGHT_SERVER_TOKEN\n" +
        `${file}: 1 error\n`,
    ]);
    const withToken = await runBin(["validate-config", "--config", file], {
      env: { TICKWRIGHT_SERVER_TOKEN: "a-token-of-16-chars" },
    });
    expect([withToken.code, withToken.stdout]).toEqual([0, `${file}: valid\n`]);
  });

  it("tables print every price with the same decimals", async () => {
    const r = await runBin(["bars", "SYM001", ...day, "--db", db, "--interval", "60m", "--format", "table"]);
    const rows = r.stdout
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.split(/\s+/));
    expect(rows.length).toBe(7);
    const decimals = new Set(rows.flatMap((row) => row.slice(1, 5).map((p) => p.split(".")[1]?.length ?? 0)));
    expect([...decimals]).toEqual([2]);
  });
});

describe("tickwright demo", { timeout: SPAWNS_TIMEOUT }, () => {
  it("never replaces a file it did not write, and replaces its own", async () => {
    const theirs = join(dir, "theirs.duckdb");
    writeFileSync(theirs, "not the demo's");
    const refused = await runBin(["demo", "--db", theirs]);
    expect([refused.code, refused.stdout, refused.stderr]).toEqual([
      2,
      "",
      `tickwright: ${theirs} exists and was not written by tickwright demo; give --db a new file (the demo replaces only its own)\n`,
    ]);
    expect(readFileSync(theirs, "utf8")).toBe("not the demo's");
    const own = join(dir, "own.duckdb");
    expect((await runBin(["demo", "--db", own, "--days", "1"])).code).toBe(0);
    const first = statSync(own).size;
    const again = await runBin(["demo", "--db", own, "--days", "1"]);
    expect([again.code, again.stderr]).toEqual([0, ""]);
    expect(again.stdout).toMatch(/^generated 1,933 one-minute bars of 5 symbols over 1 session /);
    expect(statSync(own).size).toBe(first);
  });
});
