import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, listValue } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine } from "../engine/engine.js";
import type { GapEvent } from "../engine/types.js";
import { BarFlag, type SessionBar } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import { hasSharedData, skipWithout } from "../testing/deps.js";
import { ingestLeanSample } from "../testing/lean.js";
import { openFillSource } from "./fill-source.js";

const ny = (date: string, hhmm: string) => Date.parse(`${date}T${hhmm}:00-04:00`);
/**
 * Minutes deleted from store A: a session's first and last minute, a run of five, a run of two
 * and single minutes, over five of the six sessions.
 */
const DELETED = [
  ny("2013-10-07", "09:30"),
  ...[0, 1, 2, 3, 4].map((k) => ny("2013-10-07", "11:00") + k * 60_000),
  ny("2013-10-08", "12:17"),
  ny("2013-10-09", "13:00"),
  ny("2013-10-09", "13:01"),
  ny("2013-10-09", "15:59"),
  ny("2013-10-10", "10:45"),
  ny("2013-10-11", "14:30"),
];
/** Upkeep runs every minute of the replay, so it finds each missing minute as a gap of its own. */
const GAPS = DELETED.length;

/** A replay of SPY's six sessions; its one- and five-minute bars (flags aside) and gap events. */
async function replay(db: string, fillFrom?: string) {
  const repository = await openRepository(db, { create: false });
  const fill = await openFillSource(fillFrom);
  try {
    const engine = await createEngine(
      {
        symbols: ["SPY"],
        from: "2013-10-04",
        to: "2013-10-11",
        derived: { intervals: ["5m"] },
        history: { sessions: 10 },
        upkeep: { intervalSeconds: 60 },
      },
      { repository, ...(fill.barSource ? { barSource: fill.barSource } : {}) },
    );
    const gaps: GapEvent[] = [];
    for (const type of ["gap", "gapFilled", "gapAbandoned"] as const) {
      engine.on(type, (e) => {
        gaps.push(e);
      });
    }
    const summary = await engine.run();
    const stored = (interval: string) => engine.session.history("SPY", 10, interval).flatMap((h) => h.bars);
    const bars = (interval: string) => stored(interval).map(({ flags: _flags, ...b }: SessionBar) => b);
    const filled = stored("1m")
      .filter((b) => b.flags === BarFlag.Filled)
      .map((b) => b.time);
    return { summary, gaps, minutes: bars("1m"), fiveMinutes: bars("5m"), filled };
  } finally {
    await fill.close();
    await repository.close();
  }
}

describe.skipIf(skipWithout("../shared/data", hasSharedData()))(
  "filling SPY's gaps from a second store",
  () => {
    let dir: string;
    let whole: string;
    let holed: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "tw-spy-fill-"));
      whole = join(dir, "b.duckdb");
      holed = join(dir, "a.duckdb");
      await ingestLeanSample(whole);
      await ingestLeanSample(holed);
      const db = await DuckDBInstance.create(holed);
      const con = await db.connect();
      const deleted = await con.runAndReadAll(
        "DELETE FROM bars WHERE symbol = 'SPY' AND interval = '1m' AND list_contains($1::BIGINT[], time) RETURNING time",
        [listValue(DELETED.map(BigInt))],
      );
      expect(deleted.getRows().length).toBe(DELETED.length);
      con.closeSync();
      db.closeSync();
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("finds every deleted minute and fills it, giving the same 1m and 5m bars as a replay of the whole data", async () => {
      const b = await replay(whole);
      expect(b.summary).toMatchObject({ gapsFound: 0, quality: { SPY: 100 } });
      expect(b.minutes).toHaveLength(6 * 390);

      const a = await replay(holed, whole);
      expect(a.summary).toMatchObject({
        gapsFound: GAPS,
        gapsFilled: GAPS,
        gapsAbandoned: 0,
        quality: { SPY: 100 },
      });
      const found = a.gaps.filter((g) => g.type === "gap");
      const filled = a.gaps.filter((g) => g.type === "gapFilled");
      expect(found.map((g) => [g.start, g.count])).toEqual(filled.map((g) => [g.start, g.count]));
      expect(found.flatMap((g) => Array.from({ length: g.count }, (_, k) => g.start + k * 60_000))).toEqual(
        DELETED,
      );
      expect(a.minutes).toEqual(b.minutes);
      expect(a.filled).toEqual(DELETED);
      expect(b.filled).toEqual([]);
      expect(a.fiveMinutes).toEqual(b.fiveMinutes);
    });

    it("without a second store the same gaps are found and abandoned, and the minutes stay missing", async () => {
      const a = await replay(holed, "none");
      expect(a.summary).toMatchObject({ gapsFound: GAPS, gapsFilled: 0, gapsAbandoned: GAPS });
      expect(a.minutes).toHaveLength(6 * 390 - DELETED.length);
    });
  },
);
