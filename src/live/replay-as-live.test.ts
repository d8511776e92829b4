import { afterEach, describe, expect, it } from "vitest";
import { LiveClock } from "../clock/live.js";
import { SimulatedClock } from "../clock/simulated.js";
import { type Bar, barsToColumns } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { ReplayAsLiveFeed } from "./replay-as-live.js";
import { RecordingSink } from "./test-support.js";

const T0 = Date.UTC(2024, 2, 8, 14, 30);
const M = 60_000;
/** Wall-clock start of the simulated tests: 30 s into a minute. */
const W = Date.UTC(2025, 0, 2, 15, 0, 30);
const W_MINUTE = Date.UTC(2025, 0, 2, 15, 0);

const repos: Repository[] = [];
afterEach(async () => {
  for (const r of repos.splice(0)) await r.close();
});

function bar(symbol: string, minute: number): Bar {
  const p = 100 + minute + (symbol === "MSFT" ? 300 : 0);
  return {
    symbol,
    time: T0 + minute * M,
    open: p,
    high: p + 1,
    low: p - 1,
    close: p + 0.5,
    volume: 10 * minute + 1,
  };
}

/** AAPL and MSFT minutes 0..9, plus bars outside the range and of another symbol. */
async function repository(): Promise<Repository> {
  const repo = await openRepository(":memory:");
  repos.push(repo);
  const bars: Bar[] = [];
  for (let m = -2; m < 12; m++) for (const s of ["AAPL", "MSFT", "IBM"]) bars.push(bar(s, m));
  await repo.writeBars("1m", barsToColumns(bars));
  return repo;
}

const seen = (sink: RecordingSink) => sink.bars().map((b) => `${b.symbol}@${(b.time - T0) / M}`);

