import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/registry.js";
import { allocBarColumns, type BarColumns } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import type { CorporateAction, Repository } from "../store/types.js";
import { readStoredBars } from "./stored-bars.js";

const XNYS = getCalendar("XNYS");
const WEEK = ["2024-03-04", "2024-03-05", "2024-03-06", "2024-03-07", "2024-03-08"];

/** Regular-hours minutes of `symbol` on the dates, every price `price(date)`, volume 100. */
function minutes(symbol: string, dates: readonly string[], price: (date: string) => number): BarColumns {
  const times = dates.flatMap((d) =>
    [...XNYS.expectedMinutes(XNYS.sessionOn(d)!)].map((t) => [d, t] as const),
  );
  const c = allocBarColumns(times.length);
  times.forEach(([d, t], i) => {
    c.symbol[i] = symbol;
    c.time[i] = t;
    c.open[i] = c.high[i] = c.low[i] = c.close[i] = price(d);
    c.volume[i] = 100;
  });
  c.length = times.length;
  return c;
}

const split = (symbol: string, date: string, ratio: number): CorporateAction => ({
  symbol,
  date,
  kind: "split",
  value: ratio,
  factor: 1 / ratio,
  reference: Number.NaN,
});

let repo: Repository;
beforeEach(async () => {
  repo = await openRepository(":memory:");
});
afterEach(async () => {
  await repo.close();
});

const daily = async (symbol: string, mode: "raw" | "split" | "adjusted", asOf?: string) => {
  const { bars } = await readStoredBars(repo, XNYS, symbol, "1d", WEEK[0], WEEK[4], false, { mode, asOf });
  return {
    symbol: bars.symbol,
    close: [...bars.close.subarray(0, bars.length)],
    volume: [...bars.volume.subarray(0, bars.length)],
  };
};

describe("stored bars adjusted for corporate actions", () => {
  it("split-adjusts the minutes before a 2:1 split's ex-date and derives the daily bars from them", async () => {
    await repo.writeBars(
      "1m",
      minutes("ABC", WEEK, (d) => (d < "2024-03-06" ? 100 : 50)),
    );
    await repo.writeActions([split("ABC", "2024-03-06", 2)]);
    expect(await daily("ABC", "raw")).toEqual({
      symbol: "ABC",
      close: [100, 100, 50, 50, 50],
      volume: [39_000, 39_000, 39_000, 39_000, 39_000],
    });
    expect(await daily("ABC", "split")).toEqual({
      symbol: "ABC",
      close: [50, 50, 50, 50, 50],
      volume: [78_000, 78_000, 39_000, 39_000, 39_000],
    });
    expect(await daily("ABC", "split", "2024-03-05")).toEqual(await daily("ABC", "raw"));
    expect(await daily("ABC", "split", "2024-03-06")).toEqual(await daily("ABC", "split"));
    const first = await readStoredBars(repo, XNYS, "ABC", "1m", "2024-03-04", "2024-03-04", false, {
      mode: "split",
    });
    expect([first.bars.close[0], first.bars.volume[0], first.bars.length]).toEqual([50, 200, 390]);
  });

  it("adjusts for dividends only in adjusted mode, and for splits and dividends together", async () => {
    await repo.writeBars(
      "1m",
      minutes("ABC", WEEK, (d) => (d < "2024-03-06" ? 100 : 50)),
    );
    await repo.writeActions([
      split("ABC", "2024-03-06", 2),
      { symbol: "ABC", date: "2024-03-08", kind: "dividend", value: 0.5, factor: 0.99, reference: 50 },
    ]);
    expect((await daily("ABC", "split")).close).toEqual([50, 50, 50, 50, 50]);
    const adjusted = await daily("ABC", "adjusted");
    expect(adjusted.close).toEqual([50 * 0.99, 50 * 0.99, 50 * 0.99, 50 * 0.99, 50]);
    expect(adjusted.volume).toEqual([78_000, 78_000, 39_000, 39_000, 39_000]);
    expect((await daily("ABC", "adjusted", "2024-03-07")).close).toEqual([50, 50, 50, 50, 50]);
  });

  it("returns a renamed security's whole history under its current ticker, each date from the ticker of that date", async () => {
    await repo.writeBars(
      "1m",
      minutes("OLDCO", ["2024-03-04", "2024-03-05", "2024-03-07"], () => 10),
    );
    await repo.writeBars(
      "1m",
      minutes("NEWCO", ["2024-03-06", "2024-03-07", "2024-03-08"], () => 20),
    );
    await repo.writeActions([
      {
        symbol: "NEWCO",
        date: "2024-03-06",
        kind: "rename",
        value: Number.NaN,
        factor: 1,
        reference: Number.NaN,
        previous: "OLDCO",
      },
    ]);
    expect((await daily("NEWCO", "raw")).close).toEqual([10, 10, 20, 20, 20]);
    expect((await daily("NEWCO", "raw")).symbol).toBe("NEWCO");
    expect((await daily("OLDCO", "raw")).close).toEqual([10, 10, 10]);
    const before = await readStoredBars(repo, XNYS, "NEWCO", "1m", "2024-03-05", "2024-03-05");
    expect([before.bars.length, before.bars.close[0]]).toEqual([390, 10]);
  });
});
