import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { calendarNames } from "../calendar/index.js";
import { runBin, SPAWNS_TIMEOUT } from "../testing/bin.js";
import { REPO_ROOT } from "../testing/deps.js";

// What a new user's tryout of a fresh clone ran into, through the built command line.
const dir = mkdtempSync(join(tmpdir(), "tw-tryout-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the bin in the scratch folder; its exit code, stdout and stderr. */
async function tw(args: string[], env: Record<string, string> = {}) {
  const r = await runBin(args, { cwd: dir, env });
  return [r.code, r.stdout, r.stderr];
}

/** The built-in calendars as the unknown-calendar message lists them. */
const KNOWN_CALENDARS = `known calendars are ${calendarNames().join(", ")}, or the path of a .json calendar file`;

describe("the tryout's one-line errors", { timeout: SPAWNS_TIMEOUT }, () => {
  it("calendar: an --export path with no folder is one line, exit 2; an unknown name is told before missing dates", async () => {
    expect(await tw(["calendar", "XNYS", "--export", "/missing/x.json"])).toEqual([
      2,
      "",
      "tickwright: cannot write --export /missing/x.json: no folder /missing\n",
    ]);
    expect(await tw(["calendar", "NOPE"])).toEqual([
      2,
      "",
      `tickwright: unknown calendar "NOPE": ${KNOWN_CALENDARS}\n`,
    ]);
    expect(await tw(["calendar", "XNYS"])).toEqual([
      2,
      "",
      "tickwright: give --from DATE [--to DATE] to list sessions, or --at INSTANT for the state\n",
    ]);
  });

  it("replay names the one date missing", async () => {
    expect(await tw(["replay", "--from", "2024-01-02", "--db", "typo.duckdb", "--all"])).toEqual([
      2,
      "",
      "tickwright: give --to DATE (or to in --config, or TICKWRIGHT_TO)\n",
    ]);
    expect(await tw(["replay", "--to", "2024-01-02", "--db", "typo.duckdb", "--all"])).toEqual([
      2,
      "",
      "tickwright: give --from DATE (or from in --config, or TICKWRIGHT_FROM)\n",
    ]);
  });
});

describe("what docs/deployment.md and the repository promise", { timeout: SPAWNS_TIMEOUT }, () => {
  it("the example configuration validates for production as the deployment guide runs it", async () => {
    const r = await runBin(["validate-config", "--config", "examples/config.yaml", "--production"]);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      0,
      "examples/config.yaml: valid, 0 production warnings\n",
      "",
    ]);
  });

  it("git ignores the default rejects file of a database (market.rejects.csv)", () => {
    const r = spawnSync("git", ["check-ignore", "--no-index", "market.rejects.csv", "data.rejects.csv"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    expect([r.status, r.stdout]).toEqual([0, "market.rejects.csv\ndata.rejects.csv\n"]);
  });
});

describe("the version and the environment", { timeout: SPAWNS_TIMEOUT }, () => {
  it("--version prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    expect(await tw(["--version"])).toEqual([0, `${version}\n`, ""]);
  });

  it("an unknown TICKWRIGHT_* variable is an error of validate-config and a warning elsewhere; tool variables are known", async () => {
    const typo = { TICKWRIGHT_SERVER_PROT: "1" };
    expect(await tw(["validate-config"], typo)).toEqual([
      2,
      "error: TICKWRIGHT_SERVER_PROT: unknown variable (nearest known variable: TICKWRIGHT_SERVER_PORT)\ndefaults and environment: 1 error\n",
      "",
    ]);
    const [code, stdout, stderr] = await tw(["calendar", "XNYS", "--from", "2024-01-02"], typo);
    expect([code, String(stdout).split("\n").at(-2), stderr]).toEqual([
      0,
      "1 session",
      "tickwright: warning: TICKWRIGHT_SERVER_PROT: unknown variable (nearest known variable: TICKWRIGHT_SERVER_PORT), ignored\n",
    ]);
    const tools = {
      TICKWRIGHT_TEST_PG_URL: "postgres://x",
      TICKWRIGHT_CHROMIUM: "/x",
      TICKWRIGHT_SLOW_TESTS: "1",
    };
    expect(await tw(["validate-config"], tools)).toEqual([0, "defaults and environment: valid\n", ""]);
  });

  it("an empty TICKWRIGHT_SERVER_TOKEN counts as unset", async () => {
    expect(await tw(["validate-config"], { TICKWRIGHT_SERVER_TOKEN: "" })).toEqual([
      0,
      "defaults and environment: valid\n",
      "",
    ]);
    expect(
      await tw(["validate-config"], { TICKWRIGHT_SERVER_TOKEN: "", TICKWRIGHT_SERVER_HOST: "0.0.0.0" }),
    ).toEqual([
      2,
      "error: server.token: required when the server binds beyond loopback (server.host is 0.0.0.0); give --token or TICKWRIGHT_SERVER_TOKEN\ndefaults and environment: 1 error\n",
      "",
    ]);
  });
});
