import { afterEach, describe, expect, it } from "vitest";
import { SimulatedClock } from "../clock/simulated.js";
import { barsToColumns } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import type { Repository } from "../store/types.js";
import { AlpacaFeed, createLiveFeed, type LiveFeedConfig, ReplayAsLiveFeed } from "./index.js";
import { RecordingSink } from "./test-support.js";

const repos: Repository[] = [];
afterEach(async () => {
  for (const r of repos.splice(0)) await r.close();
});

describe("createLiveFeed", () => {
  it("builds an Alpaca feed on the configured host and feed", () => {
    const feed = createLiveFeed({
      provider: "alpaca",
      url: "ws://127.0.0.1:1/",
      key: "k",
      secret: "s",
      feed: "sip",
    });
    expect(feed).toBeInstanceOf(AlpacaFeed);
    expect((feed as AlpacaFeed).url).toBe("ws://127.0.0.1:1/v2/sip");
  });

  it("builds a replay whose day-dated range includes the last day", async () => {
    const repo = await openRepository(":memory:");
    repos.push(repo);
    const day = (d: number, h: number) => Date.UTC(2013, 9, d, h);
    const bar = (time: number) => ({ symbol: "SPY", time, open: 1, high: 1, low: 1, close: 1, volume: 1 });
    await repo.writeBars(
      "1m",
      barsToColumns([bar(day(6, 20)), bar(day(7, 14)), bar(day(8, 19)), bar(day(9, 14))]),
    );
    const clock = new SimulatedClock(day(20, 0));
    const feed = createLiveFeed({
      provider: "replay",
      repository: repo,
      from: "2013-10-07",
      to: "2013-10-08",
      shift: "none",
      speed: 1e6,
      clock,
    });
    expect(feed).toBeInstanceOf(ReplayAsLiveFeed);
    const sink = new RecordingSink();
    await feed.start(sink, ["SPY"]);
    await clock.advanceTo(day(21, 0));
    expect(sink.bars().map((b) => b.time)).toEqual([day(7, 14), day(8, 19)]);
  });

  it("names an unknown provider and a bad date", () => {
    expect(() => createLiveFeed({ provider: "polygon" } as unknown as LiveFeedConfig)).toThrow(
      'unknown live feed provider "polygon" (alpaca, replay)',
    );
    expect(() =>
      createLiveFeed({ provider: "replay", repository: {} as Repository, from: "2013-13-01", to: 5 }),
    ).toThrow('bad from "2013-13-01": no such date');
  });
});
