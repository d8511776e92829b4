import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { allocBarColumns } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import { renameAction as rename } from "../testing/actions.js";
import { flatBars } from "../testing/bars.js";
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

  it("adjusts the history loaded at the start as of the first session, announcing nothing from before it", async () => {
    const exIndex = 10;
    const exDate = SESSIONS[exIndex].date;
    const raw = minutes(7, exDate, 4);
    const repository = await openRepository(":memory:");
    try {
      await repository.writeBars("1m", raw);
      await repository.writeActions([
        { symbol: "GEN", date: exDate, kind: "split", value: 4, factor: 0.25, reference: Number.NaN },
      ]);
      const first = SESSIONS[exIndex + 3];
      for (const adjust of ["split", "raw"] as const) {
        const engine = await createEngine(
          {
            symbols: ["GEN"],
            from: first.date,
            to: SESSIONS[exIndex + 4].date,
            adjust,
            history: { sessions: 5, dailyBars: 20 },
            upkeep: { enabled: false },
          },
          { repository, calendar: XNYS },
        );
        const announced: unknown[] = [];
        engine.on("corporateAction", (e) => announced.push(e));
        let atFirstBar: Daily[] | undefined;
        let minutesAtFirstBar: number[] = [];
        engine.on("bar", () => {
          if (atFirstBar) return;
          atFirstBar = engine.session.lastBars("GEN", 20, "1d").toArray() as Daily[];
          minutesAtFirstBar = engine.session
            .lastBars("GEN", 5 * 390 + 1, "1m")
            .toArray()
            .map((b) => b.close);
        });
        await engine.run();
        await engine.close();
        expect(announced, adjust).toEqual([]);
        const before = SESSIONS.slice(0, exIndex + 3).map((s) => s.date);
        const k = (date: string) => (adjust === "split" && date < exDate ? 0.25 : 1);
        // Daily bars are built from the 5 sessions of minutes loaded (no daily bars stored): 2 before the split.
        expectClose(atFirstBar!, dailyOf(raw, before.slice(-5), k), `${adjust}: daily at the first bar`);
        // The minutes held: 5 sessions from SESSIONS[exIndex - 2], those before the split adjusted; then the first bar as traded.
        const held = SESSIONS.slice(exIndex - 2, exIndex + 3).flatMap((x) => [...XNYS.expectedMinutes(x)]);
        const closeAt = (t: number) => raw.close[raw.time.indexOf(t)];
        const want = [...held, first.open].map(
          (t) => closeAt(t) * (t < first.open ? k(XNYS.sessionAt(t)!.date) : 1),
        );
        expect(minutesAtFirstBar, adjust).toEqual(want);
      }
    } finally {
      await repository.close();
    }
  }, 60_000);
});

/** Regular-hours minutes of `symbol` on the dates, every price `price`, volume 100. */
const flat = (symbol: string, dates: readonly string[], price: number) =>
  flatBars(XNYS, symbol, dates, price);

