import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../model/errors.js";
import { configFromEnv } from "./load.js";
import { configSchema } from "./schema.js";
import { parseSymbolEntry, symbolCalendars, symbolNames } from "./symbols.js";

describe("symbols of several markets in the configuration", () => {
  it("parses SYMBOL and SYMBOL@CALENDAR, refusing an empty part", () => {
    expect(parseSymbolEntry("SPY")).toBe("SPY");
    expect(parseSymbolEntry("7203@XTKS")).toEqual({ symbol: "7203", calendar: "XTKS" });
    expect(parseSymbolEntry("ES@./cme.json")).toEqual({ symbol: "ES", calendar: "./cme.json" });
    expect(() => parseSymbolEntry("7203@")).toThrow(InvalidArgumentError);
    expect(() => parseSymbolEntry("@XTKS")).toThrow("expected SYMBOL or SYMBOL@CALENDAR");
  });

  it("takes symbol entries and the calendars map; an entry wins over the map", () => {
    const config = configSchema.parse({
      symbols: ["SPY", { symbol: "7203", calendar: "XTKS" }, "ES"],
      calendars: { ES: "CMES", "7203": "XHKG" },
    });
    expect(symbolNames(config)).toEqual(["SPY", "7203", "ES"]);
    expect([...symbolCalendars(config)].sort()).toEqual([
      ["7203", "XTKS"],
      ["ES", "CMES"],
    ]);
    expect(configSchema.safeParse({ symbols: [{ symbol: "7203" }] }).success).toBe(false);
    expect(configSchema.safeParse({ symbols: [{ symbol: "7203", calendar: "XTKS", x: 1 }] }).success).toBe(
      false,
    );
  });

  it("reads TICKWRIGHT_SYMBOLS=SPY,7203@XTKS and TICKWRIGHT_CALENDARS as JSON", () => {
    const env = configFromEnv({ TICKWRIGHT_SYMBOLS: "SPY,7203@XTKS", TICKWRIGHT_CALENDARS: '{"ES":"CMES"}' });
    expect(env).toEqual({
      symbols: ["SPY", { symbol: "7203", calendar: "XTKS" }],
      calendars: { ES: "CMES" },
    });
    expect(configSchema.safeParse(env).success).toBe(true);
  });
});
