import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBin, SPAWNS_TIMEOUT } from "../testing/bin.js";

// Generated bars on two markets: SPY on XNYS 2024-01-03..05 (390 minutes a session), 7203 on
// XTKS 2024-01-04, 05 and 09 (300 minutes a session).
const dir = mkdtempSync(join(tmpdir(), "tw-replay-markets-"));
const db = join(dir, "tokyo.duckdb");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const spy = await runBin([
    "generate",
    "--symbols",
    "SPY",
    "--days",
    "3",
    "--start",
    "2024-01-03",
    "--db",
    db,
  ]);
  const tse = await runBin([
    "generate",
    "--symbols",
    "7203,",
    "--days",
    "3",
    "--start",
    "2024-01-04",
    "--calendar",
    "XTKS",
    "--db",
    db,
  ]);
  expect([spy.code, tse.code]).toEqual([0, 0]);
}, SPAWNS_TIMEOUT);

/** The --json summary of a replay that exited 0 with nothing on stderr. */
async function summary(args: string[], env: Record<string, string> = {}) {
  const r = await runBin(["replay", "--json", "--db", db, ...args], { cwd: dir, env });
  expect([r.code, r.stderr]).toEqual([0, ""]);
  return JSON.parse(r.stdout) as { sessions: number; barsIn: number; quality: Record<string, number> };
}

describe("tickwright replay of symbols on several markets", { timeout: SPAWNS_TIMEOUT }, () => {
  const range = ["--from", "2024-01-04", "--to", "2024-01-05"];

  it("--all with the calendars map of TICKWRIGHT_CALENDARS or --config replays the other market's symbols", async () => {
    const listed = await summary(["--symbols", "SPY,7203@XTKS", ...range]);
    expect([listed.barsIn, listed.quality]).toEqual([2 * 390 + 2 * 300, { "7203": 100, SPY: 100 }]);
    const env = await summary(["--all", ...range], { TICKWRIGHT_CALENDARS: '{"7203":"XTKS"}' });
    expect([env.barsIn, env.quality]).toEqual([2 * 390 + 2 * 300, { "7203": 100, SPY: 100 }]);
    const file = join(dir, "markets.yaml");
    writeFileSync(file, 'allSymbols: true\ncalendars:\n  "7203": XTKS\n');
    const config = await summary(["--config", file, ...range]);
    expect([config.barsIn, config.quality]).toEqual([2 * 390 + 2 * 300, { "7203": 100, SPY: 100 }]);
  });
});

describe("tickwright replay --out -", { timeout: SPAWNS_TIMEOUT }, () => {
  it("writes the events to stdout and the summary to stderr, and creates no file named -", async () => {
    const r = await runBin(
      ["replay", "--db", db, "--symbols", "SPY", "--from", "2024-01-04", "--to", "2024-01-04", "--out", "-"],
      { cwd: dir },
    );
    const lines = r.stdout.trim().split("\n");
    expect([r.code, lines[0], lines.at(-1)]).toEqual([
      0,
      '{"type":"preOpen","at":1704358800000,"calendar":"XNYS","date":"2024-01-04"}',
      '{"type":"postClose","at":1704416400000,"calendar":"XNYS","date":"2024-01-04"}',
    ]);
    expect(r.stderr).toMatch(/^replayed 1 session of 1 symbol \(2024-01-04 \.\. 2024-01-04\) in /);
    expect(existsSync(join(dir, "-"))).toBe(false);
  });
});

describe("tickwright replay summaries that tell the truth", { timeout: SPAWNS_TIMEOUT }, () => {
  it("notes a symbol with no bars stored in the range, exit 0", async () => {
    const r = await runBin([
      "replay",
      "--db",
      db,
      "--symbols",
      "SPY",
      "--from",
      "2024-01-09",
      "--to",
      "2024-01-11",
    ]);
    expect([r.code, r.stderr]).toEqual([0, "tickwright: no bars stored for SPY in 2024-01-09..2024-01-11\n"]);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("quality:   SPY 0.0%");
  });

  it("counts the sessions of the markets the symbols are on", async () => {
    const range = ["--from", "2024-01-04", "--to", "2024-01-09"];
    const tokyo = await runBin(["replay", "--db", db, "--symbols", "7203@tse", ...range]);
    expect([tokyo.code, tokyo.stderr]).toEqual([0, ""]);
    expect(tokyo.stdout).toMatch(/^replayed 3 XTKS sessions of 1 symbol \(2024-01-04 \.\. 2024-01-09\) in /);
    const both = await runBin(["replay", "--db", db, "--symbols", "SPY,7203@XTKS", ...range]);
    expect([both.code, both.stderr]).toEqual([0, ""]);
    expect(both.stdout).toMatch(
      /^replayed 4 XNYS sessions and 3 XTKS sessions of 2 symbols \(2024-01-04 \.\. 2024-01-09\) in /,
    );
  });
});
