import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/registry.js";
import { allocBarColumns } from "../model/bar.js";
import { formatDay, zonedDay } from "../model/time.js";
import type { CorporateAction } from "../store/types.js";
import { adjustBars } from "./adjust.js";
import { type AdjustMode, FactorTimeline } from "./factors.js";

const XNYS = getCalendar("XNYS");
const NY = XNYS.timeZone;
const SESSIONS = XNYS.sessions("2024-01-02", "2024-03-28");

describe("adjustBars", () => {
  it("matches a per-bar product of the factors of every later action in effect (brute force)", () => {
    const action = fc.record({
      session: fc.integer({ min: 0, max: SESSIONS.length - 1 }),
      kind: fc.constantFrom<"split" | "dividend" | "rename">("split", "dividend", "rename"),
      factor: fc.double({ min: 0.05, max: 4, noNaN: true }),
    });
    const bar = fc.record({
      session: fc.integer({ min: 0, max: SESSIONS.length - 1 }),
      minute: fc.integer({ min: -330, max: 630 }),
      price: fc.double({ min: 1, max: 1000, noNaN: true }),
      volume: fc.integer({ min: 0, max: 1e6 }),
    });
    fc.assert(
      fc.property(
        fc.array(action, { maxLength: 6 }),
        fc.array(bar, { minLength: 1, maxLength: 40 }),
        fc.constantFrom<AdjustMode>("raw", "split", "adjusted"),
        fc.option(fc.integer({ min: 0, max: SESSIONS.length - 1 }), { nil: undefined }),
        (drawn, drawnBars, mode, asOfSession) => {
          const actions: CorporateAction[] = drawn.map((a) => ({
            symbol: "X",
            date: SESSIONS[a.session].date,
            kind: a.kind,
            value: 1 / a.factor,
            factor: a.kind === "rename" ? 1 : a.factor,
            reference: Number.NaN,
          }));
          const asOf = asOfSession === undefined ? undefined : SESSIONS[asOfSession].date;
          const times = [...new Set(drawnBars.map((b) => SESSIONS[b.session].open + b.minute * 60_000))].sort(
            (a, b) => a - b,
          );
          const bars = allocBarColumns(times.length);
          times.forEach((t, i) => {
            const b = drawnBars[i % drawnBars.length];
            bars.time[i] = t;
            bars.open[i] = b.price;
            bars.high[i] = b.price * 1.01;
            bars.low[i] = b.price * 0.99;
            bars.close[i] = b.price;
            bars.volume[i] = b.volume;
            bars.vwap[i] = i % 2 === 0 ? b.price : Number.NaN;
          });
          bars.length = times.length;
          const raw = { close: bars.close.slice(), volume: bars.volume.slice(), vwap: bars.vwap.slice() };
          adjustBars(bars, FactorTimeline.of(actions, { mode, asOf }, NY));
          for (let i = 0; i < bars.length; i++) {
            const date = formatDay(zonedDay(NY, bars.time[i]));
            let price = 1;
            let split = 1;
            for (const a of actions) {
              if (a.date <= date || (asOf !== undefined && a.date > asOf) || mode === "raw") continue;
              if (a.kind === "split") {
                price *= a.factor;
                split *= a.factor;
              } else if (a.kind === "dividend" && mode === "adjusted") price *= a.factor;
            }
            expect(bars.close[i] / (raw.close[i] * price)).toBeCloseTo(1, 12);
            if (raw.volume[i] > 0) expect(bars.volume[i] / (raw.volume[i] / split)).toBeCloseTo(1, 12);
            if (Number.isNaN(raw.vwap[i])) expect(bars.vwap[i]).toBeNaN();
            else expect(bars.vwap[i] / (raw.vwap[i] * price)).toBeCloseTo(1, 12);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
