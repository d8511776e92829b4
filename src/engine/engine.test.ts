import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { ticksToBars } from "../aggregate/index.js";
import { getCalendar } from "../calendar/index.js";
import type { Bar } from "../model/bar.js";
import { barsToColumns } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { sessionBars } from "../testing/bars.js";
import { createEngine } from "./engine.js";
import type { BarEvent, EngineEvent, GapEvent } from "./types.js";

const XNYS = getCalendar("XNYS");
const WEEK = XNYS.sessions("2024-03-04", "2024-03-08");
const MIN = 60_000;

const repos: Repository[] = [];
async function memoryRepo(): Promise<Repository> {
  const r = await openRepository(":memory:");
  repos.push(r);
  return r;
}
afterEach(async () => {
  while (repos.length > 0) await repos.pop()!.close();
});

/** An engine over in-memory list feeds only (the store is empty; upkeep off unless configured). */
async function listEngine(feeds: Record<string, Bar[]>, config: Parameters<typeof createEngine>[0] = {}) {
  const engine = await createEngine(
    {
      derived: { intervals: ["5m", "1d"] },
      prefetch: { enabled: false },
      upkeep: { enabled: false },
      ...config,
    },
    { repository: await memoryRepo() },
  );
  for (const [symbol, bars] of Object.entries(feeds)) engine.feed(symbol, "bar", bars);
  return engine;
}

