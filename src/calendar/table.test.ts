import { resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoUtc, MINUTE_MS } from "../model/time.js";
import { REPO_ROOT } from "../testing/deps.js";
import { loadCalendarFile } from "./json.js";
import { getCalendar } from "./registry.js";
import { EARLY_CLOSE, SessionTableBuilder, TableCalendar } from "./table.js";
import type { MarketState, Session } from "./types.js";

/**
 * A market with a lunch break on weekdays of 2024 (09:00-11:30, 12:30-15:00 UTC; Wednesdays
 * without one, Fridays close at 11:00 before it): the break cases beside the built-in tables.
 */
function lunchCalendar(): TableCalendar {
  const b = new SessionTableBuilder();
  const H = 3_600_000;
  const first = Date.UTC(2024, 0, 1) / 86_400_000;
  for (let day = first; day < first + 366; day++) {
    const wd = (day + 4) % 7;
    if (wd === 0 || wd === 6) continue;
    const at = (h: number) => day * 86_400_000 + h * H;
    if (wd === 5) b.push(day, at(8), at(9), at(11), at(11), EARLY_CLOSE);
    else if (wd === 3) b.push(day, at(9), at(9), at(15), at(15));
    else b.push(day, at(8), at(9), at(15), at(16), 0, at(11.5), at(12.5));
  }
  return new TableCalendar("LUNCH", "UTC", b.build("LUNCH"), first, first + 365);
}

const calendars: TableCalendar[] = [
  lunchCalendar(),
  getCalendar("XNYS"),
  getCalendar("XTKS"),
  getCalendar("XHKG"),
  getCalendar("CMES"),
  getCalendar("24/7"),
  getCalendar("24/5"),
  loadCalendarFile(resolve(REPO_ROOT, "examples/calendars/futures-sample.json")),
];

/** Brute-force references: linear scans over every session. */
function all(cal: TableCalendar): Session[] {
  return Array.from({ length: cal.length }, (_, i) => cal.session(i));
}
const start = (s: Session, ext: boolean) => (ext ? s.preOpen : s.open);
const end = (s: Session, ext: boolean) => (ext ? s.postClose : s.close);
function bruteAt(list: Session[], t: number, ext: boolean): Session | undefined {
  return list.find((s) => start(s, ext) <= t && t < end(s, ext));
}
const inBreak = (s: Session, t: number) =>
  s.breakStart !== undefined && s.breakEnd !== undefined && s.breakStart <= t && t < s.breakEnd;
function bruteState(list: Session[], t: number): MarketState {
  const s = bruteAt(list, t, true);
  if (!s) return "closed";
  return t < s.open ? "pre" : t >= s.close ? "post" : inBreak(s, t) ? "break" : "open";
}