describe("a replay across renames", () => {
  const dates = XNYS.sessions("2024-03-04", "2024-03-14").map((s) => s.date);
  const on = (from: string, to: string) => dates.filter((d) => d >= from && d <= to);

  it("reads one continuous symbol from its earlier tickers and announces each rename before its session's first bar", async () => {
    const repository = await openRepository(":memory:");
    try {
      // AOLD became ANEW on 03-07 and CNEW on 03-12; an unrelated security traded as ANEW on 03-05.
      await repository.writeBars("1m", flat("AOLD", on("2024-03-04", "2024-03-06"), 10));
      await repository.writeBars("1m", flat("ANEW", ["2024-03-05"], 99));
      await repository.writeBars("1m", flat("ANEW", on("2024-03-07", "2024-03-11"), 20));
      await repository.writeBars("1m", flat("CNEW", on("2024-03-12", "2024-03-14"), 30));
      await repository.writeBars("1m", flat("BMID", dates, 5));
      await repository.writeActions([
        rename("ANEW", "2024-03-07", "AOLD"),
        rename("CNEW", "2024-03-12", "ANEW"),
      ]);
      for (const adjust of ["raw", "split"] as const) {
        const engine = await createEngine(
          {
            symbols: ["CNEW", "BMID"],
            from: "2024-03-06",
            to: "2024-03-14",
            adjust,
            history: { sessions: 2, dailyBars: 5 },
            upkeep: { enabled: false },
          },
          { repository, calendar: XNYS },
        );
        const seen: string[] = [];
        const closes = new Map<string, number>();
        let history: number[] = [];
        let lastDate = "";
        engine.onAny((e) => {
          if (e.type === "rename") seen.push(`${e.date} ${e.previous}->${e.ticker} as ${e.symbol}`);
          if (e.type !== "bar" || e.interval !== "1m") return;
          const date = XNYS.sessionAt(e.time)!.date;
          if (date !== lastDate) seen.push(`${date} bars`);
          lastDate = date;
          seen.push(e.symbol);
          if (e.symbol === "CNEW") closes.set(date, e.close);
          if (history.length === 0)
            history = engine.session
              .lastBars("CNEW", 5, "1d")
              .toArray()
              .map((d) => d.close);
        });
        await engine.run();
        await engine.close();
        const perSession = (date: string) => [`${date} bars`, ...Array(390).fill(["BMID", "CNEW"]).flat()];
        expect(seen, adjust).toEqual([
          ...perSession("2024-03-06"),
          "2024-03-07 AOLD->ANEW as CNEW",
          ...perSession("2024-03-07"),
          ...on("2024-03-08", "2024-03-11").flatMap(perSession),
          "2024-03-12 ANEW->CNEW as CNEW",
          ...on("2024-03-12", "2024-03-14").flatMap(perSession),
        ]);
        expect(Object.fromEntries(closes), adjust).toEqual({
          "2024-03-06": 10,
          "2024-03-07": 20,
          "2024-03-08": 20,
          "2024-03-11": 20,
          "2024-03-12": 30,
          "2024-03-13": 30,
          "2024-03-14": 30,
        });
        // History loaded at the start: AOLD's 03-04 and 03-05, not the other ANEW's 99.
        expect(history, adjust).toEqual([10, 10]);
      }
    } finally {
      await repository.close();
    }
  }, 60_000);
});

describe("allSymbols across renames", () => {
  it("takes each stored security once, by its current ticker, not its earlier tickers as symbols of their own", async () => {
    const repository = await openRepository(":memory:");
    try {
      // AOLD became ANEW on 03-07 and CNEW on 03-12; BMID was never renamed.
      await repository.writeBars("1m", flat("AOLD", ["2024-03-06"], 10));
      await repository.writeBars("1m", flat("ANEW", ["2024-03-07"], 20));
      await repository.writeBars("1m", flat("CNEW", ["2024-03-12"], 30));
      await repository.writeBars("1m", flat("BMID", ["2024-03-06"], 5));
      await repository.writeActions([
        rename("ANEW", "2024-03-07", "AOLD"),
        rename("CNEW", "2024-03-12", "ANEW"),
      ]);
      const engine = await createEngine(
        { allSymbols: true, from: "2024-03-06", to: "2024-03-12", upkeep: { enabled: false } },
        { repository, calendar: XNYS },
      );
      const closes: string[] = [];
      engine.on("bar", (e) => {
        if (e.interval === "1m" && e.time === XNYS.sessionAt(e.time)!.open)
          closes.push(`${e.symbol} ${e.close}`);
      });
      expect(engine.session.symbols().sort()).toEqual(["BMID", "CNEW"]);
      await engine.run();
      await engine.close();
      expect(closes).toEqual(["BMID 5", "CNEW 10", "CNEW 20", "CNEW 30"]);
    } finally {
      await repository.close();
    }
  }, 60_000);
});