describe("engine replay of list feeds", () => {
  it("delivers every one-minute bar at its end and derived bars when complete", async () => {
    const bars = WEEK.flatMap((s) => sessionBars(XNYS, s, "AAA"));
    const engine = await listEngine({ AAA: bars });
    const seen: BarEvent[] = [];
    engine.on("bar", (b) => {
      seen.push(b);
    });
    const summary = await engine.run();
    const byInterval = (iv: string) => seen.filter((b) => b.interval === iv);
    expect(byInterval("1m")).toHaveLength(5 * 390);
    expect(byInterval("5m")).toHaveLength(5 * 78);
    expect(byInterval("1d")).toHaveLength(5);
    for (const b of seen) {
      const end =
        b.interval === "1d" ? XNYS.sessionAt(b.time)!.close : b.time + (b.interval === "5m" ? 5 : 1) * MIN;
      expect(b.at).toBe(end);
    }
    expect(summary.barsIn).toBe(5 * 390);
    expect(summary.barsOut).toEqual({ "1m": 1950, "5m": 390, "1d": 5 });
    expect(summary.quality).toEqual({ AAA: 100 });
  });

  it("orders many symbols by (time, feed order) and emits boundaries at their true times", async () => {
    const session = WEEK[0];
    const feeds = { BBB: sessionBars(XNYS, session, "BBB"), AAA: sessionBars(XNYS, session, "AAA") };
    const engine = await listEngine(feeds, { derived: { intervals: [] } });
    const events: EngineEvent[] = [];
    engine.onAny((e) => {
      events.push(e);
    });
    await engine.run();
    const bars = events.filter((e): e is BarEvent => e.type === "bar");
    expect(bars.slice(0, 4).map((b) => [b.symbol, b.time])).toEqual([
      ["BBB", session.open],
      ["AAA", session.open],
      ["BBB", session.open + MIN],
      ["AAA", session.open + MIN],
    ]);
    const boundaries = events.filter((e) => e.type !== "bar").map((e) => [e.type, e.at]);
    expect(boundaries).toEqual([
      ["preOpen", session.preOpen],
      ["open", session.open],
      ["close", session.close],
      ["roll", session.close],
      ["postClose", session.postClose],
    ]);
  });

  it("handles data before timers at equal timestamps", async () => {
    const session = WEEK[0];
    const engine = await listEngine(
      { AAA: sessionBars(XNYS, session, "AAA").slice(0, 3) },
      { derived: { intervals: [] } },
    );
    const order: string[] = [];
    engine.on("bar", (b) => {
      order.push(`bar@${b.at}`);
    });
    engine.clock.at(session.open + MIN, (t) => {
      order.push(`timer@${t}`);
    });
    await engine.run();
    expect(order.slice(0, 2)).toEqual([`bar@${session.open + MIN}`, `timer@${session.open + MIN}`]);
  });

  it("never shows a bar ending after the clock, in events, lastBars or history", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 389 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 120 }),
        async (skipped, n) => {
          const skip = new Set(skipped);
          const bars = WEEK.slice(0, 3).flatMap((s) => sessionBars(XNYS, s, "AAA", { skip }));
          const engine = await listEngine({ AAA: bars }, { derived: { intervals: ["5m", "15m", "1d"] } });
          let bad = 0;
          engine.on("bar", (b) => {
            const now = engine.clock.now();
            if (b.at > now) bad++;
            for (const iv of ["1m", "5m", "15m", "1d"]) {
              const minutes = iv === "1d" ? 0 : Number.parseInt(iv, 10);
              for (const x of engine.session.lastBars("AAA", n, iv)) {
                const end = iv === "1d" ? XNYS.sessionAt(x.time)!.close : x.time + minutes * MIN;
                if (end > now) bad++;
              }
            }
            const cur = engine.session.session;
            for (const h of engine.session.history("AAA", 5)) {
              for (const x of h.bars) if (x.time + MIN > now || (cur && x.time >= cur.preOpen)) bad++;
            }
          });
          await engine.run();
          expect(bad).toBe(0);
        },
      ),
      { numRuns: 12 },
    );
  });

  it("rolls each session into history and reaches into it for lastBars", async () => {
    const bars = WEEK.flatMap((s) => sessionBars(XNYS, s, "AAA"));
    const engine = await listEngine({ AAA: bars }, { history: { sessions: 2, dailyBars: 3 } });
    await engine.run();
    const h = engine.session.history("AAA", 10);
    expect(h.map((x) => x.date)).toEqual(["2024-03-07", "2024-03-08"]);
    expect(h[1].bars).toHaveLength(390);
    const last = engine.session.lastBars("AAA", 400);
    expect(last).toHaveLength(400);
    expect(last[399].time).toBe(WEEK[4].close - MIN);
    expect(last[0].time).toBe(WEEK[3].close - 10 * MIN);
    expect(engine.session.lastBars("AAA", 100, "5m")).toHaveLength(100);
    expect(engine.session.lastBars("AAA", 5, "1d").map((b) => b.time)).toEqual(
      WEEK.slice(2).map((s) => s.open),
    );
  });

  it("rejects bad bars with a counted reason and keeps the good ones", async () => {
    const good = sessionBars(XNYS, WEEK[0], "AAA").slice(0, 10);
    const bad: Bar[] = [
      good[0],
      { ...good[1], open: Number.NaN },
      good[1],
      { ...good[2], high: good[2].low - 1 },
      good[2],
      { ...good[2] },
      { ...good[3], volume: -1 },
      good[3],
      { ...good[1] },
      { ...good[4], time: WEEK[0].close + 5 * MIN },
    ];
    const engine = await listEngine({ AAA: bad }, { derived: { intervals: [] } });
    const summary = await engine.run();
    expect(summary.barsIn).toBe(4);
    expect(engine.rejections().byReason).toEqual({
      "open is not a number": 1,
      "high below low": 1,
      "duplicate time": 1,
      "negative volume": 1,
      "out-of-order time": 1,
      "outside session": 1,
    });
    expect(engine.session.metrics("AAA").rejected).toBe(6);
  });

  it("stops the run with a throwing handler's error, or logs and goes on when asked", async () => {
    const bars = sessionBars(XNYS, WEEK[0], "AAA");
    const failing = await listEngine({ AAA: bars }, { derived: { intervals: [] } });
    let calls = 0;
    failing.on("bar", () => {
      calls++;
      if (calls === 3) throw new Error("strategy broke");
    });
    await expect(failing.run()).rejects.toThrow("strategy broke");
    expect(calls).toBe(3);

    const tolerant = await listEngine({ AAA: bars }, { derived: { intervals: [] }, onHandlerError: "log" });
    let seen = 0;
    tolerant.on("bar", () => {
      seen++;
      if (seen === 3) throw new Error("ignored");
    });
    const summary = await tolerant.run();
    expect(seen).toBe(390);
    expect(summary.barsIn).toBe(390);
  });

  it("awaits async handlers before the next event and feeds events() the same sequence", async () => {
    const bars = sessionBars(XNYS, WEEK[0], "AAA").slice(0, 30);
    const engine = await listEngine({ AAA: bars }, { derived: { intervals: ["5m"] } });
    const fromOn: string[] = [];
    let inFlight = 0;
    let overlap = 0;
    engine.on("bar", async (b) => {
      inFlight++;
      if (inFlight > 1) overlap++;
      await new Promise((r) => setImmediate(r));
      fromOn.push(`${b.interval}:${b.time}`);
      inFlight--;
    });
    const fromIter: string[] = [];
    const consume = (async () => {
      for await (const e of engine.events()) if (e.type === "bar") fromIter.push(`${e.interval}:${e.time}`);
    })();
    await engine.run();
    await consume;
    expect(overlap).toBe(0);
    expect(fromOn).toHaveLength(36);
    expect(fromIter).toEqual(fromOn);
  });

  it("delivers nothing while paused and everything after resume", async () => {
    const feeds = { AAA: sessionBars(XNYS, WEEK[0], "AAA"), BBB: sessionBars(XNYS, WEEK[0], "BBB") };
    const engine = await listEngine(feeds, { derived: { intervals: [] } });
    let delivered = 0;
    let atPause = -1;
    let whilePaused = -1;
    let clockAtPause = 0;
    let clockWhilePaused = 0;
    engine.on("bar", () => {
      delivered++;
      if (delivered === 10) {
        engine.pause();
        atPause = delivered;
        clockAtPause = engine.clock.now();
        setImmediate(() => {
          whilePaused = delivered;
          clockWhilePaused = engine.clock.now();
          expect(engine.isPaused).toBe(true);
          engine.resume();
        });
      }
    });
    const summary = await engine.run();
    expect(atPause).toBe(10);
    expect(whilePaused).toBe(10);
    expect(clockWhilePaused).toBe(clockAtPause);
    expect(summary.barsIn).toBe(780);
    expect(engine.isPaused).toBe(false);
  });

  it("stops when asked from a handler", async () => {
    const engine = await listEngine(
      { AAA: sessionBars(XNYS, WEEK[0], "AAA") },
      { derived: { intervals: [] } },
    );
    let n = 0;
    engine.on("bar", () => {
      if (++n === 10) engine.stop();
    });
    const summary = await engine.run();
    expect(summary.stopped).toBe(true);
    expect(summary.barsIn).toBe(10);
  });

  it("measures quality on regular minutes as present over expected so far", async () => {
    const skip = new Set([0, 1, 2, 100, 389]);
    const engine = await listEngine(
      { AAA: sessionBars(XNYS, WEEK[0], "AAA", { skip }) },
      { derived: { intervals: [] } },
    );
    const seen: number[] = [];
    engine.clock.at(WEEK[0].open + 10 * MIN, () => {
      const m = engine.session.metrics("AAA");
      seen.push(m.expected, m.present, m.barQuality);
    });
    const summary = await engine.run();
    expect(seen).toEqual([10, 7, 70]);
    expect(summary.quality.AAA).toBeCloseTo((385 / 390) * 100, 10);
  });
});

