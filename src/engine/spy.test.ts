import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { hasSharedData, REPO_ROOT, skipWithout } from "../testing/deps.js";
import { ingestLeanSample } from "../testing/lean.js";
import { createEngine } from "./engine.js";
import type { BarEvent } from "./types.js";

const XNYS = getCalendar("XNYS");
const DATES = ["2013-10-04", "2013-10-07", "2013-10-08", "2013-10-09", "2013-10-10", "2013-10-11"];

describe.skipIf(skipWithout("../shared/data", hasSharedData()))("replay of SPY from ../shared/data", () => {
  let dir: string;
  let db: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tw-spy-"));
    db = join(dir, "spy.duckdb");
    await ingestLeanSample(db);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("delivers 6 x 390 one-minute, 6 x 78 five-minute and 6 daily bars, each at its end", async () => {
    const repo: Repository = await openRepository(db);
    onTestFinished(() => repo.close());
    const engine = await createEngine(
      { symbols: ["SPY"], from: "2013-10-04", to: "2013-10-11", derived: { intervals: ["5m", "1d"] } },
      { repository: repo },
    );
    const bars: BarEvent[] = [];
    engine.on("bar", (b) => {
      bars.push(b);
    });
    const summary = await engine.run();
    const of = (iv: string) => bars.filter((b) => b.interval === iv);
    expect(of("1m")).toHaveLength(6 * 390);
    expect(of("5m")).toHaveLength(6 * 78);
    expect(of("1d").map((b) => XNYS.sessionAt(b.time)!.date)).toEqual(DATES);
    for (const b of bars) {
      const end =
        b.interval === "1d"
          ? XNYS.sessionAt(b.time)!.close
          : b.time + (b.interval === "5m" ? 300_000 : 60_000);
      expect(b.at).toBe(end);
    }
    const oct7 = of("1d")[1];
    expect([oct7.open, oct7.high, oct7.low, oct7.close, oct7.volume]).toEqual([
      167.43, 168.45, 167.25, 167.42, 81_489_219,
    ]);
    expect(summary).toMatchObject({ sessions: 6, barsIn: 2340, gapsFound: 0, quality: { SPY: 100 } });
    expect(engine.session.lastBars("SPY", 6, "1d").map((b) => b.volume)[1]).toBe(81_489_219);
  });

  it("writes byte-identical --out files on two replays of the same data", () => {
    const run = (out: string) =>
      execFileSync(
        process.execPath,
        [
          join(REPO_ROOT, "bin/tickwright.js"),
          "replay",
          "--db",
          db,
          "--symbols",
          "SPY",
          "--from",
          "2013-10-07",
          "--to",
          "2013-10-09",
          "--derived",
          "5m,15m,60m,1d",
          "--out",
          out,
          "--json",
        ],
        { encoding: "utf8" },
      );
    const a = JSON.parse(run(join(dir, "a.jsonl")));
    run(join(dir, "b.jsonl"));
    const fileA = readFileSync(join(dir, "a.jsonl"), "utf8");
    expect(fileA).toBe(readFileSync(join(dir, "b.jsonl"), "utf8"));
    const lines = fileA.trim().split("\n");
    expect(lines[0]).toBe(
      `{"type":"preOpen","at":${XNYS.sessionOn("2013-10-07")!.preOpen},"calendar":"XNYS","date":"2013-10-07"}`,
    );
    const first = lines.find((l) => l.includes('"type":"bar"'))!;
    expect(JSON.parse(first)).toEqual({
      type: "bar",
      at: Date.UTC(2013, 9, 7, 13, 31),
      symbol: "SPY",
      interval: "1m",
      time: Date.UTC(2013, 9, 7, 13, 30),
      open: 167.43,
      high: JSON.parse(first).high,
      low: JSON.parse(first).low,
      close: JSON.parse(first).close,
      volume: JSON.parse(first).volume,
    });
    expect(a).toMatchObject({
      sessions: 3,
      barsIn: 1170,
      barsOut: { "1m": 1170, "5m": 234, "15m": 78, "60m": 21, "1d": 3 },
    });
    expect(a.barsPerSecond).toBeGreaterThan(0);
  });
});
