import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay, resolveBackoff } from "./backoff.js";

describe("backoffDelay", () => {
  it("doubles from the base up to the maximum without jitter", () => {
    const b = resolveBackoff({ baseMs: 500, maxMs: 30_000, jitter: 0 });
    expect([0, 1, 2, 3, 4, 5, 6, 7, 100, 5000].map((a) => backoffDelay(a, b))).toEqual([
      500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000,
    ]);
  });

  it("takes jitter x random() of the delay off", () => {
    const b = resolveBackoff({ baseMs: 100, maxMs: 1000, jitter: 0.2, random: () => 0.25 });
    expect([0, 1, 5].map((a) => backoffDelay(a, b))).toEqual([95, 190, 950]);
  });

  it("stays within [full x (1 - jitter), full] for any attempt, matching a brute-force doubling", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 80 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (base, factor, attempt, jitter, r) => {
          const b = resolveBackoff({ baseMs: base, maxMs: base * factor, jitter, random: () => r });
          let full = base;
          for (let i = 0; i < attempt && full < base * factor; i++) full *= 2;
          full = Math.min(full, base * factor);
          const d = backoffDelay(attempt, b);
          expect(d).toBeCloseTo(full * (1 - jitter * r), 9);
          expect(d).toBeLessThanOrEqual(full);
          expect(d).toBeGreaterThanOrEqual(full * (1 - jitter) - 1e-9);
        },
      ),
    );
  });

  it("refuses a max below the base and jitter outside 0..1", () => {
    expect(() => resolveBackoff({ baseMs: 100, maxMs: 50 })).toThrow(
      "backoff.maxMs (50) must be at least baseMs (100)",
    );
    expect(() => resolveBackoff({ jitter: 1.5 })).toThrow("backoff.jitter must lie in 0..1, got 1.5");
  });
});
