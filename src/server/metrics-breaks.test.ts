import { afterEach, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { createEngine } from "../engine/index.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { sessionBars } from "../testing/bars.js";
import { EngineMetrics } from "./metrics.js";

const repos: Repository[] = [];
afterEach(async () => {
  while (repos.length > 0) await repos.pop()!.close();
});

describe("boundary metrics", () => {
  it("count the lunch break's breakStart and breakEnd of a Tokyo replay", async () => {
    const xtks = getCalendar("XTKS");
    const repository = await openRepository(":memory:");
    repos.push(repository);
    const engine = await createEngine(
      { calendar: "XTKS", upkeep: { enabled: false }, prefetch: { enabled: false } },
      { repository },
    );
    engine.feed(
      "7203",
      "bar",
      xtks.sessions("2024-03-04", "2024-03-05").flatMap((s) => sessionBars(xtks, s, "7203")),
    );
    const metrics = new EngineMetrics(engine);
    await engine.run();
    const text = await metrics.text();
    metrics.close();
    const count = (type: string) =>
      Number(new RegExp(`tickwright_boundaries_total\\{type="${type}"\\} (\\d+)`).exec(text)?.[1]);
    expect(["open", "breakStart", "breakEnd", "close", "roll"].map(count)).toEqual([2, 2, 2, 2, 2]);
  });
});
