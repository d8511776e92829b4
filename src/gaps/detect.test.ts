import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { isoUtc, MINUTE_MS } from "../model/time.js";
import { detectGaps } from "./detect.js";

const xnys = getCalendar("XNYS");
const mon = xnys.sessionOn("2013-10-07")!;
const expected = xnys.expectedMinutes(mon);
const minute = (m: number) => mon.open + m * MINUTE_MS;

function sessionWithout(missing: number[], extended = false): Float64Array {
  const all = xnys.expectedMinutes(mon, extended);
  return all.filter((t) => !missing.includes((t - mon.open) / MINUTE_MS));
}

describe("detectGaps", () => {
  it("groups missing minutes into ranges with exclusive ends and computes quality", () => {
    const times = sessionWithout([1, 2, 3, 200, 389]);
    const report = detectGaps(times, times.length, expected, mon.close);
    expect(report.expected).toBe(390);
    expect(report.present).toBe(385);
    expect(report.quality).toBeCloseTo((385 / 390) * 100, 12);
    expect(report.gaps.map((g) => [isoUtc(g.start), isoUtc(g.end), g.count])).toEqual([
      ["2013-10-07T13:31:00Z", "2013-10-07T13:34:00Z", 3],
      ["2013-10-07T16:50:00Z", "2013-10-07T16:51:00Z", 1],
      ["2013-10-07T19:59:00Z", "2013-10-07T20:00:00Z", 1],
    ]);
  });

  it("expects a minute only once the clock has passed its end", () => {
    const times = sessionWithout([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(detectGaps(times, times.length, expected, minute(3) - 1)).toEqual({
      expected: 2,
      present: 0,
      quality: 0,
      gaps: [{ start: minute(0), end: minute(2), count: 2 }],
    });
    expect(detectGaps(times, times.length, expected, mon.open)).toEqual({
      expected: 0,
      present: 0,
      quality: 100,
      gaps: [],
    });
  });

  it("ignores present bars the calendar does not expect (extended hours)", () => {
    const times = sessionWithout([5], true);
    const report = detectGaps(times, times.length, expected, Number.POSITIVE_INFINITY);
    expect(report).toMatchObject({ expected: 390, present: 389, gaps: [{ start: minute(5), count: 1 }] });
  });

  it("uses only the first `length` times", () => {
    const times = xnys.expectedMinutes(mon);
    const report = detectGaps(times, 100, expected, mon.close);
    expect(report.gaps).toEqual([{ start: minute(100), end: mon.close, count: 290 }]);
  });

  it("does not join missing minutes of two sessions into one range", () => {
    const tue = xnys.sessionOn("2013-10-08")!;
    const both = new Float64Array([...xnys.expectedMinutes(mon), ...xnys.expectedMinutes(tue)]);
    const report = detectGaps(
      new Float64Array(0),
      0,
      both.filter((t) => t >= mon.close - MINUTE_MS && t < tue.open + MINUTE_MS),
      Number.POSITIVE_INFINITY,
    );
    expect(report.gaps).toEqual([
      { start: mon.close - MINUTE_MS, end: mon.close, count: 1 },
      { start: tue.open, end: tue.open + MINUTE_MS, count: 1 },
    ]);
  });

  it("expects no minute in a session's break and splits a missing run at it", () => {
    const tokyo = getCalendar("XTKS");
    const s = tokyo.sessionOn("2024-01-09")!;
    const expected = tokyo.expectedMinutes(s);
    const present = expected.filter(
      (t) => t < s.breakStart! - 10 * MINUTE_MS || t >= s.breakEnd! + 5 * MINUTE_MS,
    );
    const report = detectGaps(present, present.length, expected, s.close);
    expect(report).toEqual({
      expected: 300,
      present: 285,
      quality: 95,
      gaps: [
        { start: s.breakStart! - 10 * MINUTE_MS, end: s.breakStart!, count: 10 },
        { start: s.breakEnd!, end: s.breakEnd! + 5 * MINUTE_MS, count: 5 },
      ],
    });
    expect(detectGaps(present, present.length, expected, s.breakEnd!).expected).toBe(150);
  });

  it("equals a Set-based brute force on random sessions with random missing minutes", () => {
    const sessions = xnys.sessions("2013-01-01", "2013-12-31");
    fc.assert(
      fc.property(
        fc.constantFrom(...sessions),
        fc.boolean(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1.1, noNaN: true }),
        fc.integer(),
        (session, extended, keep, clockAt, seed) => {
          const exp = xnys.expectedMinutes(session, extended);
          let x = (seed >>> 0) | 1;
          const times = [...xnys.expectedMinutes(session, true)].filter(() => {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            return (x >>> 0) / 2 ** 32 < keep;
          });
          const from = exp[0];
          const upTo = from + Math.round(clockAt * exp.length) * MINUTE_MS + (seed % 3) * 20_000;
          const got = detectGaps(new Float64Array(times), times.length, exp, upTo);

          const present = new Set(times);
          const due = [...exp].filter((t) => t + MINUTE_MS <= upTo);
          const missing = due.filter((t) => !present.has(t));
          const ranges: { start: number; end: number; count: number }[] = [];
          for (const t of missing) {
            const last = ranges[ranges.length - 1];
            if (last && last.end === t) {
              last.end += MINUTE_MS;
              last.count++;
            } else ranges.push({ start: t, end: t + MINUTE_MS, count: 1 });
          }
          expect(got).toEqual({
            expected: due.length,
            present: due.length - missing.length,
            quality: due.length === 0 ? 100 : ((due.length - missing.length) / due.length) * 100,
            gaps: ranges,
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
