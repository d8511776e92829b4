import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import type { ConfigInput } from "../config/schema.js";
import { createEngine } from "../engine/engine.js";
import type { BarEvent, GapEvent } from "../engine/types.js";
import { detectGaps } from "../gaps/index.js";
import { BarFlag, barsToColumns } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { sessionBars } from "../testing/bars.js";
import { type BarSource, RepositoryBarSource } from "./upkeep.js";

const XNYS = getCalendar("XNYS");
const DAY = XNYS.sessionOn("2024-03-05")!;
const MIN = 60_000;

const repos: Repository[] = [];
afterEach(async () => {
  while (repos.length > 0) await repos.pop()!.close();
});

/** A repository holding the whole session, and a feed that drops the minutes in `skip`. */
async function setup(
  skip: number[],
  upkeep: ConfigInput["upkeep"],
  source?: (repo: Repository) => BarSource,
) {
  const repo = await openRepository(":memory:");
  repos.push(repo);
  const full = sessionBars(XNYS, DAY, "AAA");
  await repo.writeBars("1m", barsToColumns(full));
  const engine = await createEngine(
    { derived: { intervals: ["5m"] }, prefetch: { enabled: false }, upkeep },
    { repository: repo, replayStore: false, barSource: source?.(repo) },
  );
  engine.feed("AAA", "bar", sessionBars(XNYS, DAY, "AAA", { skip: new Set(skip) }));
  const gaps: GapEvent[] = [];
  for (const type of ["gap", "gapFilled", "gapAbandoned"] as const) {
    engine.on(type, (e) => {
      gaps.push(e);
    });
  }
  const bars: BarEvent[] = [];
  engine.on("bar", (b) => {
    bars.push(b);
  });
  return { engine, gaps, bars, full };
}

/** A source over the repository that throws its first `failures` calls. */
function flaky(failures: number, calls: number[], clock: () => number) {
  return (repo: Repository): BarSource => {
    const inner = new RepositoryBarSource(repo);
    let left = failures;
    return {
      fetchBars: async (symbol, from, to) => {
        calls.push(clock());
        if (left-- > 0) throw new Error("connection refused");
        return inner.fetchBars(symbol, from, to);
      },
    };
  };
}

