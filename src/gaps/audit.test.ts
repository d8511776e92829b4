import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { allocBarColumns } from "../model/bar.js";
import { isoUtc, MINUTE_MS } from "../model/time.js";
import { openRepository, type Repository } from "../store/index.js";
import { auditGaps } from "./audit.js";

const xnys = getCalendar("XNYS");

/** Every extended-hours minute of the sessions, except the given regular-session minute indexes per date. */
function minutesExcept(dates: string[], missing: Record<string, number[]>) {
  const times: number[] = [];
  for (const date of dates) {
    const s = xnys.sessionOn(date)!;
    for (const t of xnys.expectedMinutes(s, true)) {
      if (!missing[date]?.includes((t - s.open) / MINUTE_MS)) times.push(t);
    }
  }
  const c = allocBarColumns(times.length);
  times.forEach((t, i) => {
    c.symbol[i] = "SPY";
    c.time[i] = t;
    c.open[i] = c.high[i] = c.low[i] = c.close[i] = 100;
    c.volume[i] = 10;
  });
  c.length = times.length;
  return c;
}

describe("auditGaps over a DuckDB store", () => {
  let repo: Repository;
  beforeAll(async () => {
    repo = await openRepository(":memory:");
    await repo.writeBars(
      "1m",
      minutesExcept(["2013-10-07", "2013-10-08", "2013-11-29"], {
        "2013-10-08": [0, 1, 2, 100, -5],
        "2013-11-29": [209],
      }),
    );
  });
  afterAll(async () => {
    await repo?.close();
  });

  it("reports per session expected, present, quality and the missing ranges", async () => {
    const report = await auditGaps(repo, "SPY", "2013-10-07", "2013-10-09", xnys);
    expect(
      report.map((r) => ({ ...r, gaps: r.gaps.map((g) => [isoUtc(g.start), isoUtc(g.end), g.count]) })),
    ).toEqual([
      { date: "2013-10-07", expected: 390, present: 390, quality: 100, gaps: [] },
      {
        date: "2013-10-08",
        expected: 390,
        present: 386,
        quality: (386 / 390) * 100,
        gaps: [
          ["2013-10-08T13:30:00Z", "2013-10-08T13:33:00Z", 3],
          ["2013-10-08T15:10:00Z", "2013-10-08T15:11:00Z", 1],
        ],
      },
      {
        date: "2013-10-09",
        expected: 390,
        present: 0,
        quality: 0,
        gaps: [["2013-10-09T13:30:00Z", "2013-10-09T20:00:00Z", 390]],
      },
    ]);
  });

  it("expects pre-market and after-hours minutes with extended", async () => {
    const [tue] = await auditGaps(repo, "SPY", "2013-10-08", "2013-10-08", xnys, { extended: true });
    expect([tue.expected, tue.present, tue.gaps.length]).toEqual([960, 955, 3]);
    expect(isoUtc(tue.gaps[0].start)).toBe("2013-10-08T13:25:00Z");
  });

  it("expects 210 minutes on an early close, and only minutes ended by upTo", async () => {
    const early = xnys.sessionOn("2013-11-29")!;
    const [full] = await auditGaps(repo, "SPY", "2013-11-29", "2013-11-29", xnys);
    expect(full).toMatchObject({
      expected: 210,
      present: 209,
      gaps: [{ start: early.close - MINUTE_MS, count: 1 }],
    });
    const [partial] = await auditGaps(repo, "SPY", "2013-11-29", "2013-11-29", xnys, {
      upTo: early.open + 30 * MINUTE_MS,
    });
    expect(partial).toEqual({ date: "2013-11-29", expected: 30, present: 30, quality: 100, gaps: [] });
  });

  it("returns nothing for a range without sessions, and all gaps for a symbol without bars", async () => {
    expect(await auditGaps(repo, "SPY", "2013-10-12", "2013-10-13", xnys)).toEqual([]);
    const [none] = await auditGaps(repo, "QQQ", "2013-10-07", "2013-10-07", xnys);
    expect(none).toMatchObject({ expected: 390, present: 0, quality: 0 });
  });
});
