import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { AlpacaTestServer, Changes } from "../live/test-support.js";
import { DAY_MS, MINUTE_MS } from "../model/time.js";
import { openRepository } from "../store/index.js";
import { startServe } from "./serve.js";

const ENV = { APCA_API_KEY_ID: "test-key", APCA_API_SECRET_KEY: "test-secret" };

/** The three minutes before the current one, on the wall clock (all inside today's 24/7 session). */
const m0 = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 3 * MINUTE_MS;
const nearMidnight = m0 < Math.floor(Date.now() / DAY_MS) * DAY_MS;

function wire(k: number): Record<string, unknown> {
  const p = 100 + k;
  const t = new Date(m0 + k * MINUTE_MS).toISOString();
  return { T: "b", S: "AAPL", o: p, h: p + 0.5, l: p - 0.5, c: p + 0.25, v: 1000 + k, t };
}

describe("tickwright serve --live", () => {
  let dir: string;
  let alpaca: AlpacaTestServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tickwright-live-"));
    await (await openRepository(join(dir, "x.duckdb"))).close();
    alpaca = await AlpacaTestServer.start();
  });

  afterAll(async () => {
    await alpaca?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses the Alpaca feed without keys in the environment", async () => {
    await expect(
      startServe(configSchema.parse({ db: join(dir, "x.duckdb"), server: { port: 0 }, symbols: ["AAPL"] }), {
        logger: false,
        env: {},
        live: { feed: "alpaca" },
      }),
    ).rejects.toThrow("--live --feed alpaca needs APCA_API_KEY_ID and APCA_API_SECRET_KEY");
  });

  it.skipIf(nearMidnight)("serves what an Alpaca stream sends, on the wall clock", async () => {
    const config = configSchema.parse({
      db: join(dir, "x.duckdb"),
      server: { port: 0 },
      symbols: ["AAPL"],
      calendar: "24/7",
      derived: { intervals: ["5m"] },
    });
    const h = await startServe(config, {
      logger: false,
      env: ENV,
      live: { feed: "alpaca", alpacaUrl: alpaca.url },
    });
    try {
      await alpaca.until((s) => s.subscriptions === 1, "the subscription");
      const changes = new Changes();
      const seen: number[] = [];
      h.engine.on("bar", (b) => {
        if (b.interval === "1m") seen.push(b.time);
        changes.notify();
      });
      alpaca.send([0, 1, 2].map(wire));
      await changes.until(() => seen.length === 3, "three bars through the engine");

      const bars = await fetch(`${h.url}/api/bars?symbol=AAPL&interval=1m&n=10`);
      const body = (await bars.json()) as { bars: { time: number; close: number }[] };
      expect(body.bars.map((b) => [b.time, b.close])).toEqual([
        [m0, 100.25],
        [m0 + MINUTE_MS, 101.25],
        [m0 + 2 * MINUTE_MS, 102.25],
      ]);
      expect((await fetch(`${h.url}/ready`)).status).toBe(200);
      const health = (await (await fetch(`${h.url}/health`)).json()) as {
        components: { engine: { details: { mode: string; connection: { state: string } } } };
      };
      expect(health.components.engine.details.mode).toBe("live");
      expect(health.components.engine.details.connection.state).toBe("connected");
    } finally {
      await h.close();
    }
  });
});