for (const cal of calendars) {
  describe(`${cal.name} session table`, () => {
    const list = all(cal);
    const lo = list[0].preOpen - 3 * 86_400_000;
    const hi = list[list.length - 1].postClose + 3 * 86_400_000;
    const instant = fc.integer({ min: lo, max: hi });
    const index = fc.integer({ min: 0, max: list.length - 1 });

    it("has ordered, well-formed sessions that never overlap, even with extended hours", () => {
      const bad: string[] = [];
      for (let i = 0; i < list.length; i++) {
        const s = list[i];
        if (!(s.preOpen <= s.open && s.open < s.close && s.close <= s.postClose))
          bad.push(`${s.date} malformed`);
        if (i > 0 && !(list[i - 1].date < s.date)) bad.push(`${s.date} out of order`);
        if (i > 0 && !(list[i - 1].postClose <= s.preOpen)) bad.push(`${s.date} overlaps the session before`);
      }
      expect(bad).toEqual([]);
    });

    it("answers sessionAt, state, isOpen like a linear scan at any instant", () => {
      fc.assert(
        fc.property(instant, fc.boolean(), (t, ext) => {
          expect(cal.sessionAt(t, ext)).toBe(bruteAt(list, t, ext));
          const at = bruteAt(list, t, ext);
          expect(cal.isOpen(t, ext)).toBe(at !== undefined && !inBreak(at, t));
          expect(cal.state(t)).toBe(bruteState(list, t));
        }),
        { numRuns: 300 },
      );
    });

    it("answers next/previous session, nextOpen and nextClose like a linear scan", () => {
      fc.assert(
        fc.property(instant, fc.boolean(), (t, ext) => {
          expect(cal.nextSession(t, ext)).toBe(list.find((s) => start(s, ext) > t));
          expect(cal.previousSession(t, ext)).toBe(list.findLast((s) => end(s, ext) <= t));
          const open = cal.nextOpen(t);
          expect(open).toBe(list.find((s) => s.open > t)?.open);
          if (open !== undefined) expect(open > t && list.some((s) => s.open === open)).toBe(true);
          expect(cal.nextClose(t)).toBe(list.find((s) => s.close > t)?.close);
        }),
        { numRuns: 300 },
      );
    });

    it("returns the session itself for any instant inside it, and for its date", () => {
      fc.assert(
        fc.property(index, fc.nat(), fc.boolean(), (i, n, ext) => {
          const s = list[i];
          const t = start(s, ext) + (n % (end(s, ext) - start(s, ext)));
          expect(cal.sessionAt(t, ext)).toBe(s);
          expect(cal.sessionOn(s.date)).toBe(s);
        }),
        { numRuns: 300 },
      );
    });

    it("expects every one-minute bar of the session outside its break, and no other", () => {
      fc.assert(
        fc.property(index, fc.boolean(), (i, ext) => {
          const s = list[i];
          const minutes = cal.expectedMinutes(s, ext);
          expect(minutes.length).toBe(cal.minuteCount(s, ext));
          const brute: number[] = [];
          for (let t = start(s, ext); t < end(s, ext); t += MINUTE_MS) if (!inBreak(s, t)) brute.push(t);
          expect([...minutes]).toEqual(brute);
        }),
        { numRuns: 200 },
      );
    });

    it("lists sessions(from, to) as exactly the sessions dated in that range", () => {
      fc.assert(
        fc.property(index, fc.integer({ min: 0, max: 40 }), (i, span) => {
          const from = list[i].date;
          const toIndex = Math.min(list.length - 1, i + span);
          const to = list[toIndex].date;
          expect(cal.sessions(from, to)).toEqual(list.slice(i, toIndex + 1));
        }),
        { numRuns: 100 },
      );
    });
  });
}

describe("TableCalendar edges", () => {
  const cal = getCalendar("XNYS");
  const s = cal.sessionOn("2024-11-29")!;

  it("counts [open, close): the close instant is outside, the open inside", () => {
    expect(cal.sessionAt(s.open)).toBe(s);
    expect(cal.sessionAt(s.close)).toBeUndefined();
    expect(cal.sessionAt(s.close, true)).toBe(s);
    expect(cal.sessionAt(s.postClose, true)).toBeUndefined();
    expect(cal.state(s.preOpen)).toBe("pre");
    expect(cal.state(s.open)).toBe("open");
    expect(cal.state(s.close)).toBe("post");
    expect(cal.state(s.postClose)).toBe("closed");
  });

  it("gives nextOpen strictly after t and nextClose from inside the session", () => {
    expect(isoUtc(cal.nextOpen(s.open)!)).toBe("2024-12-02T14:30:00Z");
    expect(cal.nextOpen(s.open - 1)).toBe(s.open);
    expect(cal.nextClose(s.open)).toBe(s.close);
    expect(cal.previousSession(s.close)).toBe(s);
    expect(cal.previousSession(s.close, true)?.date).toBe("2024-11-27");
  });

  it("returns the same Session object every time, frozen", () => {
    expect(cal.sessionOn("2024-11-29")).toBe(s);
    expect(Object.isFrozen(s)).toBe(true);
    expect(s).toEqual({
      date: "2024-11-29",
      preOpen: Date.parse("2024-11-29T09:00:00Z"),
      open: Date.parse("2024-11-29T14:30:00Z"),
      close: Date.parse("2024-11-29T18:00:00Z"),
      postClose: Date.parse("2024-11-29T22:00:00Z"),
      earlyClose: true,
      lateOpen: false,
    });
  });

  it("expects 960 extended minutes from 04:00 on a normal day and 780 on an early close", () => {
    const normal = cal.sessionOn("2024-11-27")!;
    expect(cal.minuteCount(normal, true)).toBe(960);
    expect(cal.expectedMinutes(normal, true)[0]).toBe(normal.preOpen);
    expect(cal.minuteCount(s, true)).toBe(780);
  });

  it("writes expected minutes into a reused buffer, refusing one too small", () => {
    const buffer = new Float64Array(1000);
    expect(cal.writeExpectedMinutes(s, buffer)).toBe(210);
    expect(buffer.subarray(0, 210)).toEqual(cal.expectedMinutes(s));
    expect(cal.writeExpectedMinutes(s, buffer, true)).toBe(780);
    expect(() => cal.writeExpectedMinutes(s, new Float64Array(100))).toThrow(
      "buffer of 100 is too small for the 210 minutes of 2024-11-29",
    );
  });

  it("keeps a session through its break, closed and in state break for [breakStart, breakEnd)", () => {
    const lunch = lunchCalendar();
    const tue = lunch.sessionOn("2024-01-02")!;
    expect(isoUtc(tue.breakStart!)).toBe("2024-01-02T11:30:00Z");
    expect(isoUtc(tue.breakEnd!)).toBe("2024-01-02T12:30:00Z");
    expect(lunch.sessionAt(tue.breakStart!)).toBe(tue);
    expect(lunch.isOpen(tue.breakStart! - 1)).toBe(true);
    expect(lunch.isOpen(tue.breakStart!)).toBe(false);
    expect(lunch.isOpen(tue.breakEnd! - 1, true)).toBe(false);
    expect(lunch.isOpen(tue.breakEnd!)).toBe(true);
    expect(lunch.state(tue.breakStart!)).toBe("break");
    expect(lunch.state(tue.breakEnd!)).toBe("open");
    expect(lunch.minuteCount(tue)).toBe(300);
    expect(lunch.minuteCount(tue, true)).toBe(420);
    const minutes = lunch.expectedMinutes(tue);
    expect(isoUtc(minutes[149])).toBe("2024-01-02T11:29:00Z");
    expect(isoUtc(minutes[150])).toBe("2024-01-02T12:30:00Z");
    expect(lunch.sessionOn("2024-01-03")).not.toHaveProperty("breakStart");
    expect(lunch.nextOpen(tue.open)).toBe(lunch.sessionOn("2024-01-03")!.open);
  });

  it("refuses bad dates in sessions() and sessionOn()", () => {
    expect(() => cal.sessions("2024-02-30", "2024-03-01")).toThrow('bad from "2024-02-30": no such date');
    expect(() => cal.sessionOn("2024/01/02")).toThrow("expected YYYY-MM-DD");
    expect(cal.sessions("2024-03-05", "2024-03-01")).toEqual([]);
  });

  it("answers undefined outside the table instead of guessing", () => {
    expect(cal.sessionAt(Date.parse("1989-06-01T15:00:00Z"))).toBeUndefined();
    expect(cal.nextOpen(Date.parse("2051-01-01T00:00:00Z"))).toBeUndefined();
    expect(cal.nextSession(Date.parse("1980-01-01T00:00:00Z"))?.date).toBe("1990-01-02");
  });
});

