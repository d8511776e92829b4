import { afterEach, describe, expect, it } from "vitest";
import { calendarFromJson } from "../calendar/index.js";
import type { Bar } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { sessionBars } from "../testing/bars.js";
import { createEngine } from "./engine.js";
import type { EngineEvent } from "./types.js";

/** Two-minute sessions at 10:00 UTC on weekdays: almost all of a day is closed time. */
const SHORT = calendarFromJson({
  name: "SHORT",
  timeZone: "UTC",
  from: "2024-03-01",
  to: "2024-03-31",
  weekly: Object.fromEntries(
    ["mon", "tue", "wed", "thu", "fri"].map((d) => [d, { open: "10:00", close: "10:02" }]),
  ),
});
const DAYS = SHORT.sessions("2024-03-04", "2024-03-06");

const repos: Repository[] = [];
afterEach(async () => {
  while (repos.length > 0) await repos.pop()!.close();
});

async function pacedEngine(config: Record<string, unknown>) {
  const repository = await openRepository(":memory:");
  repos.push(repository);
  const engine = await createEngine(
    { derived: { intervals: [] }, prefetch: { enabled: false }, upkeep: { enabled: false }, ...config },
    { repository, calendar: SHORT },
  );
  const bars: Bar[] = DAYS.flatMap((s) => sessionBars(SHORT, s, "AAA"));
  engine.feed("AAA", "bar", bars);
  return engine;
}

/** Lets the event loop turn until `done()` holds (no wall-clock sleep: it returns as soon as it does). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setImmediate(r));
}

describe("paced replay", () => {
  it("skips closed time between sessions by default and delivers what a full-speed run does", async () => {
    // At 600x a day of closed time would take 144 s; six minutes of sessions take 0.6 s.
    const paced = await pacedEngine({ speed: 600 });
    const seen: EngineEvent[] = [];
    paced.onAny((e) => seen.push(e));
    const summary = await paced.run();
    const full = await pacedEngine({ speed: "max" });
    const expected: EngineEvent[] = [];
    full.onAny((e) => expected.push(e));
    await full.run();
    expect(summary).toMatchObject({ sessions: 3, barsIn: 6, stopped: false });
    expect(seen).toEqual(expected);
  });

  it("with paceClosed waits through closed time, says so in health, and stop() ends the wait at once", async () => {
    const engine = await pacedEngine({ speed: 600, paceClosed: true });
    let rolled = 0;
    engine.on("roll", () => rolled++);
    const run = engine.run();
    const note = () => engine.health().components.engine.details.note;
    await until(() => rolled === 1 && note() !== undefined);
    expect(note()).toBe("between sessions, next open at 2024-03-05T10:00:00.000Z");
    await engine.stop();
    const summary = await run;
    expect(summary).toMatchObject({ stopped: true, sessions: 1, barsIn: 2 });
  });

  it("a run stopped during its second of three sessions reports two sessions", async () => {
    const engine = await pacedEngine({ speed: "max" });
    engine.on("bar", (b) => {
      if (b.time === DAYS[1].open) void engine.stop();
    });
    const summary = await engine.run();
    expect(summary).toMatchObject({ stopped: true, sessions: 2, barsIn: 3 });
  });

  it("a stopped run's quality counts the session in progress as far as it was played", async () => {
    // Five-minute sessions; the second lacks its 10:01 bar and the run stops at 10:04 (the
    // 10:03 bar): 5 of 5 minutes, then 3 of the 4 ended = 8 of 9.
    const FIVE = calendarFromJson({
      name: "FIVE",
      timeZone: "UTC",
      from: "2024-03-01",
      to: "2024-03-31",
      weekly: Object.fromEntries(
        ["mon", "tue", "wed", "thu", "fri"].map((d) => [d, { open: "10:00", close: "10:05" }]),
      ),
    });
    const [first, second] = FIVE.sessions("2024-03-04", "2024-03-05");
    const repository = await openRepository(":memory:");
    repos.push(repository);
    const engine = await createEngine(
      { derived: { intervals: [] }, prefetch: { enabled: false }, upkeep: { enabled: false } },
      { repository, calendar: FIVE },
    );
    const bars = [first, second]
      .flatMap((s) => sessionBars(FIVE, s, "AAA"))
      .filter((b) => b.time !== second.open + 60_000);
    engine.feed("AAA", "bar", bars);
    engine.on("bar", (b) => {
      if (b.time === second.open + 3 * 60_000) void engine.stop();
    });
    const summary = await engine.run();
    expect(summary).toMatchObject({ stopped: true, sessions: 2, barsIn: 8 });
    expect(summary.quality.AAA).toBeCloseTo((8 / 9) * 100, 10);
  });
});
