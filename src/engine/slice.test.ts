import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { sessionBars } from "../testing/bars.js";
import { createEngine } from "./engine.js";
import type { Slice } from "./slice.js";
import type { BarEvent } from "./types.js";

const XNYS = getCalendar("XNYS");
const DAYS = XNYS.sessions("2024-03-07", "2024-03-08");
const MIN = 60_000;

const repos: Repository[] = [];
afterEach(async () => {
  while (repos.length > 0) await repos.pop()!.close();
});

/** A replay of list feeds, one per symbol, each skipping the given minutes of each session. */
async function replay(skips: Record<string, number[]>, listen: { bars: boolean; slices: boolean }) {
  const repository = await openRepository(":memory:");
  repos.push(repository);
  const engine = await createEngine(
    {
      derived: { intervals: ["5m", "15m", "1d"] },
      prefetch: { enabled: false },
      upkeep: { enabled: true, intervalSeconds: 60, fillGaps: false },
    },
    { repository },
  );
  for (const [symbol, skip] of Object.entries(skips)) {
    const set = new Set(skip);
    engine.feed(
      symbol,
      "bar",
      DAYS.flatMap((s) => sessionBars(XNYS, s, symbol, { skip: set })),
    );
  }
  const bars: BarEvent[] = [];
  const slices: { at: number; now: number; bars: BarEvent[]; symbols: readonly string[] }[] = [];
  if (listen.bars) engine.on("bar", (b) => bars.push(b));
  if (listen.slices) {
    engine.on("slice", (s: Slice) => {
      slices.push({ at: s.at, now: engine.clock.now(), bars: s.toObjects(), symbols: [...s.symbols] });
    });
  }
  await engine.run();
  return { bars, slices };
}

/** Per-bar events grouped by consecutive clock time: what the slices must hold. */
function byInstant(bars: BarEvent[]): { at: number; bars: BarEvent[] }[] {
  const out: { at: number; bars: BarEvent[] }[] = [];
  for (const b of bars) {
    const last = out[out.length - 1];
    if (last && last.at === b.at) last.bars.push(b);
    else out.push({ at: b.at, bars: [b] });
  }
  return out;
}

describe("slices", () => {
  it("hold exactly the bars per-bar events deliver, in order, at the same clock times, never ending after the clock", async () => {
    const symbols = fc.constantFrom("AAA", "BBB", "CCC", "DDD");
    const skips = fc.array(fc.integer({ min: 0, max: 389 }), { maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(fc.dictionary(symbols, skips, { minKeys: 1, maxKeys: 4 }), async (input) => {
        const both = await replay(input, { bars: true, slices: true });
        const alone = await replay(input, { bars: true, slices: false });
        expect(both.bars).toEqual(alone.bars);
        const expected = byInstant(both.bars);
        expect(both.slices.map((s) => ({ at: s.at, bars: s.bars }))).toEqual(expected);
        for (const s of both.slices) {
          expect(s.now).toBeGreaterThanOrEqual(s.at);
          for (const b of s.bars) {
            const end =
              b.interval === "1d"
                ? XNYS.sessionAt(b.time)!.close
                : b.time + Number.parseInt(b.interval, 10) * MIN;
            expect(end).toBeLessThanOrEqual(s.at);
          }
          expect(s.symbols).toEqual([...new Set(s.bars.map((b) => b.symbol))]);
        }
      }),
      { numRuns: 12 },
    );
  });

  it("gives each interval's bars as columns and one symbol's bar by name", async () => {
    const repository = await openRepository(":memory:");
    repos.push(repository);
    const engine = await createEngine(
      { derived: { intervals: ["5m"] }, prefetch: { enabled: false }, upkeep: { enabled: false } },
      { repository },
    );
    for (const symbol of ["AAA", "BBB"]) engine.feed(symbol, "bar", sessionBars(XNYS, DAYS[0], symbol));
    const seen: unknown[] = [];
    engine.on("slice", (s) => {
      if (s.at !== DAYS[0].open + 5 * MIN) return;
      const five = s.bars("5m");
      seen.push(five.length, [...five.symbol.slice(0, five.length)], five.time[0], s.bars("1m").length);
      seen.push(s.get("BBB", "5m")?.close, s.get("BBB", "30m"), s.get("ZZZ"));
    });
    const bars: BarEvent[] = [];
    engine.on("bar", (b) => bars.push(b));
    await engine.run();
    const bbb5 = bars.find((b) => b.symbol === "BBB" && b.interval === "5m")!;
    expect(seen).toEqual([2, ["AAA", "BBB"], DAYS[0].open, 2, bbb5.close, undefined, undefined]);
  });

  it("come from events({ slices: true }) as copies that stay valid", async () => {
    const repository = await openRepository(":memory:");
    repos.push(repository);
    const engine = await createEngine(
      { derived: { intervals: [] }, prefetch: { enabled: false }, upkeep: { enabled: false } },
      { repository },
    );
    engine.feed("AAA", "bar", sessionBars(XNYS, DAYS[0], "AAA").slice(0, 3));
    const it = engine.events({ slices: true });
    const run = engine.run();
    const kept: Slice[] = [];
    for await (const e of it) if (e.type === "slice") kept.push(e);
    await run;
    expect(kept.map((s) => [s.at, s.length, s.toObjects()[0].time])).toEqual([
      [DAYS[0].open + MIN, 1, DAYS[0].open],
      [DAYS[0].open + 2 * MIN, 1, DAYS[0].open + MIN],
      [DAYS[0].open + 3 * MIN, 1, DAYS[0].open + 2 * MIN],
    ]);
  });
});