describe("SessionTableBuilder", () => {
  it("refuses malformed, overlapping or unordered sessions, naming the dates", () => {
    const bad = (rows: number[][]) => () => {
      const b = new SessionTableBuilder();
      for (const [day, p, o, c, q] of rows) b.push(day, p, o, c, q);
      b.build("T");
    };
    expect(bad([[1, 0, 10, 10, 10]])).toThrow(
      "calendar T: session 1970-01-02 must have preOpen <= open < close <= postClose",
    );
    expect(
      bad([
        [1, 0, 1, 5, 9],
        [2, 8, 10, 20, 20],
      ]),
    ).toThrow("calendar T: session 1970-01-02 overlaps session 1970-01-03");
    expect(
      bad([
        [2, 0, 1, 5, 5],
        [2, 8, 10, 20, 20],
      ]),
    ).toThrow("is labelled no later than the session before it");
  });

  it("refuses a break that does not lie inside its session", () => {
    const withBreak = (bs: number, be: number) => () => {
      const b = new SessionTableBuilder();
      b.push(1, 0, 10, 20, 30, 0, bs, be);
      b.build("T");
    };
    const message = "calendar T: session 1970-01-02 must have open < breakStart < breakEnd < close";
    expect(withBreak(10, 12)).toThrow(message);
    expect(withBreak(15, 20)).toThrow(message);
    expect(withBreak(15, 15)).toThrow(message);
    expect(withBreak(15, Number.NaN)).toThrow(message);
    expect(withBreak(12, 15)).not.toThrow();
  });

  it("grows past its initial capacity and keeps flags", () => {
    const b = new SessionTableBuilder();
    for (let i = 0; i < 3000; i++)
      b.push(i, i * 10, i * 10 + 1, i * 10 + 5, i * 10 + 6, i % 2 ? EARLY_CLOSE : 0);
    const cal = new TableCalendar("T", "UTC", b.build("T"), 0, 2999);
    expect(cal.length).toBe(3000);
    expect(cal.session(2999)).toMatchObject({ open: 29991, earlyClose: true });
    expect(cal.session(2998).earlyClose).toBe(false);
  });
});
