import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { allocBarColumns } from "../model/bar.js";
import { MINUTE_MS } from "../model/time.js";
import { openRepository } from "../store/index.js";
import { run } from "../testing/cli.js";

afterEach(() => {
  process.exitCode = undefined;
});

const xnys = getCalendar("XNYS");
let db: string;
afterAll(() => rmSync(dirname(db), { recursive: true, force: true }));

beforeAll(async () => {
  db = join(mkdtempSync(join(tmpdir(), "tickwright-gaps-")), "bars.duckdb");
  const times: number[] = [];
  for (const date of ["2013-10-07", "2013-10-08"]) {
    const s = xnys.sessionOn(date)!;
    for (const t of xnys.expectedMinutes(s, true)) {
      const m = (t - s.open) / MINUTE_MS;
      if (date === "2013-10-08" && (m === 1 || m === 2 || m === 389 || m === -1)) continue;
      times.push(t);
    }
  }
  const c = allocBarColumns(times.length);
  times.forEach((t, i) => {
    c.symbol[i] = "SPY";
    c.time[i] = t;
    c.open[i] = c.high[i] = c.low[i] = c.close[i] = 170;
    c.volume[i] = 100;
  });
  c.length = times.length;
  const repo = await openRepository(db);
  await repo.writeBars("1m", c);
  await repo.close();
});

describe("tickwright gaps", () => {
  it("prints per session expected, present, quality and gaps as one JSON array", async () => {
    const r = await run(
      "gaps",
      "SPY",
      "--from",
      "2013-10-07",
      "--to",
      "2013-10-09",
      "--db",
      db,
      "--format",
      "json",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { date: "2013-10-07", expected: 390, present: 390, quality: 100, gaps: [] },
      {
        date: "2013-10-08",
        expected: 390,
        present: 387,
        quality: (387 / 390) * 100,
        gaps: [
          { start: "2013-10-08T13:31:00Z", end: "2013-10-08T13:33:00Z", count: 2 },
          { start: "2013-10-08T19:59:00Z", end: "2013-10-08T20:00:00Z", count: 1 },
        ],
      },
      {
        date: "2013-10-09",
        expected: 390,
        present: 0,
        quality: 0,
        gaps: [{ start: "2013-10-09T13:30:00Z", end: "2013-10-09T20:00:00Z", count: 390 }],
      },
    ]);
  });

  it("prints a table, counting extended hours with --extended", async () => {
    const r = await run(
      "gaps",
      "SPY",
      "--from",
      "2013-10-08",
      "--to",
      "2013-10-08",
      "--db",
      db,
      "--extended",
    );
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")).toEqual([
      "date        expected  present  quality  gaps",
      "2013-10-08       960      956   99.58%  2013-10-08T13:29:00Z..2013-10-08T13:30:00Z (1), 2013-10-08T13:31:00Z..2013-10-08T13:33:00Z (2), 2013-10-08T19:59:00Z..2013-10-08T20:00:00Z (1)",
      "SPY: 1 session, 4 of 960 minutes missing, quality 99.58%",
      "",
    ]);
  });

  it("exits 2 on a bad date or format, and for a symbol the store does not hold", async () => {
    const bad = await run("gaps", "SPY", "--from", "2013-10-32", "--to", "2013-10-09", "--db", db);
    expect([bad.code, bad.stderr]).toEqual([2, 'tickwright: bad --from "2013-10-32": no such date\n']);
    const fmt = await run(
      "gaps",
      "SPY",
      "--from",
      "2013-10-07",
      "--to",
      "2013-10-09",
      "--db",
      db,
      "--format",
      "csv",
    );
    expect(fmt.code).toBe(2);
    const unknown = await run("gaps", "QQQ", "--from", "2013-10-07", "--to", "2013-10-09", "--db", db);
    expect([unknown.code, unknown.stderr]).toEqual([
      2,
      `tickwright: unknown symbol QQQ: no one-minute bars stored for it in ${db}\n`,
    ]);
  });

  it("says there are no sessions in a range of closed days, exit 0", async () => {
    const r = await run("gaps", "SPY", "--from", "2013-10-05", "--to", "2013-10-06", "--db", db);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      0,
      "date  expected  present  quality  gaps\nSPY: no sessions in range\n",
      "no XNYS sessions in 2013-10-05..2013-10-06: nothing to audit\n",
    ]);
  });
});
