import { describe, expect, it } from "vitest";
import { replayFlags } from "./options.js";

describe("replay --symbols", () => {
  it("takes SYMBOL@CALENDAR for a symbol of another market", () => {
    expect(replayFlags({ symbols: "SPY, 7203@XTKS,ES@CMES" }).symbols).toEqual([
      "SPY",
      { symbol: "7203", calendar: "XTKS" },
      { symbol: "ES", calendar: "CMES" },
    ]);
  });
});
