import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "./simulated.js";

describe("SimulatedClock", () => {
  it("fires timers in (time, creation) order at their exact times, skipping cancelled ones", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 1000 }), cancel: fc.boolean() }), {
          maxLength: 60,
        }),
        fc.integer({ min: 0, max: 1200 }),
        async (timers, until) => {
          const clock = new SimulatedClock(0);
          const fired: [number, number][] = [];
          const handles = timers.map((t, i) => clock.at(t.at, (now) => void fired.push([i, now])));
          timers.forEach((t, i) => {
            if (t.cancel) clock.cancel(handles[i]);
          });
          await clock.advanceTo(until);
          const expected = timers
            .map((t, i) => ({ ...t, i }))
            .filter((t) => !t.cancel && t.at <= until)
            .sort((a, b) => a.at - b.at || a.i - b.i)
            .map((t) => [t.i, t.at]);
          expect(fired).toEqual(expected);
          expect(clock.now()).toBe(until);
        },
      ),
    );
  });

  it("repeats periodic timers and stops before an equal time when asked", async () => {
    const clock = new SimulatedClock(0);
    const seen: number[] = [];
    const h = clock.every(10, (t) => void seen.push(t), 5);
    await clock.advanceTo(25, false);
    expect(seen).toEqual([5, 15]);
    expect(clock.now()).toBe(15);
    await clock.advanceTo(35, false);
    expect(seen).toEqual([5, 15, 25]);
    expect(clock.now()).toBe(25);
    clock.cancel(h);
    await clock.advanceTo(100);
    expect(seen).toEqual([5, 15, 25]);
    expect(() => clock.set(50)).toThrow("cannot go back");
  });
});
