import { openRepository } from "tickwright";
import { describe, expect, it } from "vitest";
import { runStrategy, storeWalk } from "./strategy.js";

const SYMBOLS = ["AAA", "BBB", "CCC"];

async function run(skip?: Set<string>) {
  const repository = await openRepository(":memory:");
  try {
    await storeWalk(repository, SYMBOLS, "2024-02-26", "2024-03-08", skip);
    return await runStrategy({ repository, symbols: SYMBOLS, from: "2024-03-04", to: "2024-03-08" });
  } finally {
    await repository.close();
  }
}

describe("examples/strategy", () => {
  it("sees every five-minute bar of five sessions and gives the same trades on every run", async () => {
    const a = await run();
    expect(a.sessions).toBe(5);
    expect(a.bars).toBe(5 * 78 * SYMBOLS.length);
    expect(a.gaps).toBe(0);
    expect(a.skippedForQuality).toBe(0);
    expect(a.trades).toBe(41);
    expect(a.pnl).toEqual({ AAA: -3.96, BBB: -3.56, CCC: 1.05 });
    expect(await run()).toEqual(a);
  });

  it("hears about a gap and sits out signals while the data is not clean", async () => {
    const clean = await run();
    const skip = new Set(Array.from({ length: 30 }, (_, i) => `AAA@2024-03-05#${100 + i}`));
    const gappy = await run(skip);
    expect(gappy.gaps).toBeGreaterThanOrEqual(1);
    expect(gappy.bars).toBe(clean.bars - 6);
    expect(gappy.skippedForQuality).toBeGreaterThan(0);
    expect([gappy.pnl.BBB, gappy.pnl.CCC]).toEqual([clean.pnl.BBB, clean.pnl.CCC]);
  });
});
