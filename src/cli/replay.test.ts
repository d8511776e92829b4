import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finished, runBin, SPAWNS_TIMEOUT, startBin } from "../testing/bin.js";

// The built command line as a user runs it, on generated bars: AAA on 2024-01-02 only, BBB on
// 2024-01-03 and 2024-01-04, 390 regular minutes each (no minute missing).
const dir = mkdtempSync(join(tmpdir(), "tw-replay-cli-"));
const db = join(dir, "market.duckdb");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const aaa = await runBin([
    "generate",
    "--symbols",
    "AAA",
    "--days",
    "1",
    "--start",
    "2024-01-02",
    "--db",
    db,
  ]);
  const bbb = await runBin([
    "generate",
    "--symbols",
    "BBB",
    "--days",
    "2",
    "--start",
    "2024-01-03",
    "--db",
    db,
  ]);
  expect([aaa.code, bbb.code]).toEqual([0, 0]);
}, SPAWNS_TIMEOUT);

/** The --json summary of a replay that exited 0 with nothing on stdout but it. */
async function summary(args: string[], env: Record<string, string> = {}) {
  const r = await runBin(["replay", "--json", ...args], { cwd: dir, env });
  expect([r.code, r.stderr]).toEqual([0, ""]);
  return JSON.parse(r.stdout) as {
    from: string;
    to: string;
    sessions: number;
    quality: Record<string, number>;
  };
}

describe("tickwright replay, as a user runs it", { timeout: SPAWNS_TIMEOUT }, () => {
  it("refuses a database that does not exist, naming its path, and creates nothing", async () => {
    const typo = join(dir, "typo.duckdb");
    const r = await runBin([
      "replay",
      "--db",
      typo,
      "--symbols",
      "AAA",
      "--from",
      "2024-01-02",
      "--to",
      "2024-01-02",
    ]);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      2,
      "",
      `tickwright: no database at ${typo}: create one with tickwright ingest, generate or db init, or give --db or TICKWRIGHT_DB\n`,
    ]);
    const bare = mkdtempSync(join(tmpdir(), "tw-replay-nodb-"));
    const none = await runBin(["replay", "--all", "--from", "2024-01-02", "--to", "2024-01-02"], {
      cwd: bare,
    });
    expect([
      none.code,
      none.stderr.startsWith(`tickwright: no database at ${bare}/data/tickwright.duckdb:`),
    ]).toEqual([2, true]);
    expect([existsSync(typo), existsSync(join(bare, "data"))]).toEqual([false, false]);
    rmSync(bare, { recursive: true, force: true });
  });

  it("reads symbols, from, to and allSymbols from --config and TICKWRIGHT_*: flags over environment over file", async () => {
    const file = join(dir, "r.yaml");
    writeFileSync(file, `db: ${db}\nsymbols: [AAA]\nfrom: "2024-01-02"\nto: "2024-01-02"\n`);
    const fromFile = await summary(["--config", file]);
    expect([fromFile.from, fromFile.to, fromFile.sessions, Object.keys(fromFile.quality)]).toEqual([
      "2024-01-02",
      "2024-01-02",
      1,
      ["AAA"],
    ]);
    const env = { TICKWRIGHT_SYMBOLS: "BBB", TICKWRIGHT_FROM: "2024-01-03", TICKWRIGHT_TO: "2024-01-04" };
    const fromEnv = await summary(["--config", file], env);
    expect([fromEnv.from, fromEnv.to, fromEnv.sessions, Object.keys(fromEnv.quality)]).toEqual([
      "2024-01-03",
      "2024-01-04",
      2,
      ["BBB"],
    ]);
    const all = await summary(["--config", file], {
      TICKWRIGHT_ALL_SYMBOLS: "true",
      TICKWRIGHT_TO: "2024-01-04",
    });
    expect(Object.keys(all.quality)).toEqual(["AAA", "BBB"]);
    const flags = await summary(["--config", file, "--all", "--from", "2024-01-04"], env);
    expect([flags.from, flags.to, Object.keys(flags.quality)]).toEqual(["2024-01-04", "2024-01-04", ["BBB"]]);
  });

  it("--all lists only the symbols with bars in the range", async () => {
    const r = await runBin(["replay", "--db", db, "--all", "--from", "2024-01-04", "--to", "2024-01-04"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(
      /^replayed 1 session of 1 symbol \(2024-01-04 \.\. 2024-01-04\) in \d+\.\d\d s$/,
    );
    expect(lines[1]).toMatch(/^bars in: {3}390 one-minute bars, [\d,]+ bars\/s$/);
    expect(lines.at(-1)).toBe("quality:   BBB 100.0%");
  });

  it("says there are no sessions in a range of closed days instead of a quality figure, exit 0", async () => {
    const r = await runBin([
      "replay",
      "--db",
      db,
      "--symbols",
      "AAA",
      "--from",
      "2024-01-06",
      "--to",
      "2024-01-07",
    ]);
    expect([r.code, r.stderr]).toEqual([0, "tickwright: no XNYS sessions in 2024-01-06..2024-01-07\n"]);
    expect(r.stdout).toMatch(/^replayed 0 sessions of 1 symbol /);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("quality:   no sessions in range");
  });

  it("exits 2 with one line for a bad --out path, an unknown symbol, or no range", async () => {
    const range = ["--from", "2024-01-02", "--to", "2024-01-02"];
    const out = await runBin([
      "replay",
      "--db",
      db,
      "--symbols",
      "AAA",
      ...range,
      "--out",
      "/missing/dir/x.jsonl",
    ]);
    expect([out.code, out.stdout, out.stderr]).toEqual([
      2,
      "",
      "tickwright: cannot write --out /missing/dir/x.jsonl: no folder /missing/dir\n",
    ]);
    const unknown = await runBin(["replay", "--db", db, "--symbols", "NOPE", ...range]);
    expect([unknown.code, unknown.stderr]).toEqual([
      2,
      `tickwright: unknown symbol NOPE: no one-minute bars stored in ${db}\n`,
    ]);
    const noRange = await runBin(["replay", "--db", db, "--symbols", "AAA"]);
    expect([noRange.code, noRange.stderr]).toEqual([
      2,
      "tickwright: give --from DATE and --to DATE (or from and to in --config, or TICKWRIGHT_FROM and TICKWRIGHT_TO)\n",
    ]);
  });

  it("stops a replay at 60x on SIGTERM in the middle of a wait: the summary, exit 0, within a second", async () => {
    const child = startBin([
      "replay",
      "--db",
      db,
      "--all",
      "--from",
      "2024-01-02",
      "--to",
      "2024-01-04",
      "--speed",
      "60",
    ]);
    const result = finished(child);
    await new Promise<void>((ready) => {
      child.stderr?.on("data", (d) => {
        if (String(d).includes("SIGINT or SIGTERM stops it")) ready();
      });
    });
    const sent = performance.now();
    child.kill("SIGTERM");
    const r = await result;
    const ms = performance.now() - sent;
    expect([r.code, r.signal]).toEqual([0, null]);
    expect(r.stdout).toMatch(/^stopped after \d+ sessions? of 2 symbols \(2024-01-02 \.\. 2024-01-04\)/);
    expect(ms).toBeLessThan(1000);
  });
});
