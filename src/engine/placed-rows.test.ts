import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { type Bar, barsToColumns } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { sessionBars } from "../testing/bars.js";
import { RepositoryBarSource } from "../upkeep/index.js";
import { createEngine } from "./engine.js";
import type { EngineEvent } from "./types.js";

const XNYS = getCalendar("XNYS");
const DAYS = XNYS.sessions("2024-03-04", "2024-03-06");
const SYMBOLS = ["AAA", "BBB", "CCC"];

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

/**
 * Every symbol's sessions, with holes (minutes missing, filled later from `full`) and bars the
 * engine rejects (high below low, a minute `full` lacks too), different per symbol and session.
 */
function stored(): { holed: Bar[]; full: Bar[] } {
  const holed: Bar[] = [];
  const full: Bar[] = [];
  for (const [d, day] of DAYS.entries()) {
    for (const [k, symbol] of SYMBOLS.entries()) {
      const bars = sessionBars(XNYS, day, symbol);
      for (const [i, b] of bars.entries()) {
        if (k === 1 && i % 97 === 13 + d) {
          full.push(b);
          continue;
        }
        // a rejected bar whose minute no fill has: the rows after it land one by one
        if (k === 2 && i === 200 + d) holed.push({ ...b, high: b.low - 1 });
        else {
          holed.push(b);
          full.push(b);
        }
      }
    }
  }
  return { holed, full };
}

async function storeOf(path: string, bars: Bar[]): Promise<Repository> {
  const repo = await openRepository(path);
  cleanup.push(() => repo.close());
  await repo.writeBars("1m", barsToColumns(bars));
  return repo;
}

/** Every event of a replay (fills from `fill`), and each symbol's bars held at the end. */
async function replay(repository: Repository, fill: Repository) {
  const engine = await createEngine(
    {
      allSymbols: true,
      from: DAYS[0].date,
      to: DAYS[DAYS.length - 1].date,
      derived: { intervals: ["5m", "30m", "1d"] },
      history: { sessions: 1, dailyBars: 5 },
      upkeep: { enabled: true, intervalSeconds: 60 },
    },
    { repository, barSource: new RepositoryBarSource(fill) },
  );
  const events: EngineEvent[] = [];
  engine.onAny((e) => void events.push({ ...e }));
  const summary = await engine.run();
  const held = SYMBOLS.map((s) => ({
    minutes: engine.session.barsSince(s, 0).toArray(),
    fives: engine.session.barsSince(s, 0, "5m").toArray(),
    days: engine.session.barsSince(s, 0, "1d").toArray(),
    history: engine.session.history(s, 1),
    metrics: engine.session.metrics(s),
  }));
  const { wallMs: _, barsPerSecond: __, ...counts } = summary;
  return { events, counts, held, rejections: engine.rejections() };
}

describe("rows placed by the read worker", () => {
  it("a replay from a DuckDB file, its rows placed per symbol, delivers and holds exactly what the same rows read on the main thread do, through rejected bars, fills and rolls", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-placed-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const { holed, full } = stored();
    const fill = await storeOf(":memory:", full);
    // a file: read on the worker, rows placed; in memory: read on the main thread, nothing placed
    const placed = await replay(await storeOf(join(dir, "bars.duckdb"), holed), fill);
    const plain = await replay(await storeOf(":memory:", holed), fill);
    // 12 minutes missing (BBB), 3 bars rejected (CCC)
    expect(placed.counts.barsIn).toBe(3 * 3 * 390 - 12 - 3);
    expect(placed.counts).toEqual(plain.counts);
    expect(placed.rejections.byReason).toEqual({ "high below low": 3 });
    expect(placed.rejections).toEqual(plain.rejections);
    expect(placed.counts.gapsFilled).toBeGreaterThan(0);
    expect(placed.events).toEqual(plain.events);
    expect(placed.held).toEqual(plain.held);
  });
});
