import { describe, expect, it } from "vitest";
import { run } from "../testing/cli.js";
import { liveOptions, serveConfig, summaryLine } from "./serve.js";

describe("tickwright serve options", () => {
  it("paces at 60x real time unless told otherwise, and takes every stored symbol by default", () => {
    const config = serveConfig({ db: "x.duckdb" }, {});
    expect(config.speed).toBe(60);
    expect(config.allSymbols).toBe(true);
    expect(serveConfig({ db: "x.duckdb", speed: "max", symbols: "SPY, AAPL" }, {})).toMatchObject({
      speed: "max",
      symbols: ["SPY", "AAPL"],
      allSymbols: false,
    });
    expect(serveConfig({ db: "x.duckdb" }, { TICKWRIGHT_SPEED: "600" }).speed).toBe(600);
  });

  it("refuses a bad port, speed or date with exit 2, naming the flag", async () => {
    for (const [args, message] of [
      [["--port", "65536"], 'bad --port "65536": an integer 0..65535'],
      [["--speed", "0"], 'bad --speed "0": max or a positive number'],
      [["--from", "2024-02-30"], "--from"],
    ] as const) {
      const r = await run("serve", "--db", "missing.duckdb", ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });

  it("checks the live feed's choices before anything is opened", () => {
    expect(liveOptions({})).toBeUndefined();
    expect(liveOptions({ live: true })).toEqual({ feed: "alpaca", alpacaFeed: "iex" });
    expect(() => liveOptions({ live: true, feed: "nope" })).toThrow('bad --feed "nope": alpaca or replay');
    expect(() => liveOptions({ live: true, feed: "replay", speed: "60" })).toThrow(
      "plays stored bars at wall-clock pace",
    );
  });

  it("sums a stopped replay up in one line", () => {
    const line = summaryLine({
      sessions: 1,
      symbols: 2,
      barsIn: 1234,
      barsOut: {},
      quotesIn: 0,
      ticksIn: 0,
      gapsFound: 3,
      gapsFilled: 1,
      gapsAbandoned: 2,
      quality: {},
      wallMs: 1,
      barsPerSecond: 1,
      stopped: true,
    });
    expect(line).toBe(
      "stopped after 1 session of 2 symbols: 1,234 one-minute bars in; gaps 3 found, 1 filled, 2 abandoned",
    );
  });
});
