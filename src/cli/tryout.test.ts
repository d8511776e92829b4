import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { calendarNames } from "../calendar/index.js";
import { runBin, SPAWNS_TIMEOUT } from "../testing/bin.js";

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
