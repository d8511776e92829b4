import { resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoUtc, MINUTE_MS } from "../model/time.js";
import { REPO_ROOT } from "../testing/deps.js";
import { loadCalendarFile } from "./json.js";
import { getCalendar } from "./registry.js";
import { EARLY_CLOSE, SessionTableBuilder, TableCalendar } from "./table.js";
import type { MarketState, Session } from "./types.js";

const calendars: TableCalendar[] = [
  getCalendar("XNYS"),
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
function bruteState(list: Session[], t: number): MarketState {
  const s = bruteAt(list, t, true);
  if (!s) return "closed";
  return t < s.open ? "pre" : t < s.close ? "open" : "post";
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
          expect(cal.isOpen(t, ext)).toBe(bruteAt(list, t, ext) !== undefined);
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

    it("expects one-minute bars that all lie inside their session, one minute apart", () => {
      fc.assert(
        fc.property(index, fc.boolean(), (i, ext) => {
          const s = list[i];
          const minutes = cal.expectedMinutes(s, ext);
          expect(minutes.length).toBe(cal.minuteCount(s, ext));
          expect(minutes[0]).toBe(start(s, ext));
          let inside = true;
          for (let k = 0; k < minutes.length; k++) {
            inside &&= minutes[k] >= start(s, ext) && minutes[k] < end(s, ext);
            inside &&= k === 0 || minutes[k] - minutes[k - 1] === MINUTE_MS;
          }
          expect(inside).toBe(true);
          expect(minutes[minutes.length - 1] + MINUTE_MS >= end(s, ext)).toBe(true);
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
