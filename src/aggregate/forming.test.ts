import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import type { Session } from "../calendar/types.js";
import { BarFlag } from "../model/bar.js";
import { parseInterval } from "../model/interval.js";
import { BarSeries } from "../model/series.js";
import { MINUTE_MS } from "../model/time.js";
import { DerivedBarBuilder } from "./builder.js";
import { FormingBars } from "./forming.js";

const INTERVALS = ["5m", "15m", "60m", "1d"].map(parseInterval);

/** One symbol's one-minute bar as the test feeds it. */
interface Minute {
  id: number;
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  flags: number;
}

/**
 * Every minute of the sessions' extended spans, in time order, each symbol present with
 * probability `keep` (gaps), and random OHLCV; symbols interleaved as a store read delivers them.
 */
function minutesOf(sessions: readonly Session[], symbols: number, keep: number[], seed: number): Minute[] {
  const out: Minute[] = [];
  let x = seed;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  for (const s of sessions) {
    for (let t = s.preOpen; t < s.postClose; t += MINUTE_MS) {
      for (let id = 0; id < symbols; id++) {
        if (rnd() >= keep[id]) continue;
        const open = 100 + Math.round(rnd() * 1000) / 100;
        const close = 100 + Math.round(rnd() * 1000) / 100;
        const high = Math.max(open, close) + Math.round(rnd() * 100) / 100;
        const low = Math.min(open, close) - Math.round(rnd() * 100) / 100;
        const flags = rnd() < 0.1 ? BarFlag.Filled : 0;
        out.push({ id, time: t, open, high, low, close, volume: Math.round(rnd() * 500), flags });
      }
    }
  }
  return out;
}

describe("FormingBars", () => {
  it("completes exactly the bars one DerivedBarBuilder per symbol and interval completes, with the same counts, partials and flushes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("XNYS", "XTKS", "XHKG"),
        fc.boolean(),
        fc.constantFrom("session" as const, "clock" as const),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.double({ min: 0.2, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 40 }),
        (name, extended, anchor, symbols, keep, seed, flushEvery) => {
          const cal = getCalendar(name);
          const sessions = cal.sessions("2024-03-04", "2024-03-06");
          const forming = new FormingBars(INTERVALS, cal, { extended, anchor });
          const reference: DerivedBarBuilder[] = [];
          for (let id = 0; id < symbols; id++) {
            expect(forming.addSymbol(`S${id}`)).toBe(id);
            for (const iv of INTERVALS)
              reference.push(new DerivedBarBuilder(`S${id}`, iv, cal, { extended, anchor }));
          }
          const K = INTERVALS.length;
          const minutes = minutesOf(sessions, symbols, keep, seed);
          minutes.forEach((m, j) => {
            const total = forming.add(m.id, m.time, m.open, m.high, m.low, m.close, m.volume, m.flags);
            let expected = 0;
            for (let k = 0; k < K; k++) {
              const b = reference[m.id * K + k];
              const n = b.add(m.time, m.open, m.high, m.low, m.close, m.volume, m.flags);
              expect(forming.done[k]).toBe(n);
              expected += n;
            }
            expect(total).toBe(expected);
            if (flushEvery > 0 && j % flushEvery === 0) {
              const now = m.time + MINUTE_MS;
              for (let slot = 0; slot < reference.length; slot++) {
                expect(forming.partial(slot)).toEqual(reference[slot].partial());
                expect(forming.formingEnd(slot)).toBe(reference[slot].formingEnd);
                expect(forming.flushUpTo(slot, now)).toBe(reference[slot].flushUpTo(now));
              }
            }
          });
          for (let slot = 0; slot < reference.length; slot++) {
            expect(forming.series[slot].toBars()).toEqual(reference[slot].series.toBars());
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  it("rebuilds a slot from a one-minute series as the builder does", () => {
    const cal = getCalendar("XNYS");
    const session = cal.sessionOn("2024-03-04")!;
    const forming = new FormingBars(INTERVALS, cal);
    forming.addSymbol("SPY");
    const builder = new DerivedBarBuilder("SPY", "5m", cal);
    const bars = minutesOf([session], 1, [0.7], 3);
    const oneMinute = new BarSeries("SPY", "1m");
    for (const m of bars) oneMinute.push(m.time, m.open, m.high, m.low, m.close, m.volume, m.flags);
    const upTo = session.open + 47 * MINUTE_MS;
    forming.rebuild(0, oneMinute, upTo);
    builder.rebuild(oneMinute, upTo);
    expect(forming.series[0].toBars()).toEqual(builder.series.toBars());
    expect(forming.partial(0)).toEqual(builder.partial());
  });
});
