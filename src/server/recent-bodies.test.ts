import { describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { createEngine } from "../engine/engine.js";
import { barsToColumns, type SessionBar } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import { sessionBars } from "../testing/bars.js";
import { buildServer } from "./app.js";
import { RecentBodies } from "./recent-bodies.js";

/** Completed bars as the route hands them over (a view: their count and each one's time). */
const bars = (...times: number[]) => ({ length: times.length, time: (i: number) => times[i] });

describe("RecentBodies", () => {
  it("reuses an answer while the same bars are asked for, and rebuilds when they move or a fill touched them", () => {
    const cache = new RecentBodies();
    let built = 0;
    const build = () => `body${++built}`;
    const a = bars(0, 300_000);
    expect(cache.body("AAA", "5m", 2, a, build)).toBe("body1");
    expect(cache.body("AAA", "5m", 2, bars(0, 300_000), build)).toBe("body1");
    expect(cache.body("AAA", "5m", 2, bars(300_000, 600_000), build)).toBe("body2");
    cache.touch("BBB");
    expect(cache.body("AAA", "5m", 2, bars(300_000, 600_000), build)).toBe("body2");
    cache.touch("AAA");
    expect(cache.body("AAA", "5m", 2, bars(300_000, 600_000), build)).toBe("body3");
    expect(cache.body("AAA", "5m", 3, bars(300_000, 600_000), build)).toBe("body4");
    expect(cache.body("AAA", "5m", 3, bars(), build)).toBe("body5");
    expect(cache.body("AAA", "5m", 3, bars(), build)).toBe("body5");
  });

  it("keeps at most `max` answers, dropping the oldest", () => {
    const cache = new RecentBodies(2);
    let built = 0;
    const build = () => `body${++built}`;
    cache.body("A", "5m", 1, bars(0), build);
    cache.body("B", "5m", 1, bars(0), build);
    cache.body("C", "5m", 1, bars(0), build);
    expect(cache.body("B", "5m", 1, bars(0), build)).toBe("body2");
    expect(cache.body("A", "5m", 1, bars(0), build)).toBe("body4");
  });
});

describe("/api/bars?n after a gap fill", () => {
  it("answers with the filled bar, not the answer kept from before the fill", async () => {
    const xnys = getCalendar("XNYS");
    const session = xnys.sessionOn("2024-03-12")!;
    const all = sessionBars(xnys, session, "AAA");
    const repository = await openRepository(":memory:");
    await repository.writeBars("1m", barsToColumns(all));
    const engine = await createEngine(
      { symbols: [], derived: { intervals: ["5m"] }, upkeep: { intervalSeconds: 420 } },
      { repository, calendar: xnys, replayStore: false },
    );
    // 09:44 (index 14) is missing from the feed; the store has it, so upkeep fills it. Upkeep
    // every 7 minutes finds it after the 09:40 bar was completed without it.
    engine.feed("AAA", "bar", sessionBars(xnys, session, "AAA", { skip: new Set([14]) }));
    const app = buildServer({ engine, defaultMetrics: false });
    const get = async () =>
      (await app.inject("/api/bars?symbol=AAA&interval=5m&n=3")).json() as { bars: SessionBar[] };
    const nineForty = session.open + 10 * 60_000;
    // The answer after each five-minute bar; the one before the fill is the last of them.
    let latest: SessionBar[] = [];
    let before: SessionBar[] | undefined;
    let after: SessionBar[] | undefined;
    engine.on("bar", async (b) => {
      if (b.interval === "5m" && !after) latest = (await get()).bars;
    });
    engine.on("gapFilled", async () => {
      before = latest;
      after = (await get()).bars;
    });
    await engine.run();
    await app.close();
    await repository.close();
    expect(before!.map((b) => [b.time, b.count, b.flags])).toEqual([
      [nineForty - 300_000, 5, 0],
      [nineForty, 4, 0],
      [nineForty + 300_000, 5, 0],
    ]);
    const volume = all.slice(10, 15).reduce((v, b) => v + b.volume, 0);
    expect(after!.map((b) => [b.time, b.count, b.flags])).toEqual([
      [nineForty - 300_000, 5, 0],
      [nineForty, 5, 1],
      [nineForty + 300_000, 5, 0],
    ]);
    expect(after![1].volume).toBe(volume);
  });
});