describe("engine replay of the store", () => {
  it("activates an unknown symbol on request: history loaded, session caught up, stream subscribed", async () => {
    const repo = await memoryRepo();
    for (const symbol of ["AAA", "BBB"]) {
      await repo.writeBars("1m", barsToColumns(WEEK.flatMap((s) => sessionBars(XNYS, s, symbol))));
    }
    const engine = await createEngine(
      {
        symbols: ["AAA"],
        from: "2024-03-06",
        to: "2024-03-08",
        derived: { intervals: ["5m"] },
        history: { sessions: 2 },
      },
      { repository: repo },
    );
    let got: number | undefined;
    let historyDates: string[] = [];
    engine.clock.at(WEEK[3].open + 30 * MIN, async () => {
      got = (await engine.session.bars("BBB", "5m")).length;
      historyDates = engine.session.history("BBB", 5).map((h) => h.date);
    });
    const bbb: BarEvent[] = [];
    engine.on("bar", (b) => {
      if (b.symbol === "BBB" && b.interval === "1m") bbb.push(b);
    });
    await engine.run();
    expect(got).toBe(6);
    expect(historyDates).toEqual(["2024-03-05", "2024-03-06"]);
    expect(bbb[0].time).toBe(WEEK[3].open + 30 * MIN);
    expect(bbb).toHaveLength(360 + 390);
    expect(engine.session.history("BBB", 5).map((h) => h.date)).toEqual(["2024-03-07", "2024-03-08"]);
  });

  it("does not ask the replayed store to fill its own gaps: gives them up at once", async () => {
    const base = await memoryRepo();
    const day = WEEK[1];
    await base.writeBars(
      "1m",
      barsToColumns(sessionBars(XNYS, day, "AAA", { skip: new Set([10, 11, 12, 200]) })),
    );
    let fillReads = 0;
    const store: Repository = Object.create(base, {
      readBars: {
        value: (q: Parameters<Repository["readBars"]>[0]) => {
          if (q.from > day.open) fillReads++;
          return base.readBars(q);
        },
      },
    });
    const engine = await createEngine(
      { symbols: ["AAA"], from: day.date, to: day.date, upkeep: { intervalSeconds: 60 } },
      { repository: store },
    );
    const gaps: GapEvent[] = [];
    engine.on("gap", (g) => void gaps.push(g));
    engine.on("gapAbandoned", (g) => void gaps.push(g));
    const summary = await engine.run();
    expect(fillReads).toBe(0);
    expect(gaps.map((g) => [g.type, (g.start - day.open) / MIN, g.count, g.retries])).toEqual([
      ["gap", 10, 1, 0],
      ["gapAbandoned", 10, 1, 0],
      ["gap", 11, 1, 0],
      ["gap", 12, 1, 0],
      ["gap", 200, 1, 0],
      ["gapAbandoned", 200, 1, 0],
    ]);
    expect(summary).toMatchObject({ barsIn: 386, gapsFound: 2, gapsAbandoned: 2 });
    expect(engine.session.history("AAA", 1)[0].bars).toHaveLength(386);
  });

  it("reads nothing at a session open when prefetch is on, and falls back when prefetch fails", async () => {
    const base = await memoryRepo();
    await base.writeBars("1m", barsToColumns(WEEK.flatMap((s) => sessionBars(XNYS, s, "AAA"))));
    /** Clock time of each one-minute read, by the session whose window it reads. */
    const reads = new Map<number, number[]>();
    let failNext = 0;
    let clock: () => number = () => 0;
    const instrumented: Repository = Object.create(base, {
      readBars: {
        value: async (q: Parameters<Repository["readBars"]>[0]) => {
          const k = WEEK.findIndex((s) => s.open === q.from);
          if (k >= 0) reads.set(k, [...(reads.get(k) ?? []), clock()]);
          if (failNext > 0 && k === 2) {
            failNext--;
            throw new Error("store unavailable");
          }
          return base.readBars(q);
        },
      },
    });
    const run = async (prefetch: boolean) => {
      reads.clear();
      const engine = await createEngine(
        {
          symbols: ["AAA"],
          from: "2024-03-04",
          to: "2024-03-08",
          prefetch: { enabled: prefetch, windowMinutes: 30 },
        },
        { repository: instrumented },
      );
      clock = () => engine.clock.now();
      const summary = await engine.run();
      return { summary, engine };
    };
    const withPrefetch = await run(true);
    expect(withPrefetch.summary.barsIn).toBe(5 * 390);
    for (let k = 1; k < 5; k++) expect(reads.get(k)).toEqual([WEEK[k - 1].open]);

    const without = await run(false);
    expect(without.summary.barsIn).toBe(5 * 390);
    for (let k = 1; k < 5; k++) expect(reads.get(k)).toEqual([WEEK[k].open]);

    failNext = 1;
    const failed = await run(true);
    expect(failed.summary.barsIn).toBe(5 * 390);
    const record = failed.engine.prefetchStatus().find((r) => r.date === "2024-03-06");
    expect(record).toMatchObject({ state: "failed", error: "store unavailable", used: false });
    expect(reads.get(2)).toEqual([WEEK[1].open, WEEK[2].open]);
    expect(failed.engine.health().components.prefetch.details.fallbacks).toBe(1);
  });
});

