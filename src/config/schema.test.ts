import { describe, expect, it } from "vitest";
import { configSchema, formatIssues } from "./schema.js";

describe("config schema", () => {
  it("fills every default from an empty object", () => {
    const c = configSchema.parse({});
    expect(c.upkeep).toEqual({
      enabled: true,
      intervalSeconds: 60,
      fillGaps: true,
      maxRetries: 5,
      backoffSeconds: 1,
      timeoutSeconds: 10,
      synthesizeAbandoned: false,
    });
    expect(c.derived.intervals).toEqual(["5m", "15m"]);
    expect(c.prefetch).toEqual({ enabled: true, windowMinutes: 60 });
    expect(c.server.host).toBe("127.0.0.1");
    expect(c.mode).toBe("backtest");
  });

  it("names every bad key with its path", () => {
    const r = configSchema.safeParse({
      upkeep: { intervalSeconds: -1 },
      derived: { intervals: ["7m"] },
      bogus: 1,
    });
    expect(r.success).toBe(false);
    const lines = formatIssues(r.error!);
    expect(lines).toContain("upkeep.intervalSeconds: must be positive");
    expect(lines.some((l) => l.startsWith("derived.intervals.0: not an interval"))).toBe(true);
    expect(lines).toContain("bogus: unknown key");
  });
});
