import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import type { Calendar } from "../calendar/types.js";
import { type Bar, barsToColumns } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { sessionBars } from "../testing/bars.js";
import { createEngine } from "./engine.js";
import type { BarEvent, BoundaryEvent, EngineEvent } from "./types.js";

const MIN = 60_000;
const repos: Repository[] = [];
afterEach(async () => {
  while (repos.length > 0) await repos.pop()!.close();
});

/** An in-memory store holding each symbol's one-minute bars of its calendar's sessions in [from, to]. */
async function storeOf(symbols: Record<string, Calendar>, from: string, to: string): Promise<Repository> {
  const repo = await openRepository(":memory:");
  repos.push(repo);
  const bars: Bar[] = [];
  for (const [symbol, cal] of Object.entries(symbols)) {
    for (const s of cal.sessions(from, to)) bars.push(...sessionBars(cal, s, symbol));
  }
  await repo.writeBars("1m", barsToColumns(bars));
  return repo;
}

/** Regular minutes a calendar expects over [from, to]. */
function minutesOf(cal: Calendar, from: string, to: string): number {
  return cal.sessions(from, to).reduce((n, s) => n + cal.minuteCount(s), 0);
}

describe("a replay of symbols of several markets", () => {
  const XNYS = getCalendar("XNYS");
  const XTKS = getCalendar("XTKS");
  const CMES = getCalendar("CMES");
  const from = "2024-03-04";
  const to = "2024-03-08";

  it("runs SPY on XNYS, 7203 on XTKS and ES on CMES, each on its own calendar, in time order", async () => {
    const repository = await storeOf({ SPY: XNYS, "7203": XTKS, ES: CMES }, from, to);
    const engine = await createEngine(
      {
        from,
        to,
        symbols: ["SPY", { symbol: "7203", calendar: "XTKS" }, "ES"],
        calendars: { ES: "CMES" },
        derived: { intervals: ["60m", "1d"] },
      },
      { repository },
    );
    const events: EngineEvent[] = [];
    engine.onAny((e) => {
      events.push(e);
    });
    // At each XTKS close: 7203's session so far, its expected minutes without the lunch break.
    const atTokyoClose: { expected: number; present: number; barQuality: number }[] = [];
    engine.on("close", (b) => {
      if (b.calendar !== "XTKS") return;
      const m = engine.session.metrics("7203");
      atTokyoClose.push({ expected: m.expected, present: m.present, barQuality: m.barQuality });
    });
    const summary = await engine.run();

    const bars = (symbol: string, interval: string) =>
      events.filter((e): e is BarEvent => e.type === "bar" && e.symbol === symbol && e.interval === interval);
    // Each symbol gets exactly its calendar's expected minutes: 5 x 390, 5 x 300 (09:00-15:00
    // less the 11:30-12:30 lunch), 5 x 1440 (17:00 to 17:00 Chicago).
    expect([bars("SPY", "1m").length, bars("7203", "1m").length, bars("ES", "1m").length]).toEqual([
      1950, 1500, 7200,
    ]);
    expect(minutesOf(XTKS, from, to)).toBe(1500);
    expect(summary.quality).toEqual({ "7203": 100, ES: 100, SPY: 100 });
    expect(atTokyoClose).toEqual(
      Array.from({ length: 5 }, () => ({ expected: 300, present: 300, barQuality: 100 })),
    );

    // 7203's 60m bars: 09:00, 10:00, 11:00-11:30, then anchored again at 12:30 (Tokyo = UTC+9).
    const hourly = bars("7203", "60m");
    expect(hourly).toHaveLength(30);
    const monday = hourly
      .slice(0, 6)
      .map((b) => [new Date(b.time).toISOString().slice(11, 16), b.count, b.expected]);
    expect(monday).toEqual([
      ["00:00", 60, 60],
      ["01:00", 60, 60],
      ["02:00", 30, 30],
      ["03:30", 60, 60],
      ["04:30", 60, 60],
      ["05:30", 30, 30],
    ]);
    for (const b of hourly) {
      const s = XTKS.sessionAt(b.time)!;
      const end = b.time + b.expected! * MIN;
      expect(end <= s.breakStart! || b.time >= s.breakEnd!).toBe(true);
      expect(b.at).toBe(end);
    }

    // ES's sessions open 17:00 Chicago the evening before; each daily bar covers the whole session.
    const daily = bars("ES", "1d");
    expect(daily.map((b) => [new Date(b.time).toISOString(), b.count, b.expected])).toEqual(
      CMES.sessions(from, to).map((s) => [new Date(s.open).toISOString(), 1440, 1440]),
    );
    expect(new Date(daily[0].time).toISOString()).toBe("2024-03-03T23:00:00.000Z");
    expect(daily.map((b) => b.at)).toEqual(CMES.sessions(from, to).map((s) => s.close));

    // Boundaries of every calendar, named; the whole log in time order.
    const boundaries = events.filter((e): e is BoundaryEvent => "calendar" in e);
    expect(new Set(boundaries.map((b) => b.calendar))).toEqual(new Set(["XNYS", "XTKS", "CMES"]));
    expect(boundaries.filter((b) => b.calendar === "XTKS" && b.type === "breakStart")).toHaveLength(5);
    expect(boundaries.filter((b) => b.type === "roll").map((b) => b.calendar)).toHaveLength(15);
    for (let i = 1; i < events.length; i++) expect(events[i].at).toBeGreaterThanOrEqual(events[i - 1].at);
  });

  it("keeps one market's resolved gaps when another market's session starts, until its own next session, and plays only planned sessions", async () => {
    const repository = await openRepository(":memory:");
    repos.push(repository);
    const [first] = XNYS.sessions(from, from);
    const hole = (b: Bar) =>
      b.symbol === "SPY" && b.time >= first.open + 30 * MIN && b.time < first.open + 35 * MIN;
    const bars: Bar[] = [];
    for (const s of XNYS.sessions(from, to))
      bars.push(...sessionBars(XNYS, s, "SPY").filter((b) => !hole(b)));
    for (const s of XTKS.sessions(from, to)) bars.push(...sessionBars(XTKS, s, "7203"));
    await repository.writeBars("1m", barsToColumns(bars));
    const engine = await createEngine(
      { from, to: "2024-03-05", symbols: ["SPY", { symbol: "7203", calendar: "XTKS" }] },
      { repository },
    );
    const seen: string[] = [];
    engine.on("open", (b) => {
      const gaps = engine.upkeep?.gapsOf("SPY") ?? [];
      seen.push(
        `${b.calendar} ${b.date}: ${gaps.map((g) => `${g.state} ${(g.start - first.open) / MIN}`).join(",")}`,
      );
    });
    await engine.run();
    // The store being replayed has nothing more, so the gap is abandoned (resolved) at once; Tokyo's
    // session of 03-05 starts at 00:00 UTC, between New York's two sessions.
    // Tokyo's session of 03-06 (00:00 UTC, before New York's 03-05 window ends) is not replayed.
    expect(seen).toEqual([
      "XTKS 2024-03-04: ",
      "XNYS 2024-03-04: ",
      "XTKS 2024-03-05: abandoned 30",
      "XNYS 2024-03-05: ",
    ]);
  });

  it("holds over random calendars and symbol mixes: each symbol's minutes, bars inside its sessions, time order", async () => {
    const names = ["XNYS", "XTKS", "CMES", "XHKG", "XLON", "XKRX", "24/7"];
    const weeks = ["2024-03-04", "2024-11-04", "2025-01-27", "2025-12-22"];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }),
        fc.constantFrom(...weeks),
        async (primary, mix, monday) => {
          const start = Date.parse(`${monday}T00:00:00Z`);
          const end = new Date(start + 2 * 86_400_000).toISOString().slice(0, 10);
          const symbols = Object.fromEntries(mix.map((c, i) => [`S${i}`, getCalendar(c)]));
          const repository = await storeOf(symbols, monday, end);
          const engine = await createEngine(
            {
              from: monday,
              to: end,
              calendar: primary,
              symbols: mix.map((c, i) => ({ symbol: `S${i}`, calendar: c })),
              derived: { intervals: ["30m", "1d"] },
              upkeep: { enabled: false },
            },
            { repository },
          );
          const events: EngineEvent[] = [];
          engine.onAny((e) => {
            events.push(e);
          });
          await engine.run();
          for (let i = 1; i < events.length; i++)
            expect(events[i].at).toBeGreaterThanOrEqual(events[i - 1].at);
          for (const [symbol, cal] of Object.entries(symbols)) {
            const mine = events.filter((e): e is BarEvent => e.type === "bar" && e.symbol === symbol);
            const oneMinute = mine.filter((b) => b.interval === "1m");
            expect(oneMinute.length).toBe(minutesOf(cal, monday, end));
            for (const b of oneMinute) expect(cal.isOpen(b.time)).toBe(true);
            const sessions = cal.sessions(monday, end);
            expect(mine.filter((b) => b.interval === "1d").map((b) => b.count)).toEqual(
              sessions.map((s) => cal.minuteCount(s)),
            );
            for (const b of mine.filter((x) => x.interval === "30m")) {
              const s = cal.sessionAt(b.time)!;
              if (s.breakStart !== undefined) {
                expect(b.time + b.expected! * MIN <= s.breakStart || b.time >= s.breakEnd!).toBe(true);
              }
            }
          }
          await engine.close();
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);
});