describe("engine bars from ticks", () => {
  it("builds the same one-minute and derived bars from a tick feed as the batch builders", async () => {
    const session = WEEK[0];
    const ticks: { symbol: string; time: number; price: number; size: number; suspicious?: boolean }[] = [];
    let seed = 7;
    for (let m = 0; m < 390; m++) {
      if (m === 100 || m === 101) continue;
      for (let k = 0; k < 3; k++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        ticks.push({
          symbol: "AAA",
          time: session.open + m * MIN + k * 15_000 + (seed % 1000),
          price: 100 + (seed % 300) / 100,
          size: 1 + (seed % 50),
        });
      }
    }
    ticks.push({
      symbol: "AAA",
      time: session.open + 5 * MIN + 59_000,
      price: 999,
      size: 1,
      suspicious: true,
    });
    ticks.sort((a, b) => a.time - b.time);
    const engine = await listEngine(
      {},
      {
        derived: { intervals: ["5m"] },
        ticks: { buildBars: true },
        upkeep: { enabled: true, fillGaps: false },
      },
    );
    engine.feed("AAA", "tick", ticks);
    const bars: BarEvent[] = [];
    engine.on("bar", (b) => {
      bars.push(b);
    });
    await engine.run();
    const expected = ticksToBars(ticks.filter((t) => !t.suspicious));
    const oneMinute = bars.filter((b) => b.interval === "1m");
    expect(oneMinute.map((b) => [b.time, b.open, b.high, b.low, b.close, b.volume])).toEqual(
      expected.toBars().map((b) => [b.time, b.open, b.high, b.low, b.close, b.volume]),
    );
    expect(oneMinute.every((b) => b.at >= b.time + MIN)).toBe(true);
    expect(oneMinute).toHaveLength(388);
    const fiveMinute = bars.filter((b) => b.interval === "5m");
    expect(fiveMinute).toHaveLength(78);
    expect(fiveMinute[20].count).toBe(3);
    expect(fiveMinute.every((b) => b.at >= b.time + 5 * MIN)).toBe(true);
  });
});