describe("upkeep", () => {
  it("fills every dropped minute from the repository: quality 100%, events, filled flags", async () => {
    const { engine, gaps, bars, full } = await setup([5, 6, 7, 200, 388], { intervalSeconds: 300 });
    const summary = await engine.run();
    expect(gaps.map((g) => [g.type, (g.start - DAY.open) / MIN, g.count])).toEqual([
      ["gap", 5, 3],
      ["gapFilled", 5, 3],
      ["gap", 200, 1],
      ["gapFilled", 200, 1],
      ["gap", 388, 1],
      ["gapFilled", 388, 1],
    ]);
    expect(gaps.map((g) => (g.at - DAY.open) / MIN)).toEqual([10, 10, 205, 205, 390, 390]);
    expect(summary).toMatchObject({ gapsFound: 3, gapsFilled: 3, gapsAbandoned: 0, quality: { AAA: 100 } });
    const h = engine.session.history("AAA", 1)[0].bars;
    expect(h).toHaveLength(390);
    expect(h.map((b) => b.close)).toEqual(full.map((b) => b.close));
    expect(h.filter((b) => b.flags === BarFlag.Filled).map((b) => (b.time - DAY.open) / MIN)).toEqual([
      5, 6, 7, 200, 388,
    ]);
    const fiveMin = engine.session.history("AAA", 1, "5m")[0].bars;
    expect(fiveMin).toHaveLength(78);
    expect(fiveMin.every((b) => b.count === 5)).toBe(true);
    expect(bars.filter((b) => b.interval === "1m")).toHaveLength(385);
    expect(engine.health().components.upkeep.status).toBe("ok");
  });

  it("emits the derived bar a fill completes, once, with every source bar", async () => {
    const { engine, bars } = await setup([14], { intervalSeconds: 60 });
    await engine.run();
    const fiveMinute = bars.filter((b) => b.interval === "5m");
    expect(fiveMinute).toHaveLength(78);
    expect(new Set(fiveMinute.map((b) => b.time)).size).toBe(78);
    const filled = fiveMinute[2];
    expect([filled.time, filled.at, filled.count, filled.flags]).toEqual([
      DAY.open + 10 * MIN,
      DAY.open + 15 * MIN,
      5,
      BarFlag.Filled,
    ]);
  });

  it("completes a derived bar whose last minute is missing at the bucket's end", async () => {
    const { engine, bars } = await setup([4], { intervalSeconds: 60, fillGaps: false });
    await engine.run();
    const first = bars.find((b) => b.interval === "5m")!;
    expect([first.time, first.at, first.count, first.expected]).toEqual([DAY.open, DAY.open + 5 * MIN, 4, 5]);
  });

  it("retries a failing source with exponential backoff on the clock, then fills", async () => {
    const calls: number[] = [];
    let now = () => 0;
    const { engine, gaps, bars } = await setup(
      [10],
      { intervalSeconds: 60, backoffSeconds: 2, maxRetries: 5 },
      flaky(3, calls, () => now()),
    );
    now = () => engine.clock.now();
    const degraded: string[] = [];
    engine.clock.at(DAY.open + 11 * MIN + 3_000, () => {
      degraded.push(engine.health().components.upkeep.status);
    });
    const summary = await engine.run();
    const found = DAY.open + 11 * MIN;
    expect(calls.slice(0, 4)).toEqual([found, found + 2_000, found + 6_000, found + 14_000]);
    expect(degraded).toEqual(["degraded"]);
    expect(gaps.map((g) => [g.type, g.retries])).toEqual([
      ["gap", 0],
      ["gapFilled", 3],
    ]);
    expect(summary.quality.AAA).toBe(100);
    expect(bars.filter((b) => b.interval === "1m")).toHaveLength(389);
    expect(engine.health().components.upkeep.status).toBe("ok");
  });

  it("abandons a gap after maxRetries when the source never recovers; nothing else is lost", async () => {
    const calls: number[] = [];
    const { engine, gaps, bars } = await setup(
      [10, 11],
      { maxRetries: 3, backoffSeconds: 1, intervalSeconds: 300 },
      flaky(1e9, calls, () => 0),
    );
    const summary = await engine.run();
    expect(calls).toHaveLength(4);
    expect(gaps.map((g) => [g.type, g.count, g.retries])).toEqual([
      ["gap", 2, 0],
      ["gapAbandoned", 2, 4],
    ]);
    expect(summary).toMatchObject({ gapsFound: 1, gapsFilled: 0, gapsAbandoned: 1 });
    expect(summary.quality.AAA).toBeCloseTo((388 / 390) * 100, 10);
    expect(bars.filter((b) => b.interval === "1m")).toHaveLength(388);
    expect(bars.filter((b) => b.interval === "5m")).toHaveLength(78);
    const health = engine.health();
    expect(health.status).toBe("degraded");
    expect(health.components.upkeep.details.lastError).toBe("connection refused");
  });

  it("fills abandoned gaps with flat zero-volume synthetic bars only when asked", async () => {
    const { engine } = await setup(
      [10, 11],
      { maxRetries: 0, synthesizeAbandoned: true, intervalSeconds: 300 },
      flaky(1e9, [], () => 0),
    );
    await engine.run();
    const h = engine.session.history("AAA", 1)[0].bars;
    expect(h).toHaveLength(390);
    const synthetic = h.filter((b) => b.flags === BarFlag.Synthetic);
    expect(synthetic.map((b) => (b.time - DAY.open) / MIN)).toEqual([10, 11]);
    const before = h[9];
    for (const b of synthetic) {
      expect([b.open, b.high, b.low, b.close, b.volume]).toEqual([
        before.close,
        before.close,
        before.close,
        before.close,
        0,
      ]);
    }
  });

  it("finds the same missing minutes as the pure gap detection, whatever is dropped", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: 389 }), { maxLength: 80 }), async (skip) => {
        const { engine, gaps } = await setup(skip, { fillGaps: false, intervalSeconds: 60 * 7 });
        await engine.run();
        const found = gaps.filter((g) => g.type === "gap").flatMap((g) => range(g.start, g.end));
        const present = sessionBars(XNYS, DAY, "AAA", { skip: new Set(skip) }).map((b) => b.time);
        const report = detectGaps(
          Float64Array.from(present),
          present.length,
          XNYS.expectedMinutes(DAY),
          DAY.close,
        );
        expect(found).toEqual(report.gaps.flatMap((g) => range(g.start, g.end)));
        expect(found.length).toBe(skip.length);
      }),
      { numRuns: 15 },
    );
  });

  it("finds every symbol's missing minutes, each once, when cycles skip the symbols while all are complete", async () => {
    const SYMBOLS = ["AAA", "BBB", "CCC"];
    // sparse drops (at most 6 of 390 minutes a symbol), so that most cycles find every symbol complete
    const skips = fc.uniqueArray(fc.integer({ min: 0, max: 389 }), { maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(fc.tuple(skips, skips, skips), async (perSymbol) => {
        const repo = await openRepository(":memory:");
        repos.push(repo);
        const engine = await createEngine(
          { prefetch: { enabled: false }, upkeep: { fillGaps: false, intervalSeconds: 60 } },
          { repository: repo, replayStore: false },
        );
        for (const [k, symbol] of SYMBOLS.entries()) {
          engine.feed(symbol, "bar", sessionBars(XNYS, DAY, symbol, { skip: new Set(perSymbol[k]) }));
        }
        const gaps: GapEvent[] = [];
        engine.on("gap", (e) => {
          gaps.push(e);
        });
        await engine.run();
        for (const [k, symbol] of SYMBOLS.entries()) {
          const found = gaps.filter((g) => g.symbol === symbol).flatMap((g) => range(g.start, g.end));
          const expected = [...perSymbol[k]].sort((x, y) => x - y).map((m) => DAY.open + m * MIN);
          expect(found.sort((x, y) => x - y)).toEqual(expected);
        }
      }),
      { numRuns: 20, seed: 42 },
    );
  });
});

function range(start: number, end: number): number[] {
  const out: number[] = [];
  for (let t = start; t < end; t += MIN) out.push(t);
  return out;
}
