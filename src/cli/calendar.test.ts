import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { run } from "../testing/cli.js";
import { REPO_ROOT } from "../testing/deps.js";

const dir = mkdtempSync(join(tmpdir(), "tw-cal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(() => {
  process.exitCode = undefined;
});

describe("tickwright calendar", () => {
  it("lists XNYS sessions as CSV: Thanksgiving skipped, the early close at 13:00 New York", async () => {
    const r = await run("calendar", "XNYS", "--from", "2024-11-27", "--to", "2024-12-02", "--format", "csv");
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      "date,open,close,pre_open,post_close,minutes,early_close,break_start,break_end",
      "2024-11-27,2024-11-27T14:30:00Z,2024-11-27T21:00:00Z,2024-11-27T09:00:00Z,2024-11-28T01:00:00Z,390,false,,",
      "2024-11-29,2024-11-29T14:30:00Z,2024-11-29T18:00:00Z,2024-11-29T09:00:00Z,2024-11-29T22:00:00Z,210,true,,",
      "2024-12-02,2024-12-02T14:30:00Z,2024-12-02T21:00:00Z,2024-12-02T09:00:00Z,2024-12-03T01:00:00Z,390,false,,",
    ]);
  });

  it("accepts aliases case-insensitively and prints JSON rows", async () => {
    const r = await run("calendar", "nasdaq", "--from", "2024-03-11", "--format", "json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        date: "2024-03-11",
        open: "2024-03-11T13:30:00Z",
        close: "2024-03-11T20:00:00Z",
        preOpen: "2024-03-11T08:00:00Z",
        postClose: "2024-03-12T00:00:00Z",
        minutes: 390,
        earlyClose: false,
        lateOpen: false,
        breakStart: null,
        breakEnd: null,
      },
    ]);
  });

  it("prints a table with local times", async () => {
    const r = await run("calendar", "XNYS", "--from", "2024-12-24", "--to", "2024-12-26");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(
      /^date\s+local \(America\/New_York\)\s+open \(UTC\)\s+close \(UTC\)\s+minutes\s+note$/,
    );
    expect(lines[1]).toMatch(
      /^2024-12-24\s+04:00 09:30-13:00 17:00\s+2024-12-24T14:30:00Z\s+2024-12-24T18:00:00Z\s+210\s+early close$/,
    );
    expect(lines[2]).toMatch(/^2024-12-26\s+04:00 09:30-16:00 20:00\s+/);
    expect(lines[3]).toBe("2 sessions");
  });

  it("tells the state at an instant and the next boundary", async () => {
    const open = await run("calendar", "XNYS", "--at", "2024-11-29T15:00:00Z");
    expect(open.stdout.trim().split("\n")).toEqual([
      "XNYS at 2024-11-29T15:00:00Z: open (session 2024-11-29)",
      "next: close of 2024-11-29 at 2024-11-29T18:00:00Z",
    ]);
    const pre = await run("calendar", "XNYS", "--at", "2024-11-29T13:00:00Z", "--format", "json");
    expect(JSON.parse(pre.stdout)).toEqual({
      calendar: "XNYS",
      at: "2024-11-29T13:00:00Z",
      state: "pre",
      session: "2024-11-29",
      next: { type: "open", at: "2024-11-29T14:30:00Z", session: "2024-11-29" },
    });
    const post = await run("calendar", "XNYS", "--at", "2024-11-29T20:00:00Z", "--format", "csv");
    expect(post.stdout).toBe(
      "at,state,session,next,next_at,next_session\n" +
        "2024-11-29T20:00:00Z,post,2024-11-29,postClose,2024-11-29T22:00:00Z,2024-11-29\n",
    );
    const closed = await run("calendar", "XNYS", "--at", "2024-11-28T15:00:00Z");
    expect(closed.stdout.trim().split("\n")).toEqual([
      "XNYS at 2024-11-28T15:00:00Z: closed",
      "next: preOpen of 2024-11-29 at 2024-11-29T09:00:00Z",
    ]);
  });

  it("reads a JSON calendar file by path", async () => {
    const file = resolve(REPO_ROOT, "examples/calendars/futures-sample.json");
    const r = await run("calendar", file, "--from", "2024-03-11", "--format", "csv");
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")[1]).toBe(
      "2024-03-11,2024-03-10T22:00:00Z,2024-03-11T21:00:00Z,2024-03-10T22:00:00Z,2024-03-11T21:00:00Z,1380,false,,",
    );
  });

  it("exits 2 naming an unknown calendar and the known ones", async () => {
    const r = await run("calendar", "XLSE", "--from", "2024-01-02");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /unknown calendar "XLSE": known calendars are XNYS \(NYSE, XNAS, NASDAQ\), 24\/7/,
    );
  });

  it("exits 2 on an impossible date", async () => {
    const r = await run("calendar", "XNYS", "--from", "2024-02-30", "--to", "2024-03-05");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad --from "2024-02-30": no such date');
  });

  it("exits 2 when --from is after --to", async () => {
    const r = await run("calendar", "XNYS", "--from", "2024-03-05", "--to", "2024-03-01");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--from 2024-03-05 is after --to 2024-03-01");
  });

  it("exits 2 on a bad instant, a bad format, missing dates, or dates outside the calendar", async () => {
    expect((await run("calendar", "XNYS", "--at", "yesterday")).stderr).toContain('bad --at "yesterday"');
    expect((await run("calendar", "XNYS", "--from", "2024-01-02", "--format", "xml")).stderr).toContain(
      'bad --format "xml"',
    );
    expect((await run("calendar", "XNYS")).code).toBe(2);
    const outside = await run("calendar", "XNYS", "--from", "1980-01-02");
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain("outside calendar XNYS, which covers 1990-01-01 to 2050-12-31");
  });

  it("exits 2 naming the key path of an invalid JSON calendar", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(
      file,
      JSON.stringify({ name: "BAD", timeZone: "UTC", weekly: { mon: { open: "9:30", close: "16:00" } } }),
    );
    const r = await run("calendar", file, "--from", "2024-01-01");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('weekly.mon.open: expected HH:MM between 00:00 and 24:00, got "9:30"');
  });

  it("shows Tokyo's lunch break in the CSV columns break_start and break_end", async () => {
    const r = await run("calendar", "XTKS", "--from", "2024-01-01", "--to", "2024-01-31", "--format", "csv");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1 + 19);
    expect(lines[1]).toBe(
      "2024-01-04,2024-01-04T00:00:00Z,2024-01-04T06:00:00Z,2024-01-04T00:00:00Z,2024-01-04T06:00:00Z,300,false,2024-01-04T02:30:00Z,2024-01-04T03:30:00Z",
    );
    const table = await run("calendar", "XTKS", "--from", "2024-01-04");
    expect(table.stdout.split("\n")[1]).toMatch(/^2024-01-04\s+09:00 09:00-11:30 12:30-15:00 15:00\s+/);
  });

  it("lists every built-in calendar in --help", async () => {
    const r = await run("calendar", "--help");
    for (const name of [
      "XNYS",
      "XLON",
      "XETR",
      "XPAR",
      "XAMS",
      "XSWX",
      "XTKS",
      "XHKG",
      "XASX",
      "XTSE",
      "CMES",
      "24/7",
      "24/5",
    ]) {
      expect(r.stdout).toContain(name);
    }
  });

  it("exports a calendar to JSON that loads back to the same sessions", async () => {
    const file = join(dir, "xhkg.json");
    const w = await run("calendar", "XHKG", "--export", file, "--from", "2024-01-01", "--to", "2025-12-31");
    expect(w.code).toBe(0);
    expect(w.stdout).toMatch(
      new RegExp(`^wrote XHKG 2024-01-01 to 2025-12-31 to ${file}: \\d+ holidays, \\d+ days of other hours`),
    );
    const span = ["--from", "2024-01-01", "--to", "2025-12-31", "--format", "csv"];
    const original = await run("calendar", "XHKG", ...span);
    const loaded = await run("calendar", file, ...span);
    expect(loaded.code).toBe(0);
    expect(loaded.stdout).toBe(original.stdout);
    expect(original.stdout.split("\n").length).toBeGreaterThan(490);
  });
});