describe("ReplayAsLiveFeed", () => {
  it("pushes each bar when the replay's time reaches its end, shifted so the first bar starts this minute", async () => {
    const repo = await repository();
    const clock = new SimulatedClock(W);
    const sink = new RecordingSink();
    const feed = new ReplayAsLiveFeed({
      repository: repo,
      from: T0,
      to: T0 + 10 * M,
      speed: 60,
      clock,
      windowMinutes: 3,
    });
    await feed.start(sink, ["AAPL", "MSFT"]);
    expect(feed.offset).toBe(W_MINUTE - T0);
    expect(sink.events).toEqual([{ kind: "connection", state: "connected", at: W }]);
    // Minute k ends at W_MINUTE + (k+1) min; replay time starts at W and runs 60x: due at W + (k+1) s - 0.5 s.
    await clock.advanceTo(W + 499);
    expect(sink.count("bar")).toBe(0);
    await clock.advanceTo(W + 500);
    expect(sink.bars()).toEqual([
      { ...bar("AAPL", 0), time: W_MINUTE },
      { ...bar("MSFT", 0), time: W_MINUTE },
    ]);
    expect(feed.replayTime(W + 500)).toBe(W_MINUTE + M);
    await clock.advanceTo(W + 3499);
    expect(sink.count("bar")).toBe(6);
    await clock.advanceTo(W + 9500);
    expect(sink.bars().map((b) => [b.symbol, b.time - W_MINUTE])).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((k) => [
        ["AAPL", k * M],
        ["MSFT", k * M],
      ]),
    );
    expect(await feed.done()).toEqual({ delivered: 20, stopped: false });
    expect(clock.pending()).toBe(0);
  });

  it("at speed 1 delivers every shifted bar exactly at its end on the clock", async () => {
    const repo = await repository();
    const clock = new SimulatedClock(W);
    const sink = new RecordingSink();
    const at: number[] = [];
    sink.bar = (b) => at.push(clock.now() - (b.time + M));
    const feed = new ReplayAsLiveFeed({ repository: repo, from: T0, to: T0 + 4 * M, clock });
    await feed.start(sink, ["AAPL"]);
    await clock.advanceTo(W_MINUTE + 10 * M);
    expect(at).toEqual([0, 0, 0, 0]);
  });

  it("keeps historical times with shift none and shifts by a given offset", async () => {
    const repo = await repository();
    const clock = new SimulatedClock(W);
    const sink = new RecordingSink();
    const feed = new ReplayAsLiveFeed({
      repository: repo,
      from: T0 + 8 * M,
      to: T0 + 30 * M,
      shift: "none",
      speed: 600,
      clock,
    });
    await feed.start(sink, ["MSFT"]);
    await clock.advanceTo(W + 200);
    expect(seen(sink)).toEqual(["MSFT@8", "MSFT@9"]);
    expect(sink.bars()[1]).toEqual(bar("MSFT", 9));
    await clock.advanceTo(W + 400);
    expect(await feed.done()).toEqual({ delivered: 4, stopped: false });
    expect(seen(sink)).toEqual(["MSFT@8", "MSFT@9", "MSFT@10", "MSFT@11"]);

    const shifted = new RecordingSink();
    const feed2 = new ReplayAsLiveFeed({
      repository: repo,
      from: T0,
      to: T0 + M,
      shift: 7 * M,
      speed: 600,
      clock,
    });
    await feed2.start(shifted, ["IBM"]);
    await clock.advanceTo(clock.now() + 100);
    expect(shifted.bars()).toEqual([{ ...bar("IBM", 0), time: T0 + 7 * M }]);
  });

  it("stops: no bar after stop() resolves and no timer left", async () => {
    const repo = await repository();
    const clock = new SimulatedClock(W);
    const sink = new RecordingSink();
    const feed = new ReplayAsLiveFeed({ repository: repo, from: T0, to: T0 + 10 * M, speed: 60, clock });
    await feed.start(sink, ["AAPL", "MSFT"]);
    await clock.advanceTo(W + 2500);
    expect(sink.count("bar")).toBe(6);
    await feed.stop();
    expect(clock.pending()).toBe(0);
    await clock.advanceTo(W + 60_000);
    expect(sink.count("bar")).toBe(6);
    expect(await feed.done()).toEqual({ delivered: 6, stopped: true });
    await feed.stop();
  });

  it("plays 6000x on the wall clock in (time, symbol) order and halts on stop", async () => {
    const repo = await repository();
    const sink = new RecordingSink();
    const feed = new ReplayAsLiveFeed({
      repository: repo,
      from: T0,
      to: T0 + 10 * M,
      speed: 6000,
      shift: "none",
      clock: new LiveClock(),
    });
    await feed.start(sink, ["MSFT", "AAPL"]);
    expect(await feed.done()).toEqual({ delivered: 20, stopped: false });
    expect(seen(sink)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((k) => [`AAPL@${k}`, `MSFT@${k}`]));

    const slow = new RecordingSink();
    const feed2 = new ReplayAsLiveFeed({
      repository: repo,
      from: T0,
      to: T0 + 10 * M,
      speed: 6000,
      shift: "none",
    });
    await feed2.start(slow, ["AAPL"]);
    await slow.until((s) => s.count("bar") >= 3, "three bars");
    await feed2.stop();
    const n = slow.count("bar");
    expect(n).toBeLessThan(10);
    expect(await feed2.done()).toEqual({ delivered: n, stopped: true });
  });

  it("finishes at once with nothing to play and refuses bad options", async () => {
    const repo = await repository();
    const sink = new RecordingSink();
    const feed = new ReplayAsLiveFeed({
      repository: repo,
      from: T0 + 100 * M,
      to: T0 + 500 * M,
      clock: new SimulatedClock(W),
    });
    await feed.start(sink, ["AAPL"]);
    expect(await feed.done()).toEqual({ delivered: 0, stopped: false });
    expect(sink.connections()).toEqual(["connected"]);
    expect(() => new ReplayAsLiveFeed({ repository: repo, from: T0, to: T0 + M, speed: 0 })).toThrow(
      "replay speed must be a positive number, got 0",
    );
    expect(() => new ReplayAsLiveFeed({ repository: repo, from: T0, to: T0 })).toThrow(
      "replay from 2024-03-08T14:30:00Z is not before to 2024-03-08T14:30:00Z",
    );
    await expect(feed.start(sink, ["AAPL"])).rejects.toThrow("replay already started (done)");
  });
});
