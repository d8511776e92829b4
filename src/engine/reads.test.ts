import { afterEach, describe, expect, it } from "vitest";
import { deriveBars } from "../aggregate/index.js";
import { getCalendar } from "../calendar/index.js";
import { barsToColumns } from "../model/bar.js";
import { InvalidArgumentError, UnknownSymbolError } from "../model/errors.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { sessionBars } from "../testing/bars.js";
import { createEngine } from "./engine.js";
import type { BarEvent } from "./types.js";

const XNYS = getCalendar("XNYS");
const DAY = XNYS.sessions("2024-03-04", "2024-03-04")[0];
const MIN = 60_000;

const repos: Repository[] = [];
afterEach(async () => {
  while (repos.length > 0) await repos.pop()!.close();
});

async function engineOf(symbol = "AAA") {
  const repository = await openRepository(":memory:");
  repos.push(repository);
  const engine = await createEngine(
    { derived: { intervals: ["5m"] }, prefetch: { enabled: false }, upkeep: { enabled: false } },
    { repository },
  );
  engine.feed(symbol, "bar", sessionBars(XNYS, DAY, symbol));
  return engine;
}

describe("session reads at the API edge", () => {
  it("accepts a listener that returns a value (only a promise is awaited)", async () => {
    const engine = await engineOf();
    const seen: BarEvent[] = [];
    engine.on("bar", (b) => seen.push(b));
    await engine.run();
    expect(seen.filter((b) => b.interval === "1m")).toHaveLength(390);
  });

  it("refuses a count that is not a whole number >= 0, a bad interval and a bad symbol", async () => {
    const engine = await engineOf();
    await engine.run();
    const s = engine.session;
    expect(() => s.lastBars("AAA", 1.5)).toThrow(InvalidArgumentError);
    expect(() => s.lastBars("AAA", -1)).toThrow(InvalidArgumentError);
    expect(() => s.lastBars("AAA", Number.NaN)).toThrow("n must be a whole number >= 0, got NaN");
    expect(() => s.lastBars("AAA", 2, "7x")).toThrow(InvalidArgumentError);
    expect(() => s.barsSince("AAA", Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => s.barsSince("AAA", 0, "13m")).toThrow(InvalidArgumentError);
    expect(() => s.lastBars("ZZZ", 2)).toThrow(UnknownSymbolError);
    expect(() => s.lastBars("ZZZ", 2)).toThrow(InvalidArgumentError);
    expect(() => s.lastBars("", 2)).toThrow("symbol must be a non-empty string");
    expect(s.lastBars("AAA", 0).toArray()).toEqual([]);
  });

  it("computes an interval that is not configured on demand without emitting it", async () => {
    const engine = await engineOf();
    const intervals = new Set<string>();
    engine.on("bar", (b) => {
      intervals.add(b.interval);
    });
    const read: number[][] = [];
    engine.clock.at(DAY.open + 95 * MIN, () => {
      read.push(engine.session.lastBars("AAA", 10, "30m").map((b) => b.time));
      read.push(engine.session.barsSince("AAA", DAY.open + 30 * MIN, "30m").map((b) => b.time));
    });
    await engine.run();
    expect([...intervals].sort()).toEqual(["1m", "5m"]);
    expect(read).toEqual([
      [DAY.open, DAY.open + 30 * MIN, DAY.open + 60 * MIN],
      [DAY.open + 30 * MIN, DAY.open + 60 * MIN],
    ]);
    const expected = deriveBars(barsToColumns(sessionBars(XNYS, DAY, "AAA")), "30m", XNYS).toBars();
    expect(engine.session.history("AAA", 1, "30m")[0].bars).toEqual(expected);
  });

  it("returns lastBars and barsSince as views over the series, across sessions, with toArray() for objects", async () => {
    const repository = await openRepository(":memory:");
    repos.push(repository);
    const days = XNYS.sessions("2024-03-04", "2024-03-06");
    const engine = await createEngine(
      { derived: { intervals: ["5m"] }, prefetch: { enabled: false }, upkeep: { enabled: false } },
      { repository },
    );
    const bars = days.flatMap((d) => sessionBars(XNYS, d, "AAA"));
    engine.feed("AAA", "bar", bars);
    await engine.run();
    const view = engine.session.lastBars("AAA", 100, "5m");
    const all5 = engine.session.history("AAA", 3, "5m").flatMap((h) => h.bars);
    expect(view.length).toBe(100);
    expect(view.toArray()).toEqual(all5.slice(-100));
    expect([view.time(0), view.close(99), view[99].close, view.at(-1)?.time]).toEqual([
      all5[all5.length - 100].time,
      all5[all5.length - 1].close,
      all5[all5.length - 1].close,
      all5[all5.length - 1].time,
    ]);
    expect([...view].map((b) => b.time)).toEqual(all5.slice(-100).map((b) => b.time));
    const since = engine.session.barsSince("AAA", days[1].open + 60 * MIN);
    const expected = bars.filter((b) => b.time >= days[1].open + 60 * MIN);
    expect(since.length).toBe(expected.length);
    expect(since.toArray().map((b) => [b.time, b.close])).toEqual(expected.map((b) => [b.time, b.close]));
  });
});
