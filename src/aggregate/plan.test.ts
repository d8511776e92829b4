import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { calendarFromJson, getCalendar } from "../calendar/index.js";
import { MINUTE_MS } from "../model/time.js";
import { bucketOf, IntervalPlan, planSession } from "./plan.js";

const cal = getCalendar("XNYS");
const monday = cal.sessionOn("2013-10-07")!;
const early = cal.sessionOn("2013-11-29")!;
const hhmm = (t: number) =>
  new Date(t).toLocaleTimeString("en-GB", {
    timeZone: "America/New_York",
    hour: "2-digit",
    minute: "2-digit",
  });
const spans = (plan: IntervalPlan) =>
  plan.buckets().map((b) => `${hhmm(b.start)}-${hhmm(b.end)}/${b.expected}`);

describe("IntervalPlan", () => {
  it("anchors 60m buckets to the session open, the last one 15:30-16:00 expecting 30", () => {
    expect(spans(planSession(monday, "60m", cal))).toEqual([
      "09:30-10:30/60",
      "10:30-11:30/60",
      "11:30-12:30/60",
      "12:30-13:30/60",
      "13:30-14:30/60",
      "14:30-15:30/60",
      "15:30-16:00/30",
    ]);
  });

  it("aligns 60m buckets to the local clock when asked, clipped to the session", () => {
    expect(spans(planSession(monday, "1h", cal, { anchor: "clock" }))).toEqual([
      "09:30-10:00/30",
      "10:00-11:00/60",
      "11:00-12:00/60",
      "12:00-13:00/60",
      "13:00-14:00/60",
      "14:00-15:00/60",
      "15:00-16:00/60",
    ]);
  });

  it("makes 78 five-minute buckets of a regular session", () => {
    const plan = planSession(monday, "5m", cal);
    expect(plan.length).toBe(78);
    expect(plan.starts[0]).toBe(monday.open);
    expect(plan.ends[77]).toBe(monday.close);
    expect([...plan.expected.subarray(0, 78)].every((e) => e === 5)).toBe(true);
  });

  it("makes the daily bucket the regular session, early closes respected", () => {
    expect(planSession(monday, "1d", cal).buckets()).toEqual([
      { start: monday.open, end: monday.close, expected: 390 },
    ]);
    expect(planSession(early, "1d", cal, { extended: true, anchor: "clock" }).buckets()).toEqual([
      { start: early.open, end: early.close, expected: 210 },
    ]);
  });

  it("buckets pre-market, regular and after-hours minutes apart when extended", () => {
    expect(spans(planSession(monday, "60m", cal, { extended: true }))).toEqual([
      "04:00-05:00/60",
      "05:00-06:00/60",
      "06:00-07:00/60",
      "07:00-08:00/60",
      "08:00-09:00/60",
      "09:00-09:30/30",
      "09:30-10:30/60",
      "10:30-11:30/60",
      "11:30-12:30/60",
      "12:30-13:30/60",
      "13:30-14:30/60",
      "14:30-15:30/60",
      "15:30-16:00/30",
      "16:00-17:00/60",
      "17:00-18:00/60",
      "18:00-19:00/60",
      "19:00-20:00/60",
    ]);
  });

  it("aligns clock buckets to local hours in a half-hour time zone", () => {
    const nse = calendarFromJson({
      name: "NSE-TEST",
      timeZone: "Asia/Kolkata",
      from: "2024-03-01",
      to: "2024-03-31",
      weekly: { fri: { open: "09:15", close: "15:30" } },
    });
    const plan = planSession(nse.sessionOn("2024-03-08")!, "60m", nse, { anchor: "clock" });
    expect(plan.buckets().map((b) => [new Date(b.start).toISOString().slice(11, 16), b.expected])).toEqual([
      ["03:45", 45],
      ["04:30", 60],
      ["05:30", 60],
      ["06:30", 60],
      ["07:30", 60],
      ["08:30", 60],
      ["09:30", 30],
    ]);
  });

  it("ends a bucket at a break's start and re-anchors at its end; the daily bar spans both parts", () => {
    const tokyo = getCalendar("XTKS");
    const tue = tokyo.sessionOn("2024-01-09")!;
    const local = (plan: IntervalPlan) =>
      plan
        .buckets()
        .map(
          (b) =>
            `${new Date(b.start + 9 * 3_600_000).toISOString().slice(11, 16)}-${new Date(b.end + 9 * 3_600_000).toISOString().slice(11, 16)}/${b.expected}`,
        );
    expect(local(planSession(tue, "60m", tokyo))).toEqual([
      "09:00-10:00/60",
      "10:00-11:00/60",
      "11:00-11:30/30",
      "12:30-13:30/60",
      "13:30-14:30/60",
      "14:30-15:00/30",
    ]);
    expect(local(planSession(tue, "60m", tokyo, { anchor: "clock" }))).toEqual([
      "09:00-10:00/60",
      "10:00-11:00/60",
      "11:00-11:30/30",
      "12:30-13:00/30",
      "13:00-14:00/60",
      "14:00-15:00/60",
    ]);
    expect(planSession(tue, "1d", tokyo).buckets()).toEqual([
      { start: tue.open, end: tue.close, expected: 300 },
    ]);
    expect(bucketOf(tue.breakStart! + MINUTE_MS, "60m", tokyo)).toBeUndefined();
  });

  it("tiles the session with contiguous buckets for every N dividing a day", () => {
    const divisors = Array.from({ length: 1440 }, (_, i) => i + 1).filter((n) => 1440 % n === 0);
    fc.assert(
      fc.property(
        fc.constantFrom(...divisors),
        fc.constantFrom("session" as const, "clock" as const),
        fc.boolean(),
        fc.constantFrom(monday, early),
        (n, anchor, extended, session) => {
          const plan = planSession(session, `${n}m`, cal, { anchor, extended });
          const from = n === 1440 || !extended ? session.open : session.preOpen;
          const to = n === 1440 || !extended ? session.close : session.postClose;
          expect(plan.starts[0]).toBe(from);
          expect(plan.ends[plan.length - 1]).toBe(to);
          let total = 0;
          for (let i = 0; i < plan.length; i++) {
            if (i > 0) expect(plan.starts[i]).toBe(plan.ends[i - 1]);
            expect(plan.expected[i]).toBe((plan.ends[i] - plan.starts[i]) / MINUTE_MS);
            expect(plan.ends[i] - plan.starts[i]).toBeLessThanOrEqual(n * MINUTE_MS);
            total += plan.expected[i];
          }
          expect(total).toBe(cal.minuteCount(session, extended && n !== 1440));
        },
      ),
    );
  });

  it("reuses its buffers when laid over another session", () => {
    const plan = new IntervalPlan("1m", cal.timeZone, { extended: true });
    const starts = plan.starts;
    plan.layout(monday);
    expect(plan.length).toBe(960);
    plan.layout(early);
    expect(plan.length).toBe(780);
    expect(plan.starts).toBe(starts);
  });
});

describe("bucketOf", () => {
  it("finds the bucket of an instant, or none outside the regular session", () => {
    const t = monday.open + 97 * MINUTE_MS;
    expect(bucketOf(t, "15m", cal)).toEqual({
      start: monday.open + 90 * MINUTE_MS,
      end: monday.open + 105 * MINUTE_MS,
      expected: 15,
    });
    expect(bucketOf(monday.open - MINUTE_MS, "15m", cal)).toBeUndefined();
    expect(bucketOf(monday.open - MINUTE_MS, "15m", cal, { extended: true })).toEqual({
      start: monday.open - 15 * MINUTE_MS,
      end: monday.open,
      expected: 15,
    });
    expect(bucketOf(monday.postClose + 1, "15m", cal, { extended: true })).toBeUndefined();
  });
});
