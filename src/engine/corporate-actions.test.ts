import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { allocBarColumns } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import { createEngine } from "./engine.js";
import type { CorporateActionEvent } from "./types.js";

const XNYS = getCalendar("XNYS");
const SESSIONS = XNYS.sessions("2024-01-02", "2024-02-13");

interface Daily {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Regular-hours minutes of GEN over SESSIONS: a seeded walk, divided by `ratio` from the ex-date on. */
function minutes(seed: number, exDate: string, ratio: number) {
  let x = seed;
  const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const times = SESSIONS.flatMap((s) => [...XNYS.expectedMinutes(s)].map((t) => ({ t, date: s.date })));
  const c = allocBarColumns(times.length);
  let p = 100;
  times.forEach(({ t, date }, i) => {
    p = Math.max(1, p + (rand() - 0.5) * 0.2);
    const scale = date >= exDate ? 1 / ratio : 1;
    c.symbol[i] = "GEN";
    c.time[i] = t;
    c.open[i] = p * scale;
    c.high[i] = (p + 0.05) * scale;
    c.low[i] = (p - 0.05) * scale;
    c.close[i] = (p + 0.01) * scale;
    c.volume[i] = Math.round(100 + rand() * 900) * (date >= exDate ? ratio : 1);
  });
  c.length = times.length;
  return c;
}

/** Brute force: each session's daily bar from its raw minutes, prices times `f(date)` and volumes divided by it. */
function dailyOf(
  c: ReturnType<typeof minutes>,
  dates: readonly string[],
  f: (date: string) => number,
): Daily[] {
  return dates.map((date) => {
    const s = XNYS.sessionOn(date)!;
    const rows = [];
    for (let i = 0; i < c.length; i++) if (c.time[i] >= s.open && c.time[i] < s.close) rows.push(i);
    const k = f(date);
    return {
      time: s.open,
      open: c.open[rows[0]] * k,
      high: Math.max(...rows.map((i) => c.high[i])) * k,
      low: Math.min(...rows.map((i) => c.low[i])) * k,
      close: c.close[rows[rows.length - 1]] * k,
      volume: rows.reduce((a, i) => a + c.volume[i], 0) / k,
    };
  });
}

function expectClose(got: Daily[], want: Daily[], what: string): void {
  expect(
    got.map((d) => d.time),
    what,
  ).toEqual(want.map((d) => d.time));
  got.forEach((d, i) => {
    for (const k of ["open", "high", "low", "close", "volume"] as const) {
      expect(d[k] / want[i][k], `${what} ${i} ${k}`).toBeCloseTo(1, 10);
    }
  });
}

describe("a replay with adjust: split", () => {
  it("announces a split before its session's first bar, then holds split-adjusted daily bars; before it, none adjusted", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 3, max: SESSIONS.length - 2 }),
        fc.constantFrom(2, 3, 4, 7, 1.5, 0.5),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (exIndex, ratio, seed) => {
          const exDate = SESSIONS[exIndex].date;
          const raw = minutes(seed, exDate, ratio);
          const repository = await openRepository(":memory:");
          try {
            await repository.writeBars("1m", raw);
            await repository.writeActions([
              {
                symbol: "GEN",
                date: exDate,
                kind: "split",
                value: ratio,
                factor: 1 / ratio,
                reference: Number.NaN,
              },
            ]);
            const engine = await createEngine(
              {
                symbols: ["GEN"],
                from: SESSIONS[0].date,
                to: SESSIONS[SESSIONS.length - 1].date,
                adjust: "split",
                history: { sessions: 2, dailyBars: 20 },
                upkeep: { enabled: false },
              },
              { repository, calendar: XNYS },
            );
            const events: CorporateActionEvent[] = [];
            let lastBarBefore = Number.NEGATIVE_INFINITY;
            let firstBarAfter = Number.POSITIVE_INFINITY;
            const dailyNow = () => engine.session.lastBars("GEN", 20, "1d").toArray() as Daily[];
            engine.on("bar", (b) => {
              if (b.interval !== "1m") return;
              if (events.length === 0) lastBarBefore = b.time;
              else firstBarAfter = Math.min(firstBarAfter, b.time);
              // Bars are delivered as they traded.
              const i = raw.time.indexOf(b.time);
              expect([b.open, b.close, b.volume]).toEqual([raw.open[i], raw.close[i], raw.volume[i]]);
            });
            engine.on("roll", (r) => {
              if (events.length > 0) return;
              const done = SESSIONS.filter((s) => s.date <= r.date).map((s) => s.date);
              expectClose(
                dailyNow(),
                dailyOf(raw, done.slice(-20), () => 1),
                `raw at the roll of ${r.date}`,
              );
            });
            engine.on("corporateAction", (e) => {
              events.push(e);
              const before = SESSIONS.slice(0, exIndex).map((s) => s.date);
              expectClose(
                dailyNow(),
                dailyOf(raw, before.slice(-20), () => 1 / ratio),
                "adjusted at the split",
              );
            });
            await engine.run();
            await engine.close();
            expect(events).toEqual([
              {
                type: "corporateAction",
                at: expect.any(Number),
                symbol: "GEN",
                date: exDate,
                kind: "split",
                value: ratio,
                factor: 1 / ratio,
              },
            ]);
            expect(lastBarBefore).toBeLessThan(SESSIONS[exIndex].preOpen);
            expect(firstBarAfter).toBe(SESSIONS[exIndex].open);
          } finally {
            await repository.close();
          }
        },
      ),
      { numRuns: 6 },
    );
  }, 120_000);
});
